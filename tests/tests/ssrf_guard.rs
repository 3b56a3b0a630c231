//! The SSRF guard on in-process targets: a `custom_host` (or a virtual
//! key's base URL) is called directly by the app, so start-up refuses what
//! the Portkey gateway refuses (cloud metadata addresses, other schemes than
//! HTTP(S), credentials in the URL) plus private and reserved ranges, each
//! naming the target; `trusted_custom_hosts` lets named hosts through for
//! local development, and loopback is trusted as Portkey trusts it.

use fastagentic::LlmGateway;
use fastagentic_portkey::{
    InProcessPortkey, PortkeyConfig, PortkeyGateway, VirtualKey, VirtualKeys,
};
use serde_json::json;

fn with_host(host: &str) -> InProcessPortkey {
    let config = json!({
        "strategy": {"mode": "fallback"},
        "targets": [
            {"provider": "openai", "api_key": "sk-a", "custom_host": "http://127.0.0.1:9/v1"},
            {"provider": "openai", "api_key": "sk-b", "custom_host": host}
        ]
    });
    PortkeyGateway::new()
        .config(PortkeyConfig::from_value(config).expect("the rules pass it to start-up"))
        .in_process(VirtualKeys::new())
}

/// Start-up's answer for `host` as the second target's `custom_host`.
fn start_up(gateway: &InProcessPortkey) -> Result<(), String> {
    gateway.check().map_err(|error| error.to_string())
}

fn refused(host: &str, reason: &str) {
    // The shared rules refuse it already when the config is read...
    let config = json!({
        "strategy": {"mode": "fallback"},
        "targets": [{"provider": "openai", "api_key": "sk-b", "custom_host": host}]
    });
    if let Err(error) = PortkeyConfig::from_value(config) {
        let message = error.to_string();
        assert!(message.contains(reason), "{host}: {message}");
        return;
    }
    // ...or start-up does, naming the target.
    let message = start_up(&with_host(host)).expect_err(host);
    assert!(
        message.contains("config.targets[1].custom_host"),
        "{message}"
    );
    assert!(message.contains(reason), "{host}: {message}");
}

#[test]
fn cloud_metadata_addresses_are_refused() {
    refused("http://169.254.169.254/latest/meta-data", "refused");
    refused("http://metadata.google.internal/v1", "refused");
}

#[test]
fn other_schemes_than_http_are_refused() {
    refused("ftp://llm.example.com/v1", "http:// and https://");
    refused("file:///etc/passwd", "http:// and https://");
}

#[test]
fn credentials_in_the_url_are_refused_and_never_shown() {
    let host = "http://user:hunter2@llm.example.com/v1";
    refused(host, "credentials");
    let config = json!({"targets": [{"provider": "openai", "api_key": "k", "custom_host": host}], "strategy": {"mode": "single"}});
    let message = PortkeyConfig::from_value(config)
        .expect_err("refused")
        .to_string();
    assert!(!message.contains("hunter2"), "{message}");
}

#[test]
fn private_and_reserved_ranges_are_refused() {
    for host in [
        "http://10.0.0.5:8000/v1",
        "http://172.16.3.4/v1",
        "http://192.168.1.10/v1",
        "http://100.64.0.1/v1",
        "http://gpu-box.internal/v1",
    ] {
        refused(host, "refused");
    }
}

/// A config whose one target is the virtual key `inside`, whose base URL is `url`.
fn behind_a_virtual_key(url: &str) -> InProcessPortkey {
    let config = json!({"strategy": {"mode": "single"}, "targets": [{"virtual_key": "inside"}]});
    PortkeyGateway::new()
        .config(PortkeyConfig::from_value(config).expect("valid"))
        .in_process(
            VirtualKeys::new().insert("inside", VirtualKey::new("openai", "sk").base_url(url)),
        )
}

#[test]
fn a_virtual_keys_base_url_is_guarded_too_and_loopback_is_trusted() {
    let message =
        start_up(&behind_a_virtual_key("http://169.254.169.254/v1")).expect_err("metadata address");
    assert!(message.contains("config.targets[0]"), "{message}");
    let message = start_up(&behind_a_virtual_key("ftp://llm.example.com")).expect_err("scheme");
    assert!(message.contains("http:// and https://"), "{message}");
    assert_eq!(
        start_up(&behind_a_virtual_key("http://127.0.0.1:8000/v1")),
        Ok(())
    );
    assert_eq!(
        start_up(&behind_a_virtual_key("http://localhost:8000/v1")),
        Ok(())
    );
    assert_eq!(
        start_up(&behind_a_virtual_key("https://llm.example.com/v1")),
        Ok(())
    );
}

#[test]
fn trusted_custom_hosts_let_one_private_host_through_for_development() {
    let private = "http://10.0.0.5:8000/v1";
    let message = start_up(&behind_a_virtual_key(private)).expect_err("private by default");
    assert!(message.contains("refused"), "{message}");
    let trusted = behind_a_virtual_key(private).trusted_custom_hosts(["10.0.0.5"]);
    assert_eq!(start_up(&trusted), Ok(()));
    // Only the host named: its neighbour and the metadata address stay out.
    let neighbour =
        behind_a_virtual_key("http://10.0.0.6:8000/v1").trusted_custom_hosts(["10.0.0.5"]);
    assert!(start_up(&neighbour).is_err());
    let metadata =
        behind_a_virtual_key("http://169.254.169.254/v1").trusted_custom_hosts(["10.0.0.5"]);
    assert!(start_up(&metadata).is_err());
}
