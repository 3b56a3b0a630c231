use fastagentic::prelude::*;

#[derive(Deserialize, JsonSchema)]
struct Ticket {
    text: String,
}

#[derive(Serialize, JsonSchema)]
struct Triage {
    label: String,
}

struct Triager {
    default_label: String,
}

impl Triager {
    #[agent_endpoint(path = "/triage")]
    async fn triage(&self, input: Ticket) -> Result<Triage, AgentError> {
        let _ = input.text;
        Ok(Triage { label: self.default_label.clone() })
    }
}

fn main() {}
