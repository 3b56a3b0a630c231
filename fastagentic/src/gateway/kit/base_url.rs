//! [`BaseUrl`]: where a gateway sends requests, and the one check of it.

use std::fmt;

use super::redact;
use super::setting::{Origin, Setting};

/// A gateway's base URL with where it came from. `Debug` shows it with any
/// `user:password@` masked as `***@`.
///
/// ```
/// use fastagentic::gateway::kit::BaseUrl;
/// let url = BaseUrl::given("http://admin:sk-1@proxy:4000");
/// assert_eq!(format!("{url:?}"), "\"http://***@proxy:4000\"");
/// let problem = url.check("http://localhost:4000", "`.api_key(..)`").unwrap_err();
/// assert!(problem.contains("holds credentials") && !problem.contains("sk-1"));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct BaseUrl(Setting<String>);

impl BaseUrl {
    /// A base URL given by a builder call (trimmed).
    pub fn given(url: impl AsRef<str>) -> Self {
        Self(Setting::given(url.as_ref().trim().to_owned()))
    }

    /// The gateway's default base URL.
    pub fn default_value(url: &str) -> Self {
        Self(Setting::new(url.to_owned(), Origin::Default))
    }

    /// The base URL in the environment variable `var`, else `default`.
    pub fn from_env_or(var: &'static str, default: &str) -> Self {
        Setting::text_from_env(var).map_or_else(|| Self::default_value(default), Self)
    }

    /// The URL as given.
    pub fn as_str(&self) -> &str {
        self.0.value()
    }

    /// Where it came from.
    pub fn origin(&self) -> Origin {
        self.0.origin()
    }

    /// The URL fit for messages: credentials masked.
    pub fn shown(&self) -> String {
        redact::url(self.as_str())
    }

    /// Checks that the URL is an absolute http(s) URL without credentials.
    /// A problem names the environment variable the URL came from, shows
    /// `example` as a URL that works and, for credentials, says where the
    /// key goes instead (`key_instead`); it never shows a credential.
    pub fn check(&self, example: &str, key_instead: &str) -> Result<reqwest::Url, String> {
        let tail = self.origin().tail();
        let shown = self.shown();
        match reqwest::Url::parse(self.as_str()) {
            Ok(url) if !url.username().is_empty() || url.password().is_some() => Err(format!(
                "the base URL `{shown}`{tail} holds credentials (`user:password@`), and a URL \
                 that carries credentials ends up in logs: remove them and give the key with \
                 {key_instead} instead"
            )),
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.has_host() => Ok(url),
            _ => Err(format!(
                "the base URL `{shown}`{tail} is not an absolute http(s) URL: write it like \
                 {example}"
            )),
        }
    }
}

impl fmt::Debug for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.shown().fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_source_and_never_the_credentials() {
        let from_env = BaseUrl(Setting::new("not a url".to_owned(), Origin::Env("X_URL")));
        let problem = from_env
            .check("`http://localhost:1/v1`", "X_KEY")
            .unwrap_err();
        assert!(
            problem.contains("`not a url` (from X_URL) is not an absolute http(s) URL"),
            "{problem}"
        );
        assert!(problem.contains("`http://localhost:1/v1`"), "{problem}");
        let ftp = BaseUrl::given("ftp://host").check("e", "k").unwrap_err();
        assert!(ftp.contains("`ftp://host` is not an absolute"), "{ftp}");

        let secret = BaseUrl::given("https://user:hunter2@host/v1");
        let problem = secret.check("e", "X_KEY").unwrap_err();
        assert!(!problem.contains("hunter2"), "{problem}");
        assert!(problem.contains("`https://***@host/v1`"), "{problem}");
        assert!(problem.contains("carries credentials"), "{problem}");
        assert!(!format!("{secret:?}").contains("hunter2"));

        let fine = BaseUrl::given(" http://127.0.0.1:4000/v1 ");
        assert_eq!(fine.as_str(), "http://127.0.0.1:4000/v1");
        assert!(fine.check("e", "k").is_ok());
    }
}
