//! The value every generated client carries as its progenitor "inner" type.

/// Shared settings a generated client consults on every request.
///
/// Cheap to clone: clients built from the same context share it.
#[derive(Debug, Clone, Default)]
pub struct ClientContext {}

impl ClientContext {
    /// A context that sends requests as they are.
    pub fn new() -> Self {
        Self::default()
    }
}
