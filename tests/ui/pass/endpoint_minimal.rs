//! The smallest endpoints: no context, no input; a context without an input;
//! an input without a context.

use fastagentic::prelude::*;

#[derive(Deserialize, Serialize, JsonSchema)]
struct Echo {
    text: String,
}

#[derive(Serialize, JsonSchema)]
struct Version {
    version: String,
}

#[agent_endpoint(path = "/version")]
async fn version() -> Result<Version, AgentError> {
    Ok(Version { version: "1.0.0".to_owned() })
}

#[agent_endpoint(path = "/run-id")]
async fn run_id(ctx: AgentContext) -> Result<String, AgentError> {
    Ok(ctx.run_id().to_string())
}

#[agent_endpoint(path = "/echo")]
async fn echo(input: Echo) -> Result<Echo, AgentError> {
    Ok(input)
}

fn main() {}
