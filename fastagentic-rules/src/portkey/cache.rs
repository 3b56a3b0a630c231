//! `cache`: response caching for a config or target (inherited by children).
//!
//! Facts (Portkey-AI/gateway v1.15.2): the schema (`schema/config.ts`) wants
//! an object with `mode` (required, `simple` or `semantic`) and an optional
//! numeric `max_age`; `RequestContext.cacheConfig`
//! (`src/handlers/services/requestContext.ts`) reads `max_age` with
//! `parseInt`, so fractions are cut off, and 0 counts as "not set". A
//! `max_age` of 0 or less therefore never caches as written.

use serde_json::Value;

use super::error::{JsonPath, Report};
use super::schema::{self, CACHE_KEYS, describe};
use crate::suggest::closest;

/// The cache modes Portkey knows.
pub const CACHE_MODES: &[&str] = &["simple", "semantic"];

/// Checks the value of a `cache` key at `path`.
pub(crate) fn check_cache(value: &Value, path: &JsonPath, report: &mut Report) {
    let Value::Object(cache) = value else {
        let hint = match value.as_str() {
            Some(mode) if CACHE_MODES.contains(&mode) => {
                format!("write `{{\"mode\": \"{mode}\"}}`")
            }
            _ => "write e.g. `{\"mode\": \"simple\", \"max_age\": 3600}`".to_owned(),
        };
        report.value(
            path,
            format!(
                "`cache` must be an object, found {}: {hint}",
                describe(value)
            ),
        );
        return;
    };
    for (key, item) in cache {
        let item_path = path.key(key);
        match key.as_str() {
            "mode" => check_mode(item, &item_path, report),
            "max_age" => check_max_age(item, &item_path, report),
            _ => report.key(&item_path, schema::unknown_key(key, "`cache`", CACHE_KEYS)),
        }
    }
    if !cache.contains_key("mode") {
        report.value(
            path,
            "`cache` needs a `mode`: write `\"mode\": \"simple\"` (exact match) or `\"mode\": \"semantic\"`",
        );
    }
}

fn check_mode(value: &Value, path: &JsonPath, report: &mut Report) {
    let Some(mode) = value.as_str() else {
        report.value(
            path,
            format!(
                "cache `mode` must be a string (simple or semantic), found {}",
                describe(value)
            ),
        );
        return;
    };
    if CACHE_MODES.contains(&mode) {
        return;
    }
    let mut message = format!(
        "unknown cache mode `{mode}`; expected one of {}",
        CACHE_MODES.join(", ")
    );
    if let Some(suggestion) = closest(mode, CACHE_MODES) {
        message.push_str(&format!("; did you mean `{suggestion}`?"));
    }
    report.value(path, message);
}

fn check_max_age(value: &Value, path: &JsonPath, report: &mut Report) {
    let Some(max_age) = value.as_f64() else {
        let hint = match value
            .as_str()
            .and_then(|text| text.trim().parse::<f64>().ok())
        {
            Some(number) => format!(": write `{number}` without quotes"),
            None => String::new(),
        };
        report.value(
            path,
            format!(
                "`max_age` must be a number, found {}{hint}",
                describe(value)
            ),
        );
        return;
    };
    if max_age <= 0.0 {
        report.value(
            path,
            format!(
                "`max_age` must be positive, got {value}: an entry that is already expired is never \
                 served; write the lifetime, e.g. 3600, or remove `max_age` for Portkey's default"
            ),
        );
    } else if max_age.fract() != 0.0 {
        report.value(
            path,
            format!(
                "`max_age` must be a whole number, got {value}: Portkey cuts it down with parseInt; \
                 write `{}`",
                max_age.ceil()
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(value: Value) -> Vec<(String, crate::portkey::Blame, String)> {
        let mut report = Report::default();
        check_cache(&value, &JsonPath::root().key("cache"), &mut report);
        report
            .into_errors()
            .into_iter()
            .map(|e| (e.path_string(), e.at, e.message))
            .collect()
    }

    #[test]
    fn accepts_valid_caches() {
        assert!(check(json!({"mode": "simple"})).is_empty());
        assert!(check(json!({"mode": "semantic", "max_age": 3600})).is_empty());
        assert!(check(json!({"mode": "simple", "max_age": 60.0})).is_empty());
    }

    #[test]
    fn requires_an_object_with_a_mode() {
        let errors = check(json!("simple"));
        assert_eq!(
            errors[0].2,
            "`cache` must be an object, found a string: write `{\"mode\": \"simple\"}`"
        );
        let errors = check(json!(true));
        assert!(
            errors[0]
                .2
                .ends_with("write e.g. `{\"mode\": \"simple\", \"max_age\": 3600}`")
        );
        let errors = check(json!({"max_age": 60}));
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].0, "cache");
        assert_eq!(errors[0].1, crate::portkey::Blame::Value);
        assert!(errors[0].2.starts_with("`cache` needs a `mode`"));
    }

    #[test]
    fn rejects_unknown_modes_with_a_suggestion() {
        let errors = check(json!({"mode": "semantc"}));
        assert_eq!(errors[0].0, "cache.mode");
        assert_eq!(
            errors[0].2,
            "unknown cache mode `semantc`; expected one of simple, semantic; did you mean `semantic`?"
        );
        assert_eq!(
            check(json!({"mode": "fuzzy"}))[0].2,
            "unknown cache mode `fuzzy`; expected one of simple, semantic"
        );
        assert!(
            check(json!({"mode": 1}))[0]
                .2
                .starts_with("cache `mode` must be a string")
        );
    }

    #[test]
    fn rejects_expired_and_fractional_max_age() {
        let zero = check(json!({"mode": "simple", "max_age": 0}));
        assert_eq!(zero[0].0, "cache.max_age");
        assert!(
            zero[0]
                .2
                .starts_with("`max_age` must be positive, got 0: an entry that is already expired")
        );
        assert!(
            check(json!({"mode": "simple", "max_age": -5}))[0]
                .2
                .contains("got -5")
        );
        assert!(
            check(json!({"mode": "simple", "max_age": 0.5}))[0]
                .2
                .ends_with("write `1`")
        );
        assert_eq!(
            check(json!({"mode": "simple", "max_age": "60"}))[0].2,
            "`max_age` must be a number, found a string: write `60` without quotes"
        );
    }

    #[test]
    fn rejects_unknown_keys() {
        let errors = check(json!({"mode": "simple", "maxAge": 60}));
        assert_eq!(errors[0].0, "cache.maxAge");
        assert_eq!(errors[0].1, crate::portkey::Blame::Key);
        assert!(errors[0].2.contains("write `max_age`"), "{}", errors[0].2);
        assert!(
            check(json!({"mode": "simple", "ttl": 60}))[0]
                .2
                .ends_with("expected one of mode, max_age")
        );
    }
}
