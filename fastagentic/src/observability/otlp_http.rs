//! The HTTP client the OTLP exporter posts with: the workspace's `reqwest`
//! in its blocking form, on the exporter's own thread.
//!
//! The SDK's batch processor exports from a dedicated thread and blocks on
//! each export, so a blocking client fits and needs no async runtime. The
//! client is built on first use, on that thread: `reqwest`'s blocking client
//! must not be built or dropped inside an async context.

use std::future::Future;
use std::pin::Pin;
use std::sync::OnceLock;
use std::time::Duration;

use bytes::Bytes;
use opentelemetry_http::{HttpClient, HttpError, Request, Response};

/// `reqwest::blocking` behind `opentelemetry_http::HttpClient`.
#[derive(Debug)]
pub(crate) struct BlockingHttp {
    timeout: Duration,
    client: OnceLock<reqwest::blocking::Client>,
}

impl BlockingHttp {
    /// A client whose requests give up after `timeout`.
    pub(crate) fn new(timeout: Duration) -> Self {
        Self {
            timeout,
            client: OnceLock::new(),
        }
    }

    fn client(&self) -> Result<&reqwest::blocking::Client, HttpError> {
        if let Some(client) = self.client.get() {
            return Ok(client);
        }
        let client = reqwest::blocking::Client::builder()
            .timeout(self.timeout)
            .build()?;
        Ok(self.client.get_or_init(|| client))
    }

    fn send(&self, request: Request<Bytes>) -> Result<Response<Bytes>, HttpError> {
        let (parts, body) = request.into_parts();
        let response = self
            .client()?
            .request(parts.method, parts.uri.to_string())
            .headers(parts.headers)
            .body(body.to_vec())
            .send()?;
        let mut builder = Response::builder().status(response.status().as_u16());
        for (name, value) in response.headers() {
            builder = builder.header(name.as_str(), value.as_bytes());
        }
        Ok(builder.body(response.bytes()?)?)
    }
}

// `HttpClient` is an `async_trait` trait; this is its expanded signature.
impl HttpClient for BlockingHttp {
    fn send_bytes<'life0, 'async_trait>(
        &'life0 self,
        request: Request<Bytes>,
    ) -> Pin<Box<dyn Future<Output = Result<Response<Bytes>, HttpError>> + Send + 'async_trait>>
    where
        'life0: 'async_trait,
        Self: 'async_trait,
    {
        Box::pin(async move { self.send(request) })
    }
}
