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

struct Triager;

impl Runnable<Ticket, Triage> for Triager {
    fn run(&self, _ctx: AgentContext, input: Ticket) -> BoxFuture<'_, Result<Triage, AgentError>> {
        Box::pin(async move { Ok(Triage { label: input.text }) })
    }
}

#[agent_endpoint(path = "/triage", runnable = Triager)]
async fn triage(ctx: AgentContext, input: Ticket) -> Result<Triage, AgentError> {
    let _ = ctx.run_id();
    Ok(Triage { label: input.text })
}

fn main() {}
