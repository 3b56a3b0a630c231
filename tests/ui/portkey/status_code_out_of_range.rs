//! 600 is not an HTTP status code.
use fastagentic_portkey::portkey_config;

fn main() {
    let _config = portkey_config!({
        "strategy": {"mode": "fallback", "on_status_codes": [429, 600]},
        "targets": [{"virtual_key": "openai-key"}, {"virtual_key": "anthropic-key"}]
    });
}
