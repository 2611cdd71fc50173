//! A Rust SDK for application-security data.
//!
//! - [`JiraClient`]: Jira Cloud issue security schemes (who may see sensitive
//!   issues) and Security Information (vulnerabilities in Jira's Security tab).
//! - [`QwietClient`]: the Qwiet scanner's API v4.
//!
//! Both are built with one [`ClientBuilder`](builder::ClientBuilder), share the
//! runtime's authentication and retries, expose every generated operation,
//! and add what generated code cannot: [`paginate`] streams (`.paginate()` on
//! every paginated operation's builder), bulk helpers and
//! one [`Error`] type. Cargo features `jira` and `qwiet` (both on by default)
//! select the clients that are compiled.

pub mod builder;
#[cfg(feature = "connect")]
pub mod connect;
pub mod env;
mod error;
#[cfg(feature = "forge")]
pub mod forge;
#[cfg(feature = "jira")]
pub mod jira;
#[cfg(feature = "oauth")]
pub mod oauth;
pub mod paginate;
#[cfg(feature = "qwiet")]
pub mod qwiet;
mod send;

pub use appsec_runtime::{
    Auth, Envelope, ErrorFormat, RetryPolicy, Secret, TokenFuture, TokenProvider, connect_jwt, tls,
};
// Rate limits and response size (issue 14).
pub use appsec_runtime::{DEFAULT_MAX_RESPONSE_SIZE, RateLimits, ResponseTooLarge, observe};
pub use error::{ApiError, ApiErrorBody, Error, ErrorMessage};
#[cfg(feature = "jira")]
pub use jira::JiraClient;
#[doc(no_inline)]
pub use paginate::Paginate;
#[cfg(feature = "qwiet")]
pub use qwiet::QwietClient;
pub use send::SendExt;

/// The README's examples, compiled and type-checked as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeExamples;
