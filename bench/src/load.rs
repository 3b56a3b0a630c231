//! The load generator for request/response paths: a closed loop over `c`
//! keep-alive HTTP/1.1 connections (hyper), a warm-up, then a fixed
//! measured window. Every path is measured by this same client.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderName, HeaderValue, Method, Request, header};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::time::Instant;

use crate::stats;

/// Where and what to send.
#[derive(Clone, Debug)]
pub struct Target {
    /// The server.
    pub addr: SocketAddr,
    /// The request path, e.g. `/triage`.
    pub path: String,
    /// Extra headers (auth, Portkey routing).
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// The JSON body.
    pub body: Bytes,
}

impl Target {
    /// A target with no extra headers.
    pub fn new(addr: SocketAddr, path: &str, body: impl Into<Bytes>) -> Self {
        Self {
            addr,
            path: path.to_owned(),
            headers: Vec::new(),
            body: body.into(),
        }
    }

    /// Adds a header.
    pub fn header(mut self, name: &'static str, value: &str) -> Self {
        if let Ok(value) = HeaderValue::from_str(value) {
            self.headers.push((HeaderName::from_static(name), value));
        }
        self
    }

    /// The request, ready to send on a connection to [`Self::addr`].
    pub fn request(&self) -> Request<Full<Bytes>> {
        let mut builder = Request::builder()
            .method(Method::POST)
            .uri(&self.path)
            .header(header::HOST, self.addr.to_string())
            .header(header::CONTENT_TYPE, "application/json");
        for (name, value) in &self.headers {
            builder = builder.header(name, value);
        }
        builder
            .body(Full::new(self.body.clone()))
            .unwrap_or_default()
    }
}

/// What one closed-loop run measured.
#[derive(Clone, Debug, Default)]
pub struct LoadResult {
    /// Connections.
    pub concurrency: usize,
    /// Requests answered 200 inside the measured window (by completion time).
    pub requests: u64,
    /// Failed requests (non-200 or connection errors) during the whole run.
    pub errors: u64,
    /// Requests per second over the measured window.
    pub rps: f64,
    /// Latency percentiles in microseconds.
    pub p50_us: f64,
    /// p99 latency in microseconds.
    pub p99_us: f64,
    /// The first error seen, for the report.
    pub first_error: Option<String>,
}

/// Opens a keep-alive HTTP/1.1 connection.
pub async fn connect(addr: SocketAddr) -> Result<SendRequest<Full<Bytes>>, String> {
    let stream = TcpStream::connect(addr)
        .await
        .map_err(|e| format!("connect {addr}: {e}"))?;
    let _ = stream.set_nodelay(true);
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("handshake: {e}"))?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(sender)
}

/// Sends one request on a fresh connection: `(status, body)`.
pub async fn send_once(target: &Target) -> Result<(u16, Bytes), String> {
    let mut sender = connect(target.addr).await?;
    exchange(&mut sender, target).await
}

/// `GET path` on a fresh connection: the body of a `200`, as text.
pub async fn get_text(addr: SocketAddr, path: &str) -> Result<String, String> {
    let mut sender = connect(addr).await?;
    sender.ready().await.map_err(|e| e.to_string())?;
    let request = Request::builder()
        .method(Method::GET)
        .uri(path)
        .header(header::HOST, addr.to_string())
        .body(Full::new(Bytes::new()))
        .map_err(|e| e.to_string())?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| e.to_string())?;
    let status = response.status();
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes();
    if status != http::StatusCode::OK {
        return Err(format!("GET {path} answered {status}"));
    }
    Ok(String::from_utf8_lossy(&body).into_owned())
}

/// Sends `target`'s request on an open connection: `(status, body)`.
pub async fn exchange(
    sender: &mut SendRequest<Full<Bytes>>,
    target: &Target,
) -> Result<(u16, Bytes), String> {
    sender.ready().await.map_err(|e| e.to_string())?;
    let response = sender
        .send_request(target.request())
        .await
        .map_err(|e| e.to_string())?;
    let status = response.status().as_u16();
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes();
    Ok((status, body))
}

/// The most requests one connection sends in a run, whatever the duration.
const MAX_REQUESTS_PER_CONNECTION: u64 = 20_000_000;

/// Runs `concurrency` connections in a closed loop: `warmup`, then
/// `duration` measured.
pub async fn closed_loop(
    target: &Target,
    concurrency: usize,
    warmup: Duration,
    duration: Duration,
) -> LoadResult {
    let start = Instant::now();
    let measure_from = start + warmup;
    let end = measure_from + duration;
    let mut workers = Vec::with_capacity(concurrency);
    for _ in 0..concurrency {
        let target = target.clone();
        workers.push(tokio::spawn(async move {
            worker(&target, measure_from, end).await
        }));
    }
    let finished = join_all(workers).await;
    combine(finished, concurrency, duration)
}

/// Sends `total` requests over `concurrency` connections (for profiling).
pub async fn fixed_count(target: &Target, concurrency: usize, total: u64) -> LoadResult {
    let start = Instant::now();
    let per = total / concurrency.max(1) as u64;
    let mut workers = Vec::new();
    for _ in 0..concurrency.max(1) {
        let target = target.clone();
        workers.push(tokio::spawn(async move {
            let mut w = Worker::default();
            let Ok(mut sender) = connect(target.addr).await else {
                w.error("connect failed".to_owned());
                return w;
            };
            for _ in 0..per {
                let began = Instant::now();
                match exchange(&mut sender, &target).await {
                    Ok((200, _)) => {
                        w.requests += 1;
                        w.latencies_ns
                            .push(u64::try_from(began.elapsed().as_nanos()).unwrap_or(u64::MAX));
                    }
                    Ok((status, _)) => w.error(format!("status {status}")),
                    Err(e) => {
                        w.error(e);
                        break;
                    }
                }
            }
            w
        }));
    }
    let finished = join_all(workers).await;
    combine(finished, concurrency, start.elapsed())
}

/// The workers that finished (a panicked one is left out).
async fn join_all(workers: Vec<tokio::task::JoinHandle<Worker>>) -> Vec<Worker> {
    let mut finished = Vec::with_capacity(workers.len());
    for worker in workers {
        if let Ok(w) = worker.await {
            finished.push(w);
        }
    }
    finished
}

/// The workers' counts and latencies as one result over `elapsed`.
fn combine(workers: Vec<Worker>, concurrency: usize, elapsed: Duration) -> LoadResult {
    let mut result = LoadResult {
        concurrency,
        ..LoadResult::default()
    };
    let mut latencies = Vec::new();
    for w in workers {
        result.requests += w.requests;
        result.errors += w.errors;
        latencies.extend(w.latencies_ns);
        if result.first_error.is_none() {
            result.first_error = w.first_error;
        }
    }
    result.rps = result.requests as f64 / elapsed.as_secs_f64();
    let [p50, p99] = stats::percentiles(&mut latencies, [50.0, 99.0]);
    result.p50_us = p50 / 1000.0;
    result.p99_us = p99 / 1000.0;
    result
}

#[derive(Default)]
struct Worker {
    requests: u64,
    errors: u64,
    latencies_ns: Vec<u64>,
    first_error: Option<String>,
}

impl Worker {
    fn error(&mut self, message: String) {
        self.errors += 1;
        if self.first_error.is_none() {
            self.first_error = Some(message);
        }
    }
}

async fn worker(target: &Target, measure_from: Instant, end: Instant) -> Worker {
    let mut w = Worker::default();
    let mut sender = None;
    let mut sent = 0u64;
    while Instant::now() < end && sent < MAX_REQUESTS_PER_CONNECTION {
        let connection = match &mut sender {
            Some(connection) => connection,
            None => match connect(target.addr).await {
                Ok(connection) => sender.insert(connection),
                Err(e) => {
                    w.error(e);
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
        };
        sent += 1;
        let began = Instant::now();
        match exchange(connection, target).await {
            Ok((200, _)) => {
                // Counted by completion time, like wrk: a slow server's
                // requests that began in the warm-up still count.
                let done = Instant::now();
                if done >= measure_from && done <= end {
                    w.requests += 1;
                    w.latencies_ns
                        .push(u64::try_from((done - began).as_nanos()).unwrap_or(u64::MAX));
                }
            }
            Ok((status, body)) => {
                let snippet = String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned();
                w.error(format!("status {status}: {snippet}"));
            }
            Err(e) => {
                w.error(e);
                sender = None;
            }
        }
    }
    w
}
