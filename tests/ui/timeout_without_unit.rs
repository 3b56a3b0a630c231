use fastagentic::prelude::*;

#[derive(Serialize, JsonSchema)]
struct Pong {
    pong: bool,
}

#[agent_endpoint(path = "/ping", timeout = "30")]
async fn ping() -> Result<Pong, AgentError> {
    Ok(Pong { pong: true })
}

fn main() {}
