//! Lifecycle hooks: order, decisions (modify, skip, reject, set user),
//! failures that never take the server down, and what each event carries.

use std::sync::{Arc, Mutex};

use fastagentic::BoxFuture;
use fastagentic::prelude::*;
use fastagentic::testing::{MockProvider, MockReply};
use fastagentic_tests::captured_log::capture_log;
use serde_json::{Value, json};

/// (event, hook, run id) in the order hooks ran, across the whole binary.
static LOG: Mutex<Vec<(String, String, String)>> = Mutex::new(Vec::new());
/// What `on_llm_end` saw, per run id.
static LLM_ENDS: Mutex<Vec<(String, HookContext)>> = Mutex::new(Vec::new());
static ERRORS: Mutex<Vec<(String, String)>> = Mutex::new(Vec::new());

fn log(event: HookEvent, hook: &str, ctx: &HookContext) {
    LOG.lock()
        .unwrap()
        .push((event.to_string(), hook.to_owned(), ctx.run_id.to_string()));
}

fn text_of(ctx: &HookContext) -> String {
    ctx.request()
        .and_then(|r| r["text"].as_str())
        .unwrap_or("")
        .to_owned()
}

/// A hook object that records every event, and skips on "skip".
struct Recorder(&'static str);

impl Hook for Recorder {
    fn name(&self) -> &str {
        self.0
    }
    fn handle<'a>(&'a self, event: HookEvent, ctx: &'a HookContext) -> BoxFuture<'a, HookResult> {
        Box::pin(async move {
            log(event, self.0, ctx);
            if event == HookEvent::OnRequest && text_of(ctx) == "skip" && self.0 == "object-b" {
                return HookResult::Skip;
            }
            HookResult::Proceed
        })
    }
}

#[hook("on_request")]
async fn a_guard(ctx: &HookContext) -> HookResult {
    log(HookEvent::OnRequest, "a_guard", ctx);
    match text_of(ctx).as_str() {
        "forbidden" => HookResult::reject("this text is not allowed"),
        "teapot" => HookResult::reject_with(418, "short and stout"),
        "panic" => panic!("a hook that panics"),
        "shout" => {
            let mut request = ctx.request().cloned().unwrap_or_default();
            request["text"] = json!("SHOUT");
            HookResult::Modify(request)
        }
        _ => HookResult::Proceed,
    }
}

#[hook("on_request")]
async fn b_identify(ctx: &HookContext) -> HookResult {
    log(HookEvent::OnRequest, "b_identify", ctx);
    match ctx.request().and_then(|r| r["api_user"].as_str()) {
        Some(user) => HookResult::SetUser(user.to_owned()),
        None => HookResult::Proceed,
    }
}

#[hook("on_llm_start")]
async fn upgrade_model(ctx: &HookContext) -> HookResult {
    log(HookEvent::OnLlmStart, "upgrade_model", ctx);
    let Some(mut request) = ctx.request().cloned() else {
        return HookResult::Proceed;
    };
    if request["messages"][0]["content"] == "upgrade" {
        request["model"] = json!("gpt-4o");
        return HookResult::Modify(request);
    }
    HookResult::Proceed
}

#[hook("on_llm_end")]
async fn keep_llm_end(ctx: &HookContext) -> Result<(), String> {
    log(HookEvent::OnLlmEnd, "keep_llm_end", ctx);
    LLM_ENDS
        .lock()
        .unwrap()
        .push((ctx.run_id.to_string(), ctx.clone()));
    Ok(())
}

#[hook("on_llm_end")]
async fn failing_hook(_ctx: &HookContext) -> Result<(), String> {
    Err("this hook always fails; the request goes on".to_owned())
}

#[hook("on_error")]
async fn keep_errors(ctx: &HookContext) {
    if let Some(error) = &ctx.error {
        ERRORS
            .lock()
            .unwrap()
            .push((ctx.run_id.to_string(), error.kind.clone()));
    }
}

#[hook("on_response")]
async fn stamp(ctx: &HookContext) -> HookResult {
    log(HookEvent::OnResponse, "stamp", ctx);
    let mut response = ctx.response().cloned().unwrap_or_default();
    response["stamped"] = json!(true);
    HookResult::Modify(response)
}

#[derive(Deserialize, JsonSchema)]
#[allow(dead_code)] // `api_user` is read by a hook
struct In {
    text: String,
    #[serde(default)]
    api_user: Option<String>,
}

#[derive(Serialize, JsonSchema)]
struct Out {
    text: String,
    reply: String,
    user: Option<String>,
}

#[agent_endpoint(path = "/echo")]
async fn echo(ctx: AgentContext, input: In) -> Result<Out, AgentError> {
    let reply = ctx
        .llm()
        .chat(ChatRequest::new("gpt-4o-mini").user(&input.text))
        .await?;
    Ok(Out {
        text: input.text,
        reply: reply.text().to_owned(),
        user: ctx.user_id().map(str::to_owned),
    })
}

async fn start(mock: &MockProvider) -> fastagentic::ServerHandle {
    App::new("Hooks test")
        .llm_gateway(OpenAiGateway::new("sk-test").base_url(mock.base_url()))
        .hooks([Recorder("object-a")])
        .hook(Recorder("object-b"))
        .spawn("127.0.0.1:0")
        .await
        .expect("the app starts")
}

async fn call(app: &fastagentic::ServerHandle, body: Value) -> (u16, Value, String) {
    let response = reqwest::Client::new()
        .post(format!("{}/echo", app.url()))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let run_id = response.headers()["x-fastagentic-run-id"]
        .to_str()
        .unwrap()
        .to_owned();
    (status, response.json().await.unwrap(), run_id)
}

fn events_of(run_id: &str) -> Vec<(String, String)> {
    LOG.lock()
        .unwrap()
        .iter()
        .filter(|(_, _, id)| id == run_id)
        .map(|(event, hook, _)| (event.clone(), hook.clone()))
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect()
}

#[tokio::test]
async fn hooks_run_in_the_documented_order() {
    let mock = MockProvider::start().await;
    let app = start(&mock).await;
    let (status, body, run_id) = call(&app, json!({"text": "hello"})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["stamped"], true, "on_response modified the output");
    assert_eq!(
        events_of(&run_id),
        pairs(&[
            ("on_request", "object-a"),
            ("on_request", "object-b"),
            ("on_request", "a_guard"),
            ("on_request", "b_identify"),
            ("on_llm_start", "object-a"),
            ("on_llm_start", "object-b"),
            ("on_llm_start", "upgrade_model"),
            ("on_llm_end", "object-a"),
            ("on_llm_end", "object-b"),
            ("on_llm_end", "keep_llm_end"),
            ("on_response", "object-a"),
            ("on_response", "object-b"),
            ("on_response", "stamp"),
        ])
    );
}

#[tokio::test]
async fn decisions_modify_reject_skip_and_identify() {
    let mock = MockProvider::start().await;
    let app = start(&mock).await;

    let (status, body, _) = call(&app, json!({"text": "shout"})).await;
    assert_eq!(
        (status, body["text"].clone()),
        (200, json!("SHOUT")),
        "on_request replaced the input"
    );

    let (status, body, run_id) = call(&app, json!({"text": "forbidden"})).await;
    assert_eq!(status, 403);
    assert_eq!(body["error"]["type"], "rejected");
    assert_eq!(body["error"]["message"], "this text is not allowed");
    assert!(
        !events_of(&run_id).iter().any(|(e, _)| e == "on_llm_start"),
        "a rejected request never calls the LLM"
    );

    let (status, _, _) = call(&app, json!({"text": "teapot"})).await;
    assert_eq!(status, 418);

    let (status, _, run_id) = call(&app, json!({"text": "skip"})).await;
    assert_eq!(status, 200);
    let on_request: Vec<String> = events_of(&run_id)
        .into_iter()
        .filter(|(e, _)| e == "on_request")
        .map(|(_, h)| h)
        .collect();
    assert_eq!(on_request, ["object-a", "object-b"], "Skip ends the chain");

    let (status, body, run_id) =
        call(&app, json!({"text": "who am i", "api_user": "user-7"})).await;
    assert_eq!((status, body["user"].clone()), (200, json!("user-7")));
    let ends = LLM_ENDS.lock().unwrap();
    let end = &ends.iter().find(|(id, _)| *id == run_id).unwrap().1;
    assert_eq!(end.user_id.as_deref(), Some("user-7"));
}

#[tokio::test]
async fn on_llm_start_can_change_the_request() {
    let mock = MockProvider::start().await;
    let app = start(&mock).await;
    let (status, _, _) = call(&app, json!({"text": "upgrade"})).await;
    assert_eq!(status, 200);
    assert_eq!(mock.requests()[0].model(), Some("gpt-4o"));
}

#[tokio::test]
async fn on_llm_end_sees_usage_cost_model_messages_and_metadata() {
    let mock = MockProvider::start().await;
    mock.push(MockReply::text("fine thanks").usage(1000, 500));
    let app = start(&mock).await;
    let (status, _, run_id) = call(&app, json!({"text": "how are you"})).await;
    assert_eq!(status, 200);
    let ends = LLM_ENDS.lock().unwrap();
    let ctx = &ends.iter().find(|(id, _)| *id == run_id).unwrap().1;
    assert_eq!(ctx.endpoint, "echo");
    assert_eq!(ctx.model.as_deref(), Some("gpt-4o-mini"));
    assert_eq!(
        (
            ctx.usage.input_tokens,
            ctx.usage.output_tokens,
            ctx.usage.total_tokens
        ),
        (1000, 500, 1500)
    );
    // gpt-4o-mini: $0.15 / $0.60 per million tokens.
    let cost = ctx.usage.cost.expect("priced");
    assert!(
        (cost - (1000.0 * 0.15 + 500.0 * 0.60) / 1e6).abs() < 1e-12,
        "{cost}"
    );
    assert_eq!(ctx.messages[0].text(), "how are you");
    assert_eq!(
        ctx.response().unwrap()["choices"][0]["message"]["content"],
        "fine thanks"
    );
}

#[tokio::test]
async fn failing_and_panicking_hooks_never_take_the_server_down() {
    let mock = MockProvider::start().await;
    let app = start(&mock).await;
    let (status, body, _) = call(&app, json!({"text": "panic"})).await;
    assert_eq!(status, 200, "the panicking hook is passed over: {body}");
    let (status, _, _) = call(&app, json!({"text": "after"})).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn on_error_sees_an_upstream_failure_once() {
    let mock = MockProvider::start().await;
    mock.push(MockReply::status(500));
    let app = start(&mock).await;
    let (status, _, run_id) = call(&app, json!({"text": "x"})).await;
    assert_eq!(status, 502);
    let errors: Vec<String> = ERRORS
        .lock()
        .unwrap()
        .iter()
        .filter(|(id, _)| *id == run_id)
        .map(|(_, k)| k.clone())
        .collect();
    assert_eq!(errors, ["upstream_error"]);
}

struct Lifecycle(Arc<Mutex<Vec<HookEvent>>>);

impl Hook for Lifecycle {
    fn events(&self) -> &[HookEvent] {
        &[HookEvent::OnStartup, HookEvent::OnShutdown]
    }
    fn handle<'a>(&'a self, event: HookEvent, _ctx: &'a HookContext) -> BoxFuture<'a, HookResult> {
        Box::pin(async move {
            self.0.lock().unwrap().push(event);
            HookResult::Proceed
        })
    }
}

#[tokio::test]
async fn startup_and_shutdown_hooks_run_once_each() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let app = App::new("Lifecycle")
        .hook(Lifecycle(seen.clone()))
        .spawn("127.0.0.1:0")
        .await
        .unwrap();
    assert_eq!(*seen.lock().unwrap(), [HookEvent::OnStartup]);
    app.shutdown().await.unwrap();
    assert_eq!(
        *seen.lock().unwrap(),
        [HookEvent::OnStartup, HookEvent::OnShutdown]
    );
}

#[tokio::test]
async fn a_failing_hook_is_logged_with_its_name_and_message() {
    // Other tests' lines land in the log too; the run id picks this request's.
    let captured = capture_log(tracing::Level::INFO);

    let mock = MockProvider::start().await;
    let app = start(&mock).await;
    let (status, _, run_id) = call(&app, json!({"text": "log it"})).await;
    assert_eq!(status, 200, "the failing hook did not fail the request");
    let logs = captured.text();
    let line = logs
        .lines()
        .find(|line| line.contains("hook failed") && line.contains(&run_id))
        .unwrap_or_else(|| panic!("no `hook failed` line for {run_id}:\n{logs}"));
    assert!(line.contains("ERROR"), "{line}");
    assert!(line.contains("failing_hook"), "{line}");
    assert!(line.contains("on_llm_end"), "{line}");
    assert!(
        line.contains("this hook always fails; the request goes on"),
        "{line}"
    );
}

#[tokio::test]
async fn on_llm_end_sees_the_route_in_metadata_fastagentic() {
    use fastagentic::reliability::{Backoff, ReliableGateway, RetryPolicy, Target};

    let mock = MockProvider::start().await;
    mock.on_model("gpt-4o-mini", MockReply::status(503));
    mock.on_model("backup", MockReply::text("from the backup"));
    let app = App::new("Hooks route test")
        .llm_gateway(
            ReliableGateway::new(OpenAiGateway::new("sk-test").base_url(mock.base_url()))
                .retry(
                    RetryPolicy::new(2)
                        .backoff(Backoff::fixed(std::time::Duration::from_millis(1))),
                )
                .fallback([Target::model("backup")]),
        )
        .spawn("127.0.0.1:0")
        .await
        .expect("the app starts");
    let (status, body, run_id) = call(&app, json!({"text": "route"})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["reply"], "from the backup");

    let ends = LLM_ENDS.lock().unwrap();
    let ctx = &ends.iter().find(|(id, _)| *id == run_id).unwrap().1;
    let facts = &ctx.metadata["fastagentic"];
    assert_eq!(facts["target_index"], 1, "{facts}");
    assert_eq!(facts["model"], "backup", "{facts}");
    assert_eq!(facts["failed"][0]["target_index"], 0, "{facts}");
    assert_eq!(facts["failed"][0]["model"], "gpt-4o-mini", "{facts}");
    assert_eq!(facts["failed"][0]["status"], 503, "{facts}");
    assert!(
        facts["attempts"].as_u64().is_some_and(|n| n >= 1),
        "{facts}"
    );
    assert_eq!(
        mock.requests_for_model("gpt-4o-mini"),
        2,
        "retried, then passed over"
    );
}
