//! The scale-out suite against a three-node Redis Cluster: each shared
//! piece's keys carry a hash tag, so every script runs on one slot.

mod scale_out_support;

use fastagentic_tests::peers::RedisClusterPeer;

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
async fn cluster_a_tokens_per_minute_limit_holds_across_three_replicas() {
    let cluster = cluster().await;
    scale_out_support::tokens_per_minute_is_global(&cluster.url()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cluster_a_breaker_opened_through_a_refuses_at_b_and_c() {
    let cluster = cluster().await;
    scale_out_support::breaker_opened_through_one_refuses_at_all(&cluster.url()).await;
}
