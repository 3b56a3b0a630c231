use fastagentic::prelude::*;

#[derive(Serialize, JsonSchema)]
struct Pong {
    pong: bool,
}

#[agent_endpoint(path = "/ping", retry = 0)]
async fn ping() -> Result<Pong, AgentError> {
    Ok(Pong { pong: true })
}

fn main() {}
