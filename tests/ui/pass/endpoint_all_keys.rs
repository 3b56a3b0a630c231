//! Every key of `#[agent_endpoint]`: name, description, llm_gateway, stream,
//! runnable; the context and input each optional.

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

/// Classifies a ticket.
#[agent_endpoint(
    path = "/tickets/{id}/triage",
    name = "triage_ticket",
    description = "Labels a support ticket.",
    llm_gateway = DemoGateway::new(),
)]
async fn triage(ctx: AgentContext, input: Ticket) -> Result<Triage, AgentError> {
    let reply = ctx.llm().chat(ChatRequest::new("gpt-4o-mini").user(&input.text)).await?;
    Ok(Triage { label: reply.text().to_owned() })
}

/// Streams the model's answer.
#[agent_endpoint(path = "/chat/stream", stream = true, llm_gateway = DemoGateway::new())]
async fn chat_stream(ctx: AgentContext, input: Ticket) -> Result<ChatStream, AgentError> {
    Ok(ctx.llm().chat_stream(ChatRequest::new("gpt-4o-mini").user(&input.text)).await?)
}

/// A reusable agent.
struct Labeler {
    label: &'static str,
}

impl Labeler {
    fn new(label: &'static str) -> Self {
        Self { label }
    }
}

impl Runnable<Ticket, Triage> for Labeler {
    fn run(&self, _ctx: AgentContext, input: Ticket) -> BoxFuture<'_, Result<Triage, AgentError>> {
        Box::pin(async move {
            let _ = input.text;
            Ok(Triage { label: self.label.to_owned() })
        })
    }
}

#[agent_endpoint(path = "/label", runnable = Labeler::new("bug"))]
async fn label(ctx: AgentContext, input: Ticket) -> Result<Triage, AgentError>;

fn main() {
    let _ = (&TRIAGE_ENDPOINT, &CHAT_STREAM_ENDPOINT, &LABEL_ENDPOINT);
    let _app = App::new("All keys").endpoint(&TRIAGE_ENDPOINT);
}
