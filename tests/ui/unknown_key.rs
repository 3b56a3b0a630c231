use fastagentic::prelude::*;

#[derive(Deserialize, JsonSchema)]
struct Ticket {
    text: String,
}

#[derive(Serialize, JsonSchema)]
struct Triage {
    label: String,
}

#[agent_endpoint(pth = "/triage")]
async fn triage(input: Ticket) -> Result<Triage, AgentError> {
    let _ = input.text;
    Ok(Triage { label: "bug".to_owned() })
}

fn main() {}
