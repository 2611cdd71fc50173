//! Per-operation facts the runtime needs at request time.
//!
//! Progenitor only hands hooks an operation id. `cargo xtask generate` emits a
//! sorted [`OperationTable`] next to each generated client, with the ids
//! progenitor gave the operations, so the runtime can look up what the spec
//! says about the operation being sent.

/// What the spec records about one operation, as the runtime needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OperationMeta {
    /// The name progenitor gives the operation's method, which is what hooks
    /// receive as `OperationInfo::operation_id` (`submit_vulnerabilities`).
    pub id: &'static str,
    /// The spec's `operationId` (`submitVulnerabilities`).
    pub spec_id: &'static str,
    /// Upper-case HTTP method.
    pub method: &'static str,
    /// Path template as written in the spec.
    pub path: &'static str,
    /// Whether sending the request twice has the same effect as sending it once.
    ///
    /// True for GET, HEAD, PUT and DELETE, and for POST operations the spec
    /// marks with `x-idempotent: true` (upserts).
    pub idempotent: bool,
}

/// How a service writes the body of an error response (the spec's
/// `info.x-error-format`). The runtime attaches it to every error response
/// so the facade decodes the body as that service documents it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorFormat {
    /// Jira platform `ErrorCollection`: `errorMessages` plus per-field `errors`.
    JiraErrorCollection,
    /// Jira Security Information: a list of `{message, errorTraceId}`.
    SecurityInfoMessages,
    /// Qwiet's envelope: `{ok: false, code, message, validation_errors}`.
    QwietEnvelope,
}

/// All operations of one generated client, in [`OperationTable::order`] of
/// their [`OperationMeta::id`], and the service's error format.
#[derive(Debug, Clone, Copy)]
pub struct OperationTable {
    /// The operations, in [`OperationTable::order`] of their ids.
    pub operations: &'static [OperationMeta],
    /// How the service writes error bodies.
    pub error_format: ErrorFormat,
}

impl OperationTable {
    /// Finds an operation by id. Runs twice per request, so the table is
    /// kept in [`OperationTable::order`]: most probes of the search compare
    /// two lengths rather than two names with a common prefix.
    pub fn get(&self, id: &str) -> Option<&'static OperationMeta> {
        self.operations
            .binary_search_by(|op| Self::order(op.id, id))
            .ok()
            .map(|i| &self.operations[i])
    }

    /// The order of the table: by the length of the id, then by the id.
    pub fn order(a: &str, b: &str) -> std::cmp::Ordering {
        a.len().cmp(&b.len()).then_with(|| a.cmp(b))
    }

    /// Every operation in the table.
    pub fn iter(&self) -> impl Iterator<Item = &'static OperationMeta> {
        self.operations.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(id: &'static str) -> OperationMeta {
        OperationMeta {
            id,
            spec_id: id,
            method: "GET",
            path: "/",
            idempotent: true,
        }
    }

    #[test]
    fn ids_are_found_by_length_then_name() {
        const IDS: [&str; 5] = ["get", "put_a", "get_level", "get_levels", "get_members"];
        let rows: &'static [OperationMeta] = Box::leak(IDS.map(meta).to_vec().into_boxed_slice());
        assert!(rows.is_sorted_by(|a, b| OperationTable::order(a.id, b.id).is_lt()));
        let table = OperationTable {
            operations: rows,
            error_format: ErrorFormat::JiraErrorCollection,
        };
        for id in IDS {
            assert_eq!(table.get(id).map(|op| op.id), Some(id));
        }
        for missing in ["", "ge", "get_leve", "get_levelz", "put_b"] {
            assert_eq!(table.get(missing), None, "{missing}");
        }
    }
}
