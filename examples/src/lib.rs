//! Shared pieces of the example binaries, kept in a library so the tests can
//! run each example end to end against the sandbox.
pub mod qwiet_to_jira;
pub mod report;
pub mod sample;
pub mod setup;
