//! Test support for FastAgentic's own test suite: provisioning of the real
//! peers (the Portkey gateway and the LiteLLM proxy) on loopback.

pub mod peers;
