//! The scale-out suite against a three-node Redis Cluster: each shared
//! piece's keys carry a hash tag, so every script runs on one slot.

mod scale_out_support;

use fastagentic_tests::peers::RedisClusterPeer;
use scale_out_support::Caller;

async fn cluster() -> RedisClusterPeer {
    RedisClusterPeer::start()
        .await
        .expect("a Redis Cluster of three redis-server nodes (Debian package redis-server)")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cluster_replica_b_serves_an_exact_hit_replica_a_stored() {
    let cluster = cluster().await;
    scale_out_support::exact_hit_crosses_replicas(&cluster.url()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cluster_a_requests_per_minute_limit_holds_across_three_replicas() {
    let cluster = cluster().await;
    scale_out_support::requests_per_minute_is_global(&cluster.url()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cluster_a_large_limit_taken_in_leases_holds_across_three_replicas() {
    let cluster = cluster().await;
    scale_out_support::leased_requests_per_minute_are_global(&cluster.url(), || {
        cluster.script_calls().expect("INFO commandstats")
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cluster_a_tokens_per_minute_limit_holds_across_three_replicas() {
    let cluster = cluster().await;
    scale_out_support::tokens_per_minute_is_global(&cluster.url()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cluster_a_breaker_opened_through_a_refuses_at_b_and_c() {
    let cluster = cluster().await;
    scale_out_support::breaker_opened_through_one_refuses_at_all(&cluster.url()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cluster_replica_b_serves_a_paraphrase_replica_a_cached_semantically() {
    let cluster = cluster().await;
    scale_out_support::semantic_hit_crosses_replicas(&cluster.url()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cluster_node_killed_under_load_fails_no_request_and_is_used_again_after_a_restart() {
    let mut cluster = cluster().await;
    let url = cluster.url();
    scale_out_support::killed_under_load_fails_nothing(&url, &mut cluster).await;
}

#[tokio::test]
async fn cluster_a_limit_told_to_fail_closed_refuses_while_the_cluster_is_down_and_one_left_open_uses_its_local_budget()
 {
    let mut cluster = cluster().await;
    let url = cluster.url();
    scale_out_support::fail_closed_refuses_and_open_falls_back(&url, || {
        for node in 0..3 {
            cluster.kill_node(node);
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cluster_a_limit_per_user_holds_for_each_user_across_three_replicas() {
    let cluster = cluster().await;
    let callers = [Caller::User("alice".into()), Caller::User("bob".into())];
    scale_out_support::per_caller_limits_are_global(&cluster.url(), "user", callers, || {
        cluster.keys().expect("redis-cli lists the keys")
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cluster_a_limit_per_api_key_holds_for_each_key_across_three_replicas() {
    let cluster = cluster().await;
    let callers = [
        Caller::Key("sk-scale-out-key-one".into()),
        Caller::Key("sk-scale-out-key-two".into()),
    ];
    scale_out_support::per_caller_limits_are_global(&cluster.url(), "api_key", callers, || {
        cluster.keys().expect("redis-cli lists the keys")
    })
    .await;
}
