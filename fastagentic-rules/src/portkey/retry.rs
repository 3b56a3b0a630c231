//! `retry`: automatic retries of a config or target (inherited by children).
//!
//! Facts (Portkey-AI/gateway v1.15.2): the schema (`schema/config.ts`) wants
//! `attempts` (required number), `on_status_codes` (numbers) and
//! `use_retry_after_header` (boolean). The request context reads the
//! singular `useRetryAfterHeader`; Portkey's docs spell it
//! `use_retry_after_headers`, which the gateway silently drops. Hosted
//! Portkey retries "up to 5 times" and `MAX_RETRIES = 5` in `src/globals.ts`;
//! backoff doubles from 1 s and the gateway caps the total wait at 60 s
//! (`MAX_RETRY_LIMIT_MS`), so more than 5 attempts buys nothing.

use serde_json::Value;

use super::error::{JsonPath, Report};
use super::schema::{self, RETRY_KEYS, describe};
use super::status_codes::{Trigger, check_status_codes};

/// The most retry attempts Portkey makes.
pub const MAX_RETRY_ATTEMPTS: u64 = 5;

/// Checks the value of a `retry` key at `path`.
pub(crate) fn check_retry(value: &Value, path: &JsonPath, report: &mut Report) {
    let Value::Object(retry) = value else {
        let hint = match value.as_u64() {
            Some(n) => format!("write `{{\"attempts\": {n}}}`"),
            None => "write e.g. `{\"attempts\": 3}`".to_owned(),
        };
        report.value(
            path,
            format!(
                "`retry` must be an object, found {}: {hint}",
                describe(value)
            ),
        );
        return;
    };
    for (key, item) in retry {
        let item_path = path.key(key);
        match key.as_str() {
            "attempts" => check_attempts(item, &item_path, report),
            "on_status_codes" => check_status_codes(item, &item_path, Trigger::Retry, report),
            "use_retry_after_header" => {
                if !item.is_boolean() {
                    report.value(
                        &item_path,
                        format!("`use_retry_after_header` must be `true` or `false`, found {}", describe(item)),
                    );
                }
            }
            "use_retry_after_headers" => report.key(
                &item_path,
                "Portkey silently ignores `use_retry_after_headers` (the plural its docs use): gateway \
                 1.15.2 reads `use_retry_after_header`; rename the key",
            ),
            _ => report.key(&item_path, schema::unknown_key(key, "`retry`", RETRY_KEYS)),
        }
    }
    if !retry.contains_key("attempts") {
        report.value(
            path,
            "`retry` needs `attempts`: write e.g. `\"attempts\": 3` (at most 5)",
        );
    }
}

fn check_attempts(value: &Value, path: &JsonPath, report: &mut Report) {
    let Some(attempts) = value.as_f64() else {
        let hint = match value
            .as_str()
            .and_then(|text| text.trim().parse::<u64>().ok())
        {
            Some(n) => format!(": write `{n}` without quotes"),
            None => String::new(),
        };
        report.value(
            path,
            format!(
                "`attempts` must be a number, found {}{hint}",
                describe(value)
            ),
        );
        return;
    };
    if attempts.fract() != 0.0 || attempts < 0.0 {
        report.value(
            path,
            format!(
                "`attempts` must be a whole number from 0 to {MAX_RETRY_ATTEMPTS}, got {value}"
            ),
        );
    } else if attempts > MAX_RETRY_ATTEMPTS as f64 {
        report.value(
            path,
            format!(
                "`attempts` is {value}, but Portkey retries at most {MAX_RETRY_ATTEMPTS} times (backoff \
                 1, 2, 4, 8, 16 s within a 60 s budget); write {MAX_RETRY_ATTEMPTS} or fewer"
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::portkey::Blame;
    use serde_json::json;

    fn check(value: Value) -> Vec<(String, Blame, String)> {
        let mut report = Report::default();
        check_retry(&value, &JsonPath::root().key("retry"), &mut report);
        report
            .into_errors()
            .into_iter()
            .map(|e| (e.path_string(), e.at, e.message))
            .collect()
    }

    #[test]
    fn accepts_valid_retries() {
        assert!(check(json!({"attempts": 3})).is_empty());
        assert!(check(json!({"attempts": 0})).is_empty());
        assert!(check(json!({"attempts": 5, "on_status_codes": [429, 503], "use_retry_after_header": true})).is_empty());
    }

    #[test]
    fn requires_an_object_with_attempts() {
        assert_eq!(
            check(json!(3))[0].2,
            "`retry` must be an object, found a number: write `{\"attempts\": 3}`"
        );
        let missing = check(json!({"on_status_codes": [429]}));
        assert_eq!(missing.len(), 1);
        assert_eq!(
            (missing[0].0.as_str(), missing[0].1),
            ("retry", Blame::Value)
        );
        assert!(missing[0].2.starts_with("`retry` needs `attempts`"));
    }

    #[test]
    fn bounds_attempts() {
        assert_eq!(
            check(json!({"attempts": -1}))[0].2,
            "`attempts` must be a whole number from 0 to 5, got -1"
        );
        assert!(check(json!({"attempts": 2.5}))[0].2.ends_with("got 2.5"));
        let many = check(json!({"attempts": 10}));
        assert_eq!(many[0].0, "retry.attempts");
        assert!(
            many[0]
                .2
                .starts_with("`attempts` is 10, but Portkey retries at most 5 times")
        );
        assert_eq!(
            check(json!({"attempts": "3"}))[0].2,
            "`attempts` must be a number, found a string: write `3` without quotes"
        );
    }

    #[test]
    fn checks_status_codes_and_the_header_flag() {
        let errors = check(
            json!({"attempts": 3, "on_status_codes": [429, 200], "use_retry_after_header": "yes"}),
        );
        assert_eq!(errors.len(), 2);
        assert!(errors.iter().any(|e| e.0 == "retry.on_status_codes[1]"));
        assert!(errors.iter().any(|e| e.0 == "retry.use_retry_after_header" && e.2.contains("`true` or `false`")));
    }

    #[test]
    fn names_the_singular_for_the_ignored_plural() {
        let errors = check(json!({"attempts": 3, "use_retry_after_headers": true}));
        assert_eq!(errors.len(), 1);
        assert_eq!(
            (errors[0].0.as_str(), errors[0].1),
            ("retry.use_retry_after_headers", Blame::Key)
        );
        assert!(errors[0].2.contains("reads `use_retry_after_header`"));
    }

    #[test]
    fn rejects_unknown_keys_with_a_suggestion() {
        let errors = check(json!({"attempt": 3}));
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert_eq!(
            errors[0].2,
            "unknown key `attempt` in `retry`; did you mean `attempts`?"
        );
    }
}
