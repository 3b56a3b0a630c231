use fastagentic::prelude::*;

#[hook("on_llm_end")]
async fn log_tokens(ctx: &HookContext) -> u32 {
    ctx.usage.total_tokens as u32
}

fn main() {}
