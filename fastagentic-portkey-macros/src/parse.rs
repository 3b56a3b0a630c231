//! JSON-shaped tokens to a JSON tree that remembers where each key and value
//! was written, so a config error can be put on the exact token.
//!
//! The accepted language is JSON as Rust's lexer sees it: objects `{...}`,
//! arrays `[...]`, string literals as keys and values, numbers in JSON's
//! grammar (a leading `-`, no suffix, no `_`, no leading zeros), `true`,
//! `false`, `null`. Anything else (bare words, trailing commas, repeated keys,
//! `'single quotes'`, `0x10`) is an error at the token, so a config pasted
//! from here into a `.json` file reads the same there.

use proc_macro2::{Delimiter, Group, Literal, Span, TokenStream, TokenTree};
use serde_json::{Map, Number, Value};

use fastagentic_macro_support::{ErrorStore, SpanRange};

/// One object member: the key as written and its value.
#[derive(Debug)]
pub(crate) struct Entry {
    pub(crate) key: String,
    pub(crate) key_span: Span,
    pub(crate) value: Node,
}

/// A JSON value with the tokens it came from.
#[derive(Debug)]
pub(crate) enum Node {
    Null(SpanRange),
    Bool(bool, SpanRange),
    Number(Number, SpanRange),
    String(String, SpanRange),
    Array(Vec<Node>, SpanRange),
    Object(Vec<Entry>, SpanRange),
}

impl Node {
    /// Where the whole value was written.
    pub(crate) fn range(&self) -> SpanRange {
        match self {
            Node::Null(range)
            | Node::Bool(_, range)
            | Node::Number(_, range)
            | Node::String(_, range)
            | Node::Array(_, range)
            | Node::Object(_, range) => *range,
        }
    }

    /// The value as `serde_json` holds it.
    pub(crate) fn to_value(&self) -> Value {
        match self {
            Node::Null(_) => Value::Null,
            Node::Bool(value, _) => Value::Bool(*value),
            Node::Number(number, _) => Value::Number(number.clone()),
            Node::String(text, _) => Value::String(text.clone()),
            Node::Array(items, _) => Value::Array(items.iter().map(Node::to_value).collect()),
            Node::Object(entries, _) => {
                let mut map = Map::new();
                for entry in entries {
                    map.insert(entry.key.clone(), entry.value.to_value());
                }
                Value::Object(map)
            }
        }
    }
}

/// Parses the macro's whole input as one JSON value. Every syntax error is
/// recorded; the result is `None` when there was any.
pub(crate) fn parse(input: TokenStream, errors: &mut ErrorStore) -> Option<Node> {
    let before = errors.len();
    let mut tokens = Tokens::new(input);
    if tokens.peek().is_none() {
        errors.at_range(
            SpanRange::single(Span::call_site()),
            "portkey_config! needs a JSON object: `portkey_config!({\"strategy\": {\"mode\": \
             \"fallback\"}, \"targets\": [...]})`",
        );
        return None;
    }
    let node = parse_value(&mut tokens, errors);
    if let Some(extra) = tokens.next() {
        errors.at_range(
            SpanRange::single(extra.span()),
            format!(
                "unexpected `{extra}` after the config: portkey_config! takes one JSON value; \
                 put the members inside its braces"
            ),
        );
    }
    if errors.len() > before { None } else { node }
}

/// A token cursor that sees through invisible groups (tokens passed in by
/// `macro_rules!` fragments).
struct Tokens {
    stack: Vec<std::vec::IntoIter<TokenTree>>,
}

impl Tokens {
    fn new(stream: TokenStream) -> Self {
        Self {
            stack: vec![stream.into_iter().collect::<Vec<_>>().into_iter()],
        }
    }

    fn next(&mut self) -> Option<TokenTree> {
        loop {
            let top = self.stack.last_mut()?;
            match top.next() {
                Some(TokenTree::Group(group)) if group.delimiter() == Delimiter::None => {
                    self.stack
                        .push(group.stream().into_iter().collect::<Vec<_>>().into_iter());
                }
                Some(token) => return Some(token),
                None => {
                    if self.stack.len() == 1 {
                        return None;
                    }
                    self.stack.pop();
                }
            }
        }
    }

    fn peek(&self) -> Option<TokenTree> {
        let mut copy = Tokens {
            stack: self.stack.clone(),
        };
        copy.next()
    }
}

fn is_punct(token: &TokenTree, c: char) -> bool {
    matches!(token, TokenTree::Punct(p) if p.as_char() == c)
}

/// Parses one value; on error records it and returns `None`, leaving the
/// cursor after the offending token.
fn parse_value(tokens: &mut Tokens, errors: &mut ErrorStore) -> Option<Node> {
    let Some(token) = tokens.next() else {
        errors.at_range(
            SpanRange::single(Span::call_site()),
            "expected a JSON value here",
        );
        return None;
    };
    let span = token.span();
    match token {
        TokenTree::Group(group) => parse_group(&group, errors),
        TokenTree::Ident(ident) => {
            let word = ident.to_string();
            let range = SpanRange::single(span);
            match word.as_str() {
                "true" => Some(Node::Bool(true, range)),
                "false" => Some(Node::Bool(false, range)),
                "null" => Some(Node::Null(range)),
                _ => {
                    errors.at_range(range, not_json_word(&word));
                    None
                }
            }
        }
        TokenTree::Punct(punct) if punct.as_char() == '-' => {
            let number = tokens.next();
            match number {
                Some(TokenTree::Literal(literal)) => {
                    let range = SpanRange {
                        first: span,
                        last: literal.span(),
                    };
                    parse_number(&format!("-{literal}"), range, errors)
                        .map(|number| Node::Number(number, range))
                }
                other => {
                    let range = other.map_or(SpanRange::single(span), |t| SpanRange {
                        first: span,
                        last: t.span(),
                    });
                    errors.at_range(range, "`-` must be followed by a number, e.g. `-1`");
                    None
                }
            }
        }
        TokenTree::Punct(punct) => {
            let c = punct.as_char();
            let message = match c {
                '+' => "JSON numbers have no `+` sign: write the number alone".to_owned(),
                ',' => "expected a JSON value before this `,`".to_owned(),
                ':' => "expected a JSON value before this `:`".to_owned(),
                _ => format!(
                    "`{c}` is not JSON: expected a value (an object, array, string, number, true, false or null)"
                ),
            };
            errors.at_range(SpanRange::single(span), message);
            None
        }
        TokenTree::Literal(literal) => parse_literal(&literal, errors),
    }
}

fn not_json_word(word: &str) -> String {
    match word {
        "True" | "TRUE" => "`True` is not JSON: write `true`".to_owned(),
        "False" | "FALSE" => "`False` is not JSON: write `false`".to_owned(),
        "None" | "nil" | "NULL" | "Null" | "undefined" => {
            format!("`{word}` is not JSON: write `null`")
        }
        "NaN" | "Infinity" => format!("`{word}` is not a JSON number"),
        _ => format!(
            "`{word}` is not JSON: strings are quoted, write `\"{word}\"` (portkey_config! takes \
             literal JSON; build configs from variables with `PortkeyConfig::from_value`)"
        ),
    }
}

fn parse_group(group: &Group, errors: &mut ErrorStore) -> Option<Node> {
    let range = SpanRange::single(group.span());
    match group.delimiter() {
        Delimiter::Brace => parse_object(group.stream(), range, errors),
        Delimiter::Bracket => parse_array(group.stream(), range, errors),
        Delimiter::Parenthesis => {
            errors.at_range(
                range,
                "parentheses are not JSON: an object is `{...}`, an array `[...]`",
            );
            None
        }
        Delimiter::None => {
            let mut inner = Tokens::new(group.stream());
            parse_value(&mut inner, errors)
        }
    }
}

/// Members or items separated by commas, without a trailing comma.
/// Returns `false` (after recording an error) when the list is malformed.
fn expect_separator(tokens: &mut Tokens, what: &str, errors: &mut ErrorStore) -> Separator {
    match tokens.next() {
        None => Separator::End,
        Some(token) if is_punct(&token, ',') => {
            if tokens.peek().is_none() {
                errors.at_range(
                    SpanRange::single(token.span()),
                    "JSON does not allow a trailing comma: remove it",
                );
                return Separator::Broken;
            }
            Separator::Comma
        }
        Some(token) => {
            errors.at_range(
                SpanRange::single(token.span()),
                format!("expected `,` between {what}, found `{token}`"),
            );
            Separator::Broken
        }
    }
}

enum Separator {
    Comma,
    End,
    Broken,
}

/// Skips to just after the next top-level `,` of this list (error recovery).
fn skip_to_comma(tokens: &mut Tokens) -> bool {
    while let Some(token) = tokens.next() {
        if is_punct(&token, ',') {
            return true;
        }
    }
    false
}

fn parse_array(stream: TokenStream, range: SpanRange, errors: &mut ErrorStore) -> Option<Node> {
    let items = parse_separated(stream, "array items", errors, parse_value)?;
    Some(Node::Array(items, range))
}

fn parse_object(stream: TokenStream, range: SpanRange, errors: &mut ErrorStore) -> Option<Node> {
    let mut keys: Vec<String> = Vec::new();
    let mut duplicate = false;
    let entries = parse_separated(stream, "object members", errors, |tokens, errors| {
        let entry = parse_entry(tokens, errors)?;
        if keys.contains(&entry.key) {
            errors.at_range(
                SpanRange::single(entry.key_span),
                format!(
                    "duplicate key `{}`: a JSON reader keeps only the last one; remove one",
                    entry.key
                ),
            );
            duplicate = true;
        }
        keys.push(entry.key.clone());
        Some(entry)
    })?;
    (!duplicate).then_some(Node::Object(entries, range))
}

/// Reads `item, item, ...` to the end of `stream`. After a broken item or
/// separator it skips to the next comma and goes on, so that one mistake
/// does not hide the next; `None` if anything was broken.
fn parse_separated<T>(
    stream: TokenStream,
    what: &str,
    errors: &mut ErrorStore,
    mut parse_item: impl FnMut(&mut Tokens, &mut ErrorStore) -> Option<T>,
) -> Option<Vec<T>> {
    let mut tokens = Tokens::new(stream);
    let mut items = Vec::new();
    let mut ok = true;
    while tokens.peek().is_some() {
        match parse_item(&mut tokens, errors) {
            Some(item) => items.push(item),
            None => {
                ok = false;
                if skip_to_comma(&mut tokens) {
                    continue;
                }
                break;
            }
        }
        match expect_separator(&mut tokens, what, errors) {
            Separator::Comma => {}
            Separator::End => break,
            Separator::Broken => {
                ok = false;
                if !skip_to_comma(&mut tokens) {
                    break;
                }
            }
        }
    }
    ok.then_some(items)
}

fn parse_entry(tokens: &mut Tokens, errors: &mut ErrorStore) -> Option<Entry> {
    let key_token = tokens.next()?;
    let key_span = key_token.span();
    let key = match &key_token {
        TokenTree::Literal(literal) => match string_literal(literal) {
            Ok(key) => key,
            Err(message) => {
                errors.at_range(
                    SpanRange::single(key_span),
                    format!("an object key must be a string: {message}"),
                );
                return None;
            }
        },
        TokenTree::Ident(ident) => {
            errors.at_range(
                SpanRange::single(key_span),
                format!("JSON object keys are quoted: write `\"{ident}\"`"),
            );
            return None;
        }
        other => {
            errors.at_range(
                SpanRange::single(key_span),
                format!("expected a quoted key such as `\"strategy\"`, found `{other}`"),
            );
            return None;
        }
    };
    match tokens.next() {
        Some(token) if is_punct(&token, ':') => {}
        Some(token) => {
            let hint = if is_punct(&token, '=') {
                " (JSON uses `:`, not `=`)"
            } else {
                ""
            };
            errors.at_range(
                SpanRange::single(token.span()),
                format!("expected `:` after the key `{key}`{hint}"),
            );
            return None;
        }
        None => {
            errors.at_range(
                SpanRange::single(key_span),
                format!("the key `{key}` has no value: write `\"{key}\": <value>`"),
            );
            return None;
        }
    }
    if tokens.peek().is_none_or(|token| is_punct(&token, ',')) {
        errors.at_range(
            SpanRange::single(key_span),
            format!("the key `{key}` has no value: write `\"{key}\": <value>`"),
        );
        return None;
    }
    let value = parse_value(tokens, errors)?;
    Some(Entry {
        key,
        key_span,
        value,
    })
}

/// The text of a string literal (`"..."` or `r"..."`).
fn string_literal(literal: &Literal) -> Result<String, String> {
    match syn::parse2::<syn::Lit>(TokenTree::Literal(literal.clone()).into()) {
        Ok(syn::Lit::Str(text)) if text.suffix().is_empty() => Ok(text.value()),
        Ok(syn::Lit::Char(c)) => Err(format!(
            "JSON strings use double quotes: write `\"{}\"`",
            c.value()
        )),
        _ => Err(format!("`{literal}` is not a JSON string")),
    }
}

fn parse_literal(literal: &Literal, errors: &mut ErrorStore) -> Option<Node> {
    let range = SpanRange::single(literal.span());
    let text = literal.to_string();
    let first = text.chars().next().unwrap_or_default();
    if first.is_ascii_digit() || first == '.' {
        return parse_number(&text, range, errors).map(|number| Node::Number(number, range));
    }
    match string_literal(literal) {
        Ok(text) => Some(Node::String(text, range)),
        Err(message) => {
            errors.at_range(range, message);
            None
        }
    }
}

/// A number token in JSON's grammar, read the way `serde_json` reads it.
fn parse_number(text: &str, range: SpanRange, errors: &mut ErrorStore) -> Option<Number> {
    if let Err(message) = check_json_number(text) {
        errors.at_range(range, message);
        return None;
    }
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Number(number)) => Some(number),
        _ => {
            errors.at_range(range, format!("`{text}` is not a JSON number"));
            None
        }
    }
}

/// JSON's number grammar: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
fn check_json_number(text: &str) -> Result<(), String> {
    let not = |why: &str| Err(format!("`{text}` is not a JSON number: {why}"));
    let body = text.strip_prefix('-').unwrap_or(text);
    if body.contains('_') {
        return not("JSON has no `_` separators; write the digits alone");
    }
    if body.starts_with("0x") || body.starts_with("0o") || body.starts_with("0b") {
        return not("JSON numbers are decimal");
    }
    let bytes = body.as_bytes();
    let mut i = 0;
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < bytes.len() && bytes[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    let whole = digits(&mut i);
    if whole == 0 {
        return not("it needs a digit before the `.`");
    }
    if whole > 1 && body.starts_with('0') {
        return not("JSON numbers have no leading zeros");
    }
    if i < bytes.len() && bytes[i] == b'.' {
        i += 1;
        if digits(&mut i) == 0 {
            return not("it needs a digit after the `.`");
        }
    }
    if i < bytes.len() && (bytes[i] == b'e' || bytes[i] == b'E') {
        i += 1;
        if i < bytes.len() && (bytes[i] == b'+' || bytes[i] == b'-') {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return not("the exponent needs digits");
        }
    }
    if i < bytes.len() {
        return not(&format!(
            "`{}` is a Rust suffix, not JSON; write the number alone",
            &body[i..]
        ));
    }
    Ok(())
}
