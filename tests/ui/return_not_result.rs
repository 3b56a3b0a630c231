use fastagentic::prelude::*;

#[derive(Deserialize, JsonSchema)]
struct Ticket {
    text: String,
}

#[derive(Serialize, JsonSchema)]
struct Triage {
    label: String,
}

#[agent_endpoint(path = "/triage")]
async fn triage(input: Ticket) -> Triage {
    let _ = input.text;
    Triage { label: "bug".to_owned() }
}

fn main() {}
