//! The harness runs: `--quick` against the upstream, the baseline,
//! FastAgentic and an in-process Portkey cache hit only (no peers: CI
//! time), and writes a report whose figures are all there. Functional only: nothing here is timed.

use std::path::PathBuf;
use std::process::Command;

#[test]
fn quick_run_writes_a_complete_report() {
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("bench-smoke");
    let _ = std::fs::remove_dir_all(&out);
    let status = Command::new(env!("CARGO_BIN_EXE_fastagentic-bench"))
        .args([
            "--quick",
            "--only",
            "direct,baseline,fastagentic,portkey-inprocess-cache-hit",
            "--duration",
            "0.5",
            "--warmup",
            "0.2",
            "--streams",
            "50",
            "--out",
        ])
        .arg(&out)
        .status()
        .expect("the bench binary runs");
    assert!(status.success(), "the quick run failed: {status}");

    for file in ["report.md", "report.json", "chart.svg"] {
        assert!(out.join(file).is_file(), "{file} was not written");
    }
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap()).unwrap();
    let requests = json["requests"].as_array().unwrap();
    let paths: Vec<&str> = requests
        .iter()
        .map(|r| r["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        [
            "direct",
            "baseline",
            "fastagentic",
            "portkey-inprocess-cache-hit"
        ]
    );
    for row in requests {
        assert_eq!(row["measured"], true, "{row}");
        for c in ["c1", "c32"] {
            assert!(row[c]["rps"].as_f64().unwrap() > 0.0, "{row}");
            assert_eq!(row[c]["errors"], 0, "{row}");
        }
        assert!(row["peak_rss_mb"].as_f64().unwrap() > 0.0, "{row}");
    }
    assert!(json["startup"]["fastagentic_median_ms"].as_f64().unwrap() > 0.0);
    let streams = json["streams"].as_array().unwrap();
    assert_eq!(streams.len(), 3);
    for row in streams {
        assert_eq!(row["ok"], 50, "every stream completes: {row}");
        assert!(row["gap_p99_ms"].as_f64().unwrap() >= 90.0, "{row}");
    }
    // Exact-cache hits never reach the upstream (counted by the upstream).
    assert_eq!(requests[3]["upstream_calls"], 0, "{}", requests[3]);
    assert_eq!(
        requests[2]["upstream_calls"].as_u64().map(|n| n > 0),
        Some(true)
    );
    let targets = json["targets"].as_array().unwrap();
    assert!(targets.iter().any(|t| t["issue"] == 6));
    assert!(
        targets.iter().any(
            |t| t["target"] == "exact-cache hits never reach the upstream" && t["met"] == true
        ),
        "{targets:?}"
    );
    assert!(targets.iter().any(|t| t["issue"] == 8));
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.contains("| FastAgentic endpoint, built-in gateway |"));
    assert!(md.contains("## Portkey configs in-process (issue 13)"));
    let svg = std::fs::read_to_string(out.join("chart.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("FastAgentic"));
}
