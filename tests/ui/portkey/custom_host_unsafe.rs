//! A custom host the gateway's SSRF guard refuses (cloud metadata).
use fastagentic_portkey::portkey_config;

fn main() {
    let _config = portkey_config!({
        "provider": "openai",
        "api_key": "sk-test",
        "custom_host": "http://169.254.169.254/v1"
    });
}
