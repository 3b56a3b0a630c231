//! Test support for FastAgentic's own test suite: provisioning of the real
//! peers (the Portkey gateway and the LiteLLM proxy) on loopback, and small
//! helpers the test files share.

pub mod loopback;
pub mod peers;
pub mod sse;
