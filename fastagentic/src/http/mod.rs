//! The HTTP edge: routes for endpoints, one JSON error shape, health,
//! OpenAPI and the docs page.

mod docs_page;
mod endpoint_route;
mod error_response;
mod health;
mod openapi;
mod request_metadata;
mod sse;
mod stream_cutoff;

pub(crate) use docs_page::docs_page;
pub(crate) use endpoint_route::{
    EndpointRuntime, check_content_type, notify_error, read_body, serve_endpoint, sse_response,
};
pub(crate) use error_response::{method_not_allowed, not_found};
pub(crate) use health::{Readiness, health, ready};
pub(crate) use openapi::{ApiInfo, openapi_document};
pub(crate) use request_metadata::from_headers as request_metadata;
pub(crate) use stream_cutoff::StreamCutoff;
