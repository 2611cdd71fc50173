//! Per-operation facts the runtime needs at request time.
//!
//! Progenitor only hands hooks an operation id. `cargo xtask generate` emits a
//! sorted [`OperationTable`] next to each generated client so the runtime can
//! look up what the spec says about the operation being sent.

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
    /// The media type the service expects for the request body, when it is
    /// one progenitor cannot emit itself (the runtime rewrites `Content-Type`).
    pub request_content_type: Option<&'static str>,
    /// Query parameters the service expects as one comma-separated value
    /// (`explode: false`); the runtime joins the repeated keys progenitor writes.
    pub comma_separated_query: &'static [&'static str],
}

/// All operations of one generated client, sorted by [`OperationMeta::id`].
#[derive(Debug, Clone, Copy)]
pub struct OperationTable(pub &'static [OperationMeta]);

impl OperationTable {
    /// Finds an operation by id.
    pub fn get(&self, id: &str) -> Option<&'static OperationMeta> {
        self.0
            .binary_search_by(|op| op.id.cmp(id))
            .ok()
            .map(|i| &self.0[i])
    }

    /// Every operation in the table.
    pub fn iter(&self) -> impl Iterator<Item = &'static OperationMeta> {
        self.0.iter()
    }
}
