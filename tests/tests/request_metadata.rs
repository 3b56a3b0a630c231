//! Request metadata end to end: set from the `x-portkey-metadata` (or
//! `x-fastagentic-metadata`) header, from an `on_request` hook, or from the
//! endpoint's code; read by the gateway (its `CallContext`), by hooks and by
//! the endpoint.

use std::sync::{Arc, Mutex};

use fastagentic::gateway::{GatewayReply, GatewayRequest, Node, NodeKind, Strategy, shared};
use fastagentic::llm::Extra;
use fastagentic::prelude::*;
use fastagentic::{BoxFuture, CallContext, GatewayError};
use serde_json::{Value, json};

/// Remembers the request metadata of every call it passes on.
#[derive(Clone, Default)]
struct Seen(Arc<Mutex<Vec<Extra>>>);

struct Recording {
    inner: Arc<dyn LlmGateway>,
    seen: Seen,
}

impl Strategy for Recording {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn serve<'a>(
        &'a self,
        call: &'a CallContext,
        request: GatewayRequest,
    ) -> BoxFuture<'a, Result<GatewayReply, GatewayError>> {
        self.seen
            .0
            .lock()
            .unwrap()
            .push(call.request_metadata().clone());
        self.inner.serve(call, request)
    }

    fn node(&self) -> Node<'_> {
        Node::wrapping(NodeKind::Strategy("recording"), self.inner.as_ref())
    }
}

#[derive(Deserialize, JsonSchema)]
struct Ask {
    q: String,
}

#[derive(Serialize, JsonSchema)]
struct Said {
    a: String,
    metadata: Value,
}

/// Asks once and says what request metadata it saw.
#[agent_endpoint(path = "/metadata/plain")]
async fn plain(ctx: AgentContext, input: Ask) -> Result<Said, AgentError> {
    let reply = ctx.llm().chat(ChatRequest::new("m").user(input.q)).await?;
    Ok(Said {
        a: reply.text().to_owned(),
        metadata: Value::Object(ctx.request_metadata().clone()),
    })
}

/// Sets `tier` itself before asking.
#[agent_endpoint(path = "/metadata/tiered")]
async fn tiered(mut ctx: AgentContext, input: Ask) -> Result<Said, AgentError> {
    ctx.set_request_metadata("tier", "premium");
    let reply = ctx.llm().chat(ChatRequest::new("m").user(input.q)).await?;
    Ok(Said {
        a: reply.text().to_owned(),
        metadata: Value::Object(ctx.request_metadata().clone()),
    })
}

/// Adds `tenant` on every request, and records what `on_llm_end` sees.
#[derive(Clone, Default)]
struct TenantHook {
    llm_end: Seen,
}

impl Hook for TenantHook {
    fn events(&self) -> &[HookEvent] {
        &[HookEvent::OnRequest, HookEvent::OnLlmEnd]
    }

    fn handle<'a>(&'a self, event: HookEvent, ctx: &'a HookContext) -> BoxFuture<'a, HookResult> {
        Box::pin(async move {
            match event {
                HookEvent::OnRequest => {
                    let mut entries = Extra::new();
                    entries.insert("tenant".into(), json!("acme"));
                    HookResult::SetRequestMetadata(entries)
                }
                _ => {
                    self.llm_end
                        .0
                        .lock()
                        .unwrap()
                        .push(ctx.request_metadata.as_ref().clone());
                    HookResult::Proceed
                }
            }
        })
    }
}

async fn start(seen: &Seen, hook: Option<TenantHook>) -> fastagentic::ServerHandle {
    let gateway = Recording {
        inner: shared(DemoGateway::new()),
        seen: seen.clone(),
    };
    let mut app = App::new("Request metadata")
        .without_inventory()
        .endpoint(&PLAIN_ENDPOINT)
        .endpoint(&TIERED_ENDPOINT)
        .llm_gateway(gateway);
    if let Some(hook) = hook {
        app = app.hook(hook);
    }
    app.spawn("127.0.0.1:0").await.unwrap()
}

async fn post(
    app: &fastagentic::ServerHandle,
    path: &str,
    headers: &[(&str, &str)],
) -> (u16, Value) {
    let mut request = reqwest::Client::new()
        .post(format!("{}{path}", app.url()))
        .json(&json!({"q": "hello"}));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn the_portkey_metadata_header_reaches_the_gateway_and_the_endpoint() {
    let seen = Seen::default();
    let app = start(&seen, None).await;
    let (status, body) = post(
        &app,
        "/metadata/plain",
        &[("x-portkey-metadata", r#"{"tier": "free", "_user": "u-1"}"#)],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["metadata"], json!({"tier": "free", "_user": "u-1"}));
    assert_eq!(
        seen.0.lock().unwrap().last().cloned().map(Value::Object),
        Some(json!({"tier": "free", "_user": "u-1"}))
    );

    // FastAgentic's own header, whose entries win over Portkey's.
    let (_, body) = post(
        &app,
        "/metadata/plain",
        &[
            ("x-portkey-metadata", r#"{"tier": "free"}"#),
            ("x-fastagentic-metadata", r#"{"tier": "gold"}"#),
        ],
    )
    .await;
    assert_eq!(body["metadata"], json!({"tier": "gold"}));

    let (_, body) = post(&app, "/metadata/plain", &[]).await;
    assert_eq!(body["metadata"], json!({}));
    app.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_malformed_metadata_header_answers_400_naming_it() {
    let seen = Seen::default();
    let app = start(&seen, None).await;
    let (status, body) = post(
        &app,
        "/metadata/plain",
        &[("x-portkey-metadata", r#"["not", "an", "object"]"#)],
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["type"], "invalid_request_metadata");
    assert_eq!(body["error"]["details"]["header"], "x-portkey-metadata");
    assert!(seen.0.lock().unwrap().is_empty(), "no LLM call was made");
    app.shutdown().await.unwrap();
}

#[tokio::test]
async fn hooks_and_endpoint_code_set_request_metadata_that_gateways_and_hooks_read() {
    let seen = Seen::default();
    let hook = TenantHook::default();
    let app = start(&seen, Some(hook.clone())).await;
    let (status, body) = post(
        &app,
        "/metadata/tiered",
        &[("x-portkey-metadata", r#"{"tier": "free"}"#)],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let expected = json!({"tier": "premium", "tenant": "acme"});
    assert_eq!(body["metadata"], expected);
    assert_eq!(
        seen.0.lock().unwrap().last().cloned().map(Value::Object),
        Some(expected.clone()),
        "the gateway sees the hook's and the endpoint's entries"
    );
    assert_eq!(
        hook.llm_end
            .0
            .lock()
            .unwrap()
            .last()
            .cloned()
            .map(Value::Object),
        Some(expected),
        "on_llm_end sees them too"
    );
    app.shutdown().await.unwrap();
}

/// A fresh HTTP pool per test: the process-wide one can hold connections
/// of another test's runtime.
fn http() -> reqwest::Client {
    fastagentic_tests::loopback::http_client(std::time::Duration::from_secs(10))
}

#[tokio::test]
async fn portkey_sends_the_request_metadata_in_its_metadata_header() {
    let portkey = fastagentic::testing::MockProvider::start().await;
    let gateway = fastagentic_portkey::PortkeyGateway::new()
        .base_url(portkey.base_url())
        .http_client(http())
        .provider("openai")
        .provider_api_key("sk-test")
        .metadata("environment", "production")
        .metadata_with("_user", |ctx| ctx.user_id());
    let mut call = CallContext::detached().with_user(Some("alice".into()));
    call.set_request_metadata("tier", "premium");
    call.set_request_metadata("environment", "a client cannot relabel this");
    gateway
        .chat(&call, ChatRequest::new("m").user("hi"))
        .await
        .unwrap();
    let sent: Value =
        serde_json::from_str(portkey.requests()[0].header("x-portkey-metadata").unwrap()).unwrap();
    assert_eq!(
        sent,
        json!({"tier": "premium", "environment": "production", "_user": "alice"})
    );

    // With only request metadata, the header is still sent.
    let plain = fastagentic_portkey::PortkeyGateway::new()
        .base_url(portkey.base_url())
        .http_client(http())
        .provider("openai")
        .provider_api_key("sk-test");
    let mut call = CallContext::detached();
    call.set_request_metadata("tier", "free");
    plain
        .chat(&call, ChatRequest::new("m").user("hi"))
        .await
        .unwrap();
    let sent: Value =
        serde_json::from_str(portkey.requests()[1].header("x-portkey-metadata").unwrap()).unwrap();
    assert_eq!(sent, json!({"tier": "free"}));
}

#[tokio::test]
async fn litellm_sends_the_request_metadata_in_the_body() {
    let proxy = fastagentic::testing::MockProvider::start().await;
    let gateway = fastagentic_litellm::LiteLLMGateway::new()
        .base_url(proxy.url())
        .api_key("sk-proxy")
        .http_client(http())
        .metadata("team", "search");
    let mut call = CallContext::detached();
    call.set_request_metadata("tier", "premium");
    call.set_request_metadata("team", "not this one");
    gateway
        .chat(&call, ChatRequest::new("m").user("hi"))
        .await
        .unwrap();
    assert_eq!(
        proxy.requests()[0].body["metadata"],
        json!({"tier": "premium", "team": "search"})
    );
}
