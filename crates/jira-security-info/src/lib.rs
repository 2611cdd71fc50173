//! Typed client for the Jira Software Security Information API
//! (vulnerabilities and linked security workspaces), generated from
//! `specs/jira-security-info.yaml`.
//!
//! Most users want the `appsec-sdk` facade, which adds Connect JWT or OAuth
//! authentication, bulk helpers and one error type on top of this crate.

#[rustfmt::skip]
mod generated;
pub use generated::*;
