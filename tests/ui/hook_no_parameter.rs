use fastagentic::prelude::*;

#[hook("on_llm_end")]
async fn log_tokens() {
    println!("an LLM call ended");
}

fn main() {}
