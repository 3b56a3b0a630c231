//! The test kit: [`MockProvider`], a real OpenAI-compatible HTTP server on
//! loopback with scriptable replies and faults, for testing gateways, hooks
//! and endpoints without a real provider.

mod mock_gemini;
mod mock_provider;
mod mock_reply;
mod mock_wire;

pub use mock_provider::{CapturedRequest, MockProvider};
pub use mock_reply::MockReply;
