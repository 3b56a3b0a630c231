//! Bounds on the LiteLLM gateway's options, checked on literals by the macros
//! and on values from env or files by `fastagentic-litellm`.
//!
//! - `fallback_models` become the proxy's `fallbacks` request field: models
//!   tried, in order, after the request's own model fails.
//! - `num_retries` is the proxy's `num_retries`: retries of a failed call.
//! - `timeout_secs` bounds one call.

/// Checks a `fallback_models` list: at least one model, no blank name, no
/// model listed twice.
///
/// ```
/// use fastagentic_rules::litellm::check_fallback_models;
/// assert!(check_fallback_models(&["gpt-4o-mini", "claude-3-haiku"]).is_ok());
/// assert!(check_fallback_models(&[]).is_err());
/// ```
pub fn check_fallback_models(models: &[&str]) -> Result<(), String> {
    if models.is_empty() {
        return Err(
            "`fallback_models` is empty: list at least one model name, e.g. \
                    `[\"gpt-4o-mini\"]`, or don't call `fallback_models` to have no fallbacks"
                .to_owned(),
        );
    }
    for (index, model) in models.iter().enumerate() {
        if model.trim().is_empty() {
            return Err(format!(
                "fallback model #{} is blank: write a model name the LiteLLM proxy knows (a \
                 `model_name` from its `model_list`), e.g. `gpt-4o-mini`",
                index + 1
            ));
        }
        if model.trim() != *model {
            return Err(format!(
                "fallback model {model:?} has surrounding whitespace: write `{}`",
                model.trim()
            ));
        }
        if let Some(first) = models[..index].iter().position(|earlier| earlier == model) {
            return Err(format!(
                "fallback model `{model}` is listed twice (#{} and #{}): a model that failed is \
                 not tried again, so remove the repeat",
                first + 1,
                index + 1
            ));
        }
    }
    Ok(())
}

/// Checks `num_retries`: at least 1.
///
/// ```
/// use fastagentic_rules::litellm::check_num_retries;
/// assert!(check_num_retries(3).is_ok());
/// assert!(check_num_retries(0).is_err());
/// ```
pub fn check_num_retries(n: i64) -> Result<(), String> {
    if n >= 1 {
        return Ok(());
    }
    let what = if n == 0 {
        "0 retries means none"
    } else {
        "a negative count means nothing"
    };
    Err(format!(
        "`num_retries` must be at least 1, got {n} ({what}); to disable retries, don't call \
         `num_retries` at all"
    ))
}

/// Checks `timeout_secs`: a finite number of seconds greater than 0.
///
/// ```
/// use fastagentic_rules::litellm::check_timeout_secs;
/// assert!(check_timeout_secs(30.0).is_ok());
/// assert!(check_timeout_secs(0.0).is_err());
/// ```
pub fn check_timeout_secs(secs: f64) -> Result<(), String> {
    if secs.is_nan() {
        return Err(
            "`timeout_secs` is NaN: write a number of seconds greater than 0, e.g. `30.0`"
                .to_owned(),
        );
    }
    if secs.is_infinite() {
        return Err(format!(
            "`timeout_secs` is {secs}: write a finite number of seconds, e.g. `30.0`, or don't \
             call `timeout_secs` to keep the default"
        ));
    }
    if secs <= 0.0 {
        return Err(format!(
            "`timeout_secs` must be greater than 0, got {secs}: a call with no time would always \
             time out; write a number of seconds such as `30.0`"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fallback_models_accepts_distinct_names() {
        assert_eq!(check_fallback_models(&["a"]), Ok(()));
        assert_eq!(
            check_fallback_models(&["gpt-4o", "openai/gpt-4o-mini", "claude-3-haiku"]),
            Ok(())
        );
    }

    #[test]
    fn fallback_models_rejects_an_empty_list() {
        let error = check_fallback_models(&[]).expect_err("must be rejected");
        assert!(error.starts_with("`fallback_models` is empty"), "{error}");
        assert!(error.contains("don't call `fallback_models`"), "{error}");
    }

    #[test]
    fn fallback_models_rejects_blank_names() {
        assert!(
            check_fallback_models(&["a", ""])
                .expect_err("must be rejected")
                .starts_with("fallback model #2 is blank")
        );
        assert!(
            check_fallback_models(&["  "])
                .expect_err("must be rejected")
                .starts_with("fallback model #1 is blank")
        );
        assert_eq!(
            check_fallback_models(&[" gpt-4o"]),
            Err("fallback model \" gpt-4o\" has surrounding whitespace: write `gpt-4o`".to_owned())
        );
    }

    #[test]
    fn fallback_models_names_the_duplicate() {
        assert_eq!(
            check_fallback_models(&["a", "b", "a"]),
            Err(
                "fallback model `a` is listed twice (#1 and #3): a model that failed is not tried \
                 again, so remove the repeat"
                    .to_owned()
            )
        );
    }

    #[test]
    fn num_retries_bounds() {
        assert_eq!(check_num_retries(1), Ok(()));
        assert_eq!(check_num_retries(i64::MAX), Ok(()));
        let zero = check_num_retries(0).expect_err("must be rejected");
        assert!(zero.contains("got 0 (0 retries means none)"), "{zero}");
        assert!(
            zero.ends_with("to disable retries, don't call `num_retries` at all"),
            "{zero}"
        );
        let negative = check_num_retries(-2).expect_err("must be rejected");
        assert!(
            negative.contains("got -2 (a negative count means nothing)"),
            "{negative}"
        );
        assert!(check_num_retries(i64::MIN).is_err());
    }

    #[test]
    fn timeout_secs_bounds() {
        assert_eq!(check_timeout_secs(0.001), Ok(()));
        assert_eq!(check_timeout_secs(600.0), Ok(()));
        assert!(
            check_timeout_secs(0.0)
                .expect_err("must be rejected")
                .contains("greater than 0, got 0")
        );
        assert!(check_timeout_secs(-0.0).is_err());
        assert!(
            check_timeout_secs(-1.5)
                .expect_err("must be rejected")
                .contains("got -1.5")
        );
        assert!(
            check_timeout_secs(f64::NAN)
                .expect_err("must be rejected")
                .contains("NaN")
        );
        assert!(
            check_timeout_secs(f64::INFINITY)
                .expect_err("must be rejected")
                .contains("is inf")
        );
        assert!(check_timeout_secs(f64::NEG_INFINITY).is_err());
    }
}
