//! `qwiet-to-jira`: publishes Qwiet findings to Jira's Security tab and keeps
//! them current.
//!
//! The Qwiet organization is linked as a security workspace; every finding
//! becomes a Jira vulnerability with a stable id (`qwiet-<app>-<finding>`),
//! so re-sending updates rather than duplicates. Each run stamps
//! `updateSequenceNumber` with its start time in milliseconds, which only
//! ever increases. Findings fixed or ignored in Qwiet, and findings Qwiet no
//! longer reports, change the vulnerability's status; with a state file a run
//! reads only the apps that changed and sends only what differs.
//!
//! - [`map`]: a finding as a vulnerability, and its fingerprint;
//! - [`state`]: what is remembered between runs;
//! - [`sync`]: one run;
//! - [`serve`]: the webhook receiver;
//! - [`cli`]: flags, environment, authentication and exit codes.

pub mod cli;
pub mod map;
pub mod serve;
pub mod state;
pub mod sync;

pub use map::to_vulnerability;
pub use sync::{Action, Change, Options, RunError, Summary, run};
