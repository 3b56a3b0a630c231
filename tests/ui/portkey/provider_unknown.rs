//! A provider slug Portkey does not know.
use fastagentic_portkey::portkey_config;

fn main() {
    let _config = portkey_config!({
        "provider": "opneai",
        "api_key": "sk-test"
    });
}
