//! Retries need a number of attempts.
use fastagentic_portkey::portkey_config;

fn main() {
    let _config = portkey_config!({
        "retry": {"on_status_codes": [429, 503]}
    });
}
