//! A one-pass scan of a chat-completion chunk's JSON for the few facts a
//! stream needs (model, the first choice's text, usage, whether it is an
//! error object), for chunks without escapes: the common case, where every
//! string ends at the next quote. Anything else (an escape, an odd token)
//! returns `None` and the caller falls back to serde.
//!
//! serde's scan of a 170-byte chunk cost 4.7k instructions (matching each
//! key as it goes); this walk costs under half of that (callgrind), with
//! string ends found by `memchr`, whose vector search beat a byte loop even
//! on a chunk's short strings.

use std::ops::Range;

/// What the scan found: byte ranges into the chunk, and the usage object's
/// range (parsed by the caller, on the one chunk that has it).
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Found {
    pub model: Option<Range<usize>>,
    pub text: Option<Range<usize>>,
    pub usage: Option<Range<usize>>,
    pub choices: usize,
    pub error: bool,
}

/// Scans `json`; `None` when it has a backslash, is not UTF-8, or is not
/// a JSON object this walk reads with certainty. (Control characters
/// inside a string, which JSON forbids, are not looked for: the chunk's
/// bytes pass on unchanged, and its typed parse, if anything asks for it,
/// rejects them.)
pub(crate) fn scan(json: &[u8]) -> Option<Found> {
    if memchr::memchr(b'\\', json).is_some() || std::str::from_utf8(json).is_err() {
        return None;
    }
    let mut walk = Walk { json, at: 0 };
    let mut found = Found::default();
    walk.object(|walk, key| {
        match key {
            b"model" => match walk.peek()? {
                b'"' => found.model = Some(walk.string()?),
                _ => walk.null()?,
            },
            b"choices" => {
                if walk.peek()? == b'[' {
                    walk.at += 1;
                    let mut first = true;
                    walk.ws();
                    if walk.peek()? == b']' {
                        walk.at += 1;
                        return Some(());
                    }
                    loop {
                        if first {
                            found.text = walk.first_choice_text()?;
                            first = false;
                        } else {
                            walk.value()?;
                        }
                        found.choices += 1;
                        walk.ws();
                        match walk.next()? {
                            b',' => walk.ws(),
                            b']' => break,
                            _ => return None,
                        }
                    }
                } else {
                    walk.null()?;
                }
            }
            b"usage" => {
                let start = walk.at;
                walk.value()?;
                if walk.json.get(start..walk.at)? != b"null" {
                    found.usage = Some(start..walk.at);
                }
            }
            b"error" => {
                let start = walk.at;
                walk.value()?;
                found.error = walk.json.get(start..walk.at)? != b"null";
            }
            _ => walk.value()?,
        }
        Some(())
    })?;
    walk.ws();
    (walk.at == json.len()).then_some(found)
}

struct Walk<'a> {
    json: &'a [u8],
    at: usize,
}

impl Walk<'_> {
    fn peek(&self) -> Option<u8> {
        self.json.get(self.at).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let byte = self.peek()?;
        self.at += 1;
        Some(byte)
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\n' | b'\r' | b'\t')) {
            self.at += 1;
        }
    }

    /// A string (no escapes: the caller checked); its contents' range.
    fn string(&mut self) -> Option<Range<usize>> {
        if self.next()? != b'"' {
            return None;
        }
        let start = self.at;
        let len = memchr::memchr(b'"', self.json.get(start..)?)?;
        self.at = start + len + 1;
        // Whole-chunk UTF-8 and the quote before and after: a valid string.
        Some(start..start + len)
    }

    fn null(&mut self) -> Option<()> {
        self.literal(b"null")
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        if self.json.get(self.at..self.at + word.len())? == word {
            self.at += word.len();
            Some(())
        } else {
            None
        }
    }

    /// Walks `{ "key": value, ... }`, calling `each` with the walk at each
    /// value (after the colon and any whitespace).
    fn object(&mut self, mut each: impl FnMut(&mut Self, &[u8]) -> Option<()>) -> Option<()> {
        self.ws();
        if self.next()? != b'{' {
            return None;
        }
        self.ws();
        if self.peek()? == b'}' {
            self.at += 1;
            return Some(());
        }
        loop {
            self.ws();
            let key = self.string()?;
            self.ws();
            if self.next()? != b':' {
                return None;
            }
            self.ws();
            let json = self.json;
            each(self, json.get(key)?)?;
            self.ws();
            match self.next()? {
                b',' => {}
                b'}' => return Some(()),
                _ => return None,
            }
        }
    }

    /// Any value, skipped.
    fn value(&mut self) -> Option<()> {
        self.ws();
        match self.peek()? {
            b'"' => self.string().map(|_| ()),
            b'{' => self.object(|walk, _| walk.value()),
            b'[' => {
                self.at += 1;
                self.ws();
                if self.peek()? == b']' {
                    self.at += 1;
                    return Some(());
                }
                loop {
                    self.value()?;
                    self.ws();
                    match self.next()? {
                        b',' => {}
                        b']' => return Some(()),
                        _ => return None,
                    }
                }
            }
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.null(),
            b'-' | b'0'..=b'9' => {
                self.at += number_len(self.json.get(self.at..)?)?;
                Some(())
            }
            _ => None,
        }
    }

    /// The first choice: `{"delta": {"content": "..."}, ...}`; its text.
    fn first_choice_text(&mut self) -> Option<Option<Range<usize>>> {
        let mut text = None;
        self.object(|walk, key| {
            if key == b"delta" && walk.peek()? == b'{' {
                walk.object(|walk, key| {
                    if key == b"content" && walk.peek()? == b'"' {
                        text = Some(walk.string()?);
                        Some(())
                    } else {
                        walk.value()
                    }
                })
            } else {
                walk.value()
            }
        })?;
        Some(text)
    }
}

/// The length of the JSON number `text` starts with (`-`? int frac? exp?,
/// no leading zeros); `None` when it starts with none. What follows is the
/// caller's to check (a number runs up to a `,`, `}`, `]` or whitespace).
fn number_len(text: &[u8]) -> Option<usize> {
    let digits = |from: usize| {
        text.get(from..).map_or(0, |rest| {
            rest.iter().take_while(|b| b.is_ascii_digit()).count()
        })
    };
    let mut at = usize::from(text.first() == Some(&b'-'));
    match text.get(at)? {
        b'0' => at += 1,
        b'1'..=b'9' => at += digits(at),
        _ => return None,
    }
    if text.get(at) == Some(&b'.') {
        let n = digits(at + 1);
        if n == 0 {
            return None;
        }
        at += 1 + n;
    }
    if matches!(text.get(at), Some(b'e' | b'E')) {
        at += 1;
        if matches!(text.get(at), Some(b'+' | b'-')) {
            at += 1;
        }
        let n = digits(at);
        if n == 0 {
            return None;
        }
        at += n;
    }
    Some(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text<'a>(json: &'a str, range: &Option<Range<usize>>) -> Option<&'a str> {
        range.clone().map(|r| &json[r])
    }

    #[test]
    fn reads_the_common_chunks() {
        let json = r#"{"id":"c","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"role":"assistant","content":"tok1 "},"logprobs":null,"finish_reason":null}],"system_fingerprint":"fp"}"#;
        let found = scan(json.as_bytes()).unwrap();
        assert_eq!(text(json, &found.model), Some("gpt-4o-mini"));
        assert_eq!(text(json, &found.text), Some("tok1 "));
        assert_eq!((found.choices, found.usage, found.error), (1, None, false));

        let json = r#"{ "model" : "m", "choices" : [ ], "usage" : {"prompt_tokens": 21, "completion_tokens": 20, "total_tokens": 41, "details": {"a": [1, 2.5e3, -0.1, true, false, null]}} }"#;
        let found = scan(json.as_bytes()).unwrap();
        assert_eq!(found.choices, 0);
        assert!(
            text(json, &found.usage)
                .unwrap()
                .starts_with("{\"prompt_tokens\"")
        );
        assert!(text(json, &found.usage).unwrap().ends_with("null]}}"));

        let json = r#"{"choices":[{"delta":{}},{"delta":{"content":"second"}}],"usage":null,"error":null}"#;
        let found = scan(json.as_bytes()).unwrap();
        assert_eq!(
            (found.choices, &found.text, &found.usage),
            (2, &None, &None)
        );
        assert!(!found.error);
        assert!(
            scan(br#"{"error":{"message":"overloaded"}}"#)
                .unwrap()
                .error
        );
        for n in ["0", "-0", "12", "1.5", "-1.25e-3", "2E+10", "0.0"] {
            assert_eq!(number_len(n.as_bytes()), Some(n.len()), "{n}");
        }
        for (n, len) in [
            ("01", Some(1)),
            ("1.", None),
            ("1e+", None),
            ("-", None),
            ("+1", None),
        ] {
            assert_eq!(number_len(n.as_bytes()), len, "{n}");
        }
    }

    #[test]
    fn leaves_everything_unusual_to_serde() {
        for json in [
            r#"{"model":"a\"b"}"#,
            r#"{"model":"m""#,
            r#"{"model":"m"} x"#,
            r#"{"model":"m",}"#,
            r#"{"n":1-2}"#,
            r#"{"n":1.}"#,
            r#"{"n":01}"#,
            r#"{"n":+1}"#,
            r#"{"n":1e}"#,
            r#"{"model":3}"#,
            r#"{"n":tru}"#,
            r#"[1]"#,
            r#"{"choices":{"a":1}}"#,
            "{\"model\":\"caf\u{e9}\"} \u{1}",
            "",
        ] {
            assert_eq!(scan(json.as_bytes()), None, "{json}");
        }
    }
}
