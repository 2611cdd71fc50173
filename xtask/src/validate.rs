//! Checks a normalized spec for constructs progenitor would reject with a
//! panic, and reports them as "operation: what is wrong" instead.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::normalize::NATIVE_REQUEST_TYPES;
use crate::spec::{self, is_error_status, resolve};

/// Every problem found, one line each; empty when the spec is usable.
pub fn validate(doc: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let version = doc.get("openapi").and_then(Value::as_str).unwrap_or("");
    if !version.starts_with("3.0.") {
        problems.push(format!("`openapi` must be 3.0.x, found {version:?}"));
    }
    if doc
        .pointer("/info/version")
        .and_then(Value::as_str)
        .is_none()
    {
        problems.push("`info.version` must be set (progenitor requires it)".into());
    }
    let mut seen_ids: BTreeMap<String, String> = BTreeMap::new();
    for op in spec::operations(doc) {
        let here = format!("{} {}", op.method.to_uppercase(), op.path);
        let Some(id) = op.id() else {
            problems.push(format!("{here}: missing operationId"));
            continue;
        };
        let name = format!("{id} ({here})");
        if let Some(prev) = seen_ids.insert(id.to_string(), here.clone()) {
            problems.push(format!("{name}: operationId already used by {prev}"));
        }
        check_parameters(op.parameters(doc), &name, &mut problems);
        check_request_body(doc, op.op, &name, &mut problems);
        check_responses(doc, op.op, &name, &mut problems);
    }
    check_schemas(doc, &mut problems);
    problems
}

fn check_parameters<'a>(
    params: impl Iterator<Item = &'a Value>,
    name: &str,
    problems: &mut Vec<String>,
) {
    for param in params {
        let pname = param.get("name").and_then(Value::as_str).unwrap_or("?");
        let location = param.get("in").and_then(Value::as_str).unwrap_or("?");
        if location == "header" && pname.eq_ignore_ascii_case("authorization") {
            problems.push(format!(
                "{name}: header parameter `Authorization` is not allowed; the runtime signs requests"
            ));
        }
        if param.get("schema").is_none() {
            problems.push(format!("{name}: parameter `{pname}` has no schema"));
        }
        if location == "path" && param.get("required") != Some(&Value::Bool(true)) {
            problems.push(format!("{name}: path parameter `{pname}` must be required"));
        }
    }
}

fn check_request_body(doc: &Value, op: &Value, name: &str, problems: &mut Vec<String>) {
    let Some(body) = op.get("requestBody").map(|b| resolve(doc, b)) else {
        return;
    };
    let content = body.get("content").and_then(Value::as_object);
    let Some(content) = content.filter(|c| !c.is_empty()) else {
        problems.push(format!("{name}: request body has no content"));
        return;
    };
    if content.len() > 1 {
        let types: Vec<_> = content.keys().cloned().collect();
        problems.push(format!(
            "{name}: request body offers several media types {types:?}; keep one"
        ));
    }
    for (media_type, media) in content {
        let base = media_type.split(';').next().unwrap_or_default();
        if !NATIVE_REQUEST_TYPES.contains(&base) {
            problems.push(format!(
                "{name}: request media type `{media_type}` is not supported (only string bodies can be relabelled)"
            ));
        }
        if media.get("schema").is_none() {
            problems.push(format!(
                "{name}: request media type `{media_type}` has no schema"
            ));
        }
    }
}

/// How progenitor would classify one response.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    None,
    Raw,
    Typed(String),
}

fn response_kind(
    doc: &Value,
    response: &Value,
    name: &str,
    code: &str,
    problems: &mut Vec<String>,
) -> Kind {
    let response = resolve(doc, response);
    let Some(content) = response.get("content").and_then(Value::as_object) else {
        return Kind::None;
    };
    if content.is_empty() {
        return Kind::None;
    }
    for (media_type, media) in content {
        if media.get("schema").is_none() {
            problems.push(format!(
                "{name}: response {code} `{media_type}` has no schema"
            ));
        }
    }
    match content
        .iter()
        .find(|(k, _)| *k == "application/json" || k.starts_with("application/json;"))
    {
        Some((_, media)) => Kind::Typed(
            media
                .get("schema")
                .map(Value::to_string)
                .unwrap_or_default(),
        ),
        None => Kind::Raw,
    }
}

fn check_responses(doc: &Value, op: &Value, name: &str, problems: &mut Vec<String>) {
    let Some(responses) = op.get("responses").and_then(Value::as_object) else {
        problems.push(format!("{name}: no responses"));
        return;
    };
    let mut success = BTreeSet::new();
    for (code, response) in responses {
        let kind = response_kind(doc, response, name, code, problems);
        if code == "204" && kind != Kind::None {
            problems.push(format!("{name}: a 204 response cannot have content"));
        }
        if code == "default" || code.starts_with('2') {
            success.insert(kind);
        } else if is_error_status(code) {
            problems.push(format!(
                "{name}: error response {code} left after normalization; the facade decodes errors"
            ));
        }
    }
    if success.len() > 1 {
        problems.push(format!(
            "{name}: success responses have {} different types; progenitor allows one",
            success.len()
        ));
    }
}

fn check_schemas(doc: &Value, problems: &mut Vec<String>) {
    fn walk(node: &Value, at: &str, problems: &mut Vec<String>) {
        match node {
            Value::Object(map) => {
                let is_schema_map = at.ends_with("/properties") || at.ends_with("/schemas");
                if !is_schema_map
                    && map.get("properties").is_some_and(Value::is_object)
                    && map.get("type").is_none()
                {
                    problems.push(format!(
                        "schema at {at}: has properties but no `type: object`"
                    ));
                }
                for (k, v) in map {
                    walk(v, &format!("{at}/{k}"), problems);
                }
            }
            Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    walk(v, &format!("{at}/{i}"), problems);
                }
            }
            _ => {}
        }
    }
    walk(doc, "#", problems);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc(paths: Value) -> Value {
        json!({"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": paths})
    }

    #[test]
    fn a_clean_spec_has_no_problems() {
        let d = doc(json!({"/a/{id}": {"get": {
            "operationId": "getA",
            "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
            "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"type": "string"}}}}}
        }}}));
        assert_eq!(validate(&d), Vec::<String>::new());
    }

    #[test]
    fn problems_name_the_operation() {
        let d = doc(json!({"/a": {"post": {
            "operationId": "postA",
            "parameters": [{"name": "Authorization", "in": "header", "schema": {"type": "string"}}],
            "requestBody": {"content": {"application/xml": {"schema": {"type": "string"}}}},
            "responses": {
                "200": {"description": "ok", "content": {"application/json": {"schema": {"type": "string"}}}},
                "201": {"description": "ok", "content": {"application/json": {"schema": {"type": "integer"}}}},
                "204": {"description": "none", "content": {"application/json": {"schema": {"type": "string"}}}},
                "400": {"description": "bad", "content": {"application/json": {"schema": {"type": "string"}}}},
                "401": {"description": "bad"}
            }
        }}}));
        let problems = validate(&d);
        let text = problems.join("\n");
        assert!(
            problems.iter().all(|p| p.starts_with("postA (POST /a)")),
            "{text}"
        );
        assert!(text.contains("`Authorization`"), "{text}");
        assert!(text.contains("application/xml"), "{text}");
        assert!(text.contains("204"), "{text}");
        assert!(text.contains("success responses have"), "{text}");
        assert!(text.contains("error response 400 left"), "{text}");
    }

    #[test]
    fn duplicate_ids_and_old_versions_are_reported() {
        let mut d = doc(json!({
            "/a": {"get": {"operationId": "same", "responses": {"200": {"description": "ok"}}}},
            "/b": {"get": {"operationId": "same", "responses": {"200": {"description": "ok"}}}}
        }));
        d["openapi"] = json!("3.1.0");
        let text = validate(&d).join("\n");
        assert!(text.contains("already used by GET /a"), "{text}");
        assert!(text.contains("3.0.x"), "{text}");
    }
}
