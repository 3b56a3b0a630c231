//! A cache whose entries are expired from the start.
use fastagentic_portkey::portkey_config;

fn main() {
    let _config = portkey_config!({
        "cache": {"mode": "simple", "max_age": 0}
    });
}
