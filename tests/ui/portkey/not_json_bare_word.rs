//! A bare word where JSON wants a quoted string.
use fastagentic_portkey::portkey_config;

fn main() {
    let _config = portkey_config!({
        "strategy": {"mode": fallback},
        "targets": [{"virtual_key": "openai-key"}]
    });
}
