//! The core knows no integration: the dependency graph of `fastagentic`
//! (and of its macro crate) as cargo resolves it for an app holds no
//! Portkey or LiteLLM rules and no integration crate. The Portkey config
//! schema and the LiteLLM option bounds sit behind `fastagentic-rules`'
//! features `portkey` and `litellm`, which only the integration crates and
//! their macro crates enable.
//!
//! Read from `cargo tree` (normal edges with features, the way `cargo build
//! -p <crate>` resolves them, so what other workspace members enable does not
//! leak in).

use std::process::Command;

/// The nodes of `package`'s normal dependency graph, one a line: packages
/// (`name vX.Y.Z`) and the features enabled on them (`name feature "f"`).
fn graph(package: &str, options: &[&str]) -> Vec<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = Command::new(cargo)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["tree", "--offline", "--locked", "--prefix", "none"])
        .args(["--edges", "normal,features", "--format", "{p}"])
        .args(["--package", package])
        .args(options)
        .output()
        .expect("cargo runs");
    assert!(
        output.status.success(),
        "cargo tree -p {package} {options:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .expect("UTF-8")
        .lines()
        .map(|line| line.trim_end_matches(" (*)").to_owned())
        .collect()
}

/// The crates of `package`'s graph.
fn crates(graph: &[String]) -> Vec<&str> {
    graph
        .iter()
        .filter(|node| !node.contains(" feature \""))
        .filter_map(|node| node.split(' ').next())
        .collect()
}

/// The features of `krate` enabled in `graph`.
fn features<'a>(graph: &'a [String], krate: &str) -> Vec<&'a str> {
    let prefix = format!("{krate} feature \"");
    graph
        .iter()
        .filter_map(|node| node.strip_prefix(&prefix)?.strip_suffix('"'))
        .collect()
}

/// Asserts `graph` has the shared rules but none of an integration's.
fn assert_no_integration(package: &str, graph: &[String]) {
    let crates = crates(graph);
    assert!(
        crates.contains(&"fastagentic-rules"),
        "{package} uses the shared rules: {crates:?}"
    );
    let integrations: Vec<&&str> = crates
        .iter()
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
            crates(&graph).contains(&format!("{package}-macros").as_str()),
            "{package} re-exports its macro crate's macro"
        );
    }
}
