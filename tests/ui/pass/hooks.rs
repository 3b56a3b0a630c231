//! Hooks returning each allowed type: `()`, `HookResult`, `Result<(), E>`.

use fastagentic::prelude::*;

#[hook("on_llm_end")]
async fn log_tokens(ctx: &HookContext) {
    println!("{} tokens", ctx.usage.total_tokens);
}

#[hook("on_request")]
async fn guard(ctx: &HookContext) -> HookResult {
    match ctx.request() {
        Some(request) if request["text"] == "forbidden" => HookResult::reject("not allowed"),
        _ => HookResult::Proceed,
    }
}

#[hook("on_error")]
async fn report(ctx: &HookContext) -> Result<(), String> {
    if ctx.endpoint.is_empty() { Err("no endpoint".to_owned()) } else { Ok(()) }
}

fn main() {
    let _ = (&LOG_TOKENS_HOOK, &GUARD_HOOK, &REPORT_HOOK);
}
