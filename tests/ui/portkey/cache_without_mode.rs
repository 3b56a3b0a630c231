//! A cache needs a mode (simple or semantic).
use fastagentic_portkey::portkey_config;

fn main() {
    let _config = portkey_config!({
        "cache": {"max_age": 3600}
    });
}
