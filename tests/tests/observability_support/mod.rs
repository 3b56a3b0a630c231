//! Support for the observability tests: an OpenAPI 3.0 schema checker and
//! a local Langfuse ingestion server that checks what it receives with it.

// Each test binary uses a part of the support (the scripted answers only the
// Langfuse tests); what one binary leaves unused is not dead.
#![allow(dead_code)]

pub mod langfuse_server;
pub mod openapi;
