use fastagentic::prelude::*;

#[derive(Deserialize, JsonSchema)]
struct Ticket {
    text: String,
}

#[agent_endpoint(path = "/triage")]
async fn triage(input: Ticket) {
    println!("{}", input.text);
}

fn main() {}
