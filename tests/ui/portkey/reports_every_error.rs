//! Three independent mistakes: all three are reported, each at its own token.
use fastagentic_portkey::portkey_config;

fn main() {
    let _config = portkey_config!({
        "strategy": {"mode": "fallbak"},
        "targets": [{"provider": "opneai", "api_key": "sk-test"}],
        "cache": {"max_age": 60}
    });
}
