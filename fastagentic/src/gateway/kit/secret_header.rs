//! [`secret_header`]: the one check of a credential before it goes on the wire.

use http::HeaderValue;

use super::setting::Setting;
use crate::Secret;

/// `secret` (after `prefix`, e.g. `"Bearer "`) as a header value marked
/// sensitive. A blank secret is refused with `when_empty` as the fix, one
/// that cannot be a header value (a stray newline, non-ASCII) with its own;
/// neither message shows the secret, both name where it came from.
///
/// ```
/// use fastagentic::Secret;
/// use fastagentic::gateway::kit::{Setting, secret_header};
/// let ok = secret_header("the API key", &Setting::given(Secret::new("sk-1")), "Bearer ", "set it");
/// assert!(ok.unwrap().is_sensitive());
/// let bad = secret_header("the API key", &Setting::given(Secret::new("sk-1\n")), "", "set it");
/// assert!(!bad.unwrap_err().contains("sk-1"));
/// ```
pub fn secret_header(
    what: &str,
    secret: &Setting<Secret>,
    prefix: &str,
    when_empty: &str,
) -> Result<HeaderValue, String> {
    let tail = secret.origin().tail();
    let exposed = secret.value().expose();
    if exposed.trim().is_empty() {
        return Err(format!("{what}{tail} is empty: {when_empty}"));
    }
    match HeaderValue::from_str(&format!("{prefix}{exposed}")) {
        Ok(mut value) => {
            value.set_sensitive(true);
            Ok(value)
        }
        Err(_) => Err(format!(
            "{what}{tail} holds characters that cannot go in an HTTP header (control characters \
             or non-ASCII): check for a stray newline or quote"
        )),
    }
}
