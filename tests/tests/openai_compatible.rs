//! The OpenAI-compatible route, driven by the official `openai` Python SDK:
//! plain and streamed chat completions, embeddings, the model list and
//! errors, all through the app's gateway and hooks.

use std::sync::atomic::{AtomicUsize, Ordering};

use fastagentic::prelude::*;
use fastagentic::testing::{MockProvider, MockReply};
use fastagentic_tests::peers::{OPENAI_SDK_VERSION, openai_sdk_python, python_json};
use serde_json::Value;

static LLM_ENDS: AtomicUsize = AtomicUsize::new(0);

#[hook("on_llm_end")]
async fn count(_ctx: &HookContext) {
    LLM_ENDS.fetch_add(1, Ordering::SeqCst);
}

const SCRIPT: &str = r#"
import json, os, openai
out = {"version": openai.__version__}
client = openai.OpenAI(base_url=os.environ["FASTAGENTIC_BASE"], api_key="sk-anything", max_retries=0)
r = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hello"}])
out["text"] = r.choices[0].message.content
out["model"] = r.model
out["tokens"] = r.usage.total_tokens
chunks = []
for chunk in client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "stream"}], stream=True):
    if chunk.choices and chunk.choices[0].delta.content:
        chunks.append(chunk.choices[0].delta.content)
out["stream"] = chunks
e = client.embeddings.create(model="text-embedding-3-small", input=["a", "bb"])
out["embeddings"] = [len(d.embedding) for d in e.data]
out["models"] = [m.id for m in client.models.list()]
try:
    client.chat.completions.create(model="broken-model", messages=[{"role": "user", "content": "x"}])
except openai.APIStatusError as err:
    out["error_status"] = err.status_code
    out["error_body"] = err.body
try:
    client.chat.completions.create(model="gpt-4o-mini", messages="not a list")
except openai.BadRequestError as err:
    out["bad_request"] = {"class": type(err).__name__, "param": err.param, "type": err.type}
print(json.dumps(out))
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_official_openai_sdk_talks_to_the_app() {
    let python = openai_sdk_python()
        .await
        .expect("the openai Python SDK (the pinned providers SDK venv) is needed");
    let mock = MockProvider::start().await;
    mock.push_for_model("gpt-4o-mini", MockReply::text("hi there").usage(3, 2));
    mock.push_for_model("gpt-4o-mini", MockReply::stream(["one ", "two ", "three"]));
    mock.on_model(
        "broken-model",
        MockReply::status(503).message("upstream is down"),
    );
    let app = App::new("OpenAI-compatible")
        .without_inventory()
        .hook_fn(&COUNT_HOOK)
        .llm_gateway(OpenAiGateway::new("sk-upstream").base_url(mock.base_url()))
        .openai_compatible("/v1")
        .openai_models(["gpt-4o-mini", "text-embedding-3-small"])
        .spawn("127.0.0.1:0")
        .await
        .unwrap();

    let out = python_json(
        &python,
        SCRIPT,
        &[("FASTAGENTIC_BASE", format!("{}/v1", app.url()))],
    )
    .await;

    assert_eq!(out["version"], OPENAI_SDK_VERSION);
    assert_eq!(out["text"], "hi there");
    assert_eq!(out["model"], "gpt-4o-mini");
    assert_eq!(out["tokens"], 5);
    assert_eq!(out["stream"], serde_json::json!(["one ", "two ", "three"]));
    assert_eq!(out["embeddings"], serde_json::json!([4, 4]));
    assert_eq!(
        out["models"],
        serde_json::json!(["gpt-4o-mini", "text-embedding-3-small"])
    );
    assert_eq!(out["error_status"], 502);
    assert_eq!(
        out["error_body"]["details"]["message"], "upstream is down",
        "{}",
        out["error_body"]
    );

    assert_eq!(
        out["bad_request"],
        serde_json::json!({"class": "BadRequestError", "param": "messages", "type": "invalid_request_error"}),
        "a malformed request is the SDK's BadRequestError, as with OpenAI"
    );

    // Every call went through the app's gateway (the mock saw them with the
    // app's key) and its hooks (two chat calls ended; the failure did not).
    let calls = mock.requests();
    assert_eq!(calls.len(), 4, "chat, stream, embeddings, failing chat");
    assert!(
        calls
            .iter()
            .all(|c| c.header("authorization") == Some("Bearer sk-upstream"))
    );
    assert_eq!(calls[1].body["stream"], true);
    assert_eq!(LLM_ENDS.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn the_route_is_documented_and_validates_input() {
    let mock = MockProvider::start().await;
    let app = App::new("OpenAI-compatible")
        .without_inventory()
        .llm_gateway(OpenAiGateway::new("sk-upstream").base_url(mock.base_url()))
        .openai_compatible("/v1")
        .spawn("127.0.0.1:0")
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let response = http
        .post(format!("{}/v1/chat/completions", app.url()))
        .json(&serde_json::json!({"model": "x"}))
        .send()
        .await
        .unwrap();
    // OpenAI's own answer to a request it cannot read: 400, which the
    // official SDKs raise as `BadRequestError` (not 422), with the field in `param`.
    assert_eq!(response.status().as_u16(), 400);
    let error: Value = response.json().await.unwrap();
    assert_eq!(error["error"]["type"], "invalid_request_error");
    assert_eq!(error["error"]["param"], "messages", "{error}");
    let not_a_list = http
        .post(format!("{}/v1/chat/completions", app.url()))
        .json(&serde_json::json!({"model": "x", "messages": "not a list"}))
        .send()
        .await
        .unwrap();
    assert_eq!(not_a_list.status().as_u16(), 400);
    let error: Value = not_a_list.json().await.unwrap();
    assert_eq!(error["error"]["param"], "messages", "{error}");
    let doc: Value = http
        .get(format!("{}/openapi.json", app.url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["paths"]["/v1/chat/completions"]["post"].is_object());
    assert!(doc["paths"]["/v1/embeddings"]["post"].is_object());
    let models: Value = http
        .get(format!("{}/v1/models", app.url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        models["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["id"] == "gpt-4o-mini"),
        "defaults to the price table's models"
    );
}
