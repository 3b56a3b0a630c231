//! JSON has no trailing commas.
use fastagentic_portkey::portkey_config;

fn main() {
    let _config = portkey_config!({
        "retry": {"attempts": 3,}
    });
}
