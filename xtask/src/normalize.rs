//! Rewrites spec facts that progenitor cannot take as they are.
//!
//! The specs record what the services do. Where that collides with a
//! progenitor or typify limit, the fact stays in the spec and the adaptation
//! lives here as a [`Pass`]: [`PASSES`] is the ordered list, applied the same
//! way to every spec. Operation passes run in one walk over the operations,
//! which also records the [`OperationFacts`] the runtime's table is printed
//! from.

use serde_json::{Map, Value};

use crate::spec::{self, is_error_status};

/// Request media types progenitor can emit itself.
pub const NATIVE_REQUEST_TYPES: &[&str] = &[
    "application/json",
    "application/octet-stream",
    "application/x-www-form-urlencoded",
    "text/plain",
];

/// One adaptation of the spec.
#[derive(Debug, Clone, Copy)]
pub struct Pass {
    /// Short name, used in tests and messages.
    pub name: &'static str,
    /// The progenitor or typify limit this pass works around, in one line.
    pub works_around: &'static str,
    apply: Apply,
}

#[derive(Debug, Clone, Copy)]
enum Apply {
    /// Rewrites the whole document (schemas wherever they are).
    Document(fn(&mut Value)),
    /// Rewrites one operation; may record facts about it.
    Operation(fn(&mut Map<String, Value>, &mut OperationFacts)),
}

/// Every adaptation, in the order it is applied. Document passes come first
/// so that operation passes see final schemas; the order is checked by a test.
pub const PASSES: &[Pass] = &[
    Pass {
        name: "open_closed_objects",
        works_around: "typify turns `additionalProperties: false` into `deny_unknown_fields`, which fails on the first new field",
        apply: Apply::Document(open_closed_objects),
    },
    Pass {
        name: "any_of_objects_as_one_of",
        works_around: "typify renders `anyOf` as flattened options, which cannot decode members whose shared fields differ in type",
        apply: Apply::Document(any_of_objects_as_one_of),
    },
    Pass {
        name: "hoist_colliding_responses",
        works_around: "progenitor names an inline response `<OperationId>Response` and silently reuses a component of that name",
        apply: Apply::Document(hoist_colliding_responses),
    },
    Pass {
        name: "errors_to_facade",
        works_around: "progenitor types one error body per operation and drops bodies that do not match it, so error statuses reach the facade as responses",
        apply: Apply::Operation(errors_to_facade),
    },
    Pass {
        name: "relabel_request_body",
        works_around: "progenitor emits only JSON, form, text and octet-stream request bodies",
        apply: Apply::Operation(relabel_request_body),
    },
];

/// What the runtime needs to know about one operation, learned while the
/// passes ran.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OperationFacts {
    /// The spec's `operationId`.
    pub spec_id: String,
    /// Upper-case HTTP method.
    pub method: String,
    /// Path template.
    pub path: String,
    /// Sending twice has the effect of sending once (GET, HEAD, PUT, DELETE,
    /// OPTIONS, and POST marked `x-idempotent: true`).
    pub idempotent: bool,
    /// The real media type of a body relabelled for progenitor.
    pub request_content_type: Option<String>,
    /// Query arrays the service expects as one comma-separated value.
    pub comma_separated_query: Vec<String>,
}

/// Applies every pass in order and returns the facts of every operation that
/// has an `operationId`, in document order.
pub fn normalize(doc: &mut Value) -> Vec<OperationFacts> {
    let mut facts = Vec::new();
    let mut walked = false;
    for pass in PASSES {
        match pass.apply {
            Apply::Document(f) => {
                assert!(
                    !walked,
                    "document pass `{}` after the operation walk",
                    pass.name
                );
                f(doc);
            }
            Apply::Operation(_) if walked => {}
            Apply::Operation(_) => {
                walked = true;
                facts = walk_operations(doc);
            }
        }
    }
    facts
}

/// The one walk: every operation pass on each operation, then its facts.
fn walk_operations(doc: &mut Value) -> Vec<OperationFacts> {
    // Parameters are resolved against the document as it was before the walk.
    let snapshot = doc.clone();
    let mut facts = Vec::new();
    spec::for_each_operation_mut(doc, |path, method, op| {
        let Some(spec_id) = op.get("operationId").and_then(Value::as_str) else {
            return;
        };
        let mut these = OperationFacts {
            spec_id: spec_id.to_string(),
            method: method.to_uppercase(),
            path: path.to_string(),
            idempotent: matches!(method, "get" | "head" | "put" | "delete" | "options")
                || op.get("x-idempotent") == Some(&Value::Bool(true)),
            ..OperationFacts::default()
        };
        for pass in PASSES {
            if let Apply::Operation(f) = pass.apply {
                f(op, &mut these);
            }
        }
        these.comma_separated_query = unexploded_query_arrays(&snapshot, path, op);
        facts.push(these);
    });
    facts
}

/// Query arrays with `explode: false`: the service expects one
/// comma-separated value where progenitor would repeat the key.
fn unexploded_query_arrays(doc: &Value, path: &str, op: &Map<String, Value>) -> Vec<String> {
    let shared = doc.pointer(&format!(
        "/paths/{}/parameters",
        path.replace('~', "~0").replace('/', "~1")
    ));
    let own = op.get("parameters");
    shared
        .and_then(Value::as_array)
        .into_iter()
        .chain(own.and_then(Value::as_array))
        .flatten()
        .map(|p| spec::resolve(doc, p))
        .filter(|p| p.get("in").and_then(Value::as_str) == Some("query"))
        .filter(|p| p.get("explode") == Some(&Value::Bool(false)))
        .filter(|p| p.pointer("/schema/type").and_then(Value::as_str) == Some("array"))
        .filter_map(|p| p.get("name").and_then(Value::as_str).map(str::to_string))
        .collect()
}

fn open_closed_objects(node: &mut Value) {
    match node {
        Value::Object(map) => {
            if map.get("additionalProperties") == Some(&Value::Bool(false)) {
                map.remove("additionalProperties");
            }
            map.values_mut().for_each(open_closed_objects);
        }
        Value::Array(items) => items.iter_mut().for_each(open_closed_objects),
        _ => {}
    }
}

/// Removes every error response, and `default` next to a documented 2xx or
/// 3xx outcome (it can then only describe errors). Generated code then hands
/// every failure over as `UnexpectedResponse`, status, headers and body
/// intact, and the facade decodes it with the service's own error shape.
/// A `default` that is the only response stays: it is the outcome.
fn errors_to_facade(op: &mut Map<String, Value>, _: &mut OperationFacts) {
    let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else {
        return;
    };
    let has_outcome = responses
        .keys()
        .any(|k| k.starts_with('2') || k.starts_with('3'));
    let describes_errors = |code: &str| is_error_status(code) || (code == "default" && has_outcome);
    responses.retain(|code, _| !describes_errors(code));
}

/// When every member of an `anyOf` is an object, one of them describes the
/// value, so `oneOf` (an untagged enum tried in order) decodes the same
/// documents.
fn any_of_objects_as_one_of(doc: &mut Value) {
    let snapshot = doc.clone();
    let is_object = |member: &Value| {
        spec::resolve(&snapshot, member)
            .get("type")
            .and_then(Value::as_str)
            == Some("object")
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

/// Inline success schemas of operations whose `<OperationId>Response` name
/// is already a component move to components as `<OperationId>Envelope`.
fn hoist_colliding_responses(doc: &mut Value) {
    use heck::ToPascalCase;
    let taken: Vec<String> = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .map(|m| m.keys().map(|k| k.to_pascal_case()).collect())
        .unwrap_or_default();
    let mut hoisted = Map::new();
    spec::for_each_operation_mut(doc, |_, _, op| {
        let Some(id) = op
            .get("operationId")
            .and_then(Value::as_str)
            .map(str::to_string)
        else {
            return;
        };
        if !taken.contains(&format!("{id}-response").to_pascal_case()) {
            return;
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
    });
    if let Some(components) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        components.extend(hoisted);
    }
}

/// A string request body in a media type progenitor cannot emit (such as
/// `application/yaml`) is generated as `text/plain` (octet-stream when
/// binary); the real media type is recorded and written into the generated
/// request by the render step.
fn relabel_request_body(op: &mut Map<String, Value>, facts: &mut OperationFacts) {
    let Some(content) = op
        .get_mut("requestBody")
        .and_then(|b| b.get_mut("content"))
        .and_then(Value::as_object_mut)
        .filter(|c| c.len() == 1)
    else {
        return;
    };
    let Some(media_type) = content.keys().next().cloned() else {
        return;
    };
    let base = media_type.split(';').next().unwrap_or_default().trim();
    if NATIVE_REQUEST_TYPES.contains(&base) {
        return;
    }
    let Some(schema) = content[&media_type].get("schema") else {
        return;
    };
    if schema.get("type").and_then(Value::as_str) != Some("string") {
        return;
    }
    let stand_in = match schema.get("format").and_then(Value::as_str) {
        Some("binary") => "application/octet-stream",
        _ => "text/plain",
    };
    if let Some(body) = content.remove(&media_type) {
        content.insert(stand_in.to_string(), body);
        facts.request_content_type = Some(media_type);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn passes_run_in_this_order() {
        let names: Vec<_> = PASSES.iter().map(|p| p.name).collect();
        assert_eq!(
            names,
            [
                "open_closed_objects",
                "any_of_objects_as_one_of",
                "hoist_colliding_responses",
                "errors_to_facade",
                "relabel_request_body",
            ]
        );
        // Document passes first: operation passes share one walk.
        let first_operation = PASSES
            .iter()
            .position(|p| matches!(p.apply, Apply::Operation(_)))
            .unwrap();
        assert!(
            PASSES[first_operation..]
                .iter()
                .all(|p| matches!(p.apply, Apply::Operation(_)))
        );
        assert!(PASSES.iter().all(|p| !p.works_around.contains('\n')));
    }

    #[test]
    fn error_responses_are_left_to_the_facade() {
        let mut doc = json!({"paths": {"/a": {"get": {"operationId": "a", "responses": {
            "200": {"description": "ok"},
            "404": {"description": "missing", "content": {"application/json": {"schema": {"type": "object"}}}},
            "4XX": {"description": "bad"},
            "default": {"description": "error", "content": {"application/json": {"schema": {"type": "object"}}}}
        }}}}});
        normalize(&mut doc);
        let responses = doc["paths"]["/a"]["get"]["responses"].as_object().unwrap();
        assert_eq!(responses.keys().collect::<Vec<_>>(), ["200"]);
    }

    #[test]
    fn default_alone_is_left_as_the_outcome() {
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
    fn redirect_outcomes_keep_default_out() {
        let mut doc = json!({"paths": {"/a": {"get": {"operationId": "a", "responses": {
            "302": {"description": "go"}, "default": {"description": "error"}
        }}}}});
        normalize(&mut doc);
        let responses = doc["paths"]["/a"]["get"]["responses"].as_object().unwrap();
        assert_eq!(responses.keys().collect::<Vec<_>>(), ["302"]);
    }

    #[test]
    fn facts_are_learned_in_the_walk() {
        let mut doc = json!({
            "components": {"parameters": {"ids": {"name": "ids", "in": "query", "explode": false,
                "schema": {"type": "array", "items": {"type": "string"}}}}},
            "paths": {
                "/c": {"post": {"operationId": "upload", "x-idempotent": true, "requestBody": {
                    "content": {"application/yaml": {"schema": {"type": "string"}}}
                }, "responses": {"200": {"description": "ok"}}}},
                "/d": {"parameters": [{"$ref": "#/components/parameters/ids"}],
                       "delete": {"operationId": "drop", "responses": {"204": {"description": "gone"}}}}
            }
        });
        let facts = normalize(&mut doc);
        assert_eq!(facts.len(), 2);
        let upload = facts.iter().find(|f| f.spec_id == "upload").unwrap();
        assert_eq!(
            upload.request_content_type.as_deref(),
            Some("application/yaml")
        );
        assert!(upload.idempotent);
        assert_eq!(upload.method, "POST");
        let content = &doc["paths"]["/c"]["post"]["requestBody"]["content"];
        assert!(content.get("text/plain").is_some());
        let drop = facts.iter().find(|f| f.spec_id == "drop").unwrap();
        assert_eq!(drop.comma_separated_query, ["ids"]);
        assert_eq!(drop.path, "/d");
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
