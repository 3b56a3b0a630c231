//! The load generator for streams: `n` streaming requests opened evenly
//! over a window, each on its own connection, read to the end while the
//! others run. Measures streams completed, time to first content chunk
//! (from connect), and the gaps between content chunks.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::time::Duration;

use bytes::{Buf, BytesMut};
use http_body_util::BodyExt;
use serde::Deserialize;
use tokio::time::Instant;

use crate::load::{Target, connect};
use crate::stats;

/// What one run of `n` streams measured.
#[derive(Clone, Debug, Default)]
pub struct StreamResult {
    /// Streams opened.
    pub n: usize,
    /// Streams that delivered every content chunk and `[DONE]`.
    pub ok: usize,
    /// Time to first content chunk, p50, ms (streams that delivered one).
    pub first_p50_ms: f64,
    /// Time to first content chunk, p99, ms.
    pub first_p99_ms: f64,
    /// Gap between consecutive content chunks, p50, ms.
    pub gap_p50_ms: f64,
    /// Gap between consecutive content chunks, p99, ms.
    pub gap_p99_ms: f64,
    /// From the first open to the last stream's end, s.
    pub wall_s: f64,
    /// Why streams failed, with counts.
    pub failures: BTreeMap<String, usize>,
}

/// How one stream went.
#[derive(Debug, Default)]
struct Outcome {
    first_ns: Option<u64>,
    gaps_us: Vec<u32>,
    chunks: usize,
    done: bool,
    failure: Option<String>,
}

/// Opens `n` streams to `target` over `window`, each allowed until
/// `deadline` after the first open; a stream is complete when it delivered
/// `expect_chunks` content chunks and `[DONE]`.
pub async fn open_streams(
    target: &Target,
    n: usize,
    window: Duration,
    deadline: Duration,
    expect_chunks: usize,
) -> StreamResult {
    let start = Instant::now() + Duration::from_millis(20);
    let give_up = start + deadline;
    let mut tasks = Vec::with_capacity(n);
    for i in 0..n {
        let target = target.clone();
        let at = start + window.mul_f64(i as f64 / n.max(1) as f64);
        tasks.push(tokio::spawn(async move {
            tokio::time::sleep_until(at).await;
            match tokio::time::timeout_at(give_up, one_stream(&target)).await {
                Ok(outcome) => outcome,
                Err(_) => Outcome {
                    failure: Some("did not finish before the deadline".to_owned()),
                    ..Outcome::default()
                },
            }
        }));
    }
    let mut result = StreamResult {
        n,
        ..StreamResult::default()
    };
    let mut firsts = Vec::with_capacity(n);
    let mut gaps = Vec::with_capacity(n * expect_chunks);
    for task in tasks {
        let outcome = task.await.unwrap_or_else(|e| Outcome {
            failure: Some(format!("task failed: {e}")),
            ..Outcome::default()
        });
        if let Some(first) = outcome.first_ns {
            firsts.push(first);
        }
        gaps.extend(outcome.gaps_us.iter().map(|&g| u64::from(g)));
        let failure = match outcome.failure {
            Some(failure) => Some(failure),
            None if !outcome.done => Some("ended without [DONE]".to_owned()),
            None if outcome.chunks != expect_chunks => Some(format!(
                "{} content chunks instead of {expect_chunks}",
                outcome.chunks
            )),
            None => None,
        };
        match failure {
            None => result.ok += 1,
            Some(reason) => *result.failures.entry(reason).or_default() += 1,
        }
    }
    result.wall_s = start.elapsed().as_secs_f64();
    let [f50, f99] = stats::percentiles(&mut firsts, [50.0, 99.0]);
    result.first_p50_ms = f50 / 1e6;
    result.first_p99_ms = f99 / 1e6;
    let [g50, g99] = stats::percentiles(&mut gaps, [50.0, 99.0]);
    result.gap_p50_ms = g50 / 1e3;
    result.gap_p99_ms = g99 / 1e3;
    result
}

async fn one_stream(target: &Target) -> Outcome {
    let mut outcome = Outcome::default();
    let began = Instant::now();
    let mut sender = match connect(target.addr).await {
        Ok(sender) => sender,
        Err(e) => {
            outcome.failure = Some(first_words(&e));
            return outcome;
        }
    };
    let response = match sender.send_request(target.request()).await {
        Ok(response) => response,
        Err(e) => {
            outcome.failure = Some(format!("request failed: {}", first_words(&e.to_string())));
            return outcome;
        }
    };
    if response.status() != 200 {
        outcome.failure = Some(format!("status {}", response.status().as_u16()));
        return outcome;
    }
    let mut body = response.into_body();
    let mut buf = BytesMut::new();
    let mut last: Option<Instant> = None;
    loop {
        let frame = match body.frame().await {
            Some(Ok(frame)) => frame,
            Some(Err(e)) => {
                outcome.failure = Some(format!("body error: {}", first_words(&e.to_string())));
                return outcome;
            }
            None => return outcome,
        };
        let Ok(data) = frame.into_data() else {
            continue;
        };
        let now = Instant::now();
        buf.extend_from_slice(&data);
        while let Some((end, sep)) = event_end(&buf) {
            let event = buf.split_to(end);
            buf.advance(sep);
            match classify(&event) {
                Event::Content => {
                    outcome.chunks += 1;
                    match last {
                        None => {
                            outcome.first_ns =
                                Some(u64::try_from((now - began).as_nanos()).unwrap_or(u64::MAX));
                        }
                        Some(previous) => outcome
                            .gaps_us
                            .push(u32::try_from((now - previous).as_micros()).unwrap_or(u32::MAX)),
                    }
                    last = Some(now);
                }
                Event::Done => {
                    outcome.done = true;
                }
                Event::Error => {
                    outcome.failure = Some("SSE error event".to_owned());
                    return outcome;
                }
                Event::Other => {}
            }
        }
    }
}

fn first_words(message: &str) -> String {
    message.chars().take(80).collect()
}

/// Where the first event ends (`\n\n` or `\r\n\r\n`) and the separator's length.
fn event_end(buf: &[u8]) -> Option<(usize, usize)> {
    let mut from = 0;
    while let Some(at) = buf[from..].iter().position(|&b| b == b'\n') {
        let i = from + at;
        match buf.get(i + 1) {
            Some(b'\n') => return Some((i, 2)),
            Some(b'\r') if buf.get(i + 2) == Some(&b'\n') => {
                // `\r\n\r\n`: the event ends at the first `\r`.
                let start = if i > 0 && buf[i - 1] == b'\r' {
                    i - 1
                } else {
                    i
                };
                return Some((start, i + 3 - start));
            }
            _ => from = i + 1,
        }
    }
    None
}

enum Event {
    Content,
    Done,
    Error,
    Other,
}

#[derive(Deserialize)]
struct ChunkProbe<'a> {
    #[serde(default, borrow)]
    choices: Vec<ChoiceProbe<'a>>,
}

#[derive(Deserialize)]
struct ChoiceProbe<'a> {
    #[serde(default, borrow)]
    delta: Option<DeltaProbe<'a>>,
}

#[derive(Deserialize)]
struct DeltaProbe<'a> {
    #[serde(default, borrow)]
    content: Option<Cow<'a, str>>,
}

/// What an event is: a chunk with content text, `[DONE]`, an error, or other.
/// A byte scan first (the load generator shares the CPU with the servers it
/// measures, so it must be cheap); JSON parsing only for what the scan cannot tell.
fn classify(event: &[u8]) -> Event {
    let mut data: Option<&[u8]> = None;
    let mut joined = Vec::new();
    for line in event.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.starts_with(b"event: error") || line.starts_with(b"event:error") {
            return Event::Error;
        }
        if let Some(rest) = line.strip_prefix(b"data:") {
            let rest = rest.strip_prefix(b" ").unwrap_or(rest);
            match data {
                None => data = Some(rest),
                Some(first) => {
                    if joined.is_empty() {
                        joined.extend_from_slice(first);
                    }
                    joined.push(b'\n');
                    joined.extend_from_slice(rest);
                }
            }
        }
    }
    let data = if joined.is_empty() {
        match data {
            Some(data) => data,
            None => return Event::Other,
        }
    } else {
        &joined
    };
    if data == b"[DONE]" {
        return Event::Done;
    }
    if let Some(non_empty) = content_is_non_empty(data) {
        return if non_empty {
            Event::Content
        } else {
            Event::Other
        };
    }
    match serde_json::from_slice::<ChunkProbe<'_>>(data) {
        Ok(chunk)
            if chunk.choices.iter().any(|c| {
                c.delta
                    .as_ref()
                    .and_then(|d| d.content.as_ref())
                    .is_some_and(|t| !t.is_empty())
            }) =>
        {
            Event::Content
        }
        _ if data.windows(7).any(|w| w == b"\"error\"") => Event::Error,
        _ => Event::Other,
    }
}

/// `Some(true)` when the data has exactly one `"content"` key followed by a
/// non-empty string, `Some(false)` when it has none or one with `null` or
/// `""`; `None` when a scan cannot tell (several, or an odd shape).
fn content_is_non_empty(data: &[u8]) -> Option<bool> {
    const KEY: &[u8] = b"\"content\"";
    let mut hits = data
        .windows(KEY.len())
        .enumerate()
        .filter(|(_, w)| *w == KEY);
    let Some((at, _)) = hits.next() else {
        return (!data.windows(7).any(|w| w == b"\"error\"")).then_some(false);
    };
    if hits.next().is_some() {
        return None;
    }
    let rest = &data[at + KEY.len()..];
    let value = rest
        .iter()
        .position(|b| !b.is_ascii_whitespace() && *b != b':')
        .map(|i| &rest[i..])?;
    if value.starts_with(b"null") || value.starts_with(b"\"\"") {
        Some(false)
    } else if value.starts_with(b"\"") {
        Some(true)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_events() {
        assert!(matches!(
            classify(br#"data: {"choices":[{"delta":{"content":"hi"}}]}"#),
            Event::Content
        ));
        assert!(matches!(
            classify(br#"data: {"choices":[{"delta":{"role":"assistant","content":""}}]}"#),
            Event::Other
        ));
        assert!(matches!(
            classify(br#"data: {"choices":[],"usage":{"total_tokens":3}}"#),
            Event::Other
        ));
        assert!(matches!(classify(b"data: [DONE]"), Event::Done));
        assert!(matches!(
            classify(b"event: error\ndata: {\"error\":{}}"),
            Event::Error
        ));
        assert!(matches!(classify(b": keep-alive"), Event::Other));
        assert_eq!(event_end(b"a\r\n\r\nb\n\n"), Some((1, 4)));
        assert_eq!(event_end(b"a\n\nb"), Some((1, 2)));
        assert_eq!(event_end(b"a\nb\n\n"), Some((3, 2)));
        assert_eq!(event_end(b"a\nb"), None);
        assert!(matches!(
            classify(br#"data: {"choices":[{"delta":{"content": "x"}},{"delta":{"content":""}}]}"#),
            Event::Content
        ));
        assert!(matches!(
            classify(br#"data: {"error":{"message":"boom"}}"#),
            Event::Error
        ));
        assert!(matches!(classify(b"data: a\ndata: b"), Event::Other));
    }
}
