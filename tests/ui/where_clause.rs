use fastagentic::prelude::*;

#[derive(Serialize, JsonSchema)]
struct Pong {
    pong: bool,
}

#[agent_endpoint(path = "/ping")]
async fn ping() -> Result<Pong, AgentError>
where
    Pong: Send,
{
    Ok(Pong { pong: true })
}

fn main() {}
