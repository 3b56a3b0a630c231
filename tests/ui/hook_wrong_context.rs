use fastagentic::prelude::*;

#[hook("on_llm_end")]
async fn log_tokens(ctx: &AgentContext) {
    println!("run {}", ctx.run_id());
}

fn main() {}
