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
            let (end, sep, one_line) = find_event_end(&self.buf)?;
            let event = self.buf.split_to(end).freeze();
            self.buf.advance(sep);
            let data = if one_line {
                line_data(event)
            } else {
                event_data(event)
            };
            if let Some(data) = data {
                return Some(data);
            }
        }
    }
}

/// Where the first event ends, how long its separator is, and whether it
/// is a single line (the usual `data: {...}`, read without a second scan).
fn find_event_end(buf: &[u8]) -> Option<(usize, usize, bool)> {
    let mut from = 0;
    let mut one_line = true;
    while let Some(at) = memchr::memchr(b'\n', &buf[from..]) {
        let i = from + at;
        match buf.get(i + 1) {
            Some(b'\n') => return Some((i, 2, one_line)),
            Some(b'\r') if buf.get(i + 2) == Some(&b'\n') => return Some((i, 3, one_line)),
            _ => {}
        }
        one_line = false;
        from = i + 1;
    }
    None
}

/// The data of a one-line event: the line after `data:` (and one space).
fn line_data(mut line: Bytes) -> Option<Bytes> {
    if line.last() == Some(&b'\r') {
        line.truncate(line.len() - 1);
    }
    let rest = line.strip_prefix(b"data:")?;
    let offset = line.len() - rest.len() + usize::from(rest.first() == Some(&b' '));
    Some(line.slice(offset..))
}

/// The data of one event: a slice of it when it has one data line, the
/// lines joined by `\n` when it has several.
fn event_data(event: Bytes) -> Option<Bytes> {
    let mut single: Option<Bytes> = None;
    let mut joined: Option<Vec<u8>> = None;
    let mut start = 0;
    while start <= event.len() {
        let end = memchr::memchr(b'\n', &event[start..]).map_or(event.len(), |p| start + p);
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
    fn reads_one_line_events_and_crlf() {
        let mut d = SseDecoder::default();
        d.push(b"data: {\"a\":1}\r\n\r\ndata:{\"b\":2}\n\nevent: ping\n\n: c\n\n");
        assert_eq!(d.next_data().as_deref(), Some(&b"{\"a\":1}"[..]));
        assert_eq!(d.next_data().as_deref(), Some(&b"{\"b\":2}"[..]));
        assert_eq!(d.next_data(), None);
        assert!(!d.has_partial());
    }

    #[test]
    fn joins_multi_line_data() {
        let mut d = SseDecoder::default();
        d.push(b"event: x\ndata:a\ndata: b\n\n");
        assert_eq!(d.next_data().as_deref(), Some(&b"a\nb"[..]));
    }

    /// Fuzzing: arbitrary bytes, biased towards the SSE grammar's own
    /// pieces, pushed in arbitrary splits. The decoder never panics, and
    /// what it reads does not depend on how the bytes were split.
    mod fuzz {
        use proptest::prelude::*;

        use super::*;

        /// Runs per target and run: fast enough for every `cargo test`.
        const CASES: u32 = 10_000;

        fn pieces() -> impl Strategy<Value = Vec<u8>> {
            let piece = prop_oneof![
                Just(b"data:".to_vec()),
                Just(b"data: ".to_vec()),
                Just(b"\n".to_vec()),
                Just(b"\r\n".to_vec()),
                Just(b"\r".to_vec()),
                Just(b": c".to_vec()),
                Just(b"event: x".to_vec()),
                Just(b"[DONE]".to_vec()),
                proptest::collection::vec(any::<u8>(), 0..12),
            ];
            proptest::collection::vec(piece, 0..40).prop_map(|p| p.concat())
        }

        /// Every event's data, pushing `bytes` in pieces cut at `cuts`.
        fn decode(bytes: &[u8], cuts: &[usize]) -> (Vec<Bytes>, bool) {
            let mut decoder = SseDecoder::default();
            let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
            cuts.sort_unstable();
            let mut out = Vec::new();
            let mut from = 0;
            for cut in cuts.into_iter().chain([bytes.len()]) {
                decoder.push(&bytes[from..cut]);
                from = cut;
                while let Some(data) = decoder.next_data() {
                    out.push(data);
                }
            }
            (out, decoder.has_partial())
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(CASES))]

            #[test]
            fn never_panics_and_ignores_how_bytes_are_split(
                bytes in pieces(),
                cuts in proptest::collection::vec(any::<usize>(), 0..8),
            ) {
                let whole = decode(&bytes, &[]);
                let split = decode(&bytes, &cuts);
                prop_assert_eq!(whole, split);
            }

            #[test]
            fn reads_back_what_was_written(
                payloads in proptest::collection::vec("[^\r\n]{0,40}", 0..8),
                crlf in any::<bool>(),
                space in any::<bool>(),
                cuts in proptest::collection::vec(any::<usize>(), 0..8),
            ) {
                let end = if crlf { "\r\n" } else { "\n" };
                let sep = if space { " " } else { "" };
                let text: String = payloads
                    .iter()
                    .map(|p| format!(": keep-alive{end}{end}data:{sep}{p}{end}{end}"))
                    .collect();
                let (events, partial) = decode(text.as_bytes(), &cuts);
                let expected: Vec<&[u8]> = payloads
                    .iter()
                    .map(|p| {
                        // One leading space after `data:` is the separator.
                        let p = p.as_bytes();
                        if !space && p.first() == Some(&b' ') { &p[1..] } else { p }
                    })
                    .collect();
                let got: Vec<&[u8]> = events.iter().map(|e| &e[..]).collect();
                prop_assert_eq!(got, expected);
                prop_assert!(!partial);
            }
        }
    }
}
