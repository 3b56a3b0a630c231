//! The HTTP edge: typed JSON in and out, one error shape for every bad
//! input, health, readiness, OpenAPI and the docs page; the server keeps
//! serving after each bad request.

use std::time::Duration;

use fastagentic::prelude::*;
use fastagentic::testing::{MockProvider, MockReply};
use serde_json::{Value, json};

#[derive(Deserialize, JsonSchema)]
#[allow(dead_code)] // read by the schema check only
struct Ticket {
    /// The ticket's text.
    text: String,
    #[serde(default)]
    priority: Option<Priority>,
}

#[derive(Deserialize, JsonSchema)]
#[allow(dead_code)] // read by the schema check only
struct Priority {
    level: u8,
}

#[derive(Serialize, JsonSchema)]
struct Triage {
    label: String,
    model: String,
}

/// Classifies a support ticket.
///
/// Longer description line.
#[agent_endpoint(path = "/triage")]
async fn triage(ctx: AgentContext, input: Ticket) -> Result<Triage, AgentError> {
    let reply = ctx
        .llm()
        .chat(
            ChatRequest::new("gpt-4o-mini")
                .system("Label it.")
                .user(&input.text),
        )
        .await?;
    Ok(Triage {
        label: reply.text().to_owned(),
        model: reply.model.clone(),
    })
}

#[derive(Serialize, JsonSchema)]
struct Pong {
    pong: bool,
}

#[agent_endpoint(path = "/ping", name = "ping_endpoint", description = "Answers pong.")]
async fn ping() -> Result<Pong, AgentError> {
    Ok(Pong { pong: true })
}

#[derive(Deserialize, JsonSchema)]
struct Lookup {
    id: String,
    verbose: bool,
}

#[derive(Serialize, JsonSchema)]
struct Found {
    id: String,
    verbose: bool,
}

/// Path parameters are merged into the input object.
#[agent_endpoint(path = "/tickets/{id}")]
async fn lookup(input: Lookup) -> Result<Found, AgentError> {
    Ok(Found {
        id: input.id,
        verbose: input.verbose,
    })
}

#[agent_endpoint(path = "/panics")]
async fn panics() -> Result<Pong, AgentError> {
    panic!("boom")
}

#[agent_endpoint(path = "/slow")]
async fn slow() -> Result<Pong, AgentError> {
    tokio::time::sleep(Duration::from_secs(5)).await;
    Ok(Pong { pong: true })
}

struct Server {
    handle: fastagentic::ServerHandle,
    mock: MockProvider,
    http: reqwest::Client,
}

impl Server {
    async fn start() -> Self {
        let mock = MockProvider::start().await;
        let handle = App::new("Surface test")
            .version("1.2.3")
            .description("An app for tests.")
            .llm_gateway(OpenAiGateway::new("sk-test").base_url(mock.base_url()))
            .body_limit(1024)
            .request_timeout(Duration::from_millis(500))
            .spawn("127.0.0.1:0")
            .await
            .expect("the app starts");
        Self {
            handle,
            mock,
            http: reqwest::Client::new(),
        }
    }

    async fn post(&self, path: &str, body: &str) -> (u16, Value) {
        self.post_with(path, body, "application/json").await
    }

    async fn post_with(&self, path: &str, body: &str, content_type: &str) -> (u16, Value) {
        let response = self
            .http
            .post(format!("{}{path}", self.handle.url()))
            .header("content-type", content_type)
            .body(body.to_owned())
            .send()
            .await
            .expect("request sent");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn get(&self, path: &str) -> (u16, String) {
        let response = self
            .http
            .get(format!("{}{path}", self.handle.url()))
            .send()
            .await
            .expect("request sent");
        (
            response.status().as_u16(),
            response.text().await.unwrap_or_default(),
        )
    }
}

fn error_type(body: &Value) -> &str {
    body["error"]["type"].as_str().unwrap_or("<none>")
}

#[tokio::test]
async fn typed_json_in_and_out() {
    let server = Server::start().await;
    server.mock.push(MockReply::text("billing"));
    let (status, body) = server
        .post("/triage", r#"{"text": "I was charged twice"}"#)
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, json!({"label": "billing", "model": "gpt-4o-mini"}));
    let sent = &server.mock.requests()[0];
    assert_eq!(sent.body["messages"][1]["content"], "I was charged twice");
    assert_eq!(sent.body["messages"][0]["role"], "system");

    let (status, body) = server.post("/ping", "").await;
    assert_eq!((status, body), (200, json!({"pong": true})));
}

#[tokio::test]
async fn bad_inputs_get_their_status_and_the_server_keeps_serving() {
    let server = Server::start().await;
    let cases: &[(&str, &str, &str, u16, &str)] = &[
        (
            "/triage",
            "{\"text\": ",
            "application/json",
            400,
            "invalid_json",
        ),
        ("/triage", "", "application/json", 400, "invalid_json"),
        (
            "/triage",
            r#"{"txt": "x"}"#,
            "application/json",
            422,
            "validation_error",
        ),
        (
            "/triage",
            r#"{"text": 5}"#,
            "application/json",
            422,
            "validation_error",
        ),
        (
            "/triage",
            r#"{"text": "x"}"#,
            "text/plain",
            415,
            "unsupported_media_type",
        ),
        ("/nowhere", "{}", "application/json", 404, "not_found"),
    ];
    for (path, body, content_type, status, kind) in cases {
        let (got, json) = server.post_with(path, body, content_type).await;
        assert_eq!(
            (got, error_type(&json)),
            (*status, *kind),
            "{path} {body}: {json}"
        );
        assert!(
            json["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
    }
    let big = format!("{{\"text\": \"{}\"}}", "x".repeat(4096));
    let (status, json) = server.post("/triage", &big).await;
    assert_eq!((status, error_type(&json)), (413, "payload_too_large"));

    // The field path of a nested mismatch.
    let (status, json) = server
        .post("/triage", r#"{"text": "x", "priority": {"level": "high"}}"#)
        .await;
    assert_eq!(status, 422);
    assert_eq!(json["error"]["details"]["path"], "priority.level");

    // Wrong method on a known path.
    let response = server
        .http
        .get(format!("{}/triage", server.handle.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 405);

    // Still serving.
    let (status, _) = server.post("/ping", "{}").await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn upstream_failures_are_typed_502s_with_the_providers_status_and_message() {
    let server = Server::start().await;
    server
        .mock
        .push(MockReply::status(503).message("overloaded, try later"));
    let (status, json) = server.post("/triage", r#"{"text": "x"}"#).await;
    assert_eq!(
        (status, error_type(&json)),
        (502, "upstream_error"),
        "{json}"
    );
    assert_eq!(json["error"]["details"]["status"], 503);
    assert_eq!(json["error"]["details"]["message"], "overloaded, try later");
    assert_eq!(json["error"]["details"]["provider"], "openai");

    server.mock.push(MockReply::malformed());
    let (status, json) = server.post("/triage", r#"{"text": "x"}"#).await;
    assert_eq!(
        (status, error_type(&json)),
        (502, "upstream_malformed"),
        "{json}"
    );

    server
        .mock
        .push(MockReply::raw(200, "<html>not json</html>", "text/html"));
    let (status, json) = server.post("/triage", r#"{"text": "x"}"#).await;
    assert_eq!(
        (status, error_type(&json)),
        (502, "upstream_malformed"),
        "{json}"
    );

    let (status, _) = server.post("/ping", "{}").await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn a_panicking_endpoint_is_a_500_and_the_server_survives() {
    let server = Server::start().await;
    let (status, json) = server.post("/panics", "{}").await;
    assert_eq!((status, error_type(&json)), (500, "internal_error"));
    let (status, _) = server.post("/ping", "{}").await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn the_request_timeout_answers_504() {
    let server = Server::start().await;
    let (status, json) = server.post("/slow", "{}").await;
    assert_eq!((status, error_type(&json)), (504, "request_timeout"));
}

#[tokio::test]
async fn path_parameters_merge_into_the_input() {
    let server = Server::start().await;
    let (status, json) = server.post("/tickets/T-42", r#"{"verbose": true}"#).await;
    assert_eq!(
        (status, json),
        (200, json!({"id": "T-42", "verbose": true}))
    );
}

#[tokio::test]
async fn health_readiness_and_run_ids() {
    let server = Server::start().await;
    assert_eq!(
        server.get("/health").await,
        (200, r#"{"status":"ok"}"#.to_owned())
    );
    assert_eq!(
        server.get("/ready").await,
        (200, r#"{"status":"ready"}"#.to_owned())
    );
    let response = server
        .http
        .post(format!("{}/ping", server.handle.url()))
        .send()
        .await
        .unwrap();
    let run_id = response
        .headers()
        .get("x-fastagentic-run-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    assert_eq!(run_id.len(), 36, "a uuid: {run_id}");
}

#[tokio::test]
async fn openapi_describes_every_endpoint_with_schemas_and_docs() {
    let server = Server::start().await;
    let (status, text) = server.get("/openapi.json").await;
    assert_eq!(status, 200);
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(
        doc["info"],
        json!({"title": "Surface test", "version": "1.2.3", "description": "An app for tests."})
    );
    let paths = doc["paths"].as_object().unwrap();
    let mut listed: Vec<&str> = paths.keys().map(String::as_str).collect();
    listed.sort_unstable();
    assert_eq!(
        listed,
        ["/panics", "/ping", "/slow", "/tickets/{id}", "/triage"]
    );

    let triage = &doc["paths"]["/triage"]["post"];
    assert_eq!(triage["operationId"], "triage");
    assert_eq!(triage["summary"], "Classifies a support ticket.");
    assert_eq!(
        triage["description"],
        "Classifies a support ticket.\n\nLonger description line."
    );
    assert_eq!(
        triage["requestBody"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/Ticket"
    );
    assert_eq!(
        triage["responses"]["200"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/Triage"
    );
    for code in ["400", "413", "422", "502"] {
        assert_eq!(
            triage["responses"][code]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/Error"
        );
    }
    let ticket = &doc["components"]["schemas"]["Ticket"];
    assert_eq!(ticket["required"], json!(["text"]));
    assert_eq!(
        ticket["properties"]["text"]["description"],
        "The ticket's text."
    );
    assert!(
        doc["components"]["schemas"]["Priority"].is_object(),
        "nested types are components too"
    );

    let ping = &doc["paths"]["/ping"]["post"];
    assert_eq!(ping["operationId"], "ping_endpoint");
    assert_eq!(ping["description"], "Answers pong.");
    assert!(
        ping.get("requestBody").is_none(),
        "no input, no request body"
    );

    let lookup = &doc["paths"]["/tickets/{id}"]["post"];
    assert_eq!(lookup["parameters"][0]["name"], "id");
    assert_eq!(lookup["parameters"][0]["in"], "path");
}

#[tokio::test]
async fn the_docs_page_is_self_contained() {
    let server = Server::start().await;
    let (status, page) = server.get("/docs").await;
    assert_eq!(status, 200);
    assert!(page.contains("/openapi.json"));
    assert!(!page.contains("https://"), "no CDN: the page works offline");
}
