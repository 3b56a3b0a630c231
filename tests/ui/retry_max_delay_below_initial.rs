use fastagentic::prelude::*;

#[derive(Serialize, JsonSchema)]
struct Pong {
    pong: bool,
}

#[agent_endpoint(path = "/ping", retry(attempts = 3, initial_delay = "2s", max_delay = "500ms"))]
async fn ping() -> Result<Pong, AgentError> {
    Ok(Pong { pong: true })
}

fn main() {}
