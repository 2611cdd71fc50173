//! Jira Cloud: issue security schemes and Security Information over one site
//! and one set of credentials.

mod bulk;
mod tasks;

pub use bulk::{ListedAs, NOT_REPORTED, ServiceAnomaly, SubmitReport, Vulnerabilities};
pub use tasks::TaskWait;

use appsec_runtime::ClientContext;

use crate::builder::{ClientBuilder, FromParts};

/// The generated issue security client and its types.
pub use appsec_jira_issue_security as issue_security;
/// The generated Security Information client and its types.
pub use appsec_jira_security_info as security_info;

/// One Jira site: issue security schemes and Security Information.
///
/// ```no_run
/// use appsec_sdk::{JiraClient, Paginate, SendExt};
/// use futures::TryStreamExt;
///
/// # async fn run() -> Result<(), appsec_sdk::Error> {
/// let jira = JiraClient::builder("https://your-site.atlassian.net")
///     .basic_auth("you@example.com", "api-token")
///     .build()?;
///
/// // Every level of two schemes, however many pages that takes.
/// let levels: Vec<_> = jira
///     .issue_security()
///     .get_security_levels()
///     .scheme_id(vec!["10000".to_string(), "10001".to_string()])
///     .paginate()
///     .items()
///     .try_collect()
///     .await?;
///
/// // Any generated operation stays reachable with its typed builder.
/// let scheme = jira.issue_security().get_issue_security_scheme().id(10000).send().value().await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct JiraClient {
    issue_security: issue_security::Client,
    security_info: security_info::Client,
    /// Set when the credentials are of a kind Security Information refuses.
    security_info_refusal: Option<&'static str>,
}

/// The credentials Security Information answers: apps only.
pub const SECURITY_INFO_ACCEPTED_AUTH: &[&str] = &[
    "a Forge app token (forge::jira_builder, or bearer_token with the x-forge-oauth-system token)",
    "an OAuth 2.0 app token (bearer_token / token_provider)",
    "Atlassian Connect JWT (connect_jwt; Connect ends on 31 January 2027)",
];

/// The kind of credentials Security Information refuses, if `auth` is one.
fn security_info_refusal(auth: &appsec_runtime::Auth) -> Option<&'static str> {
    match auth {
        appsec_runtime::Auth::Basic { .. } => Some("basic auth (email and API token)"),
        appsec_runtime::Auth::None => Some("no credentials"),
        _ => None,
    }
}

impl crate::builder::sealed::Sealed for JiraClient {}

impl FromParts for JiraClient {
    fn from_parts(base_url: String, http: reqwest::Client, ctx: ClientContext) -> Self {
        Self {
            security_info_refusal: security_info_refusal(ctx.auth()),
            issue_security: issue_security::Client::new_with_client(
                &base_url,
                http.clone(),
                ctx.clone(),
            ),
            security_info: security_info::Client::new_with_client(&base_url, http, ctx),
        }
    }
}

impl JiraClient {
    /// Starts configuring a client for the site at `base_url`, such as
    /// `https://your-site.atlassian.net` or, for OAuth 2.0,
    /// `https://api.atlassian.com/ex/jira/{cloudId}`.
    pub fn builder(base_url: impl Into<String>) -> ClientBuilder<JiraClient> {
        ClientBuilder::new(base_url)
    }

    /// A client for `JIRA_BASE_URL` with the one set of credentials the
    /// environment names ([`env`](crate::env) lists the variables). Nothing
    /// is sent; a missing, partial or doubled setting is [`Error::Env`](crate::Error::Env)
    /// naming the variables.
    ///
    /// ```no_run
    /// // JIRA_BASE_URL=https://your-site.atlassian.net JIRA_APP_TOKEN=...
    /// let jira = appsec_sdk::JiraClient::from_env()?;
    /// # Ok::<(), appsec_sdk::Error>(())
    /// ```
    pub fn from_env() -> Result<Self, crate::Error> {
        crate::env::jira_builder(&crate::env::Vars::new(crate::env::process_env))?.build()
    }

    /// Like [`from_env`](Self::from_env), reading variables with `lookup`
    /// instead of from the process (tests, configuration files).
    ///
    /// ```
    /// use appsec_sdk::{Error, JiraClient, env::EnvError};
    ///
    /// let vars = [("JIRA_BASE_URL", "https://your-site.atlassian.net"), ("JIRA_EMAIL", "me@example.com")];
    /// let lookup = |name: &str| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string());
    /// let err = JiraClient::from_env_with(lookup).unwrap_err();
    /// assert!(matches!(err, Error::Env(EnvError::Incomplete { missing: "JIRA_API_TOKEN", .. })));
    /// assert_eq!(err.to_string(), "JIRA_EMAIL is set but JIRA_API_TOKEN is not; set both");
    /// ```
    pub fn from_env_with(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, crate::Error> {
        crate::env::jira_builder(&crate::env::Vars::new(crate::env::plain(lookup)))?.build()
    }

    /// The generated issue security client (all 22 operations).
    pub fn issue_security(&self) -> &issue_security::Client {
        &self.issue_security
    }

    /// The generated Security Information client (all 8 operations).
    ///
    /// Security Information answers apps only, so with basic auth (or no
    /// credentials) this is [`Error::AuthNotAccepted`](crate::Error::AuthNotAccepted)
    /// and nothing is sent; the error lists the credentials that work.
    pub fn security_info(&self) -> Result<&security_info::Client, crate::Error> {
        match self.security_info_refusal {
            None => Ok(&self.security_info),
            Some(used) => Err(crate::Error::AuthNotAccepted {
                api: "Jira Security Information",
                used,
                accepted: SECURITY_INFO_ACCEPTED_AUTH,
            }),
        }
    }
}
