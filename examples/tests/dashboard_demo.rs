//! `cargo run --bin dashboard_demo` serves a dashboard with traffic: its
//! calls show up in the dashboard's snapshot, and it stops on SIGTERM.

mod support;

use std::time::{Duration, Instant};

use serde_json::Value;
use support::Example;

const DEMO: &str = env!("CARGO_BIN_EXE_dashboard_demo");

#[tokio::test]
async fn the_demo_fills_its_dashboard() {
    let app = Example::start(DEMO, &[("FASTAGENTIC_DEMO_REQUESTS", "12".to_owned())]).await;
    let page = reqwest::get(app.url("/dashboard")).await.unwrap();
    assert_eq!(page.status(), 200);
    let started = Instant::now();
    let snapshot = loop {
        let snapshot: Value = reqwest::get(app.url("/dashboard/snapshot"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if snapshot["requests"]["total"].as_u64() == Some(12)
            || started.elapsed() > Duration::from_secs(60)
        {
            break snapshot;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(snapshot["requests"]["total"], 12, "{snapshot}");
    assert_eq!(snapshot["llm"]["calls"], 12, "{snapshot}");
    assert_eq!(snapshot["replica"], "demo-1");
    assert!(
        snapshot["targets"]
            .as_array()
            .is_some_and(|t| !t.is_empty()),
        "{snapshot}"
    );
    let (status, log) = app.stop();
    assert!(status.success(), "clean exit: {status:?}\n{log}");
}
