//! What `portkey_config!` expands to. Not public API: generated code only.

pub use serde_json::Value;

use crate::PortkeyConfig;

/// A config the macro has checked, with its compact JSON.
pub fn config(compact: &'static str, value: Value) -> PortkeyConfig {
    PortkeyConfig::from_parts(compact.into(), value)
}

/// The placeholder after compile errors (never run: the build fails).
pub fn invalid_config() -> PortkeyConfig {
    PortkeyConfig::from_parts("{}".into(), Value::Object(serde_json::Map::new()))
}

/// `null`.
pub fn null() -> Value {
    Value::Null
}

/// `true` / `false`.
pub fn boolean(value: bool) -> Value {
    Value::Bool(value)
}

/// A non-negative integer.
pub fn uint(value: u64) -> Value {
    Value::Number(value.into())
}

/// A negative integer.
pub fn int(value: i64) -> Value {
    Value::Number(value.into())
}

/// Any other number (always finite: the macro read it from a JSON literal).
pub fn float(value: f64) -> Value {
    serde_json::Number::from_f64(value).map_or(Value::Null, Value::Number)
}

/// A string.
pub fn string(value: &'static str) -> Value {
    Value::String(value.to_owned())
}

/// An array.
pub fn array<const N: usize>(items: [Value; N]) -> Value {
    Value::Array(Vec::from(items))
}

/// An object.
pub fn object<const N: usize>(members: [(&'static str, Value); N]) -> Value {
    Value::Object(
        members
            .into_iter()
            .map(|(key, value)| (key.to_owned(), value))
            .collect(),
    )
}
