//! A reusable agent served by an endpoint: the Rust form of the Python
//! FastAgentic's `runnable=` objects. The agent is built once at start-up
//! and shared by every request; the endpoint function only gives the types.
//!
//! ```text
//! cargo run --bin runnable_agent
//! curl -s localhost:8000/review -H 'content-type: application/json' -d '{"code": "fn main() {}"}'
//! ```

use fastagentic::BoxFuture;
use fastagentic::prelude::*;

/// Code to review.
#[derive(Deserialize, JsonSchema)]
struct Code {
    /// The source text.
    code: String,
}

/// A review.
#[derive(Serialize, JsonSchema)]
struct Review {
    /// What the reviewer says.
    review: String,
    /// The model that reviewed.
    model: String,
}

/// A code reviewer: a model and its instructions, built once.
struct Reviewer {
    model: String,
    instructions: String,
}

impl Reviewer {
    fn new(model: &str, focus: &str) -> Self {
        Self {
            model: model.to_owned(),
            instructions: format!(
                "You review code. Focus on {focus}. Answer in three bullet points."
            ),
        }
    }
}

impl Runnable<Code, Review> for Reviewer {
    fn run(&self, ctx: AgentContext, input: Code) -> BoxFuture<'_, Result<Review, AgentError>> {
        Box::pin(async move {
            let request = ChatRequest::new(&self.model)
                .system(&self.instructions)
                .user(input.code);
            let response = ctx.llm().chat(request).await?;
            Ok(Review {
                review: response.text().to_owned(),
                model: response.model.clone(),
            })
        })
    }
}

/// Reviews a piece of code for correctness and safety.
#[agent_endpoint(path = "/review", runnable = Reviewer::new("gpt-4o-mini", "correctness and safety"))]
async fn review(ctx: AgentContext, input: Code) -> Result<Review, AgentError>;

#[tokio::main]
async fn main() -> Result<(), fastagentic::Error> {
    fastagentic_examples::init_logging();
    let addr = std::env::var("FASTAGENTIC_ADDR").unwrap_or_else(|_| "127.0.0.1:8000".to_owned());
    App::new("Code review agent")
        .llm_gateway(fastagentic_examples::gateway_from_env()?)
        .serve(&addr)
        .await
}
