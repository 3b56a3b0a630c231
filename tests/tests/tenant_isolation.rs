//! Tenant isolation of the exact cache: with a cache scoped per user or per
//! namespace, no answer ever crosses scopes, under concurrency, with many
//! users sending the very same prompt, plain and streamed, misses and hits.
//! A control run without the scope shows the test would catch a crossing.

use std::sync::Arc;

use fastagentic::cache::{CacheControl, CacheScope, ExactCache};
use fastagentic::gateway::{GatewayReply, GatewayRequest, Node, NodeKind, Strategy, shared};
use fastagentic::llm::Message;
use fastagentic::prelude::*;
use fastagentic::testing::{MockProvider, MockReply};
use fastagentic::{BoxFuture, CallContext, ChatStream, GatewayError};
use futures_util::StreamExt;
use futures_util::future::join_all;

/// Below the cache: makes the provider's answer name the tenant the call
/// belongs to (the request the cache keys on stays identical for everyone).
struct Personal {
    inner: Arc<dyn LlmGateway>,
}

fn tenant(call: &CallContext) -> String {
    let namespace = call.cache_control().namespace.as_deref().unwrap_or("-");
    format!("{}/{namespace}", call.user_id().unwrap_or("-"))
}

impl Strategy for Personal {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn serve<'a>(
        &'a self,
        call: &'a CallContext,
        request: GatewayRequest,
    ) -> BoxFuture<'a, Result<GatewayReply, GatewayError>> {
        let personal = |mut chat: ChatRequest| {
            chat.messages
                .push(Message::user(format!("tenant {}", tenant(call))));
            chat
        };
        let request = match request {
            GatewayRequest::Chat(chat) => GatewayRequest::Chat(personal(chat)),
            GatewayRequest::Stream(chat) => GatewayRequest::Stream(personal(chat)),
            other => other,
        };
        self.inner.serve(call, request)
    }

    fn node(&self) -> Node<'_> {
        Node::wrapping(NodeKind::Strategy("personal"), self.inner.as_ref())
    }
}

/// The same prompt for everyone.
fn prompt() -> ChatRequest {
    ChatRequest::new("gpt-4o-mini").user("What is on my calendar today?")
}

async fn text_of(mut stream: ChatStream) -> String {
    let mut text = String::new();
    while let Some(item) = stream.next().await {
        text.push_str(item.expect("chunk").delta_text());
    }
    text
}

/// One call as `call` says, streamed or not; the answer's text.
async fn ask(cache: &ExactCache<Personal>, call: CallContext, streamed: bool) -> String {
    if streamed {
        text_of(cache.chat_stream(&call, prompt()).await.expect("stream")).await
    } else {
        cache
            .chat(&call, prompt())
            .await
            .expect("answer")
            .text()
            .to_owned()
    }
}

async fn cache_over_echo(scope: CacheScope) -> (ExactCache<Personal>, MockProvider) {
    let mock = MockProvider::start().await;
    mock.set_default(MockReply::echo());
    let upstream = shared(OpenAiGateway::new("sk-test").base_url(mock.base_url()));
    (
        ExactCache::new(Personal { inner: upstream }).scope(scope),
        mock,
    )
}

const USERS: usize = 40;
const ROUNDS: usize = 3;

/// Every user asks the same prompt `ROUNDS` times, all users at once, half of
/// the calls streamed; returns (user, answer) for every call.
async fn everyone_asks(
    cache: &ExactCache<Personal>,
    call: impl Fn(usize) -> CallContext,
) -> Vec<(usize, String)> {
    let mut answers = Vec::new();
    for round in 0..ROUNDS {
        let calls = (0..USERS).map(|user| {
            let streamed = (user + round) % 2 == 0;
            let call = call(user);
            async move { (user, ask(cache, call, streamed).await) }
        });
        answers.extend(join_all(calls).await);
    }
    answers
}

#[tokio::test]
async fn a_per_user_cache_never_serves_one_users_answer_to_another() {
    let (cache, mock) = cache_over_echo(CacheScope {
        per_user: true,
        ..CacheScope::default()
    })
    .await;
    let answers = everyone_asks(&cache, |user| {
        CallContext::detached().with_user(Some(format!("user-{user}").into()))
    })
    .await;
    for (user, answer) in &answers {
        assert!(
            answer.ends_with(&format!("tenant user-{user}/-")),
            "user-{user} got {answer:?}"
        );
    }
    assert_eq!(answers.len(), USERS * ROUNDS);
    // The later rounds were hits: each user reached the provider at most
    // once per first-round race, never once per round.
    assert!(
        mock.request_count() < USERS * ROUNDS,
        "the cache served hits: {} upstream calls",
        mock.request_count()
    );
}

#[tokio::test]
async fn a_namespace_keeps_its_answers_to_itself() {
    let (cache, _mock) = cache_over_echo(CacheScope::default()).await;
    let answers = everyone_asks(&cache, |tenant| {
        CallContext::detached().with_cache_control(CacheControl {
            namespace: Some(format!("team-{}", tenant % 8).into()),
            ..CacheControl::default()
        })
    })
    .await;
    for (tenant, answer) in &answers {
        assert!(
            answer.ends_with(&format!("tenant -/team-{}", tenant % 8)),
            "team-{} got {answer:?}",
            tenant % 8
        );
    }
}

#[tokio::test]
async fn without_a_scope_the_same_prompt_is_one_entry_for_everyone() {
    // The control: the test above would see a crossing if there was one.
    let (cache, _mock) = cache_over_echo(CacheScope::default()).await;
    let answers = everyone_asks(&cache, |user| {
        CallContext::detached().with_user(Some(format!("user-{user}").into()))
    })
    .await;
    let crossed = answers
        .iter()
        .filter(|(user, answer)| !answer.ends_with(&format!("tenant user-{user}/-")))
        .count();
    assert!(crossed > 0, "an unscoped cache shares one entry");
}
