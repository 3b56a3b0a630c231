//! Bounds on the built-in gateway's reliability options: retry, backoff,
//! rate limits, circuit breaker and timeouts.
//!
//! The runtime (`fastagentic::reliability`) calls these in its start-up
//! `check()`; the `#[agent_endpoint(retry = .., rate_limit = .., timeout = ..)]`
//! keys call the same functions on literals, so both give the same verdict.
//! Durations are in milliseconds, as a macro literal would write them.

use crate::suggest::closest;

/// The most attempts a retry policy may make (the first call included).
pub const MAX_ATTEMPTS: u64 = 20;

/// The longest backoff delay, in milliseconds (10 minutes): longer is a queue, not a retry.
pub const MAX_DELAY_MS: u64 = 600_000;

/// The backoff shapes, as written in `backoff = "..."`.
pub const BACKOFF_KINDS: &[&str] = &["fixed", "linear", "exponential"];

/// The error classes a retry policy, a fallback chain or a circuit breaker can
/// name, as written in `retry_on = [...]`.
///
/// - `rate_limit`: the provider answered 429, or a local rate limit refused the call
/// - `timeout`: no answer in time (a per-call timeout or a 408)
/// - `server_error`: the provider answered 5xx
/// - `connection`: the provider could not be reached, or a stream broke before its first chunk
pub const ERROR_CLASSES: &[&str] = &["rate_limit", "timeout", "server_error", "connection"];

/// Checks a retry policy's `max_attempts` (the first call included): 1 to [`MAX_ATTEMPTS`].
///
/// ```
/// use fastagentic_rules::reliability::check_retry_attempts;
/// assert!(check_retry_attempts(3).is_ok());
/// assert!(check_retry_attempts(0).is_err());
/// ```
pub fn check_retry_attempts(attempts: u64) -> Result<(), String> {
    if attempts == 0 {
        return Err(
            "`max_attempts` is 0, so the call would never be made: it counts the first \
             call too, so write 1 for no retries or e.g. 3 for two retries"
                .to_owned(),
        );
    }
    if attempts > MAX_ATTEMPTS {
        return Err(format!(
            "`max_attempts` is {attempts}, more than {MAX_ATTEMPTS}: a call failing that often \
             is down, not flaky; lower it and add a fallback target or a circuit breaker instead"
        ));
    }
    Ok(())
}

/// Checks backoff delays: `max_delay` at least `initial_delay`, and at most
/// [`MAX_DELAY_MS`].
///
/// ```
/// use fastagentic_rules::reliability::check_delays;
/// assert!(check_delays(100, 2_000).is_ok());
/// assert!(check_delays(500, 100).is_err());
/// ```
pub fn check_delays(initial_ms: u64, max_ms: u64) -> Result<(), String> {
    if max_ms < initial_ms {
        return Err(format!(
            "`max_delay` ({max_ms} ms) is below `initial_delay` ({initial_ms} ms): the cap would \
             cut every delay; raise `max_delay` to at least {initial_ms} ms or lower `initial_delay`"
        ));
    }
    if max_ms > MAX_DELAY_MS {
        return Err(format!(
            "`max_delay` is {max_ms} ms, more than {MAX_DELAY_MS} ms (10 minutes): a caller \
             waiting that long has gone; lower it and let a fallback target answer instead"
        ));
    }
    Ok(())
}

/// Checks a jitter fraction: a number from 0 (none) to 1 (full jitter).
///
/// ```
/// use fastagentic_rules::reliability::check_jitter;
/// assert!(check_jitter(0.5).is_ok());
/// assert!(check_jitter(1.5).is_err());
/// ```
pub fn check_jitter(fraction: f64) -> Result<(), String> {
    if fraction.is_finite() && (0.0..=1.0).contains(&fraction) {
        return Ok(());
    }
    Err(format!(
        "`jitter` is {fraction}, not a fraction from 0 to 1: 0 waits the exact backoff, 1 waits \
         a random time up to it, 0.2 waits between 80% and 100% of it"
    ))
}

/// Checks a backoff shape's name against [`BACKOFF_KINDS`].
///
/// ```
/// use fastagentic_rules::reliability::check_backoff;
/// assert!(check_backoff("exponential").is_ok());
/// assert!(check_backoff("exponentail").unwrap_err().ends_with("did you mean `exponential`?"));
/// ```
pub fn check_backoff(name: &str) -> Result<(), String> {
    check_name("backoff", name, BACKOFF_KINDS)
}

/// Checks an error class's name against [`ERROR_CLASSES`].
///
/// ```
/// use fastagentic_rules::reliability::check_error_class;
/// assert!(check_error_class("rate_limit").is_ok());
/// assert!(check_error_class("ratelimit").unwrap_err().ends_with("did you mean `rate_limit`?"));
/// ```
pub fn check_error_class(name: &str) -> Result<(), String> {
    check_name("error class", name, ERROR_CLASSES)
}

/// Checks a status code named in `retry_on`/`fallback_on`: an error status, 400 to 599.
///
/// ```
/// use fastagentic_rules::reliability::check_error_status;
/// assert!(check_error_status(409).is_ok());
/// assert!(check_error_status(200).is_err());
/// ```
pub fn check_error_status(status: u64) -> Result<(), String> {
    if (400..=599).contains(&status) {
        return Ok(());
    }
    Err(format!(
        "status {status} is not an error status: name a status from 400 to 599 (e.g. 409), or an \
         error class ({})",
        ERROR_CLASSES.join(", ")
    ))
}

/// Checks a rate (requests per minute): at least 1.
///
/// ```
/// use fastagentic_rules::reliability::check_rate;
/// assert!(check_rate(60).is_ok());
/// assert!(check_rate(0).is_err());
/// ```
pub fn check_rate(per_minute: u64) -> Result<(), String> {
    if per_minute == 0 {
        return Err(
            "`requests_per_minute` is 0, which would refuse every call: write a positive \
             rate, or leave the limit out to have none"
                .to_owned(),
        );
    }
    Ok(())
}

/// Checks a token rate (tokens per minute): at least 1.
///
/// ```
/// use fastagentic_rules::reliability::check_token_rate;
/// assert!(check_token_rate(90_000).is_ok());
/// assert!(check_token_rate(0).is_err());
/// ```
pub fn check_token_rate(per_minute: u64) -> Result<(), String> {
    if per_minute == 0 {
        return Err(
            "`tokens_per_minute` is 0, which would refuse every call: write a positive \
             rate, or leave the limit out to have none"
                .to_owned(),
        );
    }
    Ok(())
}

/// Checks a rate limit's burst (calls let through at once) against its rate:
/// at least 1, at most the rate per minute.
///
/// ```
/// use fastagentic_rules::reliability::check_burst;
/// assert!(check_burst(5, 60).is_ok());
/// assert!(check_burst(0, 60).is_err());
/// assert!(check_burst(100, 60).is_err());
/// ```
pub fn check_burst(burst: u64, per_minute: u64) -> Result<(), String> {
    if burst == 0 {
        return Err(
            "`burst` is 0, which would refuse every call: write at least 1 (calls that may go \
             at once), or leave it out to allow a minute's worth"
                .to_owned(),
        );
    }
    if burst > per_minute {
        return Err(format!(
            "`burst` ({burst}) is more than the rate ({per_minute} per minute): at most a \
             minute's worth can go at once; lower `burst` to {per_minute} or less"
        ));
    }
    Ok(())
}

/// Checks a circuit breaker: a failure threshold of at least 1, over a window
/// of at least 1 ms and at most an hour.
///
/// ```
/// use fastagentic_rules::reliability::check_breaker;
/// assert!(check_breaker(5, 60_000).is_ok());
/// assert!(check_breaker(0, 60_000).is_err());
/// assert!(check_breaker(5, 0).is_err());
/// ```
pub fn check_breaker(threshold: u64, window_ms: u64) -> Result<(), String> {
    if threshold == 0 {
        return Err(
            "`failure_threshold` is 0, so the circuit would open without any failure: write \
             the failures that open it, e.g. 5"
                .to_owned(),
        );
    }
    if threshold > u64::from(u32::MAX) {
        return Err(format!(
            "`failure_threshold` is {threshold}, more than a breaker can count; write e.g. 5"
        ));
    }
    if window_ms == 0 || window_ms > 3_600_000 {
        return Err(format!(
            "`window` is {window_ms} ms: failures are counted over a window from 1 ms to an hour \
             (3600000 ms); write e.g. 60000 for a minute"
        ));
    }
    Ok(())
}

/// Checks a duration that must be positive: a circuit breaker's `cooldown`,
/// a per-call `timeout`, a retry policy's `total_timeout`.
///
/// ```
/// use fastagentic_rules::reliability::check_positive_ms;
/// assert!(check_positive_ms("timeout", 30_000).is_ok());
/// assert!(check_positive_ms("timeout", 0).unwrap_err().starts_with("`timeout` is 0 ms"));
/// ```
pub fn check_positive_ms(what: &str, ms: u64) -> Result<(), String> {
    if ms == 0 {
        return Err(format!(
            "`{what}` is 0 ms, which leaves no time at all: write a positive duration, or leave \
             it out to have none"
        ));
    }
    Ok(())
}

/// Checks the number of probe calls a half-open breaker lets through: at least 1.
///
/// ```
/// use fastagentic_rules::reliability::check_half_open_probes;
/// assert!(check_half_open_probes(1).is_ok());
/// assert!(check_half_open_probes(0).is_err());
/// ```
pub fn check_half_open_probes(probes: u64) -> Result<(), String> {
    if probes == 0 || probes > u64::from(u32::MAX) {
        return Err(format!(
            "`half_open_probes` is {probes}: a half-open breaker needs at least 1 probe call to \
             learn whether the target recovered; write e.g. 1"
        ));
    }
    Ok(())
}

fn check_name(what: &str, name: &str, allowed: &[&str]) -> Result<(), String> {
    if allowed.contains(&name) {
        return Ok(());
    }
    let mut message = format!(
        "unknown {what} `{name}`; expected one of {}",
        allowed.join(", ")
    );
    if let Some(suggestion) = closest(name, allowed) {
        message.push_str(&format!("; did you mean `{suggestion}`?"));
    }
    Err(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attempts() {
        assert!(check_retry_attempts(1).is_ok());
        assert!(check_retry_attempts(MAX_ATTEMPTS).is_ok());
        assert!(
            check_retry_attempts(0)
                .unwrap_err()
                .contains("write 1 for no retries")
        );
        assert!(check_retry_attempts(MAX_ATTEMPTS + 1).is_err());
    }

    #[test]
    fn delays() {
        assert!(check_delays(0, 0).is_ok());
        assert!(check_delays(100, 100).is_ok());
        assert_eq!(
            check_delays(500, 100),
            Err(
                "`max_delay` (100 ms) is below `initial_delay` (500 ms): the cap would cut \
                 every delay; raise `max_delay` to at least 500 ms or lower `initial_delay`"
                    .to_owned()
            )
        );
        assert!(check_delays(0, MAX_DELAY_MS + 1).is_err());
    }

    #[test]
    fn jitter() {
        assert!(check_jitter(0.0).is_ok());
        assert!(check_jitter(1.0).is_ok());
        assert!(check_jitter(-0.1).is_err());
        assert!(check_jitter(f64::NAN).is_err());
    }

    #[test]
    fn names() {
        for name in BACKOFF_KINDS {
            assert!(check_backoff(name).is_ok());
        }
        for name in ERROR_CLASSES {
            assert!(check_error_class(name).is_ok());
        }
        assert_eq!(
            check_error_class("server_errors"),
            Err(
                "unknown error class `server_errors`; expected one of rate_limit, timeout, \
                 server_error, connection; did you mean `server_error`?"
                    .to_owned()
            )
        );
        assert!(check_backoff("random").is_err());
    }

    #[test]
    fn rates_and_breakers() {
        assert!(check_rate(1).is_ok());
        assert!(check_token_rate(1).is_ok());
        assert!(check_burst(1, 1).is_ok());
        assert!(check_burst(2, 1).is_err());
        assert!(check_breaker(1, 1).is_ok());
        assert!(check_breaker(1, 3_600_001).is_err());
        assert!(check_half_open_probes(2).is_ok());
        assert!(check_error_status(599).is_ok());
        assert!(check_error_status(600).is_err());
    }
}
