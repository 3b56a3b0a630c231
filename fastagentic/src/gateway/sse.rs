//! Reading server-sent events from an upstream, without copying payloads.
//!
//! Written here rather than taken from an SSE crate because streaming
//! endpoints forward each chunk's JSON byte for byte: the decoder hands out
//! `Bytes` slices of the received buffer instead of building `String`s.

use bytes::{Buf, Bytes, BytesMut};

/// Splits a byte stream into the `data:` payloads of its events.
#[derive(Debug, Default)]
pub(crate) struct SseDecoder {
    buf: BytesMut,
}

impl SseDecoder {
    /// Appends received bytes.
    pub(crate) fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// Whether bytes of an unfinished event are pending.
    pub(crate) fn has_partial(&self) -> bool {
        self.buf.iter().any(|b| !b.is_ascii_whitespace())
    }

    /// The next complete event's data, or `None` until more bytes arrive.
    /// Events without data (comments, keep-alives) are skipped.
    pub(crate) fn next_data(&mut self) -> Option<Bytes> {
        loop {
            let (end, sep) = find_event_end(&self.buf)?;
            let event = self.buf.split_to(end).freeze();
            self.buf.advance(sep);
            if let Some(data) = event_data(event) {
                return Some(data);
            }
        }
    }
}

/// Where the first event ends and how long its separator is.
fn find_event_end(buf: &[u8]) -> Option<(usize, usize)> {
    let mut i = 0;
    while i < buf.len() {
        if buf[i] == b'\n' {
            if buf.get(i + 1) == Some(&b'\n') {
                return Some((i, 2));
            }
            if buf.get(i + 1) == Some(&b'\r') && buf.get(i + 2) == Some(&b'\n') {
                return Some((i, 3));
            }
        }
        i += 1;
    }
    None
}

/// The data of one event: a slice of it when it has one data line, the
/// lines joined by `\n` when it has several.
fn event_data(event: Bytes) -> Option<Bytes> {
    let mut single: Option<Bytes> = None;
    let mut joined: Option<Vec<u8>> = None;
    let mut start = 0;
    while start <= event.len() {
        let end = event[start..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(event.len(), |p| start + p);
        let mut line = event.slice(start..end);
        if line.last() == Some(&b'\r') {
            line.truncate(line.len() - 1);
        }
        if let Some(rest) = line.strip_prefix(b"data:") {
            let offset = line.len() - rest.len() + usize::from(rest.first() == Some(&b' '));
            let value = line.slice(offset..);
            match (&mut single, &mut joined) {
                (None, None) => single = Some(value),
                (Some(first), None) => {
                    let mut all = first.to_vec();
                    all.push(b'\n');
                    all.extend_from_slice(&value);
                    joined = Some(all);
                }
                (_, Some(all)) => {
                    all.push(b'\n');
                    all.extend_from_slice(&value);
                }
            }
        }
        start = end + 1;
    }
    joined.map(Bytes::from).or(single)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_events_and_skips_comments() {
        let mut d = SseDecoder::default();
        d.push(b": keep-alive\n\ndata: {\"a\":1}\n\ndata: [DO");
        assert_eq!(d.next_data().as_deref(), Some(&b"{\"a\":1}"[..]));
        assert_eq!(d.next_data(), None);
        assert!(d.has_partial());
        d.push(b"NE]\r\n\r\n");
        assert_eq!(d.next_data().as_deref(), Some(&b"[DONE]"[..]));
        assert!(!d.has_partial());
    }

    #[test]
    fn joins_multi_line_data() {
        let mut d = SseDecoder::default();
        d.push(b"event: x\ndata:a\ndata: b\n\n");
        assert_eq!(d.next_data().as_deref(), Some(&b"a\nb"[..]));
    }
}
