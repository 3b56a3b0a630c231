//! The runnable example as written: the agent answers through the endpoint,
//! with its own model and instructions (offline, on the demo gateway).

mod support;

use serde_json::{Value, json};
use support::Example;

#[tokio::test]
async fn the_reviewer_agent_answers_through_its_endpoint() {
    let app = Example::start(env!("CARGO_BIN_EXE_runnable_agent"), &[]).await;
    let reply: Value = reqwest::Client::new()
        .post(app.url("/review"))
        .json(&json!({"code": "fn main() {}"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(reply["model"], "fastagentic-demo", "{reply}");
    let review = reply["review"].as_str().unwrap();
    assert!(
        review.contains("fn main() {}"),
        "the input reached the agent: {review}"
    );
    assert!(
        review.contains("correctness and safety"),
        "the agent's own instructions: {review}"
    );
    let (status, log) = app.stop();
    assert!(status.success(), "{log}");
}
