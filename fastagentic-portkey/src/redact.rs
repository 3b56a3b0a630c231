//! Hiding credentials when a config is printed (`Debug`).

use serde_json::Value;

/// Words in a key that mark its value as a credential.
const SECRET_WORDS: &[&str] = &[
    "key",
    "secret",
    "token",
    "password",
    "private",
    "service_account",
    "credential",
];

/// Whether the value under `key` may be a credential (`api_key`,
/// `virtual_key`, `aws_secret_access_key`, `azure_ad_token`, ...).
pub(crate) fn is_secret_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    SECRET_WORDS.iter().any(|word| key.contains(word))
}

/// A copy of `value` with every credential replaced by `"***"`.
pub(crate) fn redacted(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(key, item)| {
                    let item = if is_secret_key(key) && !item.is_object() && !item.is_array() {
                        Value::String("***".to_owned())
                    } else if is_secret_key(key) {
                        Value::String("*** (redacted)".to_owned())
                    } else {
                        redacted(item)
                    };
                    (key.clone(), item)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(redacted).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn hides_every_kind_of_credential() {
        let value = json!({
            "api_key": "sk-1",
            "targets": [{"virtual_key": "vk-1", "aws_secret_access_key": "aws-1",
                         "vertex_service_account_json": {"private_key": "pk-1"},
                         "azure_ad_token": "tok-1", "provider": "openai"}],
            "override_params": {"model": "gpt-4o"}
        });
        let text = redacted(&value).to_string();
        for secret in ["sk-1", "vk-1", "aws-1", "pk-1", "tok-1"] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
        assert!(text.contains("openai") && text.contains("gpt-4o"), "{text}");
    }
}
