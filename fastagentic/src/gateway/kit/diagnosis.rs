//! [`explain_upstream`]: the shape of a gateway's diagnosis, which rewrites a
//! provider's error answer to say what to fix.

use crate::GatewayError;

/// A provider's error answer, as a diagnosis sees and rewrites it.
#[derive(Debug)]
pub struct Failure {
    /// The HTTP status (a diagnosis may report another, e.g. 401 for a key
    /// refused with 400).
    pub status: u16,
    /// The message users read.
    pub message: String,
    /// The start of the response body.
    pub body: String,
}

/// Runs `explain` on an upstream error's status, message and body; every
/// other error passes through unchanged.
///
/// ```
/// use fastagentic::GatewayError;
/// use fastagentic::gateway::kit::explain_upstream;
/// let error = GatewayError::Upstream {
///     provider: "proxy".into(), status: 400, message: "bad".into(),
///     body: String::new(), retry_after: None,
/// };
/// let explained = explain_upstream(error, |failure| failure.message.push_str("; fix it"));
/// assert_eq!(explained.to_string(), "proxy answered 400: bad; fix it");
/// ```
pub fn explain_upstream(error: GatewayError, explain: impl FnOnce(&mut Failure)) -> GatewayError {
    match error {
        GatewayError::Upstream {
            provider,
            status,
            message,
            body,
            retry_after,
        } => {
            let mut failure = Failure {
                status,
                message,
                body,
            };
            explain(&mut failure);
            GatewayError::Upstream {
                provider,
                status: failure.status,
                message: failure.message,
                body: failure.body,
                retry_after,
            }
        }
        other => other,
    }
}

/// The error for a request that could not reach `provider`: the HTTP
/// client's message (reqwest's or hyper's) with each underlying cause after
/// it. Neither client's `Display` carries headers, so no key leaks here.
pub fn connection_error(
    provider: &str,
    error: &(dyn std::error::Error + 'static),
) -> crate::GatewayError {
    let mut message = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(inner) = source {
        message.push_str(": ");
        message.push_str(&inner.to_string());
        source = inner.source();
    }
    crate::GatewayError::Connection {
        provider: provider.to_owned(),
        message,
    }
}
