//! Routing pieces (load balancing, conditional routing) and the exact cache,
//! against mock providers.

use std::sync::Arc;
use std::time::Duration;

use fastagentic::cache::{CacheControl, CacheScope, ExactCache};
use fastagentic::gateway::shared;
use fastagentic::prelude::*;
use fastagentic::reliability::ErrorFilter;
use fastagentic::routing::{Balance, Conditional, LoadBalance};
use fastagentic::testing::{MockProvider, MockReply};
use fastagentic::{CallContext, ChatStream, EmbeddingRequest};
use futures_util::StreamExt;
use serde_json::{Value, json};

fn openai(mock: &MockProvider) -> Arc<dyn LlmGateway> {
    shared(OpenAiGateway::new("sk-test").base_url(mock.base_url()))
}

fn ask(text: &str) -> ChatRequest {
    ChatRequest::new("gpt-4o-mini").user(text)
}

async fn text_of(mut stream: ChatStream) -> String {
    let mut text = String::new();
    while let Some(item) = stream.next().await {
        text.push_str(item.unwrap().delta_text());
    }
    text
}

#[tokio::test]
async fn a_weighted_load_balance_spreads_by_weight_and_never_picks_zero() {
    let (a, b, zero) = (
        MockProvider::start().await,
        MockProvider::start().await,
        MockProvider::start().await,
    );
    let balanced = LoadBalance::new(Balance::Weighted)
        .target(openai(&a), 0.7)
        .target(openai(&b), 0.3)
        .target(openai(&zero), 0.0);
    let call = CallContext::detached();
    for _ in 0..400 {
        let reply = balanced.chat(&call, ask("hi")).await.unwrap();
        let index = reply.gateway_metadata["fastagentic"]["target_index"]
            .as_u64()
            .unwrap();
        assert!(index < 2);
    }
    // Expected 280 and 120; 5 standard deviations of the binomial is ±46.
    assert!(
        (234..=326).contains(&a.request_count()),
        "{}",
        a.request_count()
    );
    assert_eq!(a.request_count() + b.request_count(), 400);
    assert_eq!(zero.request_count(), 0);
}

#[tokio::test]
async fn failover_reaches_a_sibling_and_without_it_the_failure_stands() {
    let (down, up) = (MockProvider::start().await, MockProvider::start().await);
    down.set_default(MockReply::status(503));
    let call = CallContext::detached();
    let with_failover = LoadBalance::new(Balance::Weighted)
        .target(openai(&down), 1.0)
        .target(openai(&up), 1.0)
        .failover(ErrorFilter::transient());
    for _ in 0..20 {
        let reply = with_failover.chat(&call, ask("hi")).await.unwrap();
        assert_eq!(reply.gateway_metadata["fastagentic"]["target_index"], 1);
    }
    let without = LoadBalance::new(Balance::Weighted)
        .target(openai(&down), 1.0)
        .target(openai(&up), 1.0);
    let mut failures = 0;
    for _ in 0..40 {
        if without.chat(&call, ask("hi")).await.is_err() {
            failures += 1;
        }
    }
    assert!(failures > 5, "about half fail without failover: {failures}");
}

#[tokio::test]
async fn least_latency_moves_traffic_to_the_faster_target() {
    let (slow, fast) = (MockProvider::start().await, MockProvider::start().await);
    slow.set_default(MockReply::text("slow").delay(Duration::from_millis(60)));
    fast.set_default(MockReply::text("fast"));
    let balanced = LoadBalance::new(Balance::LeastLatency)
        .target(openai(&slow), 1.0)
        .target(openai(&fast), 1.0);
    let call = CallContext::detached();
    for _ in 0..20 {
        balanced.chat(&call, ask("hi")).await.unwrap();
    }
    assert_eq!(slow.request_count(), 1, "measured once, then avoided");
    assert_eq!(fast.request_count(), 19);
}

#[tokio::test]
async fn conditional_routing_reads_metadata_and_params() {
    let (premium, standard, mini) = (
        MockProvider::start().await,
        MockProvider::start().await,
        MockProvider::start().await,
    );
    let router = Conditional::new([openai(&premium), openai(&standard), openai(&mini)])
        .when(
            Arc::new(|q| q.metadata.get("tier") == Some(&json!("premium"))),
            0,
        )
        .when(
            Arc::new(|q| q.params.get("model") == Some(&json!("mini"))),
            2,
        )
        .default_target(1);
    let mut premium_call = CallContext::detached();
    premium_call.set_request_metadata("tier", "premium");
    let reply = router.chat(&premium_call, ask("hi")).await.unwrap();
    assert_eq!(reply.gateway_metadata["fastagentic"]["target_index"], 0);
    let plain = CallContext::detached();
    router
        .chat(&plain, ChatRequest::new("mini").user("hi"))
        .await
        .unwrap();
    router.chat(&plain, ask("hi")).await.unwrap();
    assert_eq!(
        (
            premium.request_count(),
            mini.request_count(),
            standard.request_count()
        ),
        (1, 1, 1)
    );

    let no_default = Conditional::new([openai(&premium)]).when(Arc::new(|_| false), 0);
    let error = no_default.chat(&plain, ask("hi")).await.unwrap_err();
    assert_eq!(error.kind(), "rejected");
    assert!(error.to_string().contains("did not resolve"), "{error}");
}

#[tokio::test]
async fn the_exact_cache_serves_repeats_streams_included_and_stores_only_successes() {
    let mock = MockProvider::start().await;
    mock.push_for_model("flaky", MockReply::status(503));
    mock.on_model("flaky", MockReply::text("recovered"));
    mock.set_default(MockReply::text("the answer").usage(10, 5));
    let cached = ExactCache::new(OpenAiGateway::new("sk-test").base_url(mock.base_url()));
    let call = CallContext::detached();

    let first = cached.chat(&call, ask("what is 2+2?")).await.unwrap();
    assert_eq!(
        first.gateway_metadata["fastagentic"]["cache_status"],
        "MISS"
    );
    let second = cached.chat(&call, ask("what is 2+2?")).await.unwrap();
    assert_eq!(
        second.gateway_metadata["fastagentic"]["cache_status"],
        "HIT"
    );
    assert_eq!(second.text(), "the answer");
    assert_eq!(mock.request_count(), 1, "the repeat never went upstream");

    // A streaming request is served from the stored completion, as chunks.
    let stream = cached
        .chat_stream(&call, ask("what is 2+2?"))
        .await
        .unwrap();
    assert_eq!(
        stream.gateway_metadata["fastagentic"]["cache_status"],
        "HIT"
    );
    assert_eq!(text_of(stream).await, "the answer");
    assert_eq!(mock.request_count(), 1);

    // Force refresh goes upstream and stores anew.
    let refreshing = CallContext::detached().with_cache_control(CacheControl {
        force_refresh: true,
        namespace: None,
    });
    let refreshed = cached.chat(&refreshing, ask("what is 2+2?")).await.unwrap();
    assert_eq!(
        refreshed.gateway_metadata["fastagentic"]["cache_status"],
        "REFRESH"
    );
    assert_eq!(mock.request_count(), 2);

    // Errors are never stored.
    assert!(
        cached
            .chat(&call, ChatRequest::new("flaky").user("x"))
            .await
            .is_err()
    );
    let after = cached
        .chat(&call, ChatRequest::new("flaky").user("x"))
        .await
        .unwrap();
    assert_eq!(
        after.gateway_metadata["fastagentic"]["cache_status"],
        "MISS"
    );
    assert_eq!(after.text(), "recovered");

    // A completed stream is stored, and serves a plain request after it.
    let streamed = cached.chat_stream(&call, ask("stream me")).await.unwrap();
    assert_eq!(
        streamed.gateway_metadata["fastagentic"]["cache_status"],
        "MISS"
    );
    assert_eq!(text_of(streamed).await, "the answer");
    let mut hit = None;
    for _ in 0..50 {
        let reply = cached.chat(&call, ask("stream me")).await.unwrap();
        if reply.gateway_metadata["fastagentic"]["cache_status"] == "HIT" {
            hit = Some(reply);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(hit.expect("the stream was stored").text(), "the answer");

    // Embeddings too.
    let embed = EmbeddingRequest::new("text-embedding-3-small", ["hello"]);
    cached.embed(&call, embed.clone()).await.unwrap();
    let again = cached.embed(&call, embed).await.unwrap();
    assert_eq!(again.gateway_metadata["fastagentic"]["cache_status"], "HIT");
}

#[tokio::test]
async fn entries_expire_and_scopes_keep_users_apart() {
    let mock = MockProvider::start().await;
    mock.set_default(MockReply::echo());
    let cached = ExactCache::new(OpenAiGateway::new("sk-test").base_url(mock.base_url()))
        .max_age(Duration::from_millis(300))
        .scope(CacheScope {
            per_user: true,
            ..CacheScope::default()
        });
    let alice = CallContext::detached().with_user(Some("alice".into()));
    let bob = CallContext::detached().with_user(Some("bob".into()));
    cached.chat(&alice, ask("same words")).await.unwrap();
    let for_bob = cached.chat(&bob, ask("same words")).await.unwrap();
    assert_eq!(
        for_bob.gateway_metadata["fastagentic"]["cache_status"],
        "MISS"
    );
    let for_alice = cached.chat(&alice, ask("same words")).await.unwrap();
    assert_eq!(
        for_alice.gateway_metadata["fastagentic"]["cache_status"],
        "HIT"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    let expired = cached.chat(&alice, ask("same words")).await.unwrap();
    assert_eq!(
        expired.gateway_metadata["fastagentic"]["cache_status"],
        "MISS"
    );
    assert_eq!(mock.request_count(), 3);
}

#[derive(Deserialize, JsonSchema)]
struct Ask {
    q: String,
}

#[derive(Serialize, JsonSchema)]
struct Said {
    a: String,
    cost: Option<f64>,
    facts: Value,
}

/// Asks `gpt-4o-mini` and says what it cost.
#[agent_endpoint(path = "/cached/ask")]
async fn cached_ask(ctx: AgentContext, input: Ask) -> Result<Said, AgentError> {
    let reply = ctx.llm().chat(ask(&input.q)).await?;
    Ok(Said {
        a: reply.text().to_owned(),
        cost: reply.usage.as_ref().and_then(|u| u.cost),
        facts: reply.gateway_metadata["fastagentic"].clone(),
    })
}

#[tokio::test]
async fn a_hit_costs_nothing_and_says_what_it_saved() {
    let mock = MockProvider::start().await;
    mock.set_default(MockReply::text("cached words").usage(1_000, 1_000));
    let app = App::new("Cache")
        .without_inventory()
        .endpoint(&CACHED_ASK_ENDPOINT)
        .llm_gateway(ExactCache::new(
            OpenAiGateway::new("sk-test").base_url(mock.base_url()),
        ))
        .spawn("127.0.0.1:0")
        .await
        .unwrap();
    let post = || async {
        reqwest::Client::new()
            .post(format!("{}/cached/ask", app.url()))
            .json(&json!({"q": "hello"}))
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap()
    };
    let miss = post().await;
    let paid = miss["cost"].as_f64().unwrap();
    assert!(paid > 0.0, "{miss}");
    let hit = post().await;
    assert_eq!(hit["facts"]["cache_status"], "HIT", "{hit}");
    assert_eq!(hit["cost"], 0.0);
    assert_eq!(hit["facts"]["saved_cost"].as_f64(), Some(paid));
    assert_eq!(mock.request_count(), 1);
    let metrics = reqwest::get(format!("{}/metrics", app.url()))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for line in [
        r#"fastagentic_cache_lookups_total{node="cached_ask: openai at root",outcome="hit"} 1"#,
        r#"fastagentic_cache_lookups_total{node="cached_ask: openai at root",outcome="miss"} 1"#,
        r#"fastagentic_cache_stores_total{node="cached_ask: openai at root"} 1"#,
    ] {
        assert!(metrics.contains(line), "{line} in\n{metrics}");
    }
    app.shutdown().await.unwrap();
}
