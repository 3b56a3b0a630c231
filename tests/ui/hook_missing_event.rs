use fastagentic::prelude::*;

#[hook]
async fn log_tokens(ctx: &HookContext) {
    println!("{} tokens", ctx.usage.total_tokens);
}

fn main() {}
