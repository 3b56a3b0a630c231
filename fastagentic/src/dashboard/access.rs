//! Who may see the dashboard: anyone on a loopback-only app without a
//! token; otherwise only a request carrying the token, as a bearer header
//! or as the session cookie the login form sets.

use std::net::SocketAddr;

use http::{HeaderMap, HeaderValue, header};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::error::Error;
use crate::secret::Secret;

/// Tokens shorter than this draw a warning at start-up.
const MIN_TOKEN_CHARS: usize = 16;

/// The session cookie's name.
pub(crate) const COOKIE: &str = "fastagentic_dashboard";

/// The access rule, fixed at start-up.
pub(crate) enum Access {
    /// No token, bound to loopback: open.
    Open,
    /// A token is required.
    Token(TokenGate),
}

/// What a request must show: the token, or the session cookie.
pub(crate) struct TokenGate {
    /// SHA-256 of the token, compared with the digest of what a request sends.
    token_digest: [u8; 32],
    /// The session cookie's value: SHA-256 of a per-process salt and the
    /// token, in hex. Valid until the process restarts; never the token.
    session: String,
}

impl Access {
    /// The rule for `token` on an app bound to `bound` (`None`: unknown).
    pub(crate) fn new(token: Option<Secret>, bound: Option<SocketAddr>) -> Result<Self, Error> {
        let token = token.filter(|t| !t.expose().trim().is_empty());
        match (token, bound) {
            (Some(token), _) => {
                if token.expose().chars().count() < MIN_TOKEN_CHARS {
                    tracing::warn!(
                        "the dashboard's token is shorter than {MIN_TOKEN_CHARS} characters: anyone who can reach the app may guess it"
                    );
                }
                Ok(Access::Token(TokenGate::new(&token)))
            }
            (None, Some(addr)) if addr.ip().is_loopback() => Ok(Access::Open),
            (None, bound) => Err(Error::Dashboard {
                message: format!(
                    "the dashboard would be open to anyone who can reach {}: set the {} environment \
                     variable (or give Dashboard::token(..)) so it asks for a token, or bind a \
                     loopback address such as 127.0.0.1",
                    bound.map_or_else(
                        || "an address that is not known to be loopback (App::into_router)"
                            .to_owned(),
                        |addr| format!("{addr}, which is not a loopback address")
                    ),
                    super::TOKEN_ENV,
                ),
            }),
        }
    }

    /// Whether the request's headers show the token or the session cookie.
    pub(crate) fn admits(&self, headers: &HeaderMap) -> bool {
        let Access::Token(gate) = self else {
            return true;
        };
        let bearer = headers
            .get_all(header::AUTHORIZATION)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| {
                let (scheme, token) = v.trim().split_once(' ')?;
                scheme
                    .eq_ignore_ascii_case("bearer")
                    .then_some(token.trim())
            })
            .any(|token| gate.is_token(token));
        bearer || cookies(headers, COOKIE).any(|value| gate.is_session(value))
    }

    /// Whether a token is required.
    pub(crate) fn needs_token(&self) -> bool {
        matches!(self, Access::Token(_))
    }

    /// The `Set-Cookie` value that logs in whoever typed `token`, or `None`
    /// when it is not the token.
    pub(crate) fn login(&self, token: &str) -> Option<HeaderValue> {
        let Access::Token(gate) = self else {
            return None;
        };
        if !gate.is_token(token.trim()) {
            return None;
        }
        HeaderValue::from_str(&format!(
            "{COOKIE}={}; Path=/dashboard; HttpOnly; SameSite=Strict",
            gate.session
        ))
        .ok()
    }
}

/// The `Set-Cookie` value that logs out.
pub(crate) fn logout_cookie() -> HeaderValue {
    HeaderValue::from_static(
        "fastagentic_dashboard=; Path=/dashboard; HttpOnly; SameSite=Strict; Max-Age=0",
    )
}

impl TokenGate {
    fn new(token: &Secret) -> Self {
        let mut salt = [0u8; 32];
        rand::rng().fill_bytes(&mut salt);
        let mut session = Sha256::new();
        session.update(b"fastagentic dashboard session\0");
        session.update(salt);
        session.update(token.expose().as_bytes());
        Self {
            token_digest: Sha256::digest(token.expose().as_bytes()).into(),
            session: hex(&session.finalize()),
        }
    }

    fn is_token(&self, candidate: &str) -> bool {
        let digest: [u8; 32] = Sha256::digest(candidate.as_bytes()).into();
        same(&digest, &self.token_digest)
    }

    fn is_session(&self, candidate: &str) -> bool {
        candidate.len() == self.session.len() && same(candidate.as_bytes(), self.session.as_bytes())
    }
}

/// Equal bytes, compared in time that does not depend on where they differ.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(64), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

/// The values of the cookies named `name` among the request's `Cookie` headers.
fn cookies<'a>(headers: &'a HeaderMap, name: &'a str) -> impl Iterator<Item = &'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(move |pair| {
            let (key, value) = pair.trim().split_once('=')?;
            (key == name).then_some(value)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loopback() -> Option<SocketAddr> {
        Some("127.0.0.1:8000".parse().unwrap())
    }

    fn public() -> Option<SocketAddr> {
        Some("0.0.0.0:8000".parse().unwrap())
    }

    #[test]
    fn off_loopback_without_a_token_start_up_fails_naming_the_fix() {
        for bound in [public(), None, Some("[::]:8000".parse().unwrap())] {
            let error = Access::new(None, bound).err().expect("refused");
            let text = error.to_string();
            assert!(text.contains("FASTAGENTIC_DASHBOARD_TOKEN"), "{text}");
            assert!(text.contains("loopback"), "{text}");
        }
        assert!(!Access::new(None, loopback()).unwrap().needs_token());
        assert!(
            !Access::new(Some(Secret::new("  ")), Some("[::1]:1".parse().unwrap()))
                .unwrap()
                .needs_token()
        );
    }

    #[test]
    fn the_token_admits_as_a_bearer_header_or_through_the_login_cookie() {
        let access = Access::new(Some(Secret::new("open sesame")), public()).unwrap();
        let mut headers = HeaderMap::new();
        assert!(!access.admits(&headers));
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer wrong"),
        );
        assert!(!access.admits(&headers));
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("bearer open sesame"),
        );
        assert!(access.admits(&headers));

        assert!(access.login("nope").is_none());
        let cookie = access.login("open sesame").expect("logged in");
        let cookie = cookie.to_str().unwrap();
        assert!(
            cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
            "{cookie}"
        );
        assert!(
            !cookie.contains("sesame"),
            "the cookie never holds the token: {cookie}"
        );
        let session = cookie.split(';').next().unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("a=b; {session}")).unwrap(),
        );
        assert!(access.admits(&headers));
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("fastagentic_dashboard=00"),
        );
        assert!(!access.admits(&headers));
    }
}
