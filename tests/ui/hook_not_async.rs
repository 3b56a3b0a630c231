use fastagentic::prelude::*;

#[hook("on_llm_end")]
fn log_tokens(ctx: &HookContext) {
    println!("{} tokens", ctx.usage.total_tokens);
}

fn main() {}
