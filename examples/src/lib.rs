//! Shared pieces of the example programs.

mod env_gateway;

pub use env_gateway::{gateway_from_env, init_logging};
