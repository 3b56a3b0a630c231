//! A `loadbalance` strategy with a balancing policy FastAgentic does not have.
use fastagentic_portkey::portkey_config;

fn main() {
    let _config = portkey_config!({
        "strategy": {"mode": "loadbalance", "balance": "round_robin"},
        "targets": [
            {"virtual_key": "openai-key"},
            {"virtual_key": "anthropic-key"}
        ]
    });
}
