//! The semantic cache with the real all-MiniLM-L6-v2 (fetched by test
//! support) in front of mock providers: paraphrases served, scopes kept
//! apart, guards refusing, errors never stored, `max_age`, refresh,
//! eviction, streaming replay, facts, the in-process Portkey config and
//! the built-in gateway's cache piece.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use fastagentic::cache::semantic::{
    Embedder, GatewayEmbedder, Guards, MemoryVectorStore, MiniLmEmbedder, SemanticCache,
};
use fastagentic::cache::{CacheControl, CacheLayer, CacheScope};
use fastagentic::prelude::*;
use fastagentic::reliability::{ReliableGateway, RetryPolicy};
use fastagentic::testing::{MockProvider, MockReply};
use fastagentic::{CallContext, ChatStream};
use fastagentic_portkey::{PortkeyConfig, PortkeyGateway, VirtualKeys};
use fastagentic_tests::embedding_model::model_dir;
use futures_util::StreamExt;
use serde_json::{Value, json};

/// One model for every test of this binary.
fn embedder() -> Arc<dyn Embedder> {
    static MODEL: OnceLock<Arc<dyn Embedder>> = OnceLock::new();
    MODEL
        .get_or_init(|| {
            let dir = model_dir().expect("the embedding model (test support fetches it with pip)");
            Arc::new(MiniLmEmbedder::from_dir(dir).expect("all-MiniLM-L6-v2 loads"))
        })
        .clone()
}

fn openai(mock: &MockProvider) -> OpenAiGateway {
    OpenAiGateway::new("sk-test").base_url(mock.base_url())
}

fn cache(mock: &MockProvider) -> SemanticCache<OpenAiGateway> {
    SemanticCache::with_embedder(openai(mock), embedder())
}

fn ask(text: &str) -> ChatRequest {
    ChatRequest::new("gpt-4o-mini")
        .system("Be brief.")
        .user(text)
}

fn facts(metadata: &fastagentic::llm::Extra) -> &Value {
    &metadata["fastagentic"]
}

fn status(metadata: &fastagentic::llm::Extra) -> &str {
    facts(metadata)["cache_status"].as_str().unwrap_or("none")
}

async fn text_of(mut stream: ChatStream) -> String {
    let mut text = String::new();
    while let Some(item) = stream.next().await {
        text.push_str(item.expect("a chunk").delta_text());
    }
    text
}

const ASKED: &str = "How do I reset my password?";
const PARAPHRASE: &str = "How can I reset my password?";

#[tokio::test]
async fn a_paraphrase_is_served_the_stored_answer_with_its_facts() {
    let mock = MockProvider::start().await;
    mock.set_default(MockReply::echo());
    let cached = cache(&mock);
    let call = CallContext::detached();

    let first = cached.chat(&call, ask(ASKED)).await.unwrap();
    assert_eq!(status(&first.gateway_metadata), "SEMANTIC MISS");
    let second = cached.chat(&call, ask(PARAPHRASE)).await.unwrap();
    assert_eq!(status(&second.gateway_metadata), "SEMANTIC HIT");
    assert_eq!(second.text(), first.text(), "the stored answer is served");
    let similarity = facts(&second.gateway_metadata)["cache_similarity"]
        .as_f64()
        .expect("similarity");
    assert!((0.9..=1.0).contains(&similarity), "{similarity}");
    assert!(facts(&second.gateway_metadata)["cache_age_ms"].is_u64());
    assert_eq!(
        mock.request_count(),
        1,
        "the paraphrase never went upstream"
    );

    // The same words again: an exact hit.
    let exact = cached.chat(&call, ask(ASKED)).await.unwrap();
    assert_eq!(status(&exact.gateway_metadata), "HIT");
    // Another question: a miss, answered upstream.
    let other = cached
        .chat(&call, ask("What is the capital of France?"))
        .await
        .unwrap();
    assert_eq!(status(&other.gateway_metadata), "SEMANTIC MISS");
    assert_eq!(mock.request_count(), 2);

    // A streaming paraphrase gets the stored answer as chunks.
    let stream = cached
        .chat_stream(&call, ask("How should I reset my password?"))
        .await
        .unwrap();
    assert_eq!(status(&stream.gateway_metadata), "SEMANTIC HIT");
    assert_eq!(text_of(stream).await, first.text());
    assert_eq!(mock.request_count(), 2);

    let stats = cached.stats();
    assert_eq!((stats.hits(), stats.semantic_hits()), (3, 2));
    assert_eq!(stats.misses(), 2);
}

#[tokio::test]
async fn only_the_same_scope_is_compared() {
    let mock = MockProvider::start().await;
    mock.set_default(MockReply::echo());
    let cached = cache(&mock).scope(CacheScope {
        per_user: true,
        ..CacheScope::default()
    });
    let alice = CallContext::detached().with_user(Some("alice".into()));
    let bob = CallContext::detached().with_user(Some("bob".into()));
    cached.chat(&alice, ask(ASKED)).await.unwrap();

    let misses = [
        // Another user.
        (bob.clone(), ask(PARAPHRASE)),
        // Another system prompt.
        (
            alice.clone(),
            ChatRequest::new("gpt-4o-mini")
                .system("Answer in French.")
                .user(PARAPHRASE),
        ),
        // Another model.
        (
            alice.clone(),
            ChatRequest::new("gpt-4o")
                .system("Be brief.")
                .user(PARAPHRASE),
        ),
        // Another parameter.
        (alice.clone(), ask(PARAPHRASE).temperature(1.5)),
        // Another namespace.
        (
            alice.clone().with_cache_control(CacheControl {
                force_refresh: false,
                namespace: Some("tenant-b".into()),
            }),
            ask(PARAPHRASE),
        ),
    ];
    for (i, (call, request)) in misses.into_iter().enumerate() {
        let reply = cached.chat(&call, request).await.unwrap();
        assert_eq!(status(&reply.gateway_metadata), "SEMANTIC MISS", "case {i}");
    }
    let hit = cached.chat(&alice, ask(PARAPHRASE)).await.unwrap();
    assert_eq!(status(&hit.gateway_metadata), "SEMANTIC HIT");
    // Earlier turns are part of the scope: a conversation of 5 messages is
    // too long to match by meaning at all.
    let long = ChatRequest::new("gpt-4o-mini")
        .system("Be brief.")
        .user("hi")
        .assistant("hello")
        .user("thanks")
        .user(PARAPHRASE);
    let reply = cached.chat(&alice, long).await.unwrap();
    assert_eq!(status(&reply.gateway_metadata), "MISS");
}

#[tokio::test]
async fn the_guards_refuse_a_near_match_that_asks_something_else() {
    let mock = MockProvider::start().await;
    mock.set_default(MockReply::echo());
    let (first, second) = (
        "Convert 5 kilograms to pounds",
        "Convert 6 kilograms to pounds",
    );
    // Without guards, the cosine alone serves the other number's answer...
    let unguarded = cache(&mock).threshold(0.8).guards(Guards::none());
    let call = CallContext::detached();
    unguarded.chat(&call, ask(first)).await.unwrap();
    let wrong = unguarded.chat(&call, ask(second)).await.unwrap();
    assert_eq!(status(&wrong.gateway_metadata), "SEMANTIC HIT");
    assert!(wrong.text().contains('5'), "{}", wrong.text());

    // ...the guards refuse it, and it is answered upstream.
    let guarded = cache(&mock).threshold(0.8);
    guarded.chat(&call, ask(first)).await.unwrap();
    let right = guarded.chat(&call, ask(second)).await.unwrap();
    assert_eq!(status(&right.gateway_metadata), "SEMANTIC MISS");
    assert!(right.text().contains('6'), "{}", right.text());
    assert_eq!(guarded.stats().guard_refusals(), 1);
}

#[tokio::test]
async fn errors_are_never_stored_and_refresh_goes_upstream() {
    let mock = MockProvider::start().await;
    mock.push(MockReply::status(503));
    mock.set_default(MockReply::echo());
    let cached = cache(&mock);
    let call = CallContext::detached();
    assert!(cached.chat(&call, ask(ASKED)).await.is_err());
    let after = cached.chat(&call, ask(PARAPHRASE)).await.unwrap();
    assert_eq!(status(&after.gateway_metadata), "SEMANTIC MISS");
    assert_eq!(mock.request_count(), 2);

    // A stream that breaks is not stored either.
    mock.push(
        MockReply::repeat("word ", 20)
            .chunk_interval(Duration::from_millis(20))
            .drop_after(3),
    );
    let broken = cached
        .chat_stream(&call, ask("Tell me a story about a dragon"))
        .await
        .unwrap();
    let mut items = broken;
    let mut failed = false;
    while let Some(item) = items.next().await {
        failed |= item.is_err();
    }
    assert!(failed, "the stream broke");
    let retold = cached
        .chat(&call, ask("Tell me a story about a dragon, please"))
        .await
        .unwrap();
    assert_eq!(status(&retold.gateway_metadata), "SEMANTIC MISS");

    let refreshing = CallContext::detached().with_cache_control(CacheControl {
        force_refresh: true,
        namespace: None,
    });
    let count = mock.request_count();
    let refreshed = cached.chat(&refreshing, ask(PARAPHRASE)).await.unwrap();
    assert_eq!(status(&refreshed.gateway_metadata), "REFRESH");
    assert_eq!(mock.request_count(), count + 1);
}

#[tokio::test]
async fn entries_expire_after_max_age() {
    let mock = MockProvider::start().await;
    mock.set_default(MockReply::echo());
    let cached = cache(&mock).max_age(Duration::from_millis(300));
    let call = CallContext::detached();
    cached.chat(&call, ask(ASKED)).await.unwrap();
    let hit = cached.chat(&call, ask(PARAPHRASE)).await.unwrap();
    assert_eq!(status(&hit.gateway_metadata), "SEMANTIC HIT");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let expired = cached.chat(&call, ask(PARAPHRASE)).await.unwrap();
    assert_eq!(status(&expired.gateway_metadata), "SEMANTIC MISS");
}

#[tokio::test]
async fn the_oldest_prompt_is_evicted_past_the_bound() {
    let mock = MockProvider::start().await;
    mock.set_default(MockReply::echo());
    let cached = cache(&mock).vectors(Arc::new(MemoryVectorStore::new(1, u64::MAX)));
    let call = CallContext::detached();
    cached.chat(&call, ask(ASKED)).await.unwrap();
    cached
        .chat(&call, ask("How do I change my email address?"))
        .await
        .unwrap();
    let evicted = cached.chat(&call, ask(PARAPHRASE)).await.unwrap();
    assert_eq!(status(&evicted.gateway_metadata), "SEMANTIC MISS");
    // That miss stored its prompt, evicting the email one in turn; ask a
    // paraphrase of the newest prompt.
    let kept = cached
        .chat(&call, ask("How should I reset my password?"))
        .await
        .unwrap();
    assert_eq!(status(&kept.gateway_metadata), "SEMANTIC HIT");
}

#[tokio::test]
async fn a_streamed_answer_is_stored_and_serves_a_paraphrase() {
    let mock = MockProvider::start().await;
    mock.set_default(MockReply::text("Open settings, then choose reset."));
    let cached = cache(&mock);
    let call = CallContext::detached();
    let stream = cached.chat_stream(&call, ask(ASKED)).await.unwrap();
    assert_eq!(status(&stream.gateway_metadata), "SEMANTIC MISS");
    assert_eq!(text_of(stream).await, "Open settings, then choose reset.");
    // The store happens when the stream ends, off its task.
    let mut served = None;
    for _ in 0..100 {
        let reply = cached.chat(&call, ask(PARAPHRASE)).await.unwrap();
        if status(&reply.gateway_metadata) == "SEMANTIC HIT" {
            served = Some(reply);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        served.expect("the stream was stored").text(),
        "Open settings, then choose reset."
    );
}

#[tokio::test]
async fn the_seed_config_runs_a_semantic_cache_in_process() {
    let mock = MockProvider::start().await;
    mock.set_default(MockReply::echo().usage(100, 20));
    let config = PortkeyConfig::from_value(json!({
        "cache": {"mode": "semantic", "max_age": 3600},
        "provider": "openai", "api_key": "sk-test",
        "custom_host": mock.base_url()
    }))
    .unwrap();
    let gateway = PortkeyGateway::new()
        .config(config)
        .in_process(VirtualKeys::new())
        .embedder(embedder());
    gateway.check().expect("the config compiles");
    let call = CallContext::detached();
    let first = gateway.chat(&call, ask(ASKED)).await.unwrap();
    assert_eq!(
        first.gateway_metadata["portkey"]["cache_status"],
        "SEMANTIC MISS"
    );
    let second = gateway.chat(&call, ask(PARAPHRASE)).await.unwrap();
    let portkey = &second.gateway_metadata["portkey"];
    assert_eq!(portkey["cache_status"], "SEMANTIC HIT", "{portkey}");
    assert_eq!(portkey["cache_hit"], true);
    assert!(portkey["cache_similarity"].as_f64().unwrap() >= 0.9);
    assert_eq!(mock.request_count(), 1);
}

#[tokio::test]
async fn the_built_in_gateway_takes_a_semantic_or_exact_cache_piece() {
    let mock = MockProvider::start().await;
    mock.set_default(MockReply::echo());
    let semantic = ReliableGateway::new(openai(&mock))
        .retry(RetryPolicy::new(2))
        .cache(CacheLayer::semantic(embedder()));
    let call = CallContext::detached();
    semantic.chat(&call, ask(ASKED)).await.unwrap();
    let hit = semantic.chat(&call, ask(PARAPHRASE)).await.unwrap();
    assert_eq!(status(&hit.gateway_metadata), "SEMANTIC HIT");

    let exact = ReliableGateway::new(openai(&mock)).cache(CacheLayer::exact());
    exact.chat(&call, ask(ASKED)).await.unwrap();
    let miss = exact.chat(&call, ask(PARAPHRASE)).await.unwrap();
    assert_eq!(status(&miss.gateway_metadata), "MISS");
    let repeat = exact.chat(&call, ask(PARAPHRASE)).await.unwrap();
    assert_eq!(status(&repeat.gateway_metadata), "HIT");
}

#[tokio::test]
async fn a_gateways_embeddings_endpoint_is_an_embedder() {
    let mock = MockProvider::start().await;
    // The mock's vectors: [text length, 0.5, 0.25, 0.125], normalised here.
    let embedder = GatewayEmbedder::new(openai(&mock), "text-embedding-3-small", 4);
    let vectors = embedder
        .embed(vec!["abc".to_owned(), "abcdef".to_owned()])
        .await
        .unwrap();
    assert_eq!(vectors.len(), 2);
    for vector in &vectors {
        let norm: f32 = vector.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-5);
    }
    assert!(vectors[1][0] > vectors[0][0]);
    // A wrong size is a typed error, never a panic.
    let wrong = GatewayEmbedder::new(openai(&mock), "text-embedding-3-small", 1536);
    let error = wrong.embed(vec!["abc".to_owned()]).await.unwrap_err();
    assert!(error.to_string().contains("1536"), "{error}");
}

#[tokio::test]
async fn semantic_mode_without_an_embedder_stops_start_up_naming_the_fix() {
    let mock = MockProvider::start().await;
    let config = PortkeyConfig::from_value(json!({
        "cache": {"mode": "semantic"},
        "provider": "openai", "api_key": "sk-test",
        "custom_host": mock.base_url()
    }))
    .unwrap();
    // No embedder given: the model comes from FASTAGENTIC_EMBEDDING_MODEL_DIR.
    let gateway = PortkeyGateway::new()
        .config(config)
        .in_process(VirtualKeys::new());
    match std::env::var_os("FASTAGENTIC_EMBEDDING_MODEL_DIR") {
        None => {
            let error = gateway.check().expect_err("no model").to_string();
            assert!(error.contains("config.cache"), "{error}");
            assert!(error.contains("FASTAGENTIC_EMBEDDING_MODEL_DIR"), "{error}");
            assert!(error.contains("docs/caching.md"), "{error}");
        }
        // Set by whoever runs the tests: then it must load.
        Some(_) => gateway
            .check()
            .expect("the model named by the variable loads"),
    }
}

#[tokio::test]
async fn an_embedder_that_fails_leaves_the_request_cached_exactly() {
    let mock = MockProvider::start().await;
    mock.set_default(MockReply::echo());
    let cached = SemanticCache::new(openai(&mock), Failing);
    let call = CallContext::detached();
    let first = cached.chat(&call, ask(ASKED)).await.unwrap();
    assert_eq!(status(&first.gateway_metadata), "MISS");
    let paraphrase = cached.chat(&call, ask(PARAPHRASE)).await.unwrap();
    assert_eq!(status(&paraphrase.gateway_metadata), "MISS");
    let repeat = cached.chat(&call, ask(ASKED)).await.unwrap();
    assert_eq!(status(&repeat.gateway_metadata), "HIT");
}

/// An embedder whose every call fails.
struct Failing;

impl Embedder for Failing {
    fn name(&self) -> &str {
        "failing"
    }
    fn dimensions(&self) -> usize {
        384
    }
    fn embed(
        &self,
        _texts: Vec<String>,
    ) -> fastagentic::BoxFuture<'_, Result<Vec<Vec<f32>>, fastagentic::cache::semantic::EmbedError>>
    {
        Box::pin(async {
            Err(fastagentic::cache::semantic::EmbedError::Inference(
                "down".to_owned(),
            ))
        })
    }
}
