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
//! one [`Error`] type.
//!
//! # Features
//!
//! | feature | default | what it adds |
//! | --- | --- | --- |
//! | `jira` | yes | [`JiraClient`]: issue security and Security Information |
//! | `qwiet` | yes | [`QwietClient`] |
//! | `rustls-ring` | yes | TLS with rustls and the ring provider: memory-safe, cheapest to build |
//! | `rustls-aws-lc` | no | TLS with rustls and aws-lc (reqwest's own default; compiles a large C library) |
//! | `native-tls` | no | the platform's TLS library (OpenSSL on Linux) |
//! | `gzip` | no | gzip-compressed answers; the size limit counts decompressed bytes |
//! | `forge` | no | [`forge`]: verifying Forge Invocation Tokens, app system tokens |
//! | `oauth` | no | [`oauth`]: OAuth 2.0 (3LO) consent, code exchange, rotating refresh tokens |
//! | `connect` | no | [`connect`]: verifying Atlassian Connect requests and install callbacks |
//!
//! The examples below run against [`appsec-sandbox`](https://docs.rs/appsec-sandbox),
//! the project's fake Jira and Qwiet, so they are tested as written.
//!
//! # Authentication
//!
//! Each API takes its own kinds of credentials. Jira issue security takes
//! basic auth (an account's email and API token), app tokens (Forge, OAuth
//! 2.0) and Connect JWTs; Security Information answers apps only, so with
//! basic auth [`JiraClient::security_info`] is [`Error::AuthNotAccepted`] and
//! nothing is sent. Qwiet takes a bearer access token. Credentials go only
//! to URLs under the base URL, which must be `https://` unless it is loopback.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use appsec_sdk::{Error, JiraClient, SendExt};
//! # let sandbox = appsec_sandbox::Sandbox::start(Default::default()).await?;
//! # let site = sandbox.url();
//! # let (email, api_token) = (appsec_sandbox::DEMO_JIRA_EMAIL, appsec_sandbox::DEMO_JIRA_API_TOKEN);
//!
//! let jira = JiraClient::builder(&site).basic_auth(email, api_token).build()?;
//! let schemes = jira.issue_security().get_issue_security_schemes().send().value().await?;
//! assert!(!schemes.issue_security_schemes.is_empty());
//! assert!(matches!(jira.security_info(), Err(Error::AuthNotAccepted { .. })));
//!
//! // The same from variables (JIRA_BASE_URL and one set of credentials;
//! // see `env`). `from_env()` reads the process environment.
//! let vars = [("JIRA_BASE_URL", site.as_str()), ("JIRA_EMAIL", email), ("JIRA_API_TOKEN", api_token)];
//! let jira = JiraClient::from_env_with(|name| {
//!     vars.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string())
//! })?;
//! # let _ = jira;
//! # Ok(()) }
//! ```
//!
//! Forge apps use [`forge::jira_builder`], OAuth 2.0 apps
//! [`oauth::RefreshingToken`] as a [`token_provider`](builder::ClientBuilder::token_provider),
//! Connect apps [`connect_jwt`](builder::ClientBuilder::connect_jwt), which
//! signs every attempt afresh. Secrets print as `***` in `Debug` output.
//!
//! # Retries and rate limits
//!
//! 429 and 503 are always retried; 502, 504 and transport failures only for
//! requests that are safe to repeat. A delay the server names
//! (`Retry-After`, the rate-limit headers) replaces the backoff; otherwise it
//! starts at 5 s and doubles up to 30 s, with jitter, at most 4 retries within
//! 180 s for the whole call. Every clone of a client shares what Jira's
//! rate-limit headers say, so a spent quota pauses all of them until it
//! resets ([`RateLimits`]). When the retries run out the call is
//! [`Error::RetriesExhausted`] with the last answer.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Duration;
//! use appsec_sandbox::{Faults, Sandbox, SandboxConfig};
//! use appsec_sdk::{JiraClient, RetryPolicy, SendExt};
//!
//! // A sandbox that answers 503 to half of the requests.
//! let config = SandboxConfig {
//!     faults: Faults { unavailable: 0.5, ..Faults::default() },
//!     seed: 7,
//!     ..SandboxConfig::default()
//! };
//! let token = config.credentials.bearer_token.clone();
//! let sandbox = Sandbox::start(config).await?;
//!
//! let jira = JiraClient::builder(sandbox.url())
//!     .bearer_token(token)
//!     .retry(RetryPolicy::default().with_max_retries(8).with_backoff(Duration::from_millis(1), Duration::from_millis(5)))
//!     .build()?;
//! for _ in 0..5 {
//!     jira.issue_security().get_issue_security_schemes().send().value().await?;
//! }
//! assert!(sandbox.stats().faults_injected > 0);
//! # Ok(()) }
//! ```
//!
//! # Errors
//!
//! Every call returns one [`Error`], whatever the service. It reads as one
//! sentence with its cause, quotes at most a few KiB of what the service
//! sent, and answers the usual questions: [`status`](Error::status),
//! [`is_not_found`](Error::is_not_found), [`is_retryable`](Error::is_retryable),
//! [`retry_after`](Error::retry_after), [`request_id`](Error::request_id).
//! Error bodies are decoded in the format the service documents
//! ([`ApiErrorBody`]).
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use appsec_sdk::{Error, JiraClient, SendExt};
//! # let sandbox = appsec_sandbox::Sandbox::start(Default::default()).await?;
//! # let token = appsec_sandbox::DEMO_BEARER_TOKEN;
//!
//! let jira = JiraClient::builder(sandbox.url()).bearer_token(token).build()?;
//! let err = jira.issue_security().get_issue_security_scheme().id(99).send().value().await.unwrap_err();
//! assert!(err.is_not_found());
//! assert!(!err.is_retryable());
//! println!("{err}"); // the service answered 404 Not Found: ...
//!
//! let wrong = JiraClient::builder(sandbox.url()).bearer_token("not-a-token").build()?;
//! let err = wrong.issue_security().get_issue_security_schemes().send().value().await.unwrap_err();
//! assert!(matches!(err, Error::Auth(_)));
//! # Ok(()) }
//! ```
//!
//! # Pagination
//!
//! Every operation whose spec declares a paginated listing has
//! `.paginate()` on its builder: configure the request, then read
//! [`items`](paginate::OffsetPaginator::items) or
//! [`pages`](paginate::OffsetPaginator::pages). Jira's offset listings can
//! fetch several pages at once. Each item comes exactly once, in order; an
//! answer that contradicts itself or repeats a page ends the stream with
//! [`Error::Pagination`].
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use appsec_sdk::{Paginate, QwietClient};
//! use futures::TryStreamExt;
//! # let sandbox = appsec_sandbox::Sandbox::start(Default::default()).await?;
//! # let (url, token) = (sandbox.qwiet_url(), appsec_sandbox::DEMO_QWIET_TOKEN);
//! # let org: uuid::Uuid = appsec_sandbox::SANDBOX_ORG_ID.parse()?;
//!
//! let qwiet = QwietClient::builder().base_url(url).bearer_token(token).build()?;
//! let findings: Vec<_> = qwiet
//!     .api()
//!     .list_org_findings()
//!     .org_id(org)
//!     .per_page(250)
//!     .paginate()
//!     .items()
//!     .try_collect()
//!     .await?;
//! assert!(findings.len() > 250);
//! # Ok(()) }
//! ```
//!
//! # Testing against the sandbox
//!
//! `appsec-sandbox` runs stateful fakes of all three APIs on a loopback
//! port. They check credentials, scopes, paging and limits as the real
//! services do, can inject faults, and count what they received, so an
//! integration can be tested offline. Add it as a dev-dependency
//! (`appsec-sandbox = { version = "0.1", default-features = false }`) and
//! point the code under test at it:
//!
//! ```
//! use appsec_sandbox::{Sandbox, SandboxConfig};
//! use appsec_sdk::jira::Vulnerabilities;
//! use appsec_sdk::jira::security_info::types::VulnerabilityDetails;
//! use appsec_sdk::JiraClient;
//!
//! /// The code under test: pushes one scanner finding to Jira.
//! async fn publish(jira: &JiraClient, finding: VulnerabilityDetails) -> Result<usize, appsec_sdk::Error> {
//!     jira.link_workspaces([finding.container_id.to_string()]).await?;
//!     let report = jira.submit_vulnerabilities(Vulnerabilities::new(vec![finding])).await?;
//!     Ok(report.accepted.len())
//! }
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // In a #[tokio::test]:
//! let config = SandboxConfig::default();
//! let token = config.credentials.bearer_token.clone();
//! let sandbox = Sandbox::start(config).await?;
//! let jira = JiraClient::builder(sandbox.url()).bearer_token(token).build()?;
//!
//! let finding: VulnerabilityDetails = serde_json::from_str(r#"{
//!     "schemaVersion": "1.0", "id": "scan-1", "updateSequenceNumber": 1,
//!     "containerId": "workspace-1", "displayName": "SQL injection",
//!     "description": "User input reaches a query.", "url": "https://scanner.example.com/1",
//!     "type": "sast", "introducedDate": "2026-01-01T00:00:00Z",
//!     "lastUpdated": "2026-01-01T00:00:00Z", "severity": {"level": "high"}, "status": "open"
//! }"#)?;
//! assert_eq!(publish(&jira, finding).await?, 1);
//! assert_eq!(sandbox.stats().vulnerability_deliveries["scan-1"], vec![1]);
//! # Ok(()) }
//! ```

#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod builder;
#[cfg(feature = "connect")]
#[cfg_attr(docsrs, doc(cfg(feature = "connect")))]
pub mod connect;
pub mod env;
mod error;
#[cfg(feature = "forge")]
#[cfg_attr(docsrs, doc(cfg(feature = "forge")))]
pub mod forge;
#[cfg(feature = "jira")]
#[cfg_attr(docsrs, doc(cfg(feature = "jira")))]
pub mod jira;
#[cfg(feature = "oauth")]
#[cfg_attr(docsrs, doc(cfg(feature = "oauth")))]
pub mod oauth;
pub mod paginate;
#[cfg(feature = "qwiet")]
#[cfg_attr(docsrs, doc(cfg(feature = "qwiet")))]
pub mod qwiet;
mod send;

pub use appsec_runtime::{
    Auth, Envelope, ErrorFormat, RetryPolicy, Secret, TokenFuture, TokenProvider, connect_jwt, tls,
};
// Rate limits and response size (issue 14).
pub use appsec_runtime::{DEFAULT_MAX_RESPONSE_SIZE, RateLimits, ResponseTooLarge, observe};
pub use error::{ApiError, ApiErrorBody, Error, ErrorMessage};
#[cfg(feature = "jira")]
#[cfg_attr(docsrs, doc(cfg(feature = "jira")))]
pub use jira::JiraClient;
#[doc(no_inline)]
pub use paginate::Paginate;
#[cfg(feature = "qwiet")]
#[cfg_attr(docsrs, doc(cfg(feature = "qwiet")))]
pub use qwiet::QwietClient;
pub use send::SendExt;

/// The README's examples, compiled and type-checked as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeExamples;
