use fastagentic::prelude::*;

#[hook("on_llm_end")]
async fn log_tokens(ctx: &HookContext, prefix: &str) {
    println!("{prefix}: {} tokens", ctx.usage.total_tokens);
}

fn main() {}
