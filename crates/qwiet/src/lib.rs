//! Typed client for the Qwiet API v4 (apps, scans, findings, reports, access
//! control and integrations), generated from `specs/qwiet.yaml`.
//!
//! Most users want the `appsec-sdk` facade, which adds bearer authentication,
//! pagination streams and one error type on top of this crate.

#[rustfmt::skip]
mod generated;
pub use generated::*;
