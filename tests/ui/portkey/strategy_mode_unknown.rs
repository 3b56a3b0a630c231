//! A typo in the strategy mode: the error lists the modes and suggests the closest.
use fastagentic_portkey::portkey_config;

fn main() {
    let _config = portkey_config!({
        "strategy": {"mode": "fallbak"},
        "targets": [{"virtual_key": "openai-key"}, {"virtual_key": "anthropic-key"}]
    });
}
