//! A strategy with nothing to route to.
use fastagentic_portkey::portkey_config;

fn main() {
    let _config = portkey_config!({
        "strategy": {"mode": "fallback"}
    });
}
