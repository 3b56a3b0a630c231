//! The dashboard with traffic to look at, offline:
//!
//! ```text
//! cargo run --bin dashboard_demo
//! open http://127.0.0.1:8000/dashboard
//! ```
//!
//! Local mock providers stand in for OpenAI (no key, no network): answers
//! take 40 to 400 ms, the primary model fails now and then (the retry and
//! the fallback take over) and refuses a few prompts (errors), questions
//! repeat (the cache answers), four
//! users share the traffic, and after 150 requests the small model starts
//! failing for good: the primary target's circuit breaker opens and the
//! fallback model answers both endpoints.
//! `FASTAGENTIC_DEMO_REQUESTS` stops the traffic after that many requests.

use std::time::Duration;

use fastagentic::cache::ExactCache;
use fastagentic::prelude::*;
use fastagentic::reliability::{Backoff, BreakerPolicy, ReliableGateway, RetryPolicy, Target};
use fastagentic::testing::{MockProvider, MockReply};
use rand::Rng;
use rand::seq::IndexedRandom;

/// A question, and who asks it.
#[derive(Deserialize, JsonSchema)]
struct Question {
    /// The question.
    text: String,
    /// Who asks (the dashboard's cost per user).
    #[allow(
        dead_code,
        reason = "read by the on_request hook, which runs the request as this user"
    )]
    user: Option<String>,
}

/// The answer.
#[derive(Serialize, JsonSchema)]
struct Reply {
    /// The model's answer.
    text: String,
}

/// Answers a support question with the small model.
#[agent_endpoint(path = "/support")]
async fn support(ctx: AgentContext, input: Question) -> Result<Reply, AgentError> {
    let reply = ctx
        .llm()
        .chat(ChatRequest::new("gpt-4o-mini").user(&input.text))
        .await?;
    Ok(Reply {
        text: reply.text().to_owned(),
    })
}

/// Writes a report with the large model.
#[agent_endpoint(path = "/report")]
async fn report(ctx: AgentContext, input: Question) -> Result<Reply, AgentError> {
    let reply = ctx
        .llm()
        .chat(ChatRequest::new("gpt-4o").user(&input.text))
        .await?;
    Ok(Reply {
        text: reply.text().to_owned(),
    })
}

/// Runs each request as the user it names (an auth layer would do this).
#[hook("on_request")]
async fn user_from_body(ctx: &HookContext) -> HookResult {
    match ctx.request().and_then(|r| r["user"].as_str()) {
        Some(user) => HookResult::SetUser(user.to_owned()),
        None => HookResult::Proceed,
    }
}

const QUESTIONS: &[&str] = &[
    "How do I reset my password?",
    "Where is my order?",
    "Can I change my delivery address?",
    "What is your refund policy?",
    "How do I cancel my subscription?",
    "Do you ship abroad?",
    "Why was my card declined?",
    "How do I export my data?",
];
const USERS: &[&str] = &["alice", "bob", "carol", "dave"];

/// After this many requests the small model goes down for good.
const PRIMARY_DIES_AFTER: u64 = 150;

#[tokio::main]
async fn main() -> Result<(), fastagentic::Error> {
    fastagentic_examples::init_logging();
    let addr = std::env::var("FASTAGENTIC_ADDR").unwrap_or_else(|_| "127.0.0.1:8000".to_owned());
    let limit = std::env::var("FASTAGENTIC_DEMO_REQUESTS")
        .ok()
        .and_then(|n| n.parse::<u64>().ok());

    let provider = MockProvider::start().await;
    provider.on_model(
        "gpt-4o-mini",
        MockReply::text("Here is how.").usage(180, 90),
    );
    provider.on_model("gpt-4o", MockReply::text("The report.").usage(900, 600));
    provider.on_model(
        "gpt-4.1-mini",
        MockReply::text("From the fallback.").usage(180, 90),
    );
    // A cache, then retries, a fallback model and a breaker per target.
    let gateway = ExactCache::new(
        ReliableGateway::new(OpenAiGateway::new("sk-demo").base_url(provider.base_url()))
            .retry(RetryPolicy::new(2).backoff(Backoff::fixed(Duration::from_millis(20))))
            .fallback([Target::model("gpt-4.1-mini")])
            .circuit_breaker(BreakerPolicy::new(5, Duration::from_secs(30))),
    );

    let app = App::new("Dashboard demo")
        .llm_gateway(gateway)
        .dashboard(Dashboard::new().replica("demo-1"))
        .spawn(&addr)
        .await?;
    let base = app.url();
    tracing::info!("the dashboard: {base}/dashboard");

    let traffic = tokio::spawn(async move {
        let http = reqwest::Client::new();
        let mut sent = 0u64;
        while limit.is_none_or(|limit| sent < limit) {
            let (path, model, text, user, failing, refused, delay) = {
                let mut rng = rand::rng();
                let report = rng.random_bool(0.25);
                let question = QUESTIONS.choose(&mut rng).copied().unwrap_or_default();
                // Some questions come back word for word: the cache answers those.
                let order = rng.random_range(0..if report { 12 } else { 40 });
                (
                    if report { "/report" } else { "/support" },
                    if report { "gpt-4o" } else { "gpt-4o-mini" },
                    format!("{question} (order {order})"),
                    USERS.choose(&mut rng).copied().unwrap_or_default(),
                    rng.random_bool(0.06),
                    rng.random_bool(0.02),
                    rng.random_range(40..if report { 400 } else { 160 }),
                )
            };
            if sent == PRIMARY_DIES_AFTER {
                tracing::info!("the small model goes down: watch the primary's breaker open");
            }
            let (answer, usage) = if model == "gpt-4o" {
                ("The report.", (900, 600))
            } else {
                ("Here is how.", (180, 90))
            };
            let reply = if model == "gpt-4o-mini" && sent >= PRIMARY_DIES_AFTER {
                MockReply::status(503)
            } else {
                MockReply::text(answer)
                    .usage(usage.0, usage.1)
                    .delay(Duration::from_millis(delay))
            };
            provider.on_model(model, reply);
            provider.on_model(
                "gpt-4.1-mini",
                MockReply::text("From the fallback.")
                    .usage(usage.0, usage.1)
                    .delay(Duration::from_millis(delay / 2 + 20)),
            );
            if failing {
                // the next call to this model fails once: a retry answers it
                provider.push_for_model(model, MockReply::status(503));
            }
            if refused {
                // a request the provider refuses: no retry or fallback helps
                provider.push_for_model(
                    model,
                    MockReply::status(400).message("the prompt was flagged"),
                );
            }
            let body = serde_json::json!({"text": text, "user": user});
            if let Err(error) = http.post(format!("{base}{path}")).json(&body).send().await {
                tracing::warn!("the demo's request failed: {error}");
            }
            sent += 1;
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    });

    fastagentic::shutdown_signal().await;
    traffic.abort();
    app.shutdown().await
}
