use fastagentic::prelude::*;

#[hook("on_llm_end")]
async fn log_tokens(ctx: HookContext) {
    println!("{} tokens", ctx.usage.total_tokens);
}

fn main() {}
