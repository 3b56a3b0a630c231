//! The points in a request's life where hooks run.

use std::fmt;

/// When a hook runs. The names are those of `#[hook("...")]`, checked at
/// compile time against the same list (`fastagentic_rules::hook_event`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HookEvent {
    /// Once, when the server starts, before it accepts requests.
    OnStartup,
    /// Once, when the server has drained and stops.
    OnShutdown,
    /// Before an endpoint runs; may modify the input, identify the user, or reject.
    OnRequest,
    /// After an endpoint ran; may modify the output.
    OnResponse,
    /// Before each LLM call; may modify the chat request or reject it.
    OnLlmStart,
    /// After each LLM call, with usage, cost and the gateway's metadata.
    OnLlmEnd,
    /// When a request or an LLM call fails.
    OnError,
    /// Before a retry of an LLM call.
    OnRetry,
}

impl HookEvent {
    /// Every event, in the order of [`fastagentic_rules::hook_event::HOOK_EVENTS`].
    pub const ALL: &'static [HookEvent] = &[
        HookEvent::OnStartup,
        HookEvent::OnShutdown,
        HookEvent::OnRequest,
        HookEvent::OnResponse,
        HookEvent::OnLlmStart,
        HookEvent::OnLlmEnd,
        HookEvent::OnError,
        HookEvent::OnRetry,
    ];

    /// The event's name, as written in `#[hook("...")]`.
    pub fn as_str(self) -> &'static str {
        fastagentic_rules::hook_event::HOOK_EVENTS[self.index()]
    }

    /// The event named `name`, or the rules' message listing the valid names.
    pub fn from_name(name: &str) -> Result<Self, String> {
        fastagentic_rules::hook_event::check_hook_event(name)?;
        Self::ALL
            .iter()
            .copied()
            .find(|e| e.as_str() == name)
            .ok_or_else(|| format!("unknown hook event `{name}`"))
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for HookEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_the_shared_rules() {
        assert_eq!(
            HookEvent::ALL.len(),
            fastagentic_rules::hook_event::HOOK_EVENTS.len()
        );
        for event in HookEvent::ALL {
            assert_eq!(HookEvent::from_name(event.as_str()), Ok(*event));
        }
        assert!(
            HookEvent::from_name("on_llm_ends")
                .unwrap_err()
                .contains("on_llm_end")
        );
    }
}
