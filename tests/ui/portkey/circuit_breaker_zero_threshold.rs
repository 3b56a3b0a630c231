//! A circuit breaker that would open without any failure.
use fastagentic_portkey::portkey_config;

fn main() {
    let _config = portkey_config!({
        "strategy": {"mode": "fallback"},
        "targets": [
            {"virtual_key": "openai-key", "circuit_breaker": {"failure_threshold": 0, "cooldown": "30s"}},
            {"virtual_key": "anthropic-key"}
        ]
    });
}
