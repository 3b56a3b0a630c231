//! Endpoints: the records `#[agent_endpoint]` registers, how their input is
//! decoded and their output encoded, and the registry built at start-up.

mod input;
pub(crate) mod registration;
mod registry;
mod reply;
mod stream;

pub(crate) use input::parse_json as parse_json_body;
pub use input::{InputBody, decode_input};
pub use registration::{EndpointHandler, EndpointRegistration, GatewayFactory, SchemaFn};
pub(crate) use registry::collect_endpoints;
pub use reply::{EndpointReply, ErasedJson, IntoEndpointReply, IntoStreamReply};
pub use stream::{AgentStream, IntoAgentStream};
