use fastagentic::prelude::*;

#[hook("on_llm_end")]
async fn log_tokens(ctx: &Usage) {
    println!("{} tokens", ctx.total_tokens);
}

fn main() {}
