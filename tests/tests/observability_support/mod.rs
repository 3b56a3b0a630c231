//! Support for the observability tests: an OpenAPI 3.0 schema checker and
//! a local Langfuse ingestion server that checks what it receives with it.

pub mod langfuse_server;
pub mod openapi;
