//! Typed client for Jira Cloud issue security schemes, levels and members,
//! generated from `specs/jira-issue-security.yaml`.
//!
//! Most users want the `appsec-sdk` facade, which adds authentication,
//! pagination streams and one error type on top of this crate.

#[rustfmt::skip]
mod generated;
pub use generated::*;
