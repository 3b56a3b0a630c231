use fastagentic::prelude::*;

#[derive(Serialize, JsonSchema)]
struct Pong {
    pong: bool,
}

#[agent_endpoint(path = "/ping", rate_limit(requests_per_minute = 0))]
async fn ping() -> Result<Pong, AgentError> {
    Ok(Pong { pong: true })
}

fn main() {}
