//! A condition routes to a target name that no target has.
use fastagentic_portkey::portkey_config;

fn main() {
    let _config = portkey_config!({
        "strategy": {
            "mode": "conditional",
            "conditions": [{"query": {"metadata.tier": {"$eq": "premium"}}, "then": "premum"}],
            "default": "standard"
        },
        "targets": [
            {"name": "premium", "virtual_key": "openai-key"},
            {"name": "standard", "virtual_key": "openai-key"}
        ]
    });
}
