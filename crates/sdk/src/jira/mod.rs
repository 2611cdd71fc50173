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
}

impl FromParts for JiraClient {
    fn from_parts(base_url: String, http: reqwest::Client, ctx: ClientContext) -> Self {
        Self {
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

    /// The generated issue security client (all 22 operations).
    pub fn issue_security(&self) -> &issue_security::Client {
        &self.issue_security
    }

    /// The generated Security Information client (all 8 operations).
    pub fn security_info(&self) -> &security_info::Client {
        &self.security_info
    }
}
