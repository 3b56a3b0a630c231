//! A missing comma is reported where it is missing, in an array and in an
//! object alike, and reading goes on: both are reported at once.
use fastagentic_portkey::portkey_config;

fn main() {
    let _config = portkey_config!({
        "retry": {"attempts": 3, "on_status_codes": [429 503]},
        "cache": {"mode": "simple" "max_age": 60}
    });
}
