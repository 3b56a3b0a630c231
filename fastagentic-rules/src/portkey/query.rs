//! The query language of conditional routing: the `query` of each entry of
//! `strategy.conditions`.
//!
//! Facts: `ConditionalRouter` in `src/services/conditionalRouter.ts` of
//! Portkey-AI/gateway v1.15.2. The schema only asks for an object; the router
//! then evaluates it per request:
//! - a key is `source.name`, read as `context[source][name]` with exactly one
//!   level, from three sources: `metadata` (the `x-portkey-metadata` header),
//!   `params` (the request body) and `url` (only `url.pathname`). Any other key
//!   reads `undefined`, so `{"model": "gpt-4"}` silently never matches;
//! - a value is a literal (compared with `!==`) or an operator object with
//!   `$eq $ne $gt $gte $lt $lte $in $nin $regex`; an unknown operator throws
//!   (the request fails); `$gt`-style operators compare `parseFloat`s; `$in` /
//!   `$nin` need arrays; `$regex` returns at once, skipping operators after it;
//! - `$and` / `$or` take arrays of queries and return at once, skipping the
//!   keys after them.
//!
//! Everything that would silently never match, always match, skip part of the
//! query or fail the request is rejected here, with the form that works.

use serde_json::{Map, Value};

use super::error::{JsonPath, Report};
use super::schema::describe;
use crate::suggest::closest;

/// Operators that compare a field with a value.
pub(crate) const FIELD_OPERATORS: &[&str] = &[
    "$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin", "$regex",
];

/// Operators that combine queries.
const LOGICAL_OPERATORS: &[&str] = &["$and", "$or"];

/// Where a query key can read from.
const SOURCES: &[&str] = &["metadata", "params", "url"];

/// Request-body fields people write as bare query keys; anything else is
/// suggested under `metadata.`.
const REQUEST_PARAMS: &[&str] = &[
    "model",
    "messages",
    "temperature",
    "top_p",
    "max_tokens",
    "max_completion_tokens",
    "stream",
    "n",
    "stop",
    "presence_penalty",
    "frequency_penalty",
    "user",
    "tools",
    "tool_choice",
    "response_format",
    "seed",
    "logprobs",
    "top_logprobs",
    "logit_bias",
    "input",
    "prompt",
    "reasoning_effort",
    "modalities",
    "parallel_tool_calls",
    "dimensions",
    "encoding_format",
];

/// Checks a condition's `query` at `path`.
pub(crate) fn check_query(query: &Value, path: &JsonPath, report: &mut Report) {
    let Value::Object(query) = query else {
        report.value(
            path,
            format!(
                "`query` must be an object such as `{{\"metadata.tier\": {{\"$eq\": \"premium\"}}}}`, found {}",
                describe(query)
            ),
        );
        return;
    };
    check_query_object(query, path, report);
}

fn check_query_object(query: &Map<String, Value>, path: &JsonPath, report: &mut Report) {
    if query.is_empty() {
        report.value(
            path,
            "an empty query matches every request, so no later condition is ever reached: give it a \
             field such as `{\"metadata.tier\": {\"$eq\": \"premium\"}}`, or route the rest with \
             `strategy.default`",
        );
        return;
    }
    for (key, value) in query {
        let key_path = path.key(key);
        if LOGICAL_OPERATORS.contains(&key.as_str()) {
            if query.len() > 1 {
                report.key(
                    &key_path,
                    format!(
                        "`{key}` must be the only key of its query: the gateway returns its result and \
                         skips the other keys; put every part in one `$and`, e.g. \
                         `{{\"$and\": [{{\"metadata.tier\": \"premium\"}}, {{\"{key}\": [...]}}]}}`"
                    ),
                );
            }
            check_logical(key, value, &key_path, report);
        } else if key.starts_with('$') {
            let message = if FIELD_OPERATORS.contains(&key.as_str()) {
                format!(
                    "operator `{key}` needs a field to compare: write `{{\"metadata.tier\": {{\"{key}\": ...}}}}`"
                )
            } else {
                let mut message = format!(
                    "unknown operator `{key}`; a query key is a field (`metadata.*`, `params.*`, \
                     `url.pathname`) or `$and` / `$or`"
                );
                let all: Vec<&str> = LOGICAL_OPERATORS
                    .iter()
                    .chain(FIELD_OPERATORS)
                    .copied()
                    .collect();
                if let Some(suggestion) = closest(key, &all) {
                    message.push_str(&format!("; did you mean `{suggestion}`?"));
                }
                message
            };
            report.key(&key_path, message);
        } else {
            if let Err(message) = check_field(key, value) {
                report.key(&key_path, message);
            }
            check_condition_value(value, &key_path, report);
        }
    }
}

fn check_logical(operator: &str, value: &Value, path: &JsonPath, report: &mut Report) {
    let Value::Array(queries) = value else {
        report.value(
            path,
            format!(
                "`{operator}` takes an array of queries, found {}: the gateway reads anything else as a \
                 field name that never matches; write `{{\"{operator}\": [{{...}}, {{...}}]}}`",
                describe(value)
            ),
        );
        return;
    };
    if queries.is_empty() {
        let effect = if operator == "$or" {
            "never matches"
        } else {
            "matches every request"
        };
        report.value(
            path,
            format!("`{operator}` with no queries {effect}: list at least one query"),
        );
        return;
    }
    for (index, query) in queries.iter().enumerate() {
        let item_path = path.index(index);
        match query {
            Value::Object(query) => check_query_object(query, &item_path, report),
            other => report.value(
                &item_path,
                format!(
                    "each entry of `{operator}` must be a query object, found {}",
                    describe(other)
                ),
            ),
        }
    }
}

/// Checks a field key such as `metadata.tier`.
fn check_field(key: &str, value: &Value) -> Result<(), String> {
    let Some((source, name)) = key.split_once('.') else {
        if SOURCES.contains(&key) {
            let example = if key == "url" {
                "url.pathname".to_owned()
            } else {
                format!("{key}.tier")
            };
            return Err(format!(
                "query key `{key}` reads nothing: name what to read, e.g. `{example}`"
            ));
        }
        let source = if REQUEST_PARAMS.contains(&key) {
            "params"
        } else {
            "metadata"
        };
        return Err(format!(
            "query key `{key}` reads nothing: Portkey conditions read `metadata.*`, `params.*` or \
             `url.pathname`; write `{}`",
            example_condition(&format!("{source}.{key}"), value)
        ));
    };
    if !SOURCES.contains(&source) {
        let mut message = format!(
            "query key `{key}` reads nothing: Portkey conditions read `metadata.*`, `params.*` or `url.pathname`"
        );
        let by_prefix = SOURCES
            .iter()
            .copied()
            .find(|known| !source.is_empty() && known.starts_with(source));
        if let Some(suggestion) = by_prefix.or_else(|| closest(source, SOURCES)) {
            message.push_str(&format!("; did you mean `{suggestion}.{name}`?"));
        }
        return Err(message);
    }
    if name.is_empty() {
        return Err(format!(
            "query key `{key}` names no field: write e.g. `{source}.tier`"
        ));
    }
    if source == "url" {
        if name != "pathname" {
            return Err(format!(
                "query key `{key}` reads nothing: the only `url` field is `url.pathname`"
            ));
        }
        return Ok(());
    }
    if let Some((first, _)) = name.split_once('.') {
        return Err(format!(
            "query key `{key}` reads only `{source}.{first}`: the gateway looks one level deep \
             (`{source}.<name>`) and ignores the rest; compare `{source}.{first}` or send the value \
             as its own metadata key"
        ));
    }
    Ok(())
}

/// `{"params.model": {"$eq": "gpt-4"}}` built from the user's own value.
fn example_condition(field: &str, value: &Value) -> String {
    let field = Value::String(field.to_owned());
    match value {
        Value::Object(_) => format!("{{{field}: {value}}}"),
        Value::Array(_) => format!("{{{field}: {{\"$in\": {value}}}}}"),
        scalar => format!("{{{field}: {{\"$eq\": {scalar}}}}}"),
    }
}

/// Checks what a field is compared with: a literal or an operator object.
fn check_condition_value(value: &Value, path: &JsonPath, report: &mut Report) {
    match value {
        Value::Array(_) => report.value(
            path,
            format!(
                "a list is not a condition (the gateway fails the request on it): to match any of \
                 several values write `{{\"$in\": {value}}}`"
            ),
        ),
        Value::Object(operators) => check_operators(operators, path, report),
        _ => {}
    }
}

fn check_operators(operators: &Map<String, Value>, path: &JsonPath, report: &mut Report) {
    if operators.is_empty() {
        report.value(path, "`{}` compares nothing and so matches every request: write e.g. `{\"$eq\": \"premium\"}`");
        return;
    }
    for (operator, operand) in operators {
        let operator_path = path.key(operator);
        match operator.as_str() {
            "$eq" | "$ne" => {
                if operand.is_object() || operand.is_array() {
                    report.value(
                        &operator_path,
                        format!(
                            "`{operator}` compares with `===`, so {} never equals anything: compare a \
                             string, number, boolean or null{}",
                            describe(operand),
                            if operand.is_array() { " (for several values use `$in`)" } else { "" }
                        ),
                    );
                }
            }
            "$gt" | "$gte" | "$lt" | "$lte" => {
                let numeric = operand.is_number()
                    || operand.as_str().is_some_and(|text| text.trim().parse::<f64>().is_ok());
                if !numeric {
                    report.value(
                        &operator_path,
                        format!(
                            "`{operator}` compares numbers (the gateway uses parseFloat), found {}: \
                             write a number such as 0.7",
                            describe(operand)
                        ),
                    );
                }
            }
            "$in" | "$nin" => check_in(operator, operand, &operator_path, report),
            "$regex" => {
                if !operand.is_string() {
                    report.value(
                        &operator_path,
                        format!("`$regex` takes a pattern string, found {}: write e.g. `\"^gpt-4\"`", describe(operand)),
                    );
                }
                if operators.len() > 1 {
                    report.key(
                        &operator_path,
                        "`$regex` must be the only operator of its object: the gateway returns its result \
                         and skips the others; combine them with `$and`",
                    );
                }
            }
            "$and" | "$or" => report.key(
                &operator_path,
                format!(
                    "`{operator}` combines whole queries, not values: write it at the query level, \
                     `{{\"{operator}\": [{{\"params.model\": \"a\"}}, {{\"params.model\": \"b\"}}]}}`"
                ),
            ),
            _ => {
                let mut message = format!(
                    "unknown operator `{operator}` (the gateway fails the request on it); expected one of {}",
                    FIELD_OPERATORS.join(" ")
                );
                if let Some(suggestion) = closest(operator, FIELD_OPERATORS) {
                    message.push_str(&format!("; did you mean `{suggestion}`?"));
                }
                report.key(&operator_path, message);
            }
        }
    }
}

fn check_in(operator: &str, operand: &Value, path: &JsonPath, report: &mut Report) {
    let Value::Array(values) = operand else {
        report.value(
            path,
            format!(
                "`{operator}` takes an array, found {} (the gateway then never matches): write `[{operand}]`",
                describe(operand)
            ),
        );
        return;
    };
    if values.is_empty() {
        let effect = if operator == "$in" {
            "never matches"
        } else {
            "matches every request"
        };
        report.value(
            path,
            format!("`{operator}` with an empty array {effect}: list the values"),
        );
        return;
    }
    for (index, item) in values.iter().enumerate() {
        if item.is_object() || item.is_array() {
            report.value(
                &path.index(index),
                format!(
                    "`{operator}` compares with `includes`, so {} never matches: list plain values",
                    describe(item)
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::portkey::Blame;
    use serde_json::json;

    fn check(query: Value) -> Vec<(String, Blame, String)> {
        let mut report = Report::default();
        check_query(&query, &JsonPath::root().key("query"), &mut report);
        report
            .into_errors()
            .into_iter()
            .map(|e| (e.path_string(), e.at, e.message))
            .collect()
    }

    fn one(query: Value) -> (String, Blame, String) {
        let mut errors = check(query.clone());
        assert_eq!(errors.len(), 1, "{query}: {errors:?}");
        errors.remove(0)
    }

    #[test]
    fn accepts_documented_queries() {
        for query in [
            json!({"metadata.user_plan": {"$eq": "paid"}}),
            json!({"metadata.tier": "premium"}),
            json!({"params.model": {"$in": ["gpt-4o", "gpt-4o-mini"]}}),
            json!({"params.temperature": {"$gte": 0.7, "$lt": "1.5"}}),
            json!({"url.pathname": {"$regex": "/embeddings$"}}),
            json!({"metadata.env": {"$ne": "prod"}, "metadata.beta": {"$nin": ["no", "off"]}}),
            json!({"$or": [{"metadata.tier": "a"}, {"$and": [{"metadata.x": 1}, {"params.stream": true}]}]}),
            json!({"params.user": null}),
        ] {
            assert!(
                check(query.clone()).is_empty(),
                "{query}: {:?}",
                check(query.clone())
            );
        }
    }

    #[test]
    fn rejects_the_short_form_with_the_working_form() {
        let (path, at, message) = one(json!({"model": "gpt-4"}));
        assert_eq!((path.as_str(), at), ("query.model", Blame::Key));
        assert_eq!(
            message,
            "query key `model` reads nothing: Portkey conditions read `metadata.*`, `params.*` or \
             `url.pathname`; write `{\"params.model\": {\"$eq\": \"gpt-4\"}}`"
        );
        assert!(
            one(json!({"tier": {"$in": ["a"]}}))
                .2
                .ends_with("write `{\"metadata.tier\": {\"$in\":[\"a\"]}}`")
        );
        assert!(
            one(json!({"user_tier": 3}))
                .2
                .ends_with("write `{\"metadata.user_tier\": {\"$eq\": 3}}`")
        );
    }

    #[test]
    fn rejects_unknown_sources_and_deep_keys() {
        assert!(
            one(json!({"meta.tier": "a"}))
                .2
                .ends_with("did you mean `metadata.tier`?")
        );
        assert!(
            one(json!({"param.model": "a"}))
                .2
                .ends_with("did you mean `params.model`?")
        );
        assert!(
            one(json!({"metadta.tier": "a"}))
                .2
                .ends_with("did you mean `metadata.tier`?")
        );
        assert!(!one(json!({"body.model": "a"})).2.contains("did you mean"));
        assert!(
            one(json!({"metadata": "a"}))
                .2
                .contains("e.g. `metadata.tier`")
        );
        assert!(one(json!({"url": "a"})).2.contains("e.g. `url.pathname`"));
        assert!(one(json!({"metadata.": "a"})).2.contains("names no field"));
        assert!(
            one(json!({"url.path": "/x"}))
                .2
                .contains("the only `url` field is `url.pathname`")
        );
        let deep = one(json!({"params.response_format.type": "json_object"}));
        assert_eq!(deep.0, "query[\"params.response_format.type\"]");
        assert!(deep.2.starts_with(
            "query key `params.response_format.type` reads only `params.response_format`"
        ));
    }

    #[test]
    fn rejects_empty_and_non_object_queries() {
        assert!(
            one(json!({}))
                .2
                .starts_with("an empty query matches every request")
        );
        assert!(
            one(json!("metadata.tier"))
                .2
                .starts_with("`query` must be an object")
        );
        let (path, at, message) = one(json!({"metadata.tier": {}}));
        assert_eq!(
            (path.as_str(), at),
            ("query[\"metadata.tier\"]", Blame::Value)
        );
        assert!(message.contains("matches every request"));
    }

    #[test]
    fn rejects_misused_logical_operators() {
        let (path, at, message) = one(json!({"$or": [{"metadata.a": "1"}], "metadata.b": "2"}));
        assert_eq!((path.as_str(), at), ("query.$or", Blame::Key));
        assert!(message.starts_with("`$or` must be the only key of its query"));
        assert!(
            one(json!({"$and": {"metadata.a": "1"}}))
                .2
                .starts_with("`$and` takes an array of queries, found an object")
        );
        assert!(one(json!({"$or": []})).2.contains("never matches"));
        assert!(one(json!({"$and": []})).2.contains("matches every request"));
        let (path, _, message) = one(json!({"$or": [{"metadata.a": "1"}, "x"]}));
        assert_eq!(path, "query.$or[1]");
        assert!(message.contains("must be a query object, found a string"));
        let nested = one(json!({"$or": [{"model": "a"}]}));
        assert_eq!(nested.0, "query.$or[0].model");
        let inside = one(json!({"params.model": {"$or": ["a", "b"]}}));
        assert_eq!(inside.1, Blame::Key);
        assert!(inside.2.contains("combines whole queries"));
    }

    #[test]
    fn rejects_operators_at_the_query_level() {
        assert!(
            one(json!({"$eq": "x"}))
                .2
                .starts_with("operator `$eq` needs a field")
        );
        assert!(
            one(json!({"$not": "x"}))
                .2
                .starts_with("unknown operator `$not`")
        );
        assert!(
            one(json!({"$ands": []}))
                .2
                .ends_with("did you mean `$and`?")
        );
    }

    #[test]
    fn checks_operator_operands() {
        let (path, at, message) = one(json!({"metadata.tier": {"$equals": "x"}}));
        assert_eq!(
            (path.as_str(), at),
            ("query[\"metadata.tier\"].$equals", Blame::Key)
        );
        assert!(
            message.starts_with("unknown operator `$equals` (the gateway fails the request on it)")
        );
        assert!(
            one(json!({"metadata.tier": {"eq": "x"}}))
                .2
                .ends_with("did you mean `$eq`?")
        );
        assert!(
            one(json!({"metadata.tier": {"$in": "x"}}))
                .2
                .contains("takes an array, found a string")
        );
        assert!(
            one(json!({"metadata.tier": {"$in": []}}))
                .2
                .contains("never matches")
        );
        assert!(
            one(json!({"metadata.tier": {"$nin": []}}))
                .2
                .contains("matches every request")
        );
        assert_eq!(
            one(json!({"metadata.tier": {"$in": ["a", ["b"]]}})).0,
            "query[\"metadata.tier\"].$in[1]"
        );
        assert!(
            one(json!({"params.temperature": {"$gt": "hot"}}))
                .2
                .contains("compares numbers")
        );
        assert!(
            one(json!({"params.temperature": {"$lte": true}}))
                .2
                .contains("found a boolean")
        );
        assert!(
            one(json!({"params.model": {"$eq": ["a"]}}))
                .2
                .contains("use `$in`")
        );
        assert!(
            one(json!({"params.model": {"$ne": {}}}))
                .2
                .contains("an object never equals")
        );
        assert!(
            one(json!({"params.model": {"$regex": 5}}))
                .2
                .contains("pattern string")
        );
        let regex = one(json!({"params.model": {"$regex": "^gpt", "$ne": "gpt-4"}}));
        assert_eq!(
            (regex.0.as_str(), regex.1),
            ("query[\"params.model\"].$regex", Blame::Key)
        );
        assert!(
            one(json!({"params.model": ["a", "b"]}))
                .2
                .contains("write `{\"$in\": [\"a\",\"b\"]}`")
        );
    }

    #[test]
    fn reports_every_problem() {
        let errors = check(json!({"model": "a", "tier": "b", "metadata.x": {"$in": 1}}));
        assert_eq!(errors.len(), 3, "{errors:?}");
    }
}
