//! The core knows no integration: the dependency graph of `fastagentic`
//! (and of its macro crate) as cargo resolves it for an app holds no
//! Portkey or LiteLLM rules and no integration crate. The Portkey config
//! schema and the LiteLLM option bounds sit behind `fastagentic-rules`'
//! features `portkey` and `litellm`, which only the integration crates and
//! their macro crates enable.
//!
//! OTLP export and Langfuse are default-on features of `fastagentic`
//! (`otlp`, `langfuse`); without them none of their crates is built, and
//! reqwest's `blocking` client comes only with `otlp`, whose exporter uses it.
//!
//! Read from `cargo tree` (normal edges, each crate with its enabled
//! features, resolved the way `cargo build -p <crate>` resolves them, so what
//! other workspace members enable does not leak in).

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

/// The crates of `package`'s normal dependency graph (proc-macro crates and
/// what they use included), each with the features cargo enables on it.
type Graph = BTreeMap<String, BTreeSet<String>>;

/// `package`'s graph, as `cargo build -p <package> <options>` resolves it.
fn graph(package: &str, options: &[&str]) -> Graph {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = Command::new(cargo)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["tree", "--offline", "--locked", "--prefix", "none"])
        .args(["--edges", "normal", "--format", "{p}|{f}"])
        .args(["--package", package])
        .args(options)
        .output()
        .expect("cargo runs");
    assert!(
        output.status.success(),
        "cargo tree -p {package} {options:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut graph = Graph::new();
    // A line: `name v1.2.3 (path)|feature,feature`, ` (*)` after a repeat.
    for line in String::from_utf8(output.stdout).expect("UTF-8").lines() {
        let Some((package, features)) = line.trim_end_matches(" (*)").split_once('|') else {
            continue;
        };
        let name = package.split(' ').next().unwrap_or(package).to_owned();
        graph.entry(name).or_default().extend(
            features
                .split(',')
                .filter(|feature| !feature.is_empty())
                .map(str::to_owned),
        );
    }
    assert!(graph.contains_key(package), "{package} is in its own graph");
    graph
}

/// The features of `krate` enabled in `graph` (none when it is absent).
fn features<'a>(graph: &'a Graph, krate: &str) -> Vec<&'a str> {
    graph
        .get(krate)
        .into_iter()
        .flatten()
        .map(String::as_str)
        .collect()
}

/// Asserts `graph` has the shared rules but none of an integration's.
fn assert_no_integration(package: &str, graph: &Graph) {
    assert!(
        graph.contains_key("fastagentic-rules"),
        "{package} uses the shared rules: {graph:?}"
    );
    let integrations: Vec<&String> = graph
        .keys()
        .filter(|name| name.contains("portkey") || name.contains("litellm"))
        .collect();
    assert!(
        integrations.is_empty(),
        "{package} depends on integration crates: {integrations:?}"
    );
    let rule_features = features(graph, "fastagentic-rules");
    assert!(
        !rule_features.contains(&"portkey") && !rule_features.contains(&"litellm"),
        "{package} enables integration rules: {rule_features:?}"
    );
}

#[test]
fn the_core_compiles_no_integration_rules() {
    for package in ["fastagentic", "fastagentic-macros"] {
        assert_no_integration(package, &graph(package, &[]));
    }
    assert_no_integration("fastagentic", &graph("fastagentic", &["--all-features"]));
}

#[test]
fn each_integration_enables_its_own_rules_only() {
    for (package, own, other) in [
        ("fastagentic-portkey", "portkey", "litellm"),
        ("fastagentic-litellm", "litellm", "portkey"),
    ] {
        let graph = graph(package, &[]);
        let rule_features = features(&graph, "fastagentic-rules");
        assert!(rule_features.contains(&own), "{package}: {rule_features:?}");
        assert!(
            !rule_features.contains(&other),
            "{package}: {rule_features:?}"
        );
        assert!(
            graph.contains_key(&format!("{package}-macros")),
            "{package} re-exports its macro crate's macro"
        );
    }
}

/// The crates only span export (`otlp`) or only Langfuse (`langfuse`) needs.
const OTLP_CRATES: [&str; 6] = [
    "opentelemetry",
    "opentelemetry_sdk",
    "opentelemetry-otlp",
    "opentelemetry-http",
    "tracing-opentelemetry",
    "tracing-subscriber",
];
const LANGFUSE_CRATES: [&str; 1] = ["humantime"];

#[test]
fn span_export_and_langfuse_are_features() {
    let bare = graph("fastagentic", &["--no-default-features"]);
    for krate in OTLP_CRATES.iter().chain(&LANGFUSE_CRATES) {
        assert!(!bare.contains_key(*krate), "{krate} without features");
    }
    assert!(
        !features(&bare, "reqwest").contains(&"blocking"),
        "reqwest's blocking client without features"
    );

    let langfuse = graph(
        "fastagentic",
        &["--no-default-features", "--features", "langfuse"],
    );
    assert!(langfuse.contains_key("humantime"));
    assert!(!features(&langfuse, "reqwest").contains(&"blocking"));

    let otlp = graph(
        "fastagentic",
        &["--no-default-features", "--features", "otlp"],
    );
    for krate in OTLP_CRATES {
        assert!(otlp.contains_key(krate), "{krate} with otlp");
    }
    assert!(features(&otlp, "reqwest").contains(&"blocking"));

    let default = graph("fastagentic", &[]);
    let default_features = features(&default, "fastagentic");
    for feature in ["otlp", "langfuse"] {
        assert!(
            default_features.contains(&feature),
            "{feature} is on by default"
        );
    }
}
