//! `on_status_codes` lists: in `strategy` (which responses make a `fallback`
//! try the next target) and in `retry` (which responses are retried).
//!
//! The gateway's schema only asks for numbers. At request time it compares
//! each response status with `includes`, before it looks at success: a 2xx
//! code in `retry.on_status_codes` retries successful calls, in
//! `strategy.on_status_codes` it falls back after a success, and an empty list
//! silently turns the feature off (`src/handlers/retryHandler.ts`,
//! `tryTargetsRecursively` in `src/handlers/handlerUtils.ts`, v1.15.2).
//! So every code must be a whole number in 100..=599 and an error status
//! (400..=599), and the list must not be empty.

use serde_json::Value;

use super::error::{JsonPath, Report};
use super::schema::describe;

/// What a list of status codes triggers, for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Trigger {
    /// `retry.on_status_codes`.
    Retry,
    /// `strategy.on_status_codes`.
    Fallback,
}

/// Checks an `on_status_codes` value at `path`.
pub(crate) fn check_status_codes(
    value: &Value,
    path: &JsonPath,
    trigger: Trigger,
    report: &mut Report,
) {
    let Value::Array(codes) = value else {
        report.value(
            path,
            format!(
                "`on_status_codes` must be an array of HTTP status codes, found {}: write e.g. `[429, 503]`",
                describe(value)
            ),
        );
        return;
    };
    if codes.is_empty() {
        let without = match trigger {
            Trigger::Retry => {
                "retries never trigger; remove the key to retry on Portkey's defaults \
                               [429, 500, 502, 503, 504]"
            }
            Trigger::Fallback => {
                "the fallback never moves on; remove the key to fall back after \
                                  any non-2xx response"
            }
        };
        report.value(path, format!("`on_status_codes` is empty, so {without}"));
        return;
    }
    for (index, code) in codes.iter().enumerate() {
        let code_path = path.index(index);
        let Some(number) = code.as_f64() else {
            let hint = match code
                .as_str()
                .and_then(|text| text.trim().parse::<u16>().ok())
            {
                Some(parsed) => format!(": write `{parsed}` without quotes"),
                None => String::new(),
            };
            report.value(
                &code_path,
                format!(
                    "a status code must be a number, found {}{hint}",
                    describe(code)
                ),
            );
            continue;
        };
        if number.fract() != 0.0 || !(100.0..=599.0).contains(&number) {
            report.value(
                &code_path,
                format!("`{code}` is not an HTTP status code: write a whole number in 100..=599, e.g. 429"),
            );
            continue;
        }
        if number < 400.0 {
            let effect = match trigger {
                Trigger::Retry => "retrying on it would repeat requests that did not fail",
                Trigger::Fallback => "falling back on it would skip answers that did not fail",
            };
            report.value(
                &code_path,
                format!("`{code}` is not an error status: {effect}; use codes in 400..=599, e.g. 429 or 503"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(value: Value, trigger: Trigger) -> Vec<(String, String)> {
        let mut report = Report::default();
        let path = JsonPath::root().key("retry").key("on_status_codes");
        check_status_codes(&value, &path, trigger, &mut report);
        report
            .into_errors()
            .into_iter()
            .map(|e| (e.path_string(), e.message))
            .collect()
    }

    #[test]
    fn accepts_error_statuses() {
        assert!(check(json!([429, 500, 502, 503, 504]), Trigger::Retry).is_empty());
        assert!(check(json!([400, 599, 408.0]), Trigger::Fallback).is_empty());
    }

    #[test]
    fn rejects_non_arrays_and_empty_lists() {
        let errors = check(json!(429), Trigger::Retry);
        assert_eq!(
            errors[0].1,
            "`on_status_codes` must be an array of HTTP status codes, found a number: write e.g. `[429, 503]`"
        );
        let retry = check(json!([]), Trigger::Retry);
        assert!(retry[0].1.contains("retries never trigger"), "{retry:?}");
        let fallback = check(json!([]), Trigger::Fallback);
        assert!(
            fallback[0].1.contains("the fallback never moves on"),
            "{fallback:?}"
        );
    }

    #[test]
    fn rejects_each_bad_code_at_its_index() {
        let errors = check(
            json!([429, "503", 42, 600, 429.5, 200, null, "x"]),
            Trigger::Retry,
        );
        let paths: Vec<&str> = errors.iter().map(|(path, _)| path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "retry.on_status_codes[1]",
                "retry.on_status_codes[2]",
                "retry.on_status_codes[3]",
                "retry.on_status_codes[4]",
                "retry.on_status_codes[5]",
                "retry.on_status_codes[6]",
                "retry.on_status_codes[7]",
            ]
        );
        assert_eq!(
            errors[0].1,
            "a status code must be a number, found a string: write `503` without quotes"
        );
        assert_eq!(
            errors[1].1,
            "`42` is not an HTTP status code: write a whole number in 100..=599, e.g. 429"
        );
        assert!(errors[2].1.starts_with("`600` is not an HTTP status code"));
        assert!(
            errors[3]
                .1
                .starts_with("`429.5` is not an HTTP status code")
        );
        assert!(
            errors[4]
                .1
                .contains("retrying on it would repeat requests that did not fail")
        );
        assert_eq!(errors[5].1, "a status code must be a number, found null");
        assert_eq!(
            errors[6].1,
            "a status code must be a number, found a string"
        );
        let fallback = check(json!([301]), Trigger::Fallback);
        assert!(
            fallback[0]
                .1
                .contains("falling back on it would skip answers")
        );
    }
}
