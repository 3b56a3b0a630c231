//! Scale-out against one real `redis-server`: three app replicas as
//! separate processes share the exact cache, rate limits and circuit
//! breakers; Redis killed under load fails nothing, and once it is back the
//! shared state is used again.

mod scale_out_support;

use std::sync::Arc;
use std::time::Duration;

use fastagentic_tests::peers::RedisPeer;
use scale_out_support::{Replicas, fallbacks_seen};

async fn redis() -> RedisPeer {
    RedisPeer::start()
        .await
        .expect("redis-server (Debian package redis-server)")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn replica_b_serves_an_exact_hit_replica_a_stored() {
    let redis = redis().await;
    scale_out_support::exact_hit_crosses_replicas(&redis.url()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_requests_per_minute_limit_holds_across_three_replicas() {
    let redis = redis().await;
    scale_out_support::requests_per_minute_is_global(&redis.url()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_tokens_per_minute_limit_holds_across_three_replicas() {
    let redis = redis().await;
    scale_out_support::tokens_per_minute_is_global(&redis.url()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_breaker_opened_through_a_refuses_at_b_and_c() {
    let redis = redis().await;
    scale_out_support::breaker_opened_through_one_refuses_at_all(&redis.url()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn redis_killed_under_load_fails_no_request_and_is_used_again_after_a_restart() {
    let mut redis = redis().await;
    let replicas = Arc::new(Replicas::start(&redis.url(), &[("RPM", "100000".into())]).await);
    // Load runs while Redis is killed: every request must still succeed.
    let load = {
        let replicas = replicas.clone();
        tokio::spawn(async move { replicas.load("outage", 600, 4).await })
    };
    // Kill once the load is well under way (an event: answers counted upstream).
    while replicas.mock.request_count() < 100 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    redis.kill();
    let (statuses, _) = load.await.expect("load");
    let failed: Vec<_> = statuses.iter().filter(|s| **s != 200).collect();
    assert!(
        failed.is_empty(),
        "no request may fail because Redis died: {} failed ({failed:?})",
        failed.len()
    );
    let mut saw_fallback = false;
    for index in 0..3 {
        saw_fallback |= fallbacks_seen(&replicas.metrics(index).await);
    }
    assert!(saw_fallback, "the fallbacks must be counted in /metrics");

    redis.restart().await.expect("redis-server restarted");
    // Converges: within a bounded number of tries, B serves what A stored.
    let mut shared_again = false;
    for attempt in 0..40 {
        let prompt = format!("after the restart {attempt}");
        let (status, _) = replicas.chat(0, &prompt).await;
        assert_eq!(status, 200);
        let before = replicas.mock.request_count();
        let (status, _) = replicas.chat(1, &prompt).await;
        assert_eq!(status, 200);
        if replicas.mock.request_count() == before {
            shared_again = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(
        shared_again,
        "after Redis returns, B must serve A's entries again"
    );
    let metrics = replicas.metrics(0).await;
    assert!(
        metrics.contains("fastagentic_shared_store_up{") && metrics.contains("} 1\n"),
        "{metrics}"
    );
}

#[tokio::test]
async fn a_wrong_redis_url_stops_start_up_naming_the_fix() {
    let unreachable = fastagentic::store::RedisStore::connect("redis://127.0.0.1:1")
        .await
        .expect_err("nothing listens on port 1");
    let text = unreachable.to_string();
    assert!(
        text.contains("redis-server") && text.contains("REDIS_URL"),
        "{text}"
    );
    let malformed = fastagentic::store::RedisStore::connect("http://:hunter2@localhost:6379")
        .await
        .expect_err("not a Redis URL");
    let text = malformed.to_string();
    assert!(
        text.contains("REDIS_URL") && !text.contains("hunter2"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn without_a_shared_store_each_replica_spends_its_own_budget() {
    // The contrast: the same load, no Redis, admits up to three budgets.
    let rpm = 100;
    let replicas = Arc::new(Replicas::start("", &[("RPM", rpm.to_string())]).await);
    let (statuses, _) = replicas.load("local", 450, 6).await;
    let admitted = statuses.iter().filter(|s| **s == 200).count();
    assert!(
        admitted > 2 * rpm,
        "three local budgets of {rpm} admit more than two: {admitted}"
    );
}

#[tokio::test]
async fn a_limit_told_to_fail_closed_refuses_while_redis_is_down_and_one_left_open_uses_its_local_budget()
 {
    use fastagentic::gateway::GatewayRequest;
    use fastagentic::reliability::{RateLimit, RateLimiter, WhenStoreDown};
    use fastagentic::store::{RedisOptions, RedisStore};
    use fastagentic::{CallContext, ChatRequest, DemoGateway, GatewayError, LlmGateway};

    let mut redis = redis().await;
    let store = RedisStore::connect_with(
        &redis.url(),
        RedisOptions::new().timeout(Duration::from_secs(2)),
    )
    .await
    .expect("connect");
    let limit = RateLimit::new().requests_per_minute(1_000);
    let closed = RateLimiter::new(
        DemoGateway::new(),
        limit.clone().when_store_down(WhenStoreDown::Refuse),
    )
    .shared(store.clone(), "closed");
    let open = RateLimiter::new(DemoGateway::new(), limit).shared(store.clone(), "open");
    let call = CallContext::detached();
    let ask = || GatewayRequest::Chat(ChatRequest::new("m").user("hi"));
    assert!(closed.serve(&call, ask()).await.is_ok());
    assert!(open.serve(&call, ask()).await.is_ok());
    redis.kill();
    match closed.serve(&call, ask()).await {
        Err(GatewayError::RateLimited { limit, .. }) => {
            assert!(limit.contains("shared"), "{limit}")
        }
        other => panic!("a fail-closed limit must refuse while Redis is down: {other:?}"),
    }
    assert!(
        open.serve(&call, ask()).await.is_ok(),
        "a limit left open uses its local budget"
    );
    assert!(store.health().fallbacks().total() >= 2);
    assert!(!store.health().is_up());
}
