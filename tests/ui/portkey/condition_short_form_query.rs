//! The seed's short form: a bare `model` query key reads nothing on the real gateway.
use fastagentic_portkey::portkey_config;

fn main() {
    let _config = portkey_config!({
        "strategy": {
            "mode": "conditional",
            "conditions": [{"query": {"model": "gpt-4"}, "then": "openai-key"}],
            "default": "openai-key"
        },
        "targets": [{"name": "openai-key", "virtual_key": "openai-key"}]
    });
}
