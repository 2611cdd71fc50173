//! Rewrites spec facts that progenitor cannot take as they are.
//!
//! The specs record what the services do. Where that collides with a
//! progenitor limit, the fact stays in the spec and the adaptation lives here,
//! so it is applied the same way to every spec and documented in one place.

use serde_json::{Map, Value};

/// Request media types progenitor can emit itself.
pub const NATIVE_REQUEST_TYPES: &[&str] = &[
    "application/json",
    "application/octet-stream",
    "application/x-www-form-urlencoded",
    "text/plain",
];

/// An operation whose request body the runtime must relabel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentTypeOverride {
    /// Operation id.
    pub operation_id: String,
    /// The media type the service expects.
    pub media_type: String,
}

/// Applies every adaptation in place; returns the request bodies whose media
/// type was replaced, so the runtime can restore it on the wire.
pub fn normalize(doc: &mut Value) -> Vec<ContentTypeOverride> {
    strip_closed_objects(doc);
    any_of_objects_as_one_of(doc);
    hoist_colliding_responses(doc);
    let schemas = doc
        .pointer("/components/schemas")
        .cloned()
        .unwrap_or_else(|| Value::Object(Map::new()));
    let mut merged_errors = Map::new();
    let mut overrides = Vec::new();
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return overrides;
    };
    for item in paths.values_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for (method, op) in item.iter_mut() {
            if !is_method(method) {
                continue;
            }
            let Some(op) = op.as_object_mut() else {
                continue;
            };
            split_default_response(op);
            drop_bodyless_errors(op);
            unify_error_schemas(op);
            merge_error_objects(op, &schemas, &mut merged_errors);
            drop_codes_covered_by_ranges(op);
            if let Some(o) = relabel_request_body(op) {
                overrides.push(o);
            }
        }
    }
    if let Some(components) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
        .filter(|_| !merged_errors.is_empty())
    {
        components.extend(merged_errors);
    }
    overrides
}

/// True for the keys of a path item that hold operations.
pub fn is_method(key: &str) -> bool {
    matches!(
        key,
        "get" | "put" | "post" | "delete" | "options" | "head" | "patch" | "trace"
    )
}

/// `additionalProperties: false` becomes `deny_unknown_fields`, which would
/// break decoding the day a service adds a field. Drop it everywhere.
fn strip_closed_objects(node: &mut Value) {
    match node {
        Value::Object(map) => {
            if map.get("additionalProperties") == Some(&Value::Bool(false)) {
                map.remove("additionalProperties");
            }
            map.values_mut().for_each(strip_closed_objects);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_closed_objects),
        _ => {}
    }
}

/// Progenitor treats a `default` response as a second success type. When an
/// operation also documents a 2xx or 3xx response, `default` can only describe
/// errors, so it is restated as `4XX` and `5XX` (explicit codes still win).
fn split_default_response(op: &mut Map<String, Value>) {
    let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else {
        return;
    };
    // A documented 2xx or 3xx is the non-error outcome (3xx: redirect-only
    // endpoints such as OAuth authorization), leaving `default` for errors.
    let has_outcome = responses
        .keys()
        .any(|k| k.starts_with('2') || k.starts_with('3'));
    if !has_outcome {
        return;
    }
    if let Some(default) = responses.remove("default") {
        for range in ["4XX", "5XX"] {
            responses
                .entry(range.to_string())
                .or_insert_with(|| default.clone());
        }
    }
}

/// An explicit status whose body is the same as its range's adds nothing to
/// decoding and would only produce an unreachable match arm.
fn drop_codes_covered_by_ranges(op: &mut Map<String, Value>) {
    let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else {
        return;
    };
    let ranges: Vec<(char, Option<Value>)> = responses
        .iter()
        .filter(|(code, _)| code.len() == 3 && code.ends_with("XX"))
        .map(|(code, r)| {
            (
                code.chars().next().unwrap_or('0'),
                r.get("content").cloned(),
            )
        })
        .collect();
    responses.retain(|code, r| {
        !ranges.iter().any(|(first, content)| {
            code.len() == 3
                && !code.ends_with("XX")
                && code.starts_with(*first)
                && r.get("content").cloned() == *content
        })
    });
}

/// Progenitor discards the body of an error response the spec documents
/// without one. Leaving such responses out of its view makes them arrive as
/// `UnexpectedResponse`, body intact, so the facade can still decode the
/// service's error message.
fn drop_bodyless_errors(op: &mut Map<String, Value>) {
    let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else {
        return;
    };
    responses.retain(|code, response| {
        let is_error = code.starts_with('4') || code.starts_with('5');
        let has_body = response
            .get("content")
            .and_then(Value::as_object)
            .is_some_and(|c| !c.is_empty());
        // `$ref` responses are kept: their body is described elsewhere.
        !is_error || has_body || response.get("$ref").is_some()
    });
}

/// Typify renders `anyOf` as a struct of flattened options, which cannot
/// decode variants whose shared fields differ in type (`{key, value: string}`
/// or `{key, value: number}`). When every member is an object, one of them
/// describes the value, so `oneOf` (an untagged enum tried in order) decodes
/// the same documents.
fn any_of_objects_as_one_of(doc: &mut Value) {
    let schemas = doc
        .pointer("/components/schemas")
        .cloned()
        .unwrap_or(Value::Null);
    let is_object = |member: &Value| {
        let resolved = match member.get("$ref").and_then(Value::as_str) {
            Some(r) => r
                .strip_prefix("#/components/schemas/")
                .and_then(|name| schemas.get(name))
                .unwrap_or(&Value::Null),
            None => member,
        };
        resolved.get("type").and_then(Value::as_str) == Some("object")
    };
    fn walk(node: &mut Value, is_object: &dyn Fn(&Value) -> bool) {
        match node {
            Value::Object(map) => {
                let convert = map
                    .get("anyOf")
                    .and_then(Value::as_array)
                    .is_some_and(|members| members.len() > 1 && members.iter().all(is_object));
                if convert && let Some(members) = map.remove("anyOf") {
                    map.insert("oneOf".to_string(), members);
                }
                map.values_mut().for_each(|v| walk(v, is_object));
            }
            Value::Array(items) => items.iter_mut().for_each(|v| walk(v, is_object)),
            _ => {}
        }
    }
    walk(doc, &is_object);
}

/// Progenitor names an operation's inline response type `<OperationId>Response`.
/// When a component already has that name, typify reuses the component and the
/// real body no longer decodes; such inline schemas move to components as
/// `<OperationId>Envelope`.
fn hoist_colliding_responses(doc: &mut Value) {
    use heck::ToPascalCase;
    let taken: Vec<String> = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .map(|m| m.keys().map(|k| k.to_pascal_case()).collect())
        .unwrap_or_default();
    let mut hoisted = Map::new();
    let paths = doc.get_mut("paths").and_then(Value::as_object_mut);
    for item in paths.into_iter().flat_map(|p| p.values_mut()) {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for (method, op) in item.iter_mut() {
            if !is_method(method) {
                continue;
            }
            let Some(id) = op
                .get("operationId")
                .and_then(Value::as_str)
                .map(str::to_string)
            else {
                continue;
            };
            if !taken.contains(&format!("{id}-response").to_pascal_case()) {
                continue;
            }
            let responses = op.get_mut("responses").and_then(Value::as_object_mut);
            for (code, response) in responses.into_iter().flatten() {
                if !code.starts_with('2') {
                    continue;
                }
                let Some(schema) = response.pointer_mut("/content/application~1json/schema") else {
                    continue;
                };
                if schema.get("$ref").is_some() {
                    continue;
                }
                let name = format!("{id}Envelope");
                hoisted.insert(name.clone(), schema.take());
                *schema = serde_json::json!({ "$ref": format!("#/components/schemas/{name}") });
            }
        }
    }
    if let Some(components) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        components.extend(hoisted);
    }
}

/// Keywords that constrain a value without changing its shape.
const CONSTRAINTS: &[&str] = &[
    "description",
    "title",
    "minItems",
    "maxItems",
    "minLength",
    "maxLength",
    "pattern",
    "minimum",
    "maximum",
    "uniqueItems",
    "example",
];

fn without_constraints(schema: &Value) -> Value {
    match schema {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(k, _)| !CONSTRAINTS.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), without_constraints(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(without_constraints).collect()),
        other => other.clone(),
    }
}

/// Progenitor gives an operation one error type. Services often document
/// the same error body per status with different limits (an array of at most
/// 1 message here, 100 there); such schemas are decoded as one shape, with the
/// limits left out so that no body the service sends is rejected.
fn unify_error_schemas(op: &mut Map<String, Value>) {
    let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else {
        return;
    };
    let schemas: Vec<&mut Value> = responses
        .iter_mut()
        .filter(|(code, _)| code.starts_with('4') || code.starts_with('5'))
        .filter_map(|(_, r)| r.pointer_mut("/content/application~1json/schema"))
        .collect();
    let Some(first) = schemas.first().map(|s| without_constraints(s)) else {
        return;
    };
    if schemas.iter().all(|s| without_constraints(s) == first)
        && schemas.iter().any(|s| **s != first)
    {
        for schema in schemas {
            *schema = first.clone();
        }
    }
}

/// When one status documents an error body that differs from the others (a
/// `status` field here, an `ok` flag there), progenitor cannot type the
/// operation's errors. Such object schemas are merged into one named
/// `<operationId>Error`: every property of each, required only where all
/// require it. Properties whose types disagree are left alone for
/// validation to report.
fn merge_error_objects(
    op: &mut Map<String, Value>,
    schemas: &Value,
    merged: &mut Map<String, Value>,
) {
    let Some(id) = op
        .get("operationId")
        .and_then(Value::as_str)
        .map(str::to_string)
    else {
        return;
    };
    let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else {
        return;
    };
    let pointer = "/content/application~1json/schema";
    let bodies: Vec<Value> = responses
        .iter()
        .filter(|(code, _)| code.starts_with('4') || code.starts_with('5'))
        .filter_map(|(_, r)| r.pointer(pointer).cloned())
        .collect();
    let distinct: Vec<&Value> = bodies.iter().fold(Vec::new(), |mut acc, b| {
        if !acc.contains(&b) {
            acc.push(b);
        }
        acc
    });
    if distinct.len() < 2 {
        return;
    }
    let resolve = |schema: &Value| -> Option<Value> {
        match schema.get("$ref").and_then(Value::as_str) {
            Some(r) => schemas
                .get(r.strip_prefix("#/components/schemas/")?)
                .cloned(),
            None => Some(schema.clone()),
        }
    };
    let mut properties = Map::new();
    let mut required: Option<Vec<Value>> = None;
    for body in &distinct {
        let Some(schema) = resolve(body) else { return };
        if schema.get("type").and_then(Value::as_str) != Some("object") {
            return;
        }
        for (name, prop) in schema
            .get("properties")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            match properties.get(name) {
                Some(existing) if existing.get("type") != prop.get("type") => return,
                Some(_) => {}
                None => {
                    properties.insert(name.clone(), prop.clone());
                }
            }
        }
        let these: Vec<Value> = schema
            .get("required")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        required = Some(match required {
            None => these,
            Some(prev) => prev.into_iter().filter(|r| these.contains(r)).collect(),
        });
    }
    let name = format!("{id}Error");
    merged.insert(
        name.clone(),
        serde_json::json!({
            "type": "object",
            "description": "Error body of this operation: the union of the shapes it documents per status.",
            "required": required.unwrap_or_default(),
            "properties": properties,
        }),
    );
    let reference = serde_json::json!({ "$ref": format!("#/components/schemas/{name}") });
    for (code, response) in responses.iter_mut() {
        let is_error = code.starts_with('4') || code.starts_with('5');
        if let Some(schema) = response.pointer_mut(pointer).filter(|_| is_error) {
            *schema = reference.clone();
        }
    }
}

/// A string request body in a media type progenitor cannot emit (such as
/// `application/yaml`) is generated as `text/plain` (or octet-stream when
/// binary); the runtime restores the real `Content-Type` from the returned
/// override.
fn relabel_request_body(op: &mut Map<String, Value>) -> Option<ContentTypeOverride> {
    let operation_id = op.get("operationId")?.as_str()?.to_string();
    let content = op
        .get_mut("requestBody")?
        .get_mut("content")?
        .as_object_mut()?;
    if content.len() != 1 {
        return None;
    }
    let media_type = content.keys().next()?.clone();
    let base = media_type.split(';').next().unwrap_or_default().trim();
    if NATIVE_REQUEST_TYPES.contains(&base) {
        return None;
    }
    let schema = content[&media_type].get("schema")?;
    if schema.get("type").and_then(Value::as_str) != Some("string") {
        return None;
    }
    // Progenitor sends binary strings as octet-stream and others as text.
    let stand_in = match schema.get("format").and_then(Value::as_str) {
        Some("binary") => "application/octet-stream",
        _ => "text/plain",
    };
    let body = content.remove(&media_type)?;
    content.insert(stand_in.to_string(), body);
    Some(ContentTypeOverride {
        operation_id,
        media_type,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn default_response_becomes_error_ranges() {
        let mut doc = json!({"paths": {"/a": {"get": {"operationId": "a", "responses": {
            "200": {"description": "ok"},
            "404": {"description": "missing"},
            "default": {"description": "error", "content": {"application/json": {"schema": {"type": "object"}}}}
        }}}}});
        normalize(&mut doc);
        let responses = &doc["paths"]["/a"]["get"]["responses"];
        assert!(responses.get("default").is_none());
        assert_eq!(responses["4XX"]["description"], "error");
        assert_eq!(responses["5XX"]["description"], "error");
        // Body-less 404 is left to the caller (see drop_bodyless_errors).
        assert!(responses.get("404").is_none());
    }

    #[test]
    fn bodyless_errors_are_left_to_the_caller() {
        let mut doc = json!({"paths": {"/a": {"get": {"operationId": "a", "responses": {
            "200": {"description": "ok"},
            "400": {"description": "bad", "content": {"application/json": {"schema": {"type": "object"}}}},
            "401": {"description": "no body"}
        }}}}});
        normalize(&mut doc);
        let responses = &doc["paths"]["/a"]["get"]["responses"];
        assert!(responses.get("401").is_none());
        assert!(responses.get("400").is_some());
        assert!(responses.get("200").is_some());
    }

    #[test]
    fn error_schemas_differing_in_limits_become_one() {
        let list = |max: u64| {
            json!({"content": {"application/json": {"schema": {
            "type": "array", "maxItems": max, "items": {"type": "string"}}}}})
        };
        let mut doc = json!({"paths": {"/a": {"get": {"operationId": "a", "responses": {
            "200": {"description": "ok"}, "400": list(1), "413": list(100)
        }}}}});
        normalize(&mut doc);
        let r = &doc["paths"]["/a"]["get"]["responses"];
        assert_eq!(r["400"], r["413"]);
        assert!(
            r["400"]["content"]["application/json"]["schema"]
                .get("maxItems")
                .is_none()
        );
    }

    #[test]
    fn differing_error_objects_merge_into_one_named_schema() {
        let mut doc = json!({
            "components": {"schemas": {"Error": {"type": "object", "required": ["ok", "code", "message"],
                "properties": {"ok": {"type": "boolean"}, "code": {"type": "string"}, "message": {"type": "string"}}}}},
            "paths": {"/r": {"delete": {"operationId": "DeleteRole", "responses": {
                "200": {"description": "ok"},
                "404": {"description": "gone", "content": {"application/json": {"schema": {"type": "object",
                    "required": ["status", "code", "message"],
                    "properties": {"status": {"type": "number"}, "code": {"type": "string"}, "message": {"type": "string"}}}}}},
                "default": {"description": "error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
            }}}}
        });
        normalize(&mut doc);
        let merged = &doc["components"]["schemas"]["DeleteRoleError"];
        assert_eq!(merged["required"], json!(["code", "message"]));
        for field in ["ok", "status", "code", "message"] {
            assert!(merged["properties"].get(field).is_some(), "{field}");
        }
        let r = &doc["paths"]["/r"]["delete"]["responses"];
        let reference = json!({"$ref": "#/components/schemas/DeleteRoleError"});
        assert_eq!(r["4XX"]["content"]["application/json"]["schema"], reference);
        assert_eq!(r["5XX"]["content"]["application/json"]["schema"], reference);
        // Now the same as its range, the explicit 404 adds nothing.
        assert!(r.get("404").is_none());
    }

    #[test]
    fn inline_responses_colliding_with_components_are_hoisted() {
        let mut doc = json!({
            "components": {"schemas": {"CreateTeamResponse": {"type": "object", "properties": {"team_id": {"type": "string"}}}}},
            "paths": {"/t": {"post": {"operationId": "CreateTeam", "responses": {"200": {"description": "ok",
                "content": {"application/json": {"schema": {"type": "object", "properties": {
                    "ok": {"type": "boolean"}, "response": {"$ref": "#/components/schemas/CreateTeamResponse"}}}}}}}}}}
        });
        normalize(&mut doc);
        let schema = &doc["paths"]["/t"]["post"]["responses"]["200"]["content"]["application/json"]
            ["schema"];
        assert_eq!(schema["$ref"], "#/components/schemas/CreateTeamEnvelope");
        assert!(
            doc["components"]["schemas"]["CreateTeamEnvelope"]["properties"]
                .get("ok")
                .is_some()
        );
    }

    #[test]
    fn any_of_objects_becomes_one_of() {
        let mut doc = json!({"components": {"schemas": {
            "S": {"type": "object", "properties": {"value": {"type": "string"}}},
            "N": {"type": "object", "properties": {"value": {"type": "number"}}},
            "Tag": {"anyOf": [{"$ref": "#/components/schemas/S"}, {"$ref": "#/components/schemas/N"}]},
            "One": {"anyOf": [{"$ref": "#/components/schemas/S"}]}
        }}});
        normalize(&mut doc);
        assert!(doc["components"]["schemas"]["Tag"].get("oneOf").is_some());
        assert!(doc["components"]["schemas"]["One"].get("anyOf").is_some());
    }

    #[test]
    fn default_alone_is_left_as_success() {
        let mut doc = json!({"paths": {"/a": {"get": {"operationId": "a", "responses": {
            "default": {"description": "any"}
        }}}}});
        normalize(&mut doc);
        assert!(
            doc["paths"]["/a"]["get"]["responses"]
                .get("default")
                .is_some()
        );
    }

    #[test]
    fn yaml_body_is_relabelled_and_reported() {
        let mut doc = json!({"paths": {"/c": {"post": {"operationId": "upload", "requestBody": {
            "content": {"application/yaml": {"schema": {"type": "string"}}}
        }, "responses": {"200": {"description": "ok"}}}}}});
        let overrides = normalize(&mut doc);
        assert_eq!(
            overrides,
            vec![ContentTypeOverride {
                operation_id: "upload".into(),
                media_type: "application/yaml".into()
            }]
        );
        let content = &doc["paths"]["/c"]["post"]["requestBody"]["content"];
        assert!(content.get("text/plain").is_some());
        assert!(content.get("application/yaml").is_none());
    }

    #[test]
    fn closed_objects_are_opened() {
        let mut doc = json!({"components": {"schemas": {"A": {
            "type": "object", "additionalProperties": false,
            "properties": {"m": {"type": "object", "additionalProperties": {"type": "string"}}}
        }}}});
        normalize(&mut doc);
        let a = &doc["components"]["schemas"]["A"];
        assert!(a.get("additionalProperties").is_none());
        assert_eq!(
            a["properties"]["m"]["additionalProperties"]["type"],
            "string"
        );
    }
}
