//! The mixed-gateways example as written: each endpoint's requests reach its
//! own gateway's upstream with that gateway's headers and body, and the
//! default serves the rest.

mod support;

use fastagentic::testing::MockProvider;
use serde_json::json;
use support::Example;

#[tokio::test]
async fn each_endpoint_goes_through_its_own_gateway() {
    let (portkey, litellm, openai) = (
        MockProvider::start().await,
        MockProvider::start().await,
        MockProvider::start().await,
    );
    let app = Example::start(
        env!("CARGO_BIN_EXE_mixed_gateways"),
        &[
            ("PORTKEY_API_KEY", "pk-test".into()),
            ("PORTKEY_BASE_URL", portkey.base_url()),
            ("LITELLM_PROXY_API_BASE", litellm.url()),
            ("LITELLM_PROXY_API_KEY", "sk-litellm".into()),
            ("OPENAI_API_KEY", "sk-openai".into()),
            ("OPENAI_BASE_URL", openai.base_url()),
        ],
    )
    .await;
    let http = reqwest::Client::new();
    for path in ["/premium", "/team", "/chat", "/chat"] {
        let response = http
            .post(app.url(path))
            .json(&json!({"message": "hi"}))
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status().as_u16(),
            200,
            "{path}: {}",
            response.text().await.unwrap_or_default()
        );
    }
    let (status, log) = app.stop();
    assert!(status.success(), "clean exit: {status:?}\n{log}");

    let premium = portkey.requests();
    assert_eq!(premium.len(), 1, "only /premium goes to Portkey");
    assert_eq!(premium[0].header("x-portkey-api-key"), Some("pk-test"));
    let config: serde_json::Value = serde_json::from_str(
        premium[0]
            .header("x-portkey-config")
            .expect("the routing config"),
    )
    .unwrap();
    assert_eq!(config["strategy"]["mode"], "fallback");

    let team = litellm.requests();
    assert_eq!(team.len(), 1, "only /team goes to LiteLLM");
    assert_eq!(team[0].header("authorization"), Some("Bearer sk-litellm"));
    assert_eq!(
        team[0].body["fallbacks"],
        json!(["claude-3-sonnet", "gemini-pro"])
    );

    let default = openai.requests();
    assert_eq!(default.len(), 2, "/chat twice through the default");
    assert!(
        default
            .iter()
            .all(|r| r.header("authorization") == Some("Bearer sk-openai")
                && r.model() == Some("gpt-4o-mini"))
    );
    assert!(
        default
            .iter()
            .all(|r| r.header("x-portkey-config").is_none() && r.body.get("fallbacks").is_none())
    );
}
