//! Runtime shared by the generated Jira and Qwiet clients.
//!
//! Generated code stays free of policy: every request goes through the hooks in
//! [`hooks`], which each generated crate's `ClientHooks` impl calls with the
//! crate's [`OperationTable`].

#![cfg_attr(docsrs, feature(doc_cfg))]

mod auth;
mod body;
pub mod connect_jwt;
mod context;
mod envelope;
pub mod hooks;
pub mod observe;
pub mod open_enum;
mod operation;
pub mod pages;
pub mod path;
pub mod query;
pub mod ratelimit;
pub mod retry;
mod secret;
pub mod tls;
pub mod validate;

pub use auth::{Auth, StaticToken, TokenError, TokenFuture, TokenProvider};
pub use body::{DEFAULT_MAX_RESPONSE_SIZE, ResponseTooLarge};
pub use context::{ClientContext, ClientContextBuilder, ConfigError, parse_base_url};
pub use envelope::Envelope;
pub use operation::{ErrorFormat, OperationMeta, OperationTable};
pub use ratelimit::RateLimits;
pub use retry::RetryPolicy;
pub use secret::Secret;
