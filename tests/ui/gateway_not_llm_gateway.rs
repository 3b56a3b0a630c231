use fastagentic::prelude::*;

#[derive(Deserialize, JsonSchema)]
struct Ticket {
    text: String,
}

#[derive(Serialize, JsonSchema)]
struct Triage {
    label: String,
}

#[agent_endpoint(path = "/triage", llm_gateway = String::from("openai"))]
async fn triage(ctx: AgentContext, input: Ticket) -> Result<Triage, AgentError> {
    let reply = ctx.llm().chat(ChatRequest::new("gpt-4o-mini").user(&input.text)).await?;
    Ok(Triage { label: reply.text().to_owned() })
}

fn main() {}
