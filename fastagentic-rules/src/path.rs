//! Endpoint path syntax, mirroring the axum 0.8 router the endpoints are
//! mounted on, plus the paths FastAgentic keeps for itself.
//!
//! The proc macro checks the literal in `#[agent_endpoint(path = "...")]` with
//! [`check_endpoint_path`]; the runtime checks paths registered by other means
//! with the same function, so a path that compiles is a path that mounts.
//!
//! Rules:
//! - non-empty, starts with `/`, no empty segment (`//`), no trailing `/`
//!   (the root `/` itself is fine), no `.` or `..` segment;
//! - parameters are whole segments: `{name}`, or the wildcard `{*name}` as the
//!   last segment; `name` is an identifier and appears once;
//! - the axum 0.7 forms `:name` and `*name` are rejected with the 0.8 spelling;
//! - only printable ASCII; no whitespace, `?` or `#`; no stray braces;
//! - [`RESERVED_PATHS`] belong to the framework.

use std::fmt;

/// Paths the framework serves itself; an endpoint may not take one of them.
pub const RESERVED_PATHS: &[&str] = &["/health", "/ready", "/openapi.json", "/docs", "/metrics"];

/// A checked endpoint path, with the names of its parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointPath {
    path: String,
    params: Vec<String>,
    wildcard: bool,
}

impl EndpointPath {
    /// The path exactly as written (and as axum 0.8 routes it), e.g. `/users/{id}`.
    pub fn as_str(&self) -> &str {
        &self.path
    }

    /// Parameter names in order of appearance, the wildcard's name included
    /// (`/files/{bucket}/{*key}` gives `["bucket", "key"]`).
    pub fn params(&self) -> &[String] {
        &self.params
    }

    /// The name of the trailing wildcard parameter (`{*name}`), if any.
    pub fn wildcard(&self) -> Option<&str> {
        if self.wildcard {
            self.params.last().map(String::as_str)
        } else {
            None
        }
    }

    /// The path in OpenAPI template form: a wildcard `{*key}` becomes `{key}`.
    pub fn openapi_path(&self) -> String {
        self.path.replace("{*", "{")
    }
}

impl fmt::Display for EndpointPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.path)
    }
}

/// Why an endpoint path was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathError {
    /// What is wrong and how to fix it, e.g. "endpoint path must start with
    /// `/`: write `/triage`".
    pub message: String,
}

impl PathError {
    fn new(message: String) -> Self {
        Self { message }
    }
}

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for PathError {}

/// Checks an endpoint path and returns it with its parameter names.
///
/// ```
/// use fastagentic_rules::path::{check_endpoint_path, PathError};
/// let path = check_endpoint_path("/users/{id}/files/{*rest}")?;
/// assert_eq!(path.params(), ["id", "rest"]);
/// assert_eq!(
///     check_endpoint_path("triage").map_err(|e| e.message),
///     Err("endpoint path must start with `/`: write `/triage`".to_owned())
/// );
/// # Ok::<(), PathError>(())
/// ```
pub fn check_endpoint_path(path: &str) -> Result<EndpointPath, PathError> {
    if path.trim().is_empty() {
        return Err(PathError::new(
            "endpoint path is empty: write a path such as `/triage`".to_owned(),
        ));
    }
    check_characters(path)?;
    let Some(rest) = path.strip_prefix('/') else {
        return Err(PathError::new(format!(
            "endpoint path must start with `/`: write `/{path}`"
        )));
    };
    if rest.is_empty() {
        return Ok(EndpointPath {
            path: path.to_owned(),
            params: Vec::new(),
            wildcard: false,
        });
    }
    if path.contains("//") {
        return Err(PathError::new(format!(
            "endpoint path `{path}` has an empty segment (`//`): write `{}`",
            collapse_slashes(path)
        )));
    }
    if rest.ends_with('/') {
        return Err(PathError::new(format!(
            "endpoint path `{path}` must not end with `/`: write `{}`",
            path.trim_end_matches('/')
        )));
    }

    let segments: Vec<&str> = rest.split('/').collect();
    let mut params: Vec<String> = Vec::new();
    let mut wildcard = false;
    for (index, segment) in segments.iter().enumerate() {
        let is_last = index + 1 == segments.len();
        match check_segment(path, segment)? {
            Segment::Static => {}
            Segment::Param(name) | Segment::Wildcard(name) if params.contains(&name) => {
                return Err(PathError::new(format!(
                    "endpoint path `{path}` uses the parameter `{name}` twice: rename one of them"
                )));
            }
            Segment::Param(name) => params.push(name),
            Segment::Wildcard(name) => {
                if !is_last {
                    return Err(PathError::new(format!(
                        "wildcard `{{*{name}}}` in endpoint path `{path}` must be the last segment: \
                         move it to the end or use `{{{name}}}` to capture one segment"
                    )));
                }
                params.push(name);
                wildcard = true;
            }
        }
    }

    if let Some(reserved) = RESERVED_PATHS.iter().find(|reserved| **reserved == path) {
        return Err(PathError::new(format!(
            "endpoint path `{reserved}` is reserved: FastAgentic serves {} there; choose another path",
            reserved_purpose(reserved)
        )));
    }
    Ok(EndpointPath {
        path: path.to_owned(),
        params,
        wildcard,
    })
}

enum Segment {
    Static,
    Param(String),
    Wildcard(String),
}

fn check_characters(path: &str) -> Result<(), PathError> {
    for c in path.chars() {
        let problem = match c {
            ' ' => Some("a space".to_owned()),
            c if c.is_whitespace() => Some(format!("whitespace ({c:?})")),
            c if c.is_control() => Some(format!("a control character ({c:?})")),
            '?' => {
                return Err(PathError::new(format!(
                    "endpoint path `{path}` contains `?`: a query string is not part of a route; \
                     remove it and read query parameters from the request"
                )));
            }
            '#' => {
                return Err(PathError::new(format!(
                    "endpoint path `{path}` contains `#`: a fragment never reaches the server; remove it"
                )));
            }
            c if !c.is_ascii() => Some(format!("the non-ASCII character `{c}`")),
            _ => None,
        };
        if let Some(problem) = problem {
            return Err(PathError::new(format!(
                "endpoint path {path:?} contains {problem}: use only ASCII letters, digits and \
                 `-._~` in segments (requests arrive percent-encoded, so other characters never match)"
            )));
        }
    }
    Ok(())
}

fn check_segment(path: &str, segment: &str) -> Result<Segment, PathError> {
    if segment == "." || segment == ".." {
        return Err(PathError::new(format!(
            "endpoint path `{path}` has a `{segment}` segment: clients resolve it away before \
             sending, so the route could never match; remove it"
        )));
    }
    if let Some(name) = segment.strip_prefix(':') {
        return Err(PathError::new(format!(
            "endpoint path `{path}` uses the axum 0.7 parameter syntax `{segment}`: use `{{{name}}}`"
        )));
    }
    if let Some(name) = segment.strip_prefix('*') {
        return Err(PathError::new(format!(
            "endpoint path `{path}` uses the axum 0.7 wildcard syntax `{segment}`: use `{{*{name}}}`"
        )));
    }
    let opens = segment.matches('{').count();
    let closes = segment.matches('}').count();
    if opens == 0 && closes == 0 {
        return Ok(Segment::Static);
    }
    let whole = opens == 1 && closes == 1 && segment.starts_with('{') && segment.ends_with('}');
    if !whole {
        let message = if opens != closes {
            format!(
                "endpoint path `{path}` has unbalanced braces in `{segment}`: a parameter is a \
                 whole segment written `{{name}}`"
            )
        } else {
            format!(
                "endpoint path `{path}` has a parameter inside the segment `{segment}`: a \
                 parameter must be a whole segment, e.g. `/items/{{id}}`"
            )
        };
        return Err(PathError::new(message));
    }
    let inner = &segment[1..segment.len() - 1];
    let (name, is_wildcard) = match inner.strip_prefix('*') {
        Some(name) => (name, true),
        None => (inner, false),
    };
    if name.is_empty() {
        return Err(PathError::new(format!(
            "endpoint path `{path}` has a parameter without a name in `{segment}`: write `{{{}id}}`",
            if is_wildcard { "*" } else { "" }
        )));
    }
    if !is_identifier(name) {
        return Err(PathError::new(format!(
            "parameter name `{name}` in endpoint path `{path}` is not an identifier: use letters, \
             digits and `_`, not starting with a digit (e.g. `{{{}}}`)",
            to_identifier(name)
        )));
    }
    Ok(if is_wildcard {
        Segment::Wildcard(name.to_owned())
    } else {
        Segment::Param(name.to_owned())
    })
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A best-effort identifier spelling of `name`, for the message.
fn to_identifier(name: &str) -> String {
    let mut out: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

fn collapse_slashes(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        if !(c == '/' && out.ends_with('/')) {
            out.push(c);
        }
    }
    if out.len() > 1 {
        out.truncate(out.trim_end_matches('/').len());
    }
    out
}

fn reserved_purpose(path: &str) -> &'static str {
    match path {
        "/health" => "the liveness check",
        "/ready" => "the readiness check",
        "/openapi.json" => "the OpenAPI document",
        "/docs" => "the API docs page",
        "/metrics" => "the metrics",
        _ => "a built-in route",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(path: &str) -> String {
        match check_endpoint_path(path) {
            Ok(ok) => panic!("expected `{path}` to be rejected, got {ok:?}"),
            Err(error) => error.message,
        }
    }

    fn params(path: &str) -> Vec<String> {
        match check_endpoint_path(path) {
            Ok(ok) => ok.params().to_vec(),
            Err(error) => panic!("expected `{path}` to be accepted: {error}"),
        }
    }

    #[test]
    fn accepts_static_paths() {
        for path in [
            "/",
            "/triage",
            "/v1/chat",
            "/a-b_c.d~e",
            "/premium/v2",
            "/healthz",
            "/docs2",
        ] {
            assert_eq!(params(path), Vec::<String>::new(), "{path}");
        }
    }

    #[test]
    fn accepts_parameters_and_reports_their_names() {
        assert_eq!(params("/users/{id}"), ["id"]);
        assert_eq!(
            params("/users/{user_id}/posts/{postId}"),
            ["user_id", "postId"]
        );
        assert_eq!(params("/files/{*rest}"), ["rest"]);
        assert_eq!(params("/{_a1}"), ["_a1"]);
        let path = check_endpoint_path("/b/{bucket}/{*key}").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(path.wildcard(), Some("key"));
        assert_eq!(path.openapi_path(), "/b/{bucket}/{key}");
        assert_eq!(path.as_str(), "/b/{bucket}/{*key}");
        assert_eq!(path.to_string(), "/b/{bucket}/{*key}");
        let plain = check_endpoint_path("/a/{id}").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(plain.wildcard(), None);
    }

    #[test]
    fn rejects_empty_paths() {
        assert_eq!(
            error(""),
            "endpoint path is empty: write a path such as `/triage`"
        );
        assert_eq!(
            error("   "),
            "endpoint path is empty: write a path such as `/triage`"
        );
    }

    #[test]
    fn requires_a_leading_slash() {
        assert_eq!(
            error("triage"),
            "endpoint path must start with `/`: write `/triage`"
        );
        assert_eq!(
            error("a/{id}"),
            "endpoint path must start with `/`: write `/a/{id}`"
        );
    }

    #[test]
    fn rejects_empty_segments() {
        assert_eq!(
            error("//"),
            "endpoint path `//` has an empty segment (`//`): write `/`"
        );
        assert_eq!(
            error("/a//"),
            "endpoint path `/a//` has an empty segment (`//`): write `/a`"
        );
        assert_eq!(
            error("/a//b"),
            "endpoint path `/a//b` has an empty segment (`//`): write `/a/b`"
        );
        assert_eq!(
            error("//a"),
            "endpoint path `//a` has an empty segment (`//`): write `/a`"
        );
    }

    #[test]
    fn rejects_trailing_slashes() {
        assert_eq!(
            error("/triage/"),
            "endpoint path `/triage/` must not end with `/`: write `/triage`"
        );
        assert!(error("/a/{id}/").contains("write `/a/{id}`"));
    }

    #[test]
    fn rejects_axum_07_syntax_with_the_08_spelling() {
        assert_eq!(
            error("/users/:id"),
            "endpoint path `/users/:id` uses the axum 0.7 parameter syntax `:id`: use `{id}`"
        );
        assert_eq!(
            error("/files/*rest"),
            "endpoint path `/files/*rest` uses the axum 0.7 wildcard syntax `*rest`: use `{*rest}`"
        );
    }

    #[test]
    fn rejects_unbalanced_or_partial_braces() {
        assert!(error("/users/{id").contains("unbalanced braces in `{id`"));
        assert!(error("/users/id}").contains("unbalanced braces"));
        assert!(error("/users/{{id}").contains("unbalanced braces"));
        assert!(error("/users/{id}.json").contains("must be a whole segment"));
        assert!(error("/users/v{id}").contains("must be a whole segment"));
        assert!(error("/users/{a}{b}").contains("must be a whole segment"));
    }

    #[test]
    fn rejects_bad_parameter_names() {
        assert!(error("/users/{}").contains("without a name in `{}`: write `{id}`"));
        assert!(error("/files/{*}").contains("write `{*id}`"));
        assert!(error("/users/{1id}").contains("parameter name `1id`"));
        assert!(error("/users/{user-id}").contains("(e.g. `{user_id}`)"));
        assert!(error("/users/{**x}").contains("parameter name `*x`"));
    }

    #[test]
    fn wildcard_must_be_last() {
        assert_eq!(
            error("/files/{*rest}/meta"),
            "wildcard `{*rest}` in endpoint path `/files/{*rest}/meta` must be the last segment: \
             move it to the end or use `{rest}` to capture one segment"
        );
    }

    #[test]
    fn rejects_duplicate_parameters() {
        assert_eq!(
            error("/a/{id}/b/{id}"),
            "endpoint path `/a/{id}/b/{id}` uses the parameter `id` twice: rename one of them"
        );
        assert!(error("/a/{id}/{*id}").contains("`id` twice"));
    }

    #[test]
    fn rejects_whitespace_query_and_fragment() {
        assert!(error("/a b").contains("contains a space"));
        assert!(error("/a\tb").contains("whitespace"));
        assert!(error("/a\u{7}").contains("control character"));
        assert!(
            error("/search?q=1").contains("contains `?`: a query string is not part of a route")
        );
        assert!(error("/a#top").contains("contains `#`"));
        assert!(error("/café").contains("non-ASCII character `é`"));
    }

    #[test]
    fn rejects_dot_segments() {
        assert!(error("/a/../b").contains("`..` segment"));
        assert!(error("/a/.").contains("`.` segment"));
        assert_eq!(params("/a/.well-known"), Vec::<String>::new());
    }

    #[test]
    fn rejects_reserved_paths_exactly() {
        for reserved in RESERVED_PATHS {
            let message = error(reserved);
            assert!(
                message.starts_with(&format!("endpoint path `{reserved}` is reserved")),
                "{message}"
            );
            assert!(message.ends_with("choose another path"), "{message}");
        }
        assert_eq!(
            error("/health"),
            "endpoint path `/health` is reserved: FastAgentic serves the liveness check there; choose another path"
        );
        // Only the exact paths are reserved.
        assert_eq!(params("/health/{id}"), ["id"]);
        assert_eq!(params("/docs/guide"), Vec::<String>::new());
        assert_eq!(params("/Health"), Vec::<String>::new());
    }

    #[test]
    fn path_error_displays_its_message() {
        let error = PathError::new("x".to_owned());
        assert_eq!(error.to_string(), "x");
    }
}
