//! `GET /openapi.json`: an OpenAPI 3.1 document built from the same
//! registered records as the router, once, at start-up.

use schemars::generate::SchemaSettings;
use serde_json::{Map, Value, json};

use crate::endpoint::EndpointRegistration;

/// The document's `info` section.
#[derive(Clone, Debug)]
pub(crate) struct ApiInfo {
    pub title: String,
    pub version: String,
    pub description: Option<String>,
}

fn error_responses() -> Value {
    let error = json!({"$ref": "#/components/schemas/Error"});
    let response = |description: &str| json!({"description": description, "content": {"application/json": {"schema": error}}});
    json!({
        "400": response("Malformed JSON"),
        "413": response("Body over the size limit"),
        "415": response("Body is not JSON"),
        "422": response("JSON that does not match the input schema; `details.path` names the field"),
        "502": response("The LLM provider failed; `details` carries its status and message"),
        "504": response("The LLM provider or the request timed out"),
    })
}

fn error_schema() -> Value {
    json!({
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["type", "message"],
                "properties": {
                    "type": {"type": "string", "description": "Stable error type, e.g. `validation_error`, `upstream_error`"},
                    "message": {"type": "string"},
                    "details": {"description": "Structured details, e.g. `{\"path\": \"ticket.text\"}`"}
                }
            }
        }
    })
}

/// The OpenAPI 3.1 document for `endpoints`.
pub(crate) fn openapi_document(
    info: &ApiInfo,
    endpoints: &[&'static EndpointRegistration],
) -> Value {
    let mut settings = SchemaSettings::draft2020_12();
    settings.definitions_path = "/components/schemas".into();
    settings.meta_schema = None;
    let mut generator = settings.into_generator();

    let mut paths = Map::new();
    for reg in endpoints {
        let mut operation = Map::new();
        operation.insert("operationId".into(), json!(reg.name));
        operation.insert("summary".into(), json!(summary(reg)));
        if !reg.description.is_empty() {
            operation.insert("description".into(), json!(reg.description));
        }
        let params = fastagentic_rules::path::check_endpoint_path(reg.path)
            .map(|p| p.params().to_vec())
            .unwrap_or_default();
        if !params.is_empty() {
            let list: Vec<Value> = params
                .iter()
                .map(|p| json!({"name": p, "in": "path", "required": true, "schema": {"type": "string"}, "description": "Also merged into the input object under the same name"}))
                .collect();
            operation.insert("parameters".into(), Value::Array(list));
        }
        if let Some(input) = reg.input_schema {
            let schema = input(&mut generator);
            operation.insert(
                "requestBody".into(),
                json!({"required": true, "content": {"application/json": {"schema": schema}}}),
            );
        }
        let output = (reg.output_schema)(&mut generator);
        let ok = if reg.stream {
            json!({
                "description": "Server-sent events: one `data: <json>` per event (schema below), then `data: [DONE]`; a failure mid-stream ends with `event: error`",
                "content": {"text/event-stream": {"itemSchema": output, "schema": {"type": "string"}}}
            })
        } else {
            json!({"description": "Success", "content": {"application/json": {"schema": output}}})
        };
        let mut responses = error_responses();
        responses["200"] = ok;
        operation.insert("responses".into(), responses);
        paths.insert(reg.path.to_owned(), json!({"post": operation}));
    }

    let mut schemas: Map<String, Value> = generator.take_definitions(true).into_iter().collect();
    schemas.insert("Error".into(), error_schema());

    let mut info_json = json!({"title": info.title, "version": info.version});
    if let Some(description) = &info.description {
        info_json["description"] = json!(description);
    }
    json!({
        "openapi": "3.1.0",
        "info": info_json,
        "paths": paths,
        "components": {"schemas": schemas},
    })
}

fn summary(reg: &EndpointRegistration) -> String {
    reg.description
        .lines()
        .next()
        .filter(|l| !l.trim().is_empty())
        .map_or_else(|| reg.name.replace('_', " "), |l| l.trim().to_owned())
}
