//! Running a Python script against a FastAgentic app, as the tests that
//! drive it with an official SDK do: the script gets the app's address in
//! an environment variable, talks to it on loopback, and prints one JSON
//! object with what it saw.

use std::path::Path;

use serde_json::Value;

/// Runs `script` (Python source) with `python`, `env` set and loopback never
/// proxied; returns the JSON object it printed.
///
/// # Panics
/// When Python cannot run, the script fails (its stderr is shown), or it
/// prints something other than JSON.
pub async fn python_json(python: &Path, script: &str, env: &[(&str, String)]) -> Value {
    let mut command = tokio::process::Command::new(python);
    command
        .args(["-c", script])
        .env("NO_PROXY", "127.0.0.1,localhost");
    for (name, value) in env {
        command.env(name, value);
    }
    let output = command.output().await.expect("python runs");
    assert!(
        output.status.success(),
        "the SDK script failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "the script prints JSON ({error}):\n{}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}
