//! Hiding credentials wherever a gateway shows something: a URL in a
//! message, a config in `Debug`, an error a provider echoed a key into.

use std::borrow::Cow;
use std::sync::LazyLock;

use http::HeaderMap;
use regex::Regex;
use serde_json::Value;

use super::explain_upstream;
use crate::GatewayError;

/// Words in a JSON key that mark its value as a credential.
const SECRET_WORDS: &[&str] = &[
    "key",
    "secret",
    "token",
    "password",
    "private",
    "service_account",
    "credential",
];

/// `url` fit for messages: credentials before an `@` are masked as `***@`.
///
/// ```
/// use fastagentic::gateway::kit::redact;
/// assert_eq!(redact::url("http://admin:sk-1@proxy:4000/v1"), "http://***@proxy:4000/v1");
/// ```
pub fn url(url: &str) -> String {
    let start = url.find("://").map_or(0, |scheme| scheme + 3);
    let authority_end = url[start..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |end| start + end);
    match url[start..authority_end].rfind('@') {
        Some(at) => format!("{}***{}", &url[..start], &url[start + at..]),
        None => url.to_owned(),
    }
}

/// Whether the value under the JSON key `key` may be a credential
/// (`api_key`, `virtual_key`, `aws_secret_access_key`, `azure_ad_token`, ...).
pub fn is_secret_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    SECRET_WORDS.iter().any(|word| key.contains(word))
}

/// Credentials as they appear in free text: provider keys (`sk-...`,
/// `sk-ant-...`, `pk_...`), AWS access key ids, JSON web tokens, the token
/// after `Bearer`, and the value after a credential's name (`api_key=...`,
/// `"password": "..."`).
static SECRETS_IN_TEXT: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?i)(?P<name>\b[\w-]*(?:key|secret|token|password|passwd|credential)s?\b)",
        r#"(?P<sep>["']?\s*[:=]\s*["']?)(?P<value>[^\s"',;}]{6,})"#,
        r"|(?P<bearer>\bbearer\s+)[\w\-.~+/=]{8,}",
        r"|\b(?:sk|pk|rk)[-_][\w-]{16,}",
        r"|\bAKIA[0-9A-Z]{16}\b",
        r"|\beyJ[\w-]{8,}\.[\w-]{8,}\.[\w-]{8,}",
    ))
    .ok()
});

/// `text` with every credential it seems to hold replaced by `***`: provider
/// keys, AWS access key ids, JSON web tokens, bearer tokens and the value
/// after a credential's name. For showing prompts and answers.
///
/// ```
/// use fastagentic::gateway::kit::redact;
/// assert_eq!(
///     redact::text("use sk-live-abcdefghijklmnop1234 with api_key=hunter22 please"),
///     "use *** with api_key=*** please"
/// );
/// assert_eq!(redact::text("Authorization: Bearer abc.def-123456"), "Authorization: Bearer ***");
/// ```
pub fn text(text: &str) -> Cow<'_, str> {
    let Some(pattern) = SECRETS_IN_TEXT.as_ref() else {
        // The pattern is a constant (a test compiles it): unreachable, but
        // if it were, show nothing rather than a secret.
        return Cow::Borrowed("*** (not shown: the redaction pattern failed to compile)");
    };
    pattern.replace_all(text, |found: &regex::Captures<'_>| {
        if let (Some(name), Some(sep)) = (found.name("name"), found.name("sep")) {
            format!("{}{}***", name.as_str(), sep.as_str())
        } else if let Some(bearer) = found.name("bearer") {
            format!("{}***", bearer.as_str())
        } else {
            "***".to_owned()
        }
    })
}

/// A copy of `value` with every credential replaced by `"***"`.
pub fn json(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(key, item)| {
                    let item = if is_secret_key(key) && !item.is_object() && !item.is_array() {
                        Value::String("***".to_owned())
                    } else if is_secret_key(key) {
                        Value::String("*** (redacted)".to_owned())
                    } else {
                        json(item)
                    };
                    (key.clone(), item)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(json).collect()),
        other => other.clone(),
    }
}

/// `error` with `secret` replaced by `***` in every text: a provider may
/// echo what it was sent. Secrets shorter than 4 characters are left alone
/// (they would mask ordinary words).
pub fn error(error: GatewayError, secret: &str) -> GatewayError {
    if secret.len() < 4 {
        return error;
    }
    let clean = |text: String| {
        if text.contains(secret) {
            text.replace(secret, "***")
        } else {
            text
        }
    };
    match error {
        GatewayError::Upstream { .. } => explain_upstream(error, |failure| {
            failure.message = clean(std::mem::take(&mut failure.message));
            failure.body = clean(std::mem::take(&mut failure.body));
        }),
        GatewayError::Connection { provider, message } => GatewayError::Connection {
            provider,
            message: clean(message),
        },
        GatewayError::MalformedResponse {
            provider,
            message,
            body,
        } => GatewayError::MalformedResponse {
            provider,
            message: clean(message),
            body: clean(body),
        },
        GatewayError::StreamInterrupted {
            provider,
            chunks,
            message,
        } => GatewayError::StreamInterrupted {
            provider,
            chunks,
            message: clean(message),
        },
        other => other,
    }
}

/// `error` with every credential among `headers` masked: the value of each
/// header marked sensitive, its token after an auth scheme (`Bearer sk-1`),
/// and the credentials inside one that holds JSON (a Portkey config's
/// targets' keys).
pub fn sent_credentials(mut error: GatewayError, headers: &HeaderMap) -> GatewayError {
    for value in headers.values().filter(|value| value.is_sensitive()) {
        let Ok(text) = value.to_str() else {
            continue;
        };
        for secret in credentials_in(text) {
            error = self::error(error, &secret);
        }
    }
    error
}

/// The credentials a sensitive header value carries.
fn credentials_in(text: &str) -> Vec<String> {
    let mut found = vec![text.to_owned()];
    if let Some((_scheme, token)) = text.split_once(' ') {
        found.push(token.trim().to_owned());
    }
    if let Ok(json) = serde_json::from_str::<Value>(text) {
        secret_strings(&json, false, &mut found);
    }
    found
}

/// Every string under a credential's key in `value`.
fn secret_strings(value: &Value, secret: bool, found: &mut Vec<String>) {
    match value {
        Value::String(text) if secret => found.push(text.clone()),
        Value::Object(map) => {
            for (key, item) in map {
                secret_strings(item, secret || is_secret_key(key), found);
            }
        }
        Value::Array(items) => {
            for item in items {
                secret_strings(item, secret, found);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn urls_never_show_credentials() {
        assert_eq!(url("http://localhost:4000"), "http://localhost:4000");
        assert_eq!(
            url("http://admin:sk-1@proxy:4000/v1"),
            "http://***@proxy:4000/v1"
        );
        assert_eq!(url("admin:sk-1@proxy:4000"), "***@proxy:4000");
        assert_eq!(url("http://proxy:4000/v1@x"), "http://proxy:4000/v1@x");
    }

    #[test]
    fn text_hides_credentials_and_keeps_the_words() {
        assert!(SECRETS_IN_TEXT.is_some(), "the pattern compiles");
        let cases = [
            (
                "my key is sk-proj-ABCDEFGHIJKLMNOPQRST1234",
                "my key is ***",
            ),
            ("sk-ant-api03-abcdefghijklmnopqrstuv", "***"),
            ("AKIAABCDEFGHIJKLMNOP and more", "*** and more"),
            (r#"{"api_key": "s3cr3t-value"}"#, r#"{"api_key": "***"}"#),
            ("password=hunter22;", "password=***;"),
            ("token: abcd1234efgh", "token: ***"),
            ("Bearer abcdefgh12345678", "Bearer ***"),
            ("eyJhbGciOiJIUzI1.eyJzdWIiOiIxMjM0.SflKxwRJSMeKKF2Q", "***"),
            (
                "What is the capital of France?",
                "What is the capital of France?",
            ),
            ("a skeleton key opens doors", "a skeleton key opens doors"),
            ("tokens: 12", "tokens: 12"),
        ];
        for (input, expected) in cases {
            assert_eq!(text(input), expected, "{input}");
        }
    }

    #[test]
    fn json_hides_every_kind_of_credential() {
        let value = json!({
            "api_key": "sk-1",
            "targets": [{"virtual_key": "vk-1", "aws_secret_access_key": "aws-1",
                         "vertex_service_account_json": {"private_key": "pk-1"},
                         "azure_ad_token": "tok-1", "provider": "openai"}],
            "override_params": {"model": "gpt-4o"}
        });
        let text = json(&value).to_string();
        for secret in ["sk-1", "vk-1", "aws-1", "pk-1", "tok-1"] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
        assert!(text.contains("openai") && text.contains("gpt-4o"), "{text}");
    }

    #[test]
    fn errors_lose_the_secret_everywhere() {
        let upstream = GatewayError::Upstream {
            provider: "p".to_owned(),
            status: 401,
            message: "bad key sk-secret-123 here".to_owned(),
            body: r#"{"error":{"message":"bad key sk-secret-123 here"}}"#.to_owned(),
            retry_after: None,
        };
        let text = format!("{:?}", error(upstream, "sk-secret-123"));
        assert!(!text.contains("sk-secret-123"), "{text}");
        assert!(text.contains("bad key *** here"), "{text}");
    }

    #[test]
    fn errors_never_show_a_sensitive_header_or_the_keys_in_it() {
        let mut headers = HeaderMap::new();
        let mut bearer = http::HeaderValue::from_static("Bearer sk-echoed");
        bearer.set_sensitive(true);
        headers.insert(http::header::AUTHORIZATION, bearer);
        let mut config = http::HeaderValue::from_static(r#"{"targets":[{"api_key":"sk-inner"}]}"#);
        config.set_sensitive(true);
        headers.insert("x-portkey-config", config);
        headers.insert("x-trace", http::HeaderValue::from_static("trace-1"));
        let echoed = GatewayError::Upstream {
            provider: "openai".into(),
            status: 401,
            message: "wrong keys: sk-echoed, sk-inner (trace-1)".into(),
            body: "sk-echoed".into(),
            retry_after: None,
        };
        let text = format!("{:?}", sent_credentials(echoed, &headers));
        assert!(
            !text.contains("sk-echoed") && !text.contains("sk-inner"),
            "{text}"
        );
        assert!(
            text.contains("trace-1"),
            "what is not a credential stays: {text}"
        );
    }
}
