//! The `conditional` strategy's query language, as Portkey's
//! `ConditionalRouter` evaluates it: fields `metadata.*`, `params.*` and
//! `url.pathname`; operators `$eq $ne $gt $gte $lt $lte $in $nin $regex`;
//! `$and`/`$or` over sub-queries. Compiled once (regexes included), then
//! evaluated per request as a [`Condition`].

use std::sync::Arc;

use fastagentic::routing::{Condition, RouteQuery};
use regex::Regex;
use serde_json::Value;

/// A compiled query: every part must hold.
#[derive(Debug)]
struct Query(Vec<Part>);

#[derive(Debug)]
enum Part {
    Or(Vec<Query>),
    And(Vec<Query>),
    /// A field compared with a value (`"metadata.tier": "pro"`) or by operators.
    Field(Field, Vec<Op>),
}

/// Where a value is read from: `metadata.x`, `params.x`, `url.pathname`.
#[derive(Debug)]
enum Field {
    Metadata(String),
    Params(String),
    Pathname,
    /// Any other key: Portkey reads `undefined`.
    Missing,
}

#[derive(Debug)]
enum Op {
    Eq(Value),
    Ne(Value),
    Gt(Value),
    Gte(Value),
    Lt(Value),
    Lte(Value),
    In(Value),
    Nin(Value),
    Regex(Regex),
}

/// Compiles `query` into a [`Condition`]; `Err` names the first problem.
pub(crate) fn condition(query: &Value) -> Result<Condition, String> {
    let query = compile(query)?;
    Ok(Arc::new(move |route: &RouteQuery<'_>| query.holds(route)))
}

fn compile(query: &Value) -> Result<Query, String> {
    let Value::Object(entries) = query else {
        return Err(format!("a query is an object, not `{query}`"));
    };
    let mut parts = Vec::with_capacity(entries.len());
    for (key, value) in entries {
        let part = match (key.as_str(), value) {
            ("$or", Value::Array(items)) => {
                Part::Or(items.iter().map(compile).collect::<Result<_, _>>()?)
            }
            ("$and", Value::Array(items)) => {
                Part::And(items.iter().map(compile).collect::<Result<_, _>>()?)
            }
            ("$or" | "$and", _) => return Err(format!("`{key}` takes an array of queries")),
            (key, Value::Object(ops)) => {
                let ops = ops
                    .iter()
                    .map(|(op, operand)| operator(op, operand))
                    .collect::<Result<_, _>>()?;
                Part::Field(field(key), ops)
            }
            (key, value) => Part::Field(field(key), vec![Op::Eq(value.clone())]),
        };
        parts.push(part);
    }
    Ok(Query(parts))
}

/// Portkey reads two levels: `metadata.tier`, `params.model`, `url.pathname`.
fn field(key: &str) -> Field {
    let mut parts = key.splitn(3, '.');
    match (parts.next(), parts.next()) {
        (Some("metadata"), Some(name)) => Field::Metadata(name.to_owned()),
        (Some("params"), Some(name)) => Field::Params(name.to_owned()),
        (Some("url"), Some("pathname")) => Field::Pathname,
        _ => Field::Missing,
    }
}

fn operator(op: &str, operand: &Value) -> Result<Op, String> {
    Ok(match op {
        "$eq" => Op::Eq(operand.clone()),
        "$ne" => Op::Ne(operand.clone()),
        "$gt" => Op::Gt(operand.clone()),
        "$gte" => Op::Gte(operand.clone()),
        "$lt" => Op::Lt(operand.clone()),
        "$lte" => Op::Lte(operand.clone()),
        "$in" => Op::In(operand.clone()),
        "$nin" => Op::Nin(operand.clone()),
        "$regex" => {
            let pattern = operand
                .as_str()
                .ok_or_else(|| format!("`$regex` takes a string, not `{operand}`"))?;
            Op::Regex(
                Regex::new(pattern)
                    .map_err(|error| format!("`$regex` `{pattern}` is not a regex: {error}"))?,
            )
        }
        other => {
            return Err(format!(
                "unknown operator `{other}`; expected one of $eq, $ne, $gt, $gte, $lt, $lte, \
                 $in, $nin, $regex, $and, $or"
            ));
        }
    })
}

impl Query {
    fn holds(&self, route: &RouteQuery<'_>) -> bool {
        self.0.iter().all(|part| match part {
            Part::Or(queries) => queries.iter().any(|q| q.holds(route)),
            Part::And(queries) => queries.iter().all(|q| q.holds(route)),
            Part::Field(field, ops) => {
                let value = read(field, route);
                ops.iter().all(|op| op.holds(value.as_ref()))
            }
        })
    }
}

fn read(field: &Field, route: &RouteQuery<'_>) -> Option<Value> {
    match field {
        Field::Metadata(name) => route.metadata.get(name).cloned(),
        Field::Params(name) => route.params.get(name).cloned(),
        Field::Pathname => Some(Value::from(route.path)),
        Field::Missing => None,
    }
}

/// JavaScript's `===` on JSON values: primitives by value, objects and
/// arrays never equal (they are compared by reference there).
fn strict_eq(value: Option<&Value>, other: &Value) -> bool {
    match value {
        Some(Value::Object(_) | Value::Array(_)) | None => false,
        Some(value) => value == other,
    }
}

/// JavaScript's `parseFloat`: a number, or the number a string starts with.
fn parse_float(value: Option<&Value>) -> f64 {
    match value {
        Some(Value::Number(n)) => n.as_f64().unwrap_or(f64::NAN),
        Some(Value::String(s)) => {
            let s = s.trim_start();
            let end = s
                .char_indices()
                .take_while(|(i, c)| {
                    c.is_ascii_digit()
                        || *c == '.'
                        || ((*c == '-' || *c == '+') && *i == 0)
                        || *c == 'e'
                        || *c == 'E'
                })
                .count();
            (1..=end)
                .rev()
                .find_map(|n| s.get(..n).and_then(|p| p.parse::<f64>().ok()))
                .unwrap_or(f64::NAN)
        }
        _ => f64::NAN,
    }
}

/// The text a JavaScript regex tests: strings as they are, other values as
/// `String(value)` would write them.
fn text(value: Option<&Value>) -> String {
    match value {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) => "null".to_owned(),
        Some(other) => other.to_string(),
        None => "undefined".to_owned(),
    }
}

impl Op {
    fn holds(&self, value: Option<&Value>) -> bool {
        let number = || parse_float(value);
        match self {
            Op::Eq(other) => strict_eq(value, other),
            Op::Ne(other) => !strict_eq(value, other),
            Op::Gt(other) => number() > parse_float(Some(other)),
            Op::Gte(other) => number() >= parse_float(Some(other)),
            Op::Lt(other) => number() < parse_float(Some(other)),
            Op::Lte(other) => number() <= parse_float(Some(other)),
            Op::In(Value::Array(items)) => items.iter().any(|item| strict_eq(value, item)),
            Op::Nin(Value::Array(items)) => !items.iter().any(|item| strict_eq(value, item)),
            Op::In(_) | Op::Nin(_) => false,
            Op::Regex(regex) => regex.is_match(&text(value)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn holds(query: Value, metadata: Value, params: Value) -> bool {
        let metadata = metadata.as_object().cloned().unwrap_or_default();
        let route = RouteQuery {
            metadata: &metadata,
            params: &params,
            path: "/v1/chat/completions",
        };
        condition(&query).expect("compiles")(&route)
    }

    #[test]
    fn every_operator_as_portkey_evaluates_it() {
        let m = json!({"tier": "pro", "score": "7.5", "n": 3});
        let p = json!({"model": "gpt-4o", "temperature": 0.2});
        assert!(holds(json!({"metadata.tier": "pro"}), m.clone(), p.clone()));
        assert!(holds(
            json!({"metadata.tier": {"$eq": "pro"}}),
            m.clone(),
            p.clone()
        ));
        assert!(!holds(
            json!({"metadata.tier": {"$ne": "pro"}}),
            m.clone(),
            p.clone()
        ));
        assert!(holds(
            json!({"metadata.missing": {"$ne": "pro"}}),
            m.clone(),
            p.clone()
        ));
        assert!(holds(
            json!({"metadata.score": {"$gt": 7}}),
            m.clone(),
            p.clone()
        ));
        assert!(holds(
            json!({"metadata.score": {"$gte": "7.5"}}),
            m.clone(),
            p.clone()
        ));
        assert!(holds(
            json!({"metadata.n": {"$lt": 4, "$gte": 3}}),
            m.clone(),
            p.clone()
        ));
        assert!(!holds(
            json!({"metadata.n": {"$lte": 2}}),
            m.clone(),
            p.clone()
        ));
        assert!(!holds(
            json!({"metadata.missing": {"$gt": 0}}),
            m.clone(),
            p.clone()
        ));
        assert!(holds(
            json!({"params.model": {"$in": ["gpt-4o", "x"]}}),
            m.clone(),
            p.clone()
        ));
        assert!(holds(
            json!({"params.model": {"$nin": ["x"]}}),
            m.clone(),
            p.clone()
        ));
        assert!(holds(
            json!({"params.model": {"$regex": "^gpt-4"}}),
            m.clone(),
            p.clone()
        ));
        assert!(holds(
            json!({"params.temperature": {"$lt": 0.5}}),
            m.clone(),
            p.clone()
        ));
        assert!(holds(
            json!({"url.pathname": {"$eq": "/v1/chat/completions"}}),
            m.clone(),
            p.clone()
        ));
        assert!(holds(
            json!({"$or": [{"metadata.tier": "free"}, {"params.model": "gpt-4o"}]}),
            m.clone(),
            p.clone()
        ));
        assert!(!holds(
            json!({"$and": [{"metadata.tier": "pro"}, {"params.model": "x"}]}),
            m.clone(),
            p.clone()
        ));
        assert_eq!(parse_float(Some(&json!("12abc"))), 12.0);
    }

    #[test]
    fn refuses_unknown_operators_and_bad_regexes_at_start_up() {
        let error = condition(&json!({"metadata.a": {"$like": "x"}}))
            .err()
            .expect("unknown");
        assert!(error.contains("unknown operator `$like`"), "{error}");
        let error = condition(&json!({"metadata.a": {"$regex": "("}}))
            .err()
            .expect("bad regex");
        assert!(error.contains("is not a regex"), "{error}");
    }
}
