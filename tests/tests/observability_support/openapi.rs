//! Checks JSON against the OpenAPI 3.0 schema objects of a spec: `$ref`,
//! `allOf`, `oneOf`, `type`, `nullable`, `enum`, `required`, `properties`,
//! `additionalProperties`, `items` and `format: date-time`.
//!
//! One deliberate strictness: an object property the schema does not
//! declare (and no `additionalProperties` allows) is an error. Langfuse
//! ignores unknown fields silently, so a misspelt `traceID` would otherwise
//! pass here and be lost there.
//!
//! `oneOf` is checked as "at least one alternative": the generated
//! alternatives overlap (an integer is also a number, `null` fits every
//! nullable one), so "exactly one" would reject valid values.

use serde_json::{Map, Value};

/// A spec: `components.schemas` plus named top-level schemas.
pub struct Spec {
    root: Value,
}

impl Spec {
    /// The spec in `json` (a JSON document with `components.schemas`).
    pub fn new(json: &str) -> Self {
        Self {
            root: serde_json::from_str(json).expect("the schema fixture is JSON"),
        }
    }

    /// The top-level schema named `name` (e.g. `requestBody`).
    pub fn schema(&self, name: &str) -> &Value {
        self.root
            .get(name)
            .unwrap_or_else(|| panic!("no schema `{name}` in the fixture"))
    }

    /// Every mismatch of `value` against `schema`, with its JSON path.
    pub fn check(&self, schema: &Value, value: &Value) -> Vec<String> {
        let mut errors = Vec::new();
        self.validate(schema, value, "$", &mut errors);
        errors
    }

    fn resolve<'a>(&'a self, schema: &'a Value) -> &'a Value {
        match schema.get("$ref").and_then(Value::as_str) {
            Some(reference) => {
                let name = reference
                    .strip_prefix("#/components/schemas/")
                    .unwrap_or_else(|| panic!("unsupported $ref {reference}"));
                let target = self
                    .root
                    .pointer(&format!("/components/schemas/{name}"))
                    .unwrap_or_else(|| panic!("{reference} is not in the fixture"));
                self.resolve(target)
            }
            None => schema,
        }
    }

    fn nullable(schema: &Value) -> bool {
        schema.get("nullable").and_then(Value::as_bool) == Some(true)
    }

    /// The schema and, recursively, its `allOf` parts, references resolved.
    fn parts<'a>(&'a self, schema: &'a Value, out: &mut Vec<&'a Value>) {
        let schema = self.resolve(schema);
        out.push(schema);
        if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
            for part in all {
                self.parts(part, out);
            }
        }
    }

    fn validate(&self, schema: &Value, value: &Value, path: &str, errors: &mut Vec<String>) {
        if value.is_null() {
            // `nullable` may sit beside a `$ref` (Fern writes it there).
            let mut parts = Vec::new();
            self.parts(schema, &mut parts);
            let untyped = parts
                .iter()
                .all(|p| p.get("type").is_none() && p.get("oneOf").is_none());
            if !(Self::nullable(schema) || parts.iter().any(|p| Self::nullable(p)) || untyped) {
                errors.push(format!("{path}: null is not allowed"));
            }
            return;
        }
        let schema = self.resolve(schema);
        if let Some(alternatives) = schema.get("oneOf").and_then(Value::as_array) {
            let mut best: Option<Vec<String>> = None;
            for alternative in alternatives {
                let mut attempt = Vec::new();
                self.validate(alternative, value, path, &mut attempt);
                if attempt.is_empty() {
                    best = None;
                    break;
                }
                if best.as_ref().is_none_or(|b| attempt.len() < b.len()) {
                    best = Some(attempt);
                }
            }
            if let Some(closest) = best {
                errors.push(format!(
                    "{path}: matches none of the oneOf alternatives; the closest fails with:"
                ));
                errors.extend(closest);
            }
        }
        let mut parts = Vec::new();
        self.parts(schema, &mut parts);
        for part in &parts {
            self.check_scalar(part, value, path, errors);
        }
        let typed_object = parts.iter().any(|p| {
            p.get("type").and_then(Value::as_str) == Some("object") || p.get("properties").is_some()
        });
        if let (Value::Object(object), true) = (value, typed_object) {
            self.check_object(&parts, object, path, errors);
        }
        if let Value::Array(items) = value {
            for part in &parts {
                if let Some(item_schema) = part.get("items") {
                    for (i, item) in items.iter().enumerate() {
                        self.validate(item_schema, item, &format!("{path}[{i}]"), errors);
                    }
                }
            }
        }
    }

    fn check_scalar(&self, schema: &Value, value: &Value, path: &str, errors: &mut Vec<String>) {
        if let Some(options) = schema.get("enum").and_then(Value::as_array)
            && !options.contains(value)
        {
            errors.push(format!("{path}: {value} is not one of {options:?}"));
        }
        let Some(kind) = schema.get("type").and_then(Value::as_str) else {
            return;
        };
        let fits = match kind {
            "string" => value.is_string(),
            "integer" => value.is_i64() || value.is_u64(),
            "number" => value.is_number(),
            "boolean" => value.is_boolean(),
            "object" => value.is_object(),
            "array" => value.is_array(),
            other => panic!("unsupported type {other}"),
        };
        if !fits {
            errors.push(format!("{path}: {value} is not of type {kind}"));
        }
        if schema.get("format").and_then(Value::as_str) == Some("date-time")
            && let Some(text) = value.as_str()
            && humantime::parse_rfc3339(text).is_err()
        {
            errors.push(format!("{path}: {text:?} is not an RFC 3339 date-time"));
        }
    }

    fn check_object(
        &self,
        parts: &[&Value],
        object: &Map<String, Value>,
        path: &str,
        errors: &mut Vec<String>,
    ) {
        let mut declared: Vec<(&str, &Value)> = Vec::new();
        let mut additional: Option<&Value> = None;
        for part in parts {
            if let Some(properties) = part.get("properties").and_then(Value::as_object) {
                declared.extend(properties.iter().map(|(k, v)| (k.as_str(), v)));
            }
            if let Some(required) = part.get("required").and_then(Value::as_array) {
                for name in required.iter().filter_map(Value::as_str) {
                    if !object.contains_key(name) {
                        errors.push(format!("{path}: `{name}` is required"));
                    }
                }
            }
            if let Some(extra) = part.get("additionalProperties") {
                additional = Some(extra);
            }
        }
        for (name, field) in object {
            let field_path = format!("{path}.{name}");
            match declared.iter().find(|(k, _)| k == name) {
                Some((_, schema)) => self.validate(schema, field, &field_path, errors),
                None => match additional {
                    Some(Value::Bool(true)) => {}
                    Some(schema @ Value::Object(_)) => {
                        self.validate(schema, field, &field_path, errors)
                    }
                    _ => errors.push(format!("{field_path}: not a property the schema declares")),
                },
            }
        }
    }
}
