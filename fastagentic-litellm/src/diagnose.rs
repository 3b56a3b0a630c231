//! Errors that say what to fix: the proxy's own message, plus what it means
//! for this gateway's settings, never the key.

use fastagentic::GatewayError;
use fastagentic::gateway::kit::explain_upstream;
use serde_json::Value;

use crate::settings::{API_BASE_ENV, API_KEY_ENV};

/// What the gateway sent, for the explanations.
pub(crate) struct Setup<'a> {
    pub(crate) key_sent: bool,
    pub(crate) key_from_env: bool,
    pub(crate) base_url: &'a str,
}

/// Adds what an error means for this gateway's settings.
///
/// The proxy (1.106.2) rejects a key it does not know with 401 when it has a
/// database, and with 400 `no_db_connection` ("No connected db.") when it has
/// none and the key is not its master key: both are reported as 401, with the
/// proxy's message and its original body kept.
pub(crate) fn explain(error: GatewayError, setup: &Setup<'_>) -> GatewayError {
    if let GatewayError::Connection { provider, message } = error {
        return GatewayError::Connection {
            provider,
            message: format!(
                "{message} (is the LiteLLM proxy running at {}? set {API_BASE_ENV} or \
                 `.base_url(..)`)",
                setup.base_url
            ),
        };
    }
    explain_upstream(error, |failure| {
        let kind = error_type(&failure.body);
        let message = &failure.message;
        let explained = match (failure.status, kind.as_deref()) {
            (400, Some("no_db_connection")) => (
                401,
                format!(
                    "the LiteLLM proxy rejected the API key: it answered 400 \
                     `no_db_connection` ({message}), as it does for any key but its master \
                     key when it has no database; {}",
                    key_fix(setup)
                ),
            ),
            (401, kind) if is_about_the_key(kind, message) => (
                401,
                format!(
                    "the LiteLLM proxy rejected the API key: {message}; {}",
                    key_fix(setup)
                ),
            ),
            (500, _) if !setup.key_sent && message.trim() == "Internal Server Error" => (
                500,
                format!(
                    "the LiteLLM proxy failed with `Internal Server Error` and no API key was \
                     sent: a proxy with a master key fails this way without one; {}",
                    key_fix(setup)
                ),
            ),
            _ => return,
        };
        (failure.status, failure.message) = explained;
    })
}

/// The proxy's error `type` (`auth_error`, `no_db_connection`, ...).
fn error_type(body: &str) -> Option<String> {
    let json: Value = serde_json::from_str(body).ok()?;
    json.pointer("/error/type")
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// Whether a 401 is about the key (not, say, tag-based access rules).
fn is_about_the_key(kind: Option<&str>, message: &str) -> bool {
    let message = message.to_ascii_lowercase();
    kind == Some("auth_error")
        || ["authentication", "api key", "virtual key", "token"]
            .iter()
            .any(|word| message.contains(word))
}

fn key_fix(setup: &Setup<'_>) -> String {
    match (setup.key_sent, setup.key_from_env) {
        (true, true) => format!(
            "check {API_KEY_ENV}: it must be the proxy's master key or a virtual key it issued"
        ),
        (true, false) => "check the key given to `.api_key(..)`: it must be the proxy's master \
                          key or a virtual key it issued"
            .to_owned(),
        (false, _) => format!(
            "no API key was sent: set {API_KEY_ENV} (or call `.api_key(..)`) to the proxy's \
             master key or a virtual key"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upstream(status: u16, body: &str) -> GatewayError {
        GatewayError::Upstream {
            provider: "litellm".to_owned(),
            status,
            message: fastagentic_message(body),
            body: body.to_owned(),
            retry_after: None,
        }
    }

    fn fastagentic_message(body: &str) -> String {
        serde_json::from_str::<Value>(body)
            .ok()
            .and_then(|json| {
                json.pointer("/error/message")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            })
            .unwrap_or_else(|| body.to_owned())
    }

    const SETUP: Setup<'static> = Setup {
        key_sent: true,
        key_from_env: true,
        base_url: "http://localhost:4000",
    };

    #[test]
    fn no_db_connection_is_a_rejected_key() {
        let body = r#"{"error":{"message":"No connected db.","type":"no_db_connection","param":null,"code":"400"}}"#;
        let error = explain(upstream(400, body), &SETUP);
        assert_eq!(error.status(), Some(401));
        let text = error.to_string();
        assert!(
            text.starts_with("litellm answered 401: the LiteLLM proxy rejected the API key"),
            "{text}"
        );
        assert!(text.contains("No connected db."), "{text}");
        assert!(text.contains("check LITELLM_PROXY_API_KEY"), "{text}");
    }

    #[test]
    fn a_401_about_the_key_names_the_fix_and_other_401s_pass_through() {
        let key = r#"{"error":{"message":"Authentication Error, Invalid proxy server token passed.","type":"auth_error","code":"401"}}"#;
        let text = explain(upstream(401, key), &SETUP).to_string();
        assert!(
            text.contains("rejected the API key: Authentication Error"),
            "{text}"
        );
        let tags = r#"{"error":{"message":"Not allowed to access model due to tags configuration","type":"internal_server_error","code":"401"}}"#;
        assert_eq!(
            explain(upstream(401, tags), &SETUP).to_string(),
            "litellm answered 401: Not allowed to access model due to tags configuration"
        );
    }

    #[test]
    fn a_missing_key_is_named() {
        let setup = Setup {
            key_sent: false,
            ..SETUP
        };
        let text = explain(upstream(500, "Internal Server Error"), &setup).to_string();
        assert!(
            text.contains("no API key was sent: set LITELLM_PROXY_API_KEY"),
            "{text}"
        );
        let other = explain(upstream(500, "Internal Server Error"), &SETUP).to_string();
        assert_eq!(other, "litellm answered 500: Internal Server Error");
    }

    #[test]
    fn connection_errors_name_the_base_url() {
        let error = GatewayError::Connection {
            provider: "litellm".to_owned(),
            message: "connection refused".to_owned(),
        };
        let text = explain(error, &SETUP).to_string();
        assert!(
            text.contains(
                "is the LiteLLM proxy running at http://localhost:4000? set LITELLM_PROXY_API_BASE"
            ),
            "{text}"
        );
    }
}
