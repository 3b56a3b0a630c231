//! A key written twice (a JSON reader would keep only the last).
use fastagentic_portkey::portkey_config;

fn main() {
    let _config = portkey_config!({
        "retry": {"attempts": 3, "attempts": 5}
    });
}
