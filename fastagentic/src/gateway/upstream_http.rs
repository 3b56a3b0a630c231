//! The HTTP client an [`OpenAiCompatClient`](super::OpenAiCompatClient)
//! sends with: hyper's pooled client directly for a plain-HTTP upstream
//! (a gateway or model server beside the app), reqwest for TLS, proxies and
//! a client the user hands in.
//!
//! Why two: reqwest wraps hyper's client in layers a plain loopback call
//! does not need, and they cost about a fifth of a request's instructions
//! (callgrind): its redirect policy parses the URL again on every request
//! (reqwest 0.12 and 0.13 have no setting that turns it off), its proxy
//! matcher runs, and the default headers are merged into each request.
//! hyper's own client (the one reqwest uses inside) keeps the same
//! connection pool without them. Over TLS, behind a proxy from the
//! environment, or with a user's `reqwest::Client`, reqwest keeps doing
//! what it does.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Method, Request, Response, Uri};
use http_body_util::Full;
use hyper::body::{Body as HttpBody, Frame, SizeHint};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

/// How long an idle pooled connection is kept.
const POOL_IDLE: Duration = Duration::from_secs(90);

/// The environment variables through which reqwest picks up a proxy: when
/// one is set, plain-HTTP calls go through reqwest so they keep using it.
const PROXY_VARIABLES: [&str; 4] = ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"];

/// An error of either client, with its causes.
pub(crate) type HttpError = Box<dyn std::error::Error + Send + Sync>;

/// One connection pool per client, shared by its clones.
#[derive(Clone)]
pub(crate) enum UpstreamHttp {
    /// hyper's pooled client, for `http://` URLs (shared: it is large).
    Plain(Arc<Client<HttpConnector, Full<Bytes>>>),
    /// reqwest, for everything else.
    Reqwest(reqwest::Client),
}

impl std::fmt::Debug for UpstreamHttp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            UpstreamHttp::Plain(_) => "UpstreamHttp::Plain",
            UpstreamHttp::Reqwest(_) => "UpstreamHttp::Reqwest",
        })
    }
}

impl UpstreamHttp {
    /// The client for requests under `base_url`: hyper directly for plain
    /// HTTP when no proxy is configured in the environment, else reqwest.
    pub(crate) fn for_base_url(base_url: &str) -> Self {
        let plain = base_url
            .get(..7)
            .is_some_and(|scheme| scheme.eq_ignore_ascii_case("http://"));
        let proxied = PROXY_VARIABLES
            .iter()
            .any(|name| std::env::var_os(name).is_some_and(|v| !v.is_empty()));
        if plain && !proxied {
            Self::Plain(Arc::new(new_plain_client()))
        } else {
            Self::Reqwest(new_reqwest_client())
        }
    }

    /// `POST` `body` with `headers` to `url` (parsed once), or to
    /// `unparsed` when the base URL did not parse (reqwest then reports why).
    pub(crate) async fn post(
        &self,
        url: Option<&ParsedUrl>,
        unparsed: impl FnOnce() -> String,
        headers: HeaderMap,
        body: Vec<u8>,
    ) -> Result<Response<ResponseBody>, HttpError> {
        match (self, url) {
            (UpstreamHttp::Plain(client), Some(url)) => {
                let mut request = Request::new(Full::new(Bytes::from(body)));
                *request.method_mut() = Method::POST;
                *request.uri_mut() = url.uri.clone();
                *request.headers_mut() = headers;
                let response = client.request(request).await.map_err(|source| SendError {
                    uri: url.uri.clone(),
                    source,
                })?;
                Ok(response.map(ResponseBody::Plain))
            }
            (UpstreamHttp::Plain(_), None) => {
                Err(format!("`{}` is not a valid URL", unparsed()).into())
            }
            (UpstreamHttp::Reqwest(client), url) => {
                let request = match url {
                    Some(url) => client.post(url.url.clone()),
                    None => client.post(unparsed()),
                };
                let response = request.headers(headers).body(body).send().await?;
                Ok(Response::from(response).map(ResponseBody::Reqwest))
            }
        }
    }
}

/// A request hyper could not send, naming its URL as reqwest's errors do.
#[derive(Debug)]
struct SendError {
    uri: Uri,
    source: hyper_util::client::legacy::Error,
}

impl std::fmt::Display for SendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "error sending request for url ({})", self.uri)
    }
}

impl std::error::Error for SendError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// A request URL, parsed once for each client.
#[derive(Debug)]
pub(crate) struct ParsedUrl {
    url: reqwest::Url,
    uri: Uri,
}

impl ParsedUrl {
    /// `None` when `text` is not a valid URL.
    pub(crate) fn parse(text: &str) -> Option<Self> {
        Some(Self {
            url: reqwest::Url::parse(text).ok()?,
            uri: text.parse().ok()?,
        })
    }
}

/// A new reqwest client: one connection pool per gateway, shared by every
/// clone of it and every request it makes.
///
/// Not one client for the whole process: a pooled connection belongs to the
/// async runtime that opened it, so a process-wide pool hands dead
/// connections to gateways on another runtime (each `#[tokio::test]` has its
/// own). An app builds its gateways once, so it still has one pool per gateway.
pub(crate) fn new_reqwest_client() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_idle_timeout(POOL_IDLE)
        .tcp_nodelay(true)
        .build()
        .unwrap_or_default()
}

/// hyper's pooled client for plain HTTP (the same pool rules as above).
fn new_plain_client() -> Client<HttpConnector, Full<Bytes>> {
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    Client::builder(TokioExecutor::new())
        .pool_idle_timeout(POOL_IDLE)
        .build(connector)
}

/// The body of either client's response.
pub(crate) enum ResponseBody {
    /// From hyper.
    Plain(hyper::body::Incoming),
    /// From reqwest.
    Reqwest(reqwest::Body),
}

impl HttpBody for ResponseBody {
    type Data = Bytes;
    type Error = HttpError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, HttpError>>> {
        match self.get_mut() {
            ResponseBody::Plain(body) => Pin::new(body).poll_frame(cx).map_err(Into::into),
            ResponseBody::Reqwest(body) => Pin::new(body).poll_frame(cx).map_err(Into::into),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            ResponseBody::Plain(body) => body.is_end_stream(),
            ResponseBody::Reqwest(body) => body.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            ResponseBody::Plain(body) => body.size_hint(),
            ResponseBody::Reqwest(body) => body.size_hint(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_goes_through_hyper_and_tls_through_reqwest() {
        let proxied = PROXY_VARIABLES
            .iter()
            .any(|name| std::env::var_os(name).is_some_and(|v| !v.is_empty()));
        assert!(matches!(
            UpstreamHttp::for_base_url("https://api.openai.com/v1"),
            UpstreamHttp::Reqwest(_)
        ));
        let plain = UpstreamHttp::for_base_url("HTTP://127.0.0.1:8080/v1");
        assert_eq!(matches!(plain, UpstreamHttp::Plain(_)), !proxied);
    }
}
