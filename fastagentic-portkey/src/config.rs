//! [`PortkeyConfig`]: a validated Portkey gateway config (what `x-portkey-config`
//! carries), from JSON text, a file, a `serde_json::Value` or
//! [`portkey_config!`](crate::portkey_config).

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use fastagentic::gateway::kit::redact;
use fastagentic_rules::portkey::{ConfigError, validate_config};
use serde_json::Value;

use crate::strict_json;

/// A Portkey gateway config that passed FastAgentic's checks: the gateway's
/// own schema plus the mistakes Portkey only finds when a request fails (see
/// `fastagentic_rules::portkey`).
///
/// Build one at compile time with [`portkey_config!`](crate::portkey_config),
/// or at run time with [`from_json`](Self::from_json),
/// [`from_file`](Self::from_file) or [`from_value`](Self::from_value): both
/// paths apply the same rules (`fastagentic_rules::portkey::validate_config`).
///
/// `Debug` hides credentials (`api_key`, `virtual_key`, AWS and Azure
/// secrets, ...).
///
/// ```
/// use fastagentic_portkey::PortkeyConfig;
/// let config = PortkeyConfig::from_json(r#"{
///     "strategy": {"mode": "fallback", "on_status_codes": [429, 503]},
///     "targets": [{"virtual_key": "openai-key"}, {"virtual_key": "anthropic-key"}]
/// }"#)?;
/// assert_eq!(config.strategy_mode(), Some("fallback"));
///
/// let typo = PortkeyConfig::from_json(r#"{"strategy": {"mode": "fallbak"}, "targets": [{"virtual_key": "a"}]}"#);
/// assert!(typo.unwrap_err().to_string().contains("did you mean `fallback`?"));
/// # Ok::<(), fastagentic_portkey::PortkeyConfigError>(())
/// ```
#[derive(Clone)]
pub struct PortkeyConfig {
    json: Arc<Value>,
    compact: Arc<str>,
}

impl PortkeyConfig {
    /// Parses and checks a config written as JSON. Repeated keys are refused
    /// (a JSON reader would silently keep only the last one), and every
    /// problem of the config is reported, each with its path.
    pub fn from_json(text: &str) -> Result<Self, PortkeyConfigError> {
        let value =
            strict_json::parse(text).map_err(|message| PortkeyConfigError::Syntax { message })?;
        Self::from_value(value)
    }

    /// Reads and checks a config file (JSON).
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, PortkeyConfigError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|error| PortkeyConfigError::Read {
            path: path.to_owned(),
            message: error.to_string(),
        })?;
        Self::from_json(&text).map_err(|source| PortkeyConfigError::InFile {
            path: path.to_owned(),
            source: Box::new(source),
        })
    }

    /// Checks a config held as a `serde_json::Value` (e.g. built with `json!`).
    pub fn from_value(value: Value) -> Result<Self, PortkeyConfigError> {
        let errors = validate_config(&value);
        if !errors.is_empty() {
            return Err(PortkeyConfigError::Invalid { errors });
        }
        let compact = value.to_string();
        Ok(Self::from_parts(compact.into(), value))
    }

    /// A config the caller has already checked, with its compact JSON.
    pub(crate) fn from_parts(compact: Arc<str>, value: Value) -> Self {
        Self {
            json: Arc::new(value),
            compact,
        }
    }

    /// The config as JSON.
    pub fn as_json(&self) -> &Value {
        &self.json
    }

    /// The config as compact JSON, as sent in `x-portkey-config` (object keys
    /// sorted).
    pub fn compact_json(&self) -> &str {
        &self.compact
    }

    /// The top-level `strategy.mode`, if the config routes among targets.
    pub fn strategy_mode(&self) -> Option<&str> {
        self.json.pointer("/strategy/mode").and_then(Value::as_str)
    }
}

impl PartialEq for PortkeyConfig {
    fn eq(&self, other: &Self) -> bool {
        self.json == other.json
    }
}

impl fmt::Debug for PortkeyConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("PortkeyConfig")
            .field(&format_args!("{}", redact::json(&self.json)))
            .finish()
    }
}

impl std::str::FromStr for PortkeyConfig {
    type Err = PortkeyConfigError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::from_json(text)
    }
}

impl TryFrom<Value> for PortkeyConfig {
    type Error = PortkeyConfigError;

    fn try_from(value: Value) -> Result<Self, Self::Error> {
        Self::from_value(value)
    }
}

/// Why a Portkey config was refused.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum PortkeyConfigError {
    /// The text is not JSON (or repeats a key).
    #[error("the Portkey config is not valid JSON: {message}")]
    Syntax {
        /// What is wrong, with line and column.
        message: String,
    },
    /// The JSON breaks Portkey's rules; every problem is listed.
    #[error("{}", list(errors))]
    Invalid {
        /// Every problem, each with its path and whether the key or the value is at fault.
        errors: Vec<ConfigError>,
    },
    /// The file could not be read.
    #[error("cannot read the Portkey config `{}`: {message}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// The file was read but its config was refused.
    #[error("in `{}`: {source}", path.display())]
    InFile {
        /// The file.
        path: PathBuf,
        /// What was wrong with its content.
        source: Box<PortkeyConfigError>,
    },
}

impl PortkeyConfigError {
    /// The rule violations, when the config was valid JSON but broke Portkey's
    /// rules (empty for syntax and read errors).
    pub fn errors(&self) -> &[ConfigError] {
        match self {
            PortkeyConfigError::Invalid { errors } => errors,
            PortkeyConfigError::InFile { source, .. } => source.errors(),
            _ => &[],
        }
    }
}

fn list(errors: &[ConfigError]) -> String {
    let mut out = match errors.len() {
        1 => "the Portkey config has 1 problem:".to_owned(),
        n => format!("the Portkey config has {n} problems:"),
    };
    for error in errors {
        out.push_str("\n  - ");
        out.push_str(&error.to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keeps_the_value_and_its_compact_json() {
        let config = PortkeyConfig::from_json(
            r#"{ "retry": {"attempts": 2},
                 "cache": {"mode": "simple", "max_age": 60} }"#,
        )
        .expect("valid");
        assert_eq!(
            config.compact_json(),
            r#"{"cache":{"max_age":60,"mode":"simple"},"retry":{"attempts":2}}"#
        );
        assert_eq!(config.as_json()["retry"]["attempts"], 2);
        assert_eq!(config.strategy_mode(), None);
    }

    #[test]
    fn lists_every_problem_with_its_path() {
        let error = PortkeyConfig::from_value(json!({
            "strategy": {"mode": "fallbak"},
            "targets": [{"provider": "openai", "api_key": "sk"}],
            "retry": {"on_status_codes": [429]}
        }))
        .expect_err("invalid");
        assert_eq!(error.errors().len(), 2, "{error}");
        let text = error.to_string();
        assert!(
            text.starts_with("the Portkey config has 2 problems:"),
            "{text}"
        );
        assert!(
            text.contains("\n  - `retry`: `retry` needs `attempts`"),
            "{text}"
        );
        assert!(
            text.contains("\n  - `strategy.mode`: unknown strategy mode `fallbak`"),
            "{text}"
        );
    }

    #[test]
    fn refuses_repeated_keys_and_bad_json() {
        let error = PortkeyConfig::from_json(r#"{"retry": {"attempts": 1, "attempts": 2}}"#)
            .expect_err("repeated key");
        assert!(
            error.to_string().contains("duplicate key `attempts`"),
            "{error}"
        );
        let error = PortkeyConfig::from_json(r#"{"retry": {"attempts": 1},}"#).expect_err("comma");
        assert!(
            matches!(error, PortkeyConfigError::Syntax { .. }),
            "{error}"
        );
    }

    #[test]
    fn debug_hides_credentials() {
        let config = PortkeyConfig::from_value(json!({
            "strategy": {"mode": "fallback"},
            "targets": [
                {"provider": "openai", "api_key": "sk-live-secret"},
                {"virtual_key": "vk-secret"}
            ]
        }))
        .expect("valid");
        let debug = format!("{config:?}");
        assert!(
            !debug.contains("sk-live-secret") && !debug.contains("vk-secret"),
            "{debug}"
        );
        assert!(debug.contains("\"provider\":\"openai\""), "{debug}");
    }

    #[test]
    fn reads_files_and_names_them_in_errors() {
        let dir = std::env::temp_dir().join(format!("portkey-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let good = dir.join("good.json");
        std::fs::write(&good, r#"{"retry": {"attempts": 3}}"#).expect("write");
        assert!(PortkeyConfig::from_file(&good).is_ok());
        let bad = dir.join("bad.json");
        std::fs::write(&bad, r#"{"cache": {"max_age": 60}}"#).expect("write");
        let error = PortkeyConfig::from_file(&bad).expect_err("no mode");
        assert!(error.to_string().starts_with("in `"), "{error}");
        assert!(
            error.to_string().contains("`cache` needs a `mode`"),
            "{error}"
        );
        assert_eq!(error.errors().len(), 1);
        let missing = PortkeyConfig::from_file(dir.join("missing.json")).expect_err("missing");
        assert!(matches!(missing, PortkeyConfigError::Read { .. }));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
