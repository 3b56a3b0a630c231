//! Sending events to Langfuse off the request path: a bounded queue, and a
//! background task that posts batches when they are full, when the flush
//! interval passes, or when asked to flush.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde_json::Value;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use super::Config;
use super::events::Envelope;

/// Langfuse limits a batch to 3.5 MB; stay below it.
const MAX_BATCH_BYTES: usize = 3_000_000;

/// Attempts per batch (a 5xx or a connection failure is tried again).
const ATTEMPTS: u32 = 3;

pub(crate) enum Command {
    Event(Box<Envelope>),
    Flush(oneshot::Sender<()>),
}

/// The queue's sending side, shared by every clone of the hook.
pub(crate) struct Batcher {
    queue: mpsc::Sender<Command>,
    dropped: AtomicU64,
}

impl Batcher {
    /// Starts the background task on the current Tokio runtime.
    pub(crate) fn start(config: Arc<Config>) -> Self {
        let (queue, commands) = mpsc::channel(config.max_queue.max(1));
        tokio::spawn(run(config, commands));
        Self {
            queue,
            dropped: AtomicU64::new(0),
        }
    }

    /// Queues an event without waiting; a full queue drops it (and says so
    /// in the log, once per thousand).
    pub(crate) fn push(&self, event: Envelope) {
        if self
            .queue
            .try_send(Command::Event(Box::new(event)))
            .is_err()
        {
            let dropped = self.dropped.fetch_add(1, Ordering::Relaxed);
            if dropped.is_multiple_of(1000) {
                tracing::warn!(
                    target: "fastagentic::langfuse",
                    dropped = dropped + 1,
                    "the Langfuse queue is full: events are dropped (raise LangfuseHook::max_queue or check LANGFUSE_HOST)"
                );
            }
        }
    }

    /// Sends everything queued so far and waits until it was posted.
    pub(crate) async fn flush(&self) {
        let (done, finished) = oneshot::channel();
        if self.queue.send(Command::Flush(done)).await.is_ok() {
            let _ = finished.await;
        }
    }
}

/// The background task: collects events into a batch and posts it.
async fn run(config: Arc<Config>, mut commands: mpsc::Receiver<Command>) {
    let client = match reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
    {
        Ok(client) => client,
        Err(e) => {
            tracing::error!(target: "fastagentic::langfuse", "cannot build the HTTP client; Langfuse export is off: {e}");
            return;
        }
    };
    let url = format!("{}/api/public/ingestion", config.host.trim_end_matches('/'));
    let mut batch = Batch::default();
    let mut deadline: Option<Instant> = None;
    loop {
        let command = match deadline {
            Some(at) => tokio::select! {
                command = commands.recv() => command,
                () = tokio::time::sleep_until(at) => {
                    batch.post(&client, &url, &config).await;
                    deadline = None;
                    continue;
                }
            },
            None => commands.recv().await,
        };
        match command {
            Some(Command::Event(event)) => {
                let Ok(json) = serde_json::to_string(&event) else {
                    continue;
                };
                if batch.bytes + json.len() > MAX_BATCH_BYTES {
                    batch.post(&client, &url, &config).await;
                }
                batch.add(json);
                if batch.events.len() >= config.batch_size {
                    batch.post(&client, &url, &config).await;
                    deadline = None;
                } else if deadline.is_none() {
                    deadline = Some(Instant::now() + config.flush_interval);
                }
            }
            Some(Command::Flush(done)) => {
                batch.post(&client, &url, &config).await;
                deadline = None;
                let _ = done.send(());
            }
            None => {
                batch.post(&client, &url, &config).await;
                return;
            }
        }
    }
}

/// Events serialized and waiting to be posted.
#[derive(Default)]
struct Batch {
    events: Vec<String>,
    bytes: usize,
}

impl Batch {
    fn add(&mut self, json: String) {
        self.bytes += json.len() + 1;
        self.events.push(json);
    }

    /// Posts the batch (`{"batch": [...], "metadata": {...}}`) and empties it.
    async fn post(&mut self, client: &reqwest::Client, url: &str, config: &Config) {
        if self.events.is_empty() {
            return;
        }
        let events = std::mem::take(&mut self.events);
        self.bytes = 0;
        let count = events.len();
        let metadata = serde_json::json!({
            "batch_size": count,
            "sdk_name": "fastagentic-rs",
            "sdk_version": env!("CARGO_PKG_VERSION"),
            "sdk_integration": "fastagentic",
            "public_key": config.public_key,
        });
        let body = format!(
            r#"{{"batch":[{}],"metadata":{metadata}}}"#,
            events.join(",")
        );
        for attempt in 1..=ATTEMPTS {
            let sent = client
                .post(url)
                .basic_auth(&config.public_key, Some(config.secret_key.expose()))
                .header(http::header::CONTENT_TYPE, "application/json")
                .body(body.clone())
                .send()
                .await;
            let retry = match sent {
                Ok(response) if response.status().is_success() => {
                    report_errors(response.json::<Value>().await.ok(), count);
                    return;
                }
                Ok(response) => {
                    let status = response.status();
                    tracing::warn!(target: "fastagentic::langfuse", %status, events = count, "Langfuse refused a batch");
                    status.is_server_error() || status.as_u16() == 429
                }
                Err(e) => {
                    tracing::warn!(target: "fastagentic::langfuse", events = count, "could not reach Langfuse: {e}");
                    true
                }
            };
            if !retry || attempt == ATTEMPTS {
                break;
            }
            tokio::time::sleep(Duration::from_millis(250 * u64::from(attempt))).await;
        }
        tracing::error!(target: "fastagentic::langfuse", events = count, "a batch of Langfuse events was lost");
    }
}

/// Langfuse answers 207 with the events it rejected; log them.
fn report_errors(answer: Option<Value>, count: usize) {
    let Some(errors) = answer
        .as_ref()
        .and_then(|a| a.get("errors"))
        .and_then(Value::as_array)
        .filter(|e| !e.is_empty())
    else {
        return;
    };
    tracing::warn!(
        target: "fastagentic::langfuse",
        rejected = errors.len(),
        events = count,
        first = %errors[0],
        "Langfuse rejected events of a batch"
    );
}
