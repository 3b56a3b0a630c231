//! What of a chat request the semantic cache embeds, and what must match
//! exactly.
//!
//! The embedded text is the **last user turn** only. Everything else — the
//! model and every other parameter, the system prompt, the tools, the
//! earlier turns, the namespace and (when asked) the user — goes into the
//! scope key, which must be equal for two requests to be compared at all.
//! Why: a sentence embedding of a whole conversation is dominated by what the
//! turns share (a long system prompt makes every request look alike), while
//! an answer depends on all of it; comparing the one part that varies, and
//! requiring the rest to be identical, keeps the cosine about the question.

use crate::cache::{CacheKey, CacheScope};
use crate::gateway::{CallContext, GatewayRequest};
use crate::llm::{Content, Role};

/// Portkey's limit: only conversations of at most this many messages are
/// matched semantically.
pub const DEFAULT_MAX_MESSAGES: usize = 4;

/// The part of a request the semantic cache compares by meaning.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SemanticPrompt {
    /// The text embedded: the last user turn.
    pub text: String,
    /// Everything else, hashed: requests are compared only within a scope.
    pub scope: CacheKey,
}

/// Why a request is not matched by meaning (it is still cached exactly).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ineligible {
    /// Embeddings, not a chat.
    NotChat,
    /// More messages than the limit.
    TooManyMessages,
    /// The last message is not a user's text.
    NoUserText,
    /// The user turn is longer than the limit.
    TooLong,
}

impl SemanticPrompt {
    /// The last user turn of `request` and its scope, or why it has none.
    pub(crate) fn of(
        request: &GatewayRequest,
        call: &CallContext,
        scope: &CacheScope,
        max_messages: usize,
        max_chars: usize,
    ) -> Result<Self, Ineligible> {
        let (GatewayRequest::Chat(chat) | GatewayRequest::Stream(chat)) = request else {
            return Err(Ineligible::NotChat);
        };
        if chat.messages.len() > max_messages {
            return Err(Ineligible::TooManyMessages);
        }
        let Some(last) = chat.messages.last() else {
            return Err(Ineligible::NoUserText);
        };
        let text = match (&last.role, &last.content) {
            (Role::User, Some(Content::Text(text))) => text.clone(),
            _ => return Err(Ineligible::NoUserText),
        };
        if text.trim().is_empty() {
            return Err(Ineligible::NoUserText);
        }
        if text.chars().count() > max_chars {
            return Err(Ineligible::TooLong);
        }
        // The request with the embedded text blanked: what must be equal.
        let mut rest = chat.clone();
        if let Some(last) = rest.messages.last_mut() {
            last.content = Some(Content::Text(String::new()));
        }
        let scope = CacheKey::of(&GatewayRequest::Chat(rest), call, scope);
        Ok(Self { text, scope })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ChatRequest;

    fn of(request: ChatRequest) -> Result<SemanticPrompt, Ineligible> {
        SemanticPrompt::of(
            &GatewayRequest::Chat(request),
            &CallContext::detached(),
            &CacheScope::default(),
            DEFAULT_MAX_MESSAGES,
            2_000,
        )
    }

    #[test]
    fn the_last_user_turn_is_embedded_and_the_rest_scopes() {
        let a = of(ChatRequest::new("m").system("s").user("hello there")).unwrap();
        let b = of(ChatRequest::new("m").system("s").user("hi there")).unwrap();
        assert_eq!(a.text, "hello there");
        assert_eq!(a.scope, b.scope);
        let other_system = of(ChatRequest::new("m").system("t").user("hi there")).unwrap();
        assert_ne!(a.scope, other_system.scope);
        let other_model = of(ChatRequest::new("n").system("s").user("hi there")).unwrap();
        assert_ne!(a.scope, other_model.scope);
        let warmer = of(ChatRequest::new("m")
            .system("s")
            .user("hi there")
            .temperature(0.9))
        .unwrap();
        assert_ne!(a.scope, warmer.scope);
    }

    #[test]
    fn long_conversations_and_non_user_turns_are_not_eligible() {
        let long = ChatRequest::new("m")
            .user("a")
            .assistant("b")
            .user("c")
            .assistant("d")
            .user("e");
        assert_eq!(of(long), Err(Ineligible::TooManyMessages));
        assert_eq!(
            of(ChatRequest::new("m").user("a").assistant("b")),
            Err(Ineligible::NoUserText)
        );
        assert_eq!(
            of(ChatRequest::new("m").user("x".repeat(2_001))),
            Err(Ineligible::TooLong)
        );
    }
}
