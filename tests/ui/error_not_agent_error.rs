use fastagentic::prelude::*;

#[derive(Deserialize, JsonSchema)]
struct Ticket {
    text: String,
}

#[derive(Serialize, JsonSchema)]
struct Triage {
    label: String,
}

#[derive(Debug)]
struct TriageError;

#[agent_endpoint(path = "/triage")]
async fn triage(input: Ticket) -> Result<Triage, TriageError> {
    if input.text.is_empty() {
        return Err(TriageError);
    }
    Ok(Triage { label: "bug".to_owned() })
}

fn main() {}
