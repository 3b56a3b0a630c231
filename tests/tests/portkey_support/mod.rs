//! Shared by the `portkey_*` tests: the real gateway, and a recording proxy
//! placed between `PortkeyGateway` and it, so a test sees exactly which
//! headers arrived at Portkey and which Portkey answered with (the upstream
//! `MockProvider` only sees what Portkey forwards, which is neither).

#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use fastagentic_portkey::PortkeyGateway;
use fastagentic_tests::peers::PortkeyPeer;

/// The Portkey gateway shared by every test of this binary; a test fails
/// (never skips) when it cannot be installed or started.
pub async fn portkey() -> &'static PortkeyPeer {
    PortkeyPeer::shared()
        .await
        .expect("the real Portkey gateway is needed for this test")
}

/// A `PortkeyGateway` pointed at `base_url` (no key: self-hosted needs none),
/// with its own HTTP client (see [`http_client`]).
pub fn gateway_at(base_url: &str) -> PortkeyGateway {
    PortkeyGateway::new()
        .base_url(base_url)
        .http_client(http_client())
}

/// A fresh `reqwest::Client` for one test. The process-wide pool that
/// gateways share by default can hand a test a connection opened on another
/// test's (since dropped) runtime: "dispatch task is gone".
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("HTTP client")
}

/// One request through the proxy.
#[derive(Clone, Debug)]
pub struct Exchange {
    /// What `PortkeyGateway` sent to Portkey.
    pub request_headers: HeaderMap,
    /// What Portkey answered.
    pub status: u16,
    /// Portkey's response headers.
    pub response_headers: HeaderMap,
}

impl Exchange {
    /// A request header as text.
    pub fn sent(&self, name: &str) -> Option<&str> {
        self.request_headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// A response header as text.
    pub fn answered(&self, name: &str) -> Option<&str> {
        self.response_headers
            .get(name)
            .and_then(|v| v.to_str().ok())
    }
}

/// A pass-through HTTP proxy on loopback that records each exchange.
pub struct Recorder {
    base_url: String,
    exchanges: Arc<Mutex<Vec<Exchange>>>,
}

#[derive(Clone)]
struct ProxyState {
    target: String,
    http: reqwest::Client,
    exchanges: Arc<Mutex<Vec<Exchange>>>,
}

const HOP_BY_HOP: &[&str] = &[
    "host",
    "connection",
    "content-length",
    "transfer-encoding",
    "keep-alive",
];

impl Recorder {
    /// Starts a proxy forwarding to `target` (e.g. the gateway's `base_url()`).
    pub async fn start(target: &str) -> Self {
        let exchanges = Arc::new(Mutex::new(Vec::new()));
        let state = ProxyState {
            target: target.trim_end_matches('/').to_owned(),
            http: reqwest::Client::builder()
                .no_proxy()
                .timeout(Duration::from_secs(60))
                .build()
                .expect("proxy client"),
            exchanges: exchanges.clone(),
        };
        let app = Router::new().fallback(forward).with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the recording proxy");
        let addr = listener.local_addr().expect("proxy address");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self {
            base_url: format!("http://{addr}"),
            exchanges,
        }
    }

    /// `http://127.0.0.1:PORT/v1`, the base URL to give `PortkeyGateway`.
    pub fn v1_url(&self) -> String {
        format!("{}/v1", self.base_url)
    }

    /// Every exchange so far, in order.
    pub fn exchanges(&self) -> Vec<Exchange> {
        self.exchanges.lock().expect("exchanges").clone()
    }
}

async fn forward(State(state): State<ProxyState>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let path = parts
        .uri
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    let Ok(body) = axum::body::to_bytes(body, 64 * 1024 * 1024).await else {
        return (StatusCode::BAD_REQUEST, "unreadable body").into_response();
    };
    let mut headers = parts.headers.clone();
    for name in HOP_BY_HOP {
        headers.remove(*name);
    }
    let upstream = state
        .http
        .request(parts.method.clone(), format!("{}{path}", state.target))
        .headers(headers)
        .body(body)
        .send()
        .await;
    let upstream = match upstream {
        Ok(upstream) => upstream,
        Err(error) => return (StatusCode::BAD_GATEWAY, error.to_string()).into_response(),
    };
    let status = upstream.status();
    let mut response_headers = upstream.headers().clone();
    for name in HOP_BY_HOP {
        response_headers.remove(*name);
    }
    state.exchanges.lock().expect("exchanges").push(Exchange {
        request_headers: parts.headers,
        status: status.as_u16(),
        response_headers: response_headers.clone(),
    });
    let mut response = Response::new(Body::from_stream(upstream.bytes_stream()));
    *response.status_mut() = status;
    *response.headers_mut() = response_headers;
    response
}
