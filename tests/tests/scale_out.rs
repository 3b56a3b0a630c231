//! Scale-out against one real `redis-server`: three app replicas as
//! separate processes share the exact cache, rate limits and circuit
//! breakers; Redis killed under load fails nothing, and once it is back the
//! shared state is used again.

mod scale_out_support;

use std::sync::Arc;

use fastagentic_tests::peers::RedisPeer;
use scale_out_support::{Caller, Replicas};

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
async fn a_large_limit_taken_in_leases_holds_across_three_replicas() {
    let redis = redis().await;
    scale_out_support::leased_requests_per_minute_are_global(&redis.url(), || {
        redis.script_calls().expect("INFO commandstats")
    })
    .await;
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
    let url = redis.url();
    scale_out_support::killed_under_load_fails_nothing(&url, &mut redis).await;
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
    let mut redis = redis().await;
    let url = redis.url();
    scale_out_support::fail_closed_refuses_and_open_falls_back(&url, || redis.kill()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn replica_b_serves_a_paraphrase_replica_a_cached_semantically() {
    let redis = redis().await;
    scale_out_support::semantic_hit_crosses_replicas(&redis.url()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_limit_per_user_holds_for_each_user_across_three_replicas() {
    let redis = redis().await;
    let callers = [Caller::User("alice".into()), Caller::User("bob".into())];
    scale_out_support::per_caller_limits_are_global(&redis.url(), "user", callers, || {
        redis.keys().expect("redis-cli lists the keys")
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_limit_per_api_key_holds_for_each_key_across_three_replicas() {
    let redis = redis().await;
    let callers = [
        Caller::Key("sk-scale-out-key-one".into()),
        Caller::Key("sk-scale-out-key-two".into()),
    ];
    scale_out_support::per_caller_limits_are_global(&redis.url(), "api_key", callers, || {
        redis.keys().expect("redis-cli lists the keys")
    })
    .await;
}
