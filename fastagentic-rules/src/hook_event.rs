//! Hook event names: the moments of a request a `#[hook]` can attach to.
//!
//! The proc macro checks `#[hook("...")]` literals with
//! [`check_hook_event`]; the runtime checks hooks registered by name with the
//! same function.

use crate::suggest::closest;

/// Every hook event, in the order they happen in a server's life and a request's.
pub const HOOK_EVENTS: &[&str] = &[
    "on_startup",
    "on_shutdown",
    "on_request",
    "on_response",
    "on_llm_start",
    "on_llm_end",
    "on_error",
    "on_retry",
];

/// Checks that `name` is one of [`HOOK_EVENTS`].
///
/// The error lists the events and, when one is close, suggests it:
///
/// ```
/// use fastagentic_rules::hook_event::check_hook_event;
/// assert!(check_hook_event("on_llm_end").is_ok());
/// let error = check_hook_event("on_llm_ends").err().unwrap_or_default();
/// assert!(error.ends_with("did you mean `on_llm_end`?"));
/// ```
pub fn check_hook_event(name: &str) -> Result<(), String> {
    if HOOK_EVENTS.contains(&name) {
        return Ok(());
    }
    let mut message = if name.is_empty() {
        "hook event is empty".to_owned()
    } else {
        format!("unknown hook event `{name}`")
    };
    message.push_str("; expected one of ");
    message.push_str(&HOOK_EVENTS.join(", "));
    if let Some(suggestion) = closest(name, HOOK_EVENTS) {
        message.push_str(&format!("; did you mean `{suggestion}`?"));
    }
    Err(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_every_event() {
        for event in HOOK_EVENTS {
            assert_eq!(check_hook_event(event), Ok(()), "{event}");
        }
        assert_eq!(HOOK_EVENTS.len(), 8);
    }

    #[test]
    fn suggests_the_close_event() {
        assert_eq!(
            check_hook_event("on_llm_ends"),
            Err(
                "unknown hook event `on_llm_ends`; expected one of on_startup, on_shutdown, \
                 on_request, on_response, on_llm_start, on_llm_end, on_error, on_retry; \
                 did you mean `on_llm_end`?"
                    .to_owned()
            )
        );
        assert!(
            check_hook_event("on_startup_")
                .expect_err("must be rejected")
                .ends_with("did you mean `on_startup`?")
        );
        assert!(
            check_hook_event("onerror")
                .expect_err("must be rejected")
                .ends_with("did you mean `on_error`?")
        );
        assert!(
            check_hook_event("On_Retry")
                .expect_err("must be rejected")
                .ends_with("did you mean `on_retry`?")
        );
    }

    #[test]
    fn lists_the_events_without_a_suggestion_when_nothing_is_close() {
        let error = check_hook_event("before_everything").expect_err("must be rejected");
        assert_eq!(
            error,
            "unknown hook event `before_everything`; expected one of on_startup, on_shutdown, \
             on_request, on_response, on_llm_start, on_llm_end, on_error, on_retry"
        );
    }

    #[test]
    fn names_an_empty_event() {
        assert!(
            check_hook_event("")
                .expect_err("must be rejected")
                .starts_with("hook event is empty; expected one of")
        );
    }
}
