//! One model of a spec, shared by every stage of the xtask: the walk over
//! operations, `$ref` resolution, which statuses are errors, and the name
//! progenitor gives an operation.

use serde_json::{Map, Value};

/// True for the keys of a path item that hold operations.
pub fn is_method(key: &str) -> bool {
    matches!(
        key,
        "get" | "put" | "post" | "delete" | "options" | "head" | "patch" | "trace"
    )
}

/// True for a response key that describes a failure: `4xx`, `5xx` and their
/// `4XX`/`5XX` ranges. `default` is not decided here: it is an error only
/// next to a documented outcome (see the `errors_to_facade` pass).
pub fn is_error_status(code: &str) -> bool {
    code.starts_with('4') || code.starts_with('5')
}

/// Follows a local `$ref` (`#/components/...`); anything else is returned as is.
/// A reference that points nowhere resolves to `null`.
pub fn resolve<'a>(doc: &'a Value, node: &'a Value) -> &'a Value {
    match node.get("$ref").and_then(Value::as_str) {
        Some(r) => r
            .strip_prefix('#')
            .and_then(|p| doc.pointer(p))
            .unwrap_or(&Value::Null),
        None => node,
    }
}

/// Progenitor's name for an operation's method, which is also the
/// `OperationInfo::operation_id` hooks receive.
pub fn method_name(operation_id: &str) -> String {
    use heck::ToSnakeCase;
    operation_id
        .replace('\'', "")
        .replace(|c: char| !(c.is_alphanumeric() || c == '_'), "-")
        .to_snake_case()
}

/// One operation, read-only.
#[derive(Debug, Clone, Copy)]
pub struct Operation<'a> {
    /// Path template as written in the spec.
    pub path: &'a str,
    /// Lower-case method key (`get`).
    pub method: &'a str,
    /// The operation object.
    pub op: &'a Value,
    /// Parameters declared on the path item, shared by its operations.
    pub shared_parameters: Option<&'a Value>,
}

impl<'a> Operation<'a> {
    /// The spec's `operationId`, when present.
    pub fn id(&self) -> Option<&'a str> {
        self.op.get("operationId").and_then(Value::as_str)
    }

    /// Every parameter (path item's first, then the operation's), resolved.
    pub fn parameters(&self, doc: &'a Value) -> impl Iterator<Item = &'a Value> + 'a {
        let own = self.op.get("parameters");
        self.shared_parameters
            .and_then(Value::as_array)
            .into_iter()
            .chain(own.and_then(Value::as_array))
            .flatten()
            .map(move |p| resolve(doc, p))
    }
}

/// Every operation of `doc`, in document order.
pub fn operations(doc: &Value) -> impl Iterator<Item = Operation<'_>> {
    doc.get("paths")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter_map(|(path, item)| Some((path, item.as_object()?)))
        .flat_map(|(path, item)| {
            let shared_parameters = item.get("parameters");
            item.iter()
                .filter(|(k, _)| is_method(k))
                .map(move |(method, op)| Operation {
                    path,
                    method,
                    op,
                    shared_parameters,
                })
        })
}

/// Calls `f` with the path, method and object of every operation, mutably.
pub fn for_each_operation_mut(
    doc: &mut Value,
    mut f: impl FnMut(&str, &str, &mut Map<String, Value>),
) {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for (method, op) in item.iter_mut() {
            if let (true, Some(op)) = (is_method(method), op.as_object_mut()) {
                f(path, method, op);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn operations_are_walked_with_shared_parameters_resolved() {
        let doc = json!({
            "components": {"parameters": {"id": {"name": "id", "in": "path"}}},
            "paths": {"/a/{id}": {
                "parameters": [{"$ref": "#/components/parameters/id"}],
                "get": {"operationId": "getA", "parameters": [{"name": "q", "in": "query"}]},
                "summary": "not an operation"
            }}
        });
        let ops: Vec<_> = operations(&doc).collect();
        assert_eq!(ops.len(), 1);
        assert_eq!(ops[0].id(), Some("getA"));
        let names: Vec<_> = ops[0]
            .parameters(&doc)
            .filter_map(|p| p.get("name").and_then(Value::as_str))
            .collect();
        assert_eq!(names, ["id", "q"]);
    }

    #[test]
    fn error_statuses_and_method_names() {
        assert!(is_error_status("404") && is_error_status("5XX"));
        assert!(!is_error_status("303") && !is_error_status("default"));
        assert_eq!(
            method_name("getSecurityLevelMembers"),
            "get_security_level_members"
        );
        assert_eq!(method_name("ListApps"), "list_apps");
    }
}
