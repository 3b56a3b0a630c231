use fastagentic::prelude::*;

const TRIAGE_PATH: &str = "/triage";

#[derive(Deserialize, JsonSchema)]
struct Ticket {
    text: String,
}

#[derive(Serialize, JsonSchema)]
struct Triage {
    label: String,
}

#[agent_endpoint(path = TRIAGE_PATH)]
async fn triage(input: Ticket) -> Result<Triage, AgentError> {
    let _ = input.text;
    Ok(Triage { label: "bug".to_owned() })
}

fn main() {}
