//! Where a config problem is ([`PathSegment`], [`Blame`]) and what it is
//! ([`ConfigError`]), plus the collector the validator fills.

use std::fmt;

/// One step of a JSON path: an object key or an array index.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PathSegment {
    /// An object key, e.g. `strategy`.
    Key(String),
    /// An array index, e.g. the `1` of `targets[1]`.
    Index(usize),
}

/// Which part of the entry at a path is wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Blame {
    /// The key itself is wrong (unknown, misplaced or silently ignored): point at the key.
    Key,
    /// The value under the path is wrong (type, range, missing member): point at the value.
    Value,
}

/// One problem in a Portkey config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// Where the problem is, from the config root; empty for the root itself.
    pub path: Vec<PathSegment>,
    /// Whether the key at the end of `path` or its value is at fault.
    pub at: Blame,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl ConfigError {
    /// The path written as in JavaScript: `targets[1].strategy.mode`; keys that
    /// are not identifiers are quoted (`query["metadata.tier"]`); the root is
    /// `config`.
    pub fn path_string(&self) -> String {
        format_path(&self.path)
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}`: {}", self.path_string(), self.message)
    }
}

impl std::error::Error for ConfigError {}

fn format_path(path: &[PathSegment]) -> String {
    if path.is_empty() {
        return "config".to_owned();
    }
    let mut out = String::new();
    for segment in path {
        match segment {
            PathSegment::Key(key) if is_identifier(key) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            PathSegment::Key(key) => {
                out.push('[');
                out.push_str(&serde_json::Value::String(key.clone()).to_string());
                out.push(']');
            }
            PathSegment::Index(index) => {
                out.push('[');
                out.push_str(&index.to_string());
                out.push(']');
            }
        }
    }
    out
}

fn is_identifier(key: &str) -> bool {
    let mut chars = key.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

/// A path under construction while walking the config.
#[derive(Debug, Clone, Default)]
pub(crate) struct JsonPath(Vec<PathSegment>);

impl JsonPath {
    pub(crate) fn root() -> Self {
        Self(Vec::new())
    }

    pub(crate) fn key(&self, key: &str) -> Self {
        let mut segments = self.0.clone();
        segments.push(PathSegment::Key(key.to_owned()));
        Self(segments)
    }

    pub(crate) fn index(&self, index: usize) -> Self {
        let mut segments = self.0.clone();
        segments.push(PathSegment::Index(index));
        Self(segments)
    }

    pub(crate) fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    /// The path as written in messages, e.g. `targets[0]`.
    pub(crate) fn display(&self) -> String {
        format_path(&self.0)
    }
}

/// Collects every problem; the validator never stops at the first.
#[derive(Debug, Default)]
pub(crate) struct Report {
    errors: Vec<ConfigError>,
}

impl Report {
    /// The value at `path` is wrong.
    pub(crate) fn value(&mut self, path: &JsonPath, message: impl Into<String>) {
        self.push(path, Blame::Value, message.into());
    }

    /// The key at the end of `path` is wrong.
    pub(crate) fn key(&mut self, path: &JsonPath, message: impl Into<String>) {
        self.push(path, Blame::Key, message.into());
    }

    fn push(&mut self, path: &JsonPath, at: Blame, message: String) {
        self.errors.push(ConfigError {
            path: path.0.clone(),
            at,
            message,
        });
    }

    pub(crate) fn into_errors(self) -> Vec<ConfigError> {
        self.errors
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(k: &str) -> PathSegment {
        PathSegment::Key(k.to_owned())
    }

    #[test]
    fn root_is_shown_as_config() {
        let error = ConfigError {
            path: vec![],
            at: Blame::Value,
            message: "m".to_owned(),
        };
        assert_eq!(error.path_string(), "config");
        assert_eq!(error.to_string(), "`config`: m");
    }

    #[test]
    fn paths_read_like_javascript() {
        let error = ConfigError {
            path: vec![
                key("targets"),
                PathSegment::Index(1),
                key("strategy"),
                key("mode"),
            ],
            at: Blame::Value,
            message: "unknown strategy mode".to_owned(),
        };
        assert_eq!(error.path_string(), "targets[1].strategy.mode");
        assert_eq!(
            error.to_string(),
            "`targets[1].strategy.mode`: unknown strategy mode"
        );
    }

    #[test]
    fn non_identifier_keys_are_quoted() {
        let path = vec![
            key("strategy"),
            key("conditions"),
            PathSegment::Index(0),
            key("query"),
            key("metadata.tier"),
            key("$eq"),
        ];
        let error = ConfigError {
            path,
            at: Blame::Key,
            message: String::new(),
        };
        assert_eq!(
            error.path_string(),
            r#"strategy.conditions[0].query["metadata.tier"].$eq"#
        );
        let odd = ConfigError {
            path: vec![key("a\"b"), key("")],
            at: Blame::Key,
            message: String::new(),
        };
        assert_eq!(odd.path_string(), r#"["a\"b"][""]"#);
        let index_first = ConfigError {
            path: vec![PathSegment::Index(2)],
            at: Blame::Key,
            message: String::new(),
        };
        assert_eq!(index_first.path_string(), "[2]");
    }

    #[test]
    fn report_keeps_every_error_in_order() {
        let mut report = Report::default();
        let root = JsonPath::root();
        assert!(root.is_root());
        report.key(&root.key("stratgy"), "unknown");
        report.value(&root.key("targets").index(0), "bad");
        let errors = report.into_errors();
        assert_eq!(errors.len(), 2);
        assert_eq!(errors[0].at, Blame::Key);
        assert_eq!(errors[0].path, vec![key("stratgy")]);
        assert_eq!(errors[1].at, Blame::Value);
        assert_eq!(errors[1].path_string(), "targets[0]");
        assert_eq!(root.key("targets").index(3).display(), "targets[3]");
    }
}
