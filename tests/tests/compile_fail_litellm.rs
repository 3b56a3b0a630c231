//! Compile-time checks of LiteLLM options: every file in `ui/litellm/` makes
//! one mistake (`reports_every_error.rs` makes three, to prove all are
//! reported at once), and its `.stderr` is the reviewed error the user sees,
//! on the literal at fault.
//!
//! `litellm_options!` checks literals with `fastagentic_rules::litellm`, the
//! rules `LiteLLMGateway::check` applies at start-up to run-time values:
//! [`compile_time_and_start_up_agree`] feeds the same values to the gateway
//! and finds its start-up message, word for word, in each `.stderr`.
//!
//! `TRYBUILD=overwrite cargo test -p fastagentic-tests --test compile_fail_litellm`
//! rewrites the `.stderr` files; review the diff like code.

use std::path::Path;

use fastagentic::{GatewayError, LlmGateway};
use fastagentic_litellm::LiteLLMGateway;

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("ui/litellm/*.rs");
}

/// The start-up error of a gateway with one bad run-time value.
fn start_up_error(gateway: LiteLLMGateway) -> String {
    match gateway.base_url("http://127.0.0.1:4000").check() {
        Err(GatewayError::Config { message, .. }) => message,
        other => panic!("expected a start-up error, got {other:?}"),
    }
}

/// The reviewed compile error of a ui case, with rustc's line wrapping undone.
fn compile_error(case: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("ui/litellm")
        .join(format!("{case}.stderr"));
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .filter_map(|line| line.strip_prefix("error: "))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn compile_time_and_start_up_agree() {
    let cases: Vec<(&str, LiteLLMGateway)> = vec![
        (
            "fallback_models_empty",
            LiteLLMGateway::new().fallback_models(Vec::<String>::new()),
        ),
        (
            "fallback_models_blank",
            LiteLLMGateway::new().fallback_models(vec!["gpt-4o", ""]),
        ),
        (
            "fallback_models_repeated",
            LiteLLMGateway::new().fallback_models(vec!["gpt-4o", "claude-3-sonnet", "gpt-4o"]),
        ),
        (
            "fallback_models_whitespace",
            LiteLLMGateway::new().fallback_models(vec!["gpt-4o", "claude-3-sonnet "]),
        ),
        ("num_retries_zero", LiteLLMGateway::new().num_retries(0)),
        ("timeout_secs_zero", LiteLLMGateway::new().timeout_secs(0.0)),
        (
            "timeout_secs_negative",
            LiteLLMGateway::new().timeout_secs(-1.5),
        ),
    ];
    // `num_retries` takes a `u32` at run time, so a negative count cannot
    // reach start-up; the compiler still gives the rule's words.
    let negative = fastagentic_rules::litellm::check_num_retries(-2).expect_err("rejected");
    assert!(compile_error("num_retries_negative").contains(&negative));

    for (case, gateway) in cases {
        let at_start_up = start_up_error(gateway);
        let at_compile_time = compile_error(case);
        assert!(
            at_compile_time.contains(&at_start_up),
            "{case}: start-up says\n  {at_start_up}\nbut the compiler says\n  {at_compile_time}"
        );
    }
}
