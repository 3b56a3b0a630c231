use fastagentic::BoxFuture;
use fastagentic::prelude::*;

#[derive(Deserialize, JsonSchema)]
struct Ticket {
    text: String,
}

#[derive(Serialize, JsonSchema)]
struct Triage {
    label: String,
}

#[derive(Serialize, JsonSchema)]
struct Summary {
    text: String,
}

/// A runnable, but for another output type than the endpoint's.
struct Summarizer {
    model: &'static str,
}

impl Summarizer {
    fn new(model: &'static str) -> Self {
        Self { model }
    }
}

impl Runnable<Ticket, Summary> for Summarizer {
    fn run(&self, _ctx: AgentContext, input: Ticket) -> BoxFuture<'_, Result<Summary, AgentError>> {
        Box::pin(async move { Ok(Summary { text: format!("{}: {}", self.model, input.text) }) })
    }
}

#[agent_endpoint(path = "/triage", runnable = Summarizer::new("gpt-4o-mini"))]
async fn triage(ctx: AgentContext, input: Ticket) -> Result<Triage, AgentError>;

fn main() {}
