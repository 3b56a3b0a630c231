use fastagentic::prelude::*;

#[derive(Serialize, JsonSchema)]
struct Pong {
    pong: bool,
}

fn policy() -> u32 {
    3
}

#[agent_endpoint(path = "/ping", retry = policy())]
async fn ping() -> Result<Pong, AgentError> {
    Ok(Pong { pong: true })
}

fn main() {}
