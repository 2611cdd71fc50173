//! What a sandbox is started with: port, credentials, faults and data sizes.

use std::fmt;

use crate::ratelimit::RateLimiting;

/// How to start a [`Sandbox`](crate::Sandbox).
///
/// `SandboxConfig::default()` listens on any free loopback port with the demo
/// [`Credentials`], no faults, seed 0, 2500 Qwiet findings and 120 members on
/// the big Jira security level.
#[derive(Clone, Debug)]
pub struct SandboxConfig {
    /// Loopback port to bind; 0 picks any free one.
    pub port: u16,
    /// Credentials the fake services accept.
    pub credentials: Credentials,
    /// Share of requests answered with a fault.
    pub faults: Faults,
    /// Seed of every random choice: seeded data and fault decisions.
    pub seed: u64,
    /// Number of Qwiet findings spread across the three apps.
    pub qwiet_findings: usize,
    /// Number of members of Jira security level 10021 (scheme 10000), so
    /// that paging through members takes several pages.
    pub jira_level_members: usize,
    /// Jira's rate limiter (quota, burst, per-issue writes); `None`, the
    /// default, answers every request.
    pub rate_limiting: Option<RateLimiting>,
    /// Scopes of the Connect app (`READ`, `WRITE`, `DELETE`, `ADMIN`); each
    /// operation needs the one its method implies.
    pub connect_scopes: Vec<String>,
}

/// The scopes of the demo Connect app.
pub(crate) fn default_connect_scopes() -> Vec<String> {
    ["READ", "WRITE", "DELETE"].map(String::from).to_vec()
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            port: 0,
            credentials: Credentials::default(),
            faults: Faults::default(),
            seed: 0,
            qwiet_findings: 2500,
            jira_level_members: 120,
            rate_limiting: None,
            connect_scopes: default_connect_scopes(),
        }
    }
}

/// Credentials the sandbox accepts.
///
/// `Debug` shows the non-secret parts (email, app key) and `***` for the rest.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// Jira user for `Authorization: Basic base64(email:api_token)`.
    pub jira_email: String,
    /// Jira API token for Basic authentication.
    pub jira_api_token: String,
    /// Token for `Authorization: Bearer <token>` on Jira paths (OAuth 2.0).
    pub bearer_token: String,
    /// Atlassian Connect app key: the `iss` of Connect JWTs.
    pub connect_app_key: String,
    /// Atlassian Connect shared secret that signs Connect JWTs.
    pub connect_shared_secret: String,
    /// Qwiet access token for `Authorization: Bearer <token>` on `/api/v4`.
    pub qwiet_token: String,
}

/// Demo Jira user email.
pub const DEMO_JIRA_EMAIL: &str = "sandbox@example.com";
/// Demo Jira API token.
pub const DEMO_JIRA_API_TOKEN: &str = "sandbox-jira-api-token";
/// Demo Jira OAuth bearer token.
pub const DEMO_BEARER_TOKEN: &str = "sandbox-jira-bearer-token";
/// Demo Connect app key.
pub const DEMO_CONNECT_APP_KEY: &str = "com.example.appsec-sandbox";
/// Demo Connect shared secret.
pub const DEMO_CONNECT_SHARED_SECRET: &str = "sandbox-connect-shared-secret";
/// Demo Qwiet access token.
pub const DEMO_QWIET_TOKEN: &str = "sandbox-qwiet-token";

impl Default for Credentials {
    fn default() -> Self {
        Self {
            jira_email: DEMO_JIRA_EMAIL.into(),
            jira_api_token: DEMO_JIRA_API_TOKEN.into(),
            bearer_token: DEMO_BEARER_TOKEN.into(),
            connect_app_key: DEMO_CONNECT_APP_KEY.into(),
            connect_shared_secret: DEMO_CONNECT_SHARED_SECRET.into(),
            qwiet_token: DEMO_QWIET_TOKEN.into(),
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("jira_email", &self.jira_email)
            .field("jira_api_token", &"***")
            .field("bearer_token", &"***")
            .field("connect_app_key", &self.connect_app_key)
            .field("connect_shared_secret", &"***")
            .field("qwiet_token", &"***")
            .finish()
    }
}

/// Faults injected into requests, each decided per request with the seeded
/// random generator. Shares are between 0.0 and 1.0; their sum should not
/// exceed 1.0 (dropping wins, then 503, then 429, then dropping after
/// processing).
#[derive(Clone, Debug, Default)]
pub struct Faults {
    /// Share of requests answered `429` with `Retry-After`.
    pub rate_limited: f64,
    /// `Retry-After` seconds sent with a `429`; 0 when `None`.
    pub retry_after_secs: Option<u64>,
    /// Send `429`s without any `Retry-After` header (then
    /// `retry_after_secs` is ignored), as some proxies and gateways do.
    pub omit_retry_after: bool,
    /// Share of requests answered `503`.
    pub unavailable: f64,
    /// Share of requests whose connection is closed without an answer. The
    /// request is not processed: its body is never read.
    pub dropped: f64,
    /// Share of requests that are processed (their effects are kept and
    /// counted, e.g. in [`Stats::vulnerability_deliveries`](crate::Stats))
    /// and whose connection is then closed before the answer is sent: the
    /// response is lost on the way back.
    pub dropped_after_processing: f64,
    /// Delay before every answer, in milliseconds.
    pub delay_ms: u64,
}
