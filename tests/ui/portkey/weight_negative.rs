//! A load-balancing weight below zero.
use fastagentic_portkey::portkey_config;

fn main() {
    let _config = portkey_config!({
        "strategy": {"mode": "loadbalance"},
        "targets": [
            {"virtual_key": "openai-key", "weight": 0.7},
            {"virtual_key": "anthropic-key", "weight": -0.3}
        ]
    });
}
