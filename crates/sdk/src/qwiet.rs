//! Qwiet API v4: apps, scans, findings and access control.

use appsec_runtime::ClientContext;

use crate::builder::{ClientBuilder, FromParts};

/// The generated Qwiet client and its types.
pub use appsec_qwiet as api;

/// Where Qwiet's API lives.
pub const DEFAULT_BASE_URL: &str = "https://app.shiftleft.io/api/v4";

/// A Qwiet API client.
///
/// ```no_run
/// use appsec_sdk::{Paginate, QwietClient};
/// use futures::TryStreamExt;
///
/// # async fn run(org: uuid::Uuid) -> Result<(), appsec_sdk::Error> {
/// let qwiet = QwietClient::builder().bearer_token("access-token").build()?;
///
/// // Every critical finding in the organization, page after page.
/// let critical = appsec_sdk::qwiet::api::types::Severity::Critical;
/// let mut findings = qwiet
///     .api()
///     .list_org_findings()
///     .org_id(org)
///     .severity(critical.clone())
///     .per_page(250)
///     .paginate()
///     .items();
/// while let Some(finding) = findings.try_next().await? {
///     println!("{} {}", finding.id, finding.title.as_deref().unwrap_or(""));
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct QwietClient {
    api: api::Client,
}

impl crate::builder::sealed::Sealed for QwietClient {}

impl FromParts for QwietClient {
    fn from_parts(base_url: String, http: reqwest::Client, ctx: ClientContext) -> Self {
        Self {
            api: api::Client::new_with_client(&base_url, http, ctx),
        }
    }
}

impl QwietClient {
    /// Starts configuring a client for [`DEFAULT_BASE_URL`]; change it with
    /// [`ClientBuilder::base_url`].
    pub fn builder() -> ClientBuilder<QwietClient> {
        ClientBuilder::new(DEFAULT_BASE_URL)
    }

    /// A client with the access token in `QWIET_TOKEN`, for the API at
    /// `QWIET_BASE_URL` when that is set. Nothing is sent; a missing or
    /// unusable setting is [`Error::Env`](crate::Error::Env) naming the variable.
    pub fn from_env() -> Result<Self, crate::Error> {
        crate::env::qwiet_builder(
            &crate::env::Vars::new(crate::env::process_env),
            Self::builder(),
        )?
        .build()
    }

    /// Like [`from_env`](Self::from_env), reading variables with `lookup`.
    ///
    /// ```
    /// use appsec_sdk::QwietClient;
    ///
    /// let err = QwietClient::from_env_with(|_| None).unwrap_err();
    /// assert_eq!(err.to_string(), "QWIET_TOKEN is not set");
    /// ```
    pub fn from_env_with(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, crate::Error> {
        crate::env::qwiet_builder(
            &crate::env::Vars::new(crate::env::plain(lookup)),
            Self::builder(),
        )?
        .build()
    }

    /// The generated client (all 145 operations).
    pub fn api(&self) -> &api::Client {
        &self.api
    }
}
