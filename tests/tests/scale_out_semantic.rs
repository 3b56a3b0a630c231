//! The semantic cache shared by replicas: replica B serves a paraphrase of
//! a question replica A cached (answers in Redis, each replica's index kept
//! in step through a Redis stream), and the delay until B can is measured.
//!
//! The two replicas run in this process (each with its own index, its own
//! connection and its own embedder over the real all-MiniLM-L6-v2), against
//! a real `redis-server`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use fastagentic::cache::semantic::{Embedder, MiniLmEmbedder, SemanticCache, VectorStore};
use fastagentic::gateway::{CacheStatus, GatewayRequest};
use fastagentic::store::{RedisCacheStore, RedisStore, RedisVectorStore};
use fastagentic::testing::{MockProvider, MockReply};
use fastagentic::{CallContext, ChatRequest, LlmGateway, OpenAiGateway};
use fastagentic_tests::embedding_model::model_dir;
use fastagentic_tests::peers::RedisPeer;

struct Replica {
    cache: SemanticCache<OpenAiGateway>,
    vectors: Arc<RedisVectorStore>,
}

async fn replica(redis_url: &str, mock: &MockProvider, embedder: Arc<dyn Embedder>) -> Replica {
    let redis = RedisStore::connect(redis_url)
        .await
        .expect("connect to Redis");
    let vectors = Arc::new(RedisVectorStore::new(redis.clone()));
    let cache = SemanticCache::with_embedder(
        OpenAiGateway::new("sk-test").base_url(mock.base_url()),
        embedder,
    )
    .store(Arc::new(RedisCacheStore::new(redis)))
    .vectors(vectors.clone());
    Replica { cache, vectors }
}

/// A `redis-server`, the real model, and a mock provider answering `answer`.
async fn peers(answer: &str) -> (RedisPeer, Arc<dyn Embedder>, MockProvider) {
    let redis = RedisPeer::start()
        .await
        .expect("redis-server (Debian package redis-server)");
    let dir = model_dir().expect("the embedding model (test support fetches it with pip)");
    let embedder: Arc<dyn Embedder> =
        Arc::new(MiniLmEmbedder::from_dir(dir).expect("all-MiniLM-L6-v2 loads"));
    let mock = MockProvider::start().await;
    mock.set_default(MockReply::text(answer).usage(12, 2));
    (redis, embedder, mock)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replica_b_serves_a_paraphrase_replica_a_cached() {
    let (redis, embedder, mock) = peers("Open Settings, then Reset password.").await;
    let a = replica(&redis.url(), &mock, embedder.clone()).await;
    let b = replica(&redis.url(), &mock, embedder).await;
    let call = CallContext::detached();
    let ask = |text: &str| GatewayRequest::Chat(ChatRequest::new("gpt-4o-mini").user(text));

    let stored = a
        .cache
        .serve(&call, ask("How do I reset my password?"))
        .await
        .expect("A answers");
    let stored_at = Instant::now();
    assert_eq!(
        stored.route.cache.as_ref().map(|c| c.status),
        Some(CacheStatus::SemanticMiss)
    );
    assert_eq!(mock.request_count(), 1);

    // The event: B's index holds A's prompt (bounded wait, measured).
    while b.vectors.len() < 1 {
        assert!(
            stored_at.elapsed() < Duration::from_secs(10),
            "B's index never received A's prompt"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let delay = stored_at.elapsed();
    println!("B's index had A's prompt {delay:?} after A stored it");

    let served = b
        .cache
        .serve(&call, ask("How should I reset my password?"))
        .await
        .expect("B answers");
    assert_eq!(
        served.route.cache.as_ref().map(|c| c.status),
        Some(CacheStatus::SemanticHit),
        "B must serve A's answer to the paraphrase"
    );
    assert_eq!(mock.request_count(), 1, "no upstream call for B");
    assert_eq!(b.vectors.taken_from_others(), 1);
    assert!(delay < Duration::from_secs(2), "delay {delay:?}");
}

/// The app's shared store reaches the semantic cache (answers and prompts),
/// as it does every other piece; a store given to the cache is kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_apps_shared_store_reaches_the_semantic_cache_and_a_store_of_its_own_is_kept() {
    use fastagentic::cache::semantic::MemoryVectorStore;
    use fastagentic::cache::{CacheStore, MemoryStore};
    use fastagentic::store::{SharedStore, bind_shared_store};

    let (redis, embedder, mock) = peers("an answer").await;
    let shared = SharedStore::redis(&redis.url()).await.expect("connect");
    let provider = || OpenAiGateway::new("sk-test").base_url(mock.base_url());

    // A keeps its own prompts, C its own answers, B takes both from the app.
    let own_vectors = Arc::new(MemoryVectorStore::default());
    let a = SemanticCache::with_embedder(provider(), embedder.clone()).vectors(own_vectors.clone());
    let own_answers = Arc::new(MemoryStore::default());
    let c = SemanticCache::with_embedder(provider(), embedder.clone()).store(own_answers.clone());
    let b = SemanticCache::with_embedder(provider(), embedder.clone());
    for cache in [&a, &b, &c] {
        bind_shared_store(cache, &shared, "chat");
    }
    let call = CallContext::detached();
    // The cache status of `cache`'s answer to `text`.
    let status = async |cache: &SemanticCache<OpenAiGateway>, text: &str| {
        let request = GatewayRequest::Chat(ChatRequest::new("gpt-4o-mini").user(text));
        let reply = cache.serve(&call, request).await.expect("an answer");
        reply.route.cache.as_ref().map(|c| c.status)
    };

    let password = "How do I reset my password?";
    assert_eq!(status(&a, password).await, Some(CacheStatus::SemanticMiss));
    assert_eq!(
        own_vectors.len(),
        1,
        "A's prompt went to the store it was given"
    );
    // A's answer went to Redis, the app's store: B finds it.
    assert_eq!(status(&b, password).await, Some(CacheStatus::Hit));
    assert_eq!(mock.request_count(), 1);

    let capital = "What is the capital of France?";
    assert_eq!(status(&c, capital).await, Some(CacheStatus::SemanticMiss));
    assert_eq!(
        own_answers.len(),
        1,
        "C's answer went to the store it was given"
    );
    assert_ne!(
        status(&b, capital).await,
        Some(CacheStatus::Hit),
        "C's answer is not in Redis"
    );
    assert_eq!(mock.request_count(), 3);

    // B's and C's prompts went through the app's store (C kept only its
    // answers): a fourth cache following the stream receives them, and
    // serves B's answer (in Redis) to a paraphrase.
    let follower = Arc::new(RedisVectorStore::new(
        RedisStore::connect(&redis.url()).await.expect("connect"),
    ));
    let d = SemanticCache::with_embedder(provider(), embedder).vectors(follower.clone());
    bind_shared_store(&d, &shared, "chat");
    let started = Instant::now();
    while follower.taken_from_others() < 1 {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "B's prompt never reached the stream"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let paraphrase = "What's the capital of France?";
    assert_eq!(status(&d, paraphrase).await, Some(CacheStatus::SemanticHit));
    assert_eq!(mock.request_count(), 3, "no upstream call for D");
}
