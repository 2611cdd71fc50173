//! Where the examples get their clients: real services when the environment
//! names them, otherwise a sandbox started in-process.
//!
//! | variable | meaning |
//! | --- | --- |
//! | `JIRA_BASE_URL` | e.g. `https://your-site.atlassian.net` |
//! | `JIRA_APP_TOKEN` | an app token (Forge system token or OAuth 2.0 access token); needed for Security Information |
//! | `JIRA_EMAIL`, `JIRA_API_TOKEN` | basic auth, used when `JIRA_APP_TOKEN` is unset: issue security only |
//! | `QWIET_TOKEN` | Qwiet access token |
//! | `QWIET_ORG_ID` | Qwiet organization id |
//! | `QWIET_BASE_URL` | optional, defaults to the public API |

use appsec_sandbox::{Sandbox, SandboxConfig};
use appsec_sdk::{Error, JiraClient, QwietClient, RetryPolicy};
use uuid::Uuid;

/// Clients for one run, and the sandbox behind them when there is one.
#[derive(Debug)]
pub struct Setup {
    /// The Jira site.
    pub jira: JiraClient,
    /// The Qwiet API.
    pub qwiet: QwietClient,
    /// The Qwiet organization to read.
    pub org_id: Uuid,
    /// Kept alive for the run when no real services were configured.
    pub sandbox: Option<Sandbox>,
}

impl Setup {
    /// A sandbox on a free loopback port.
    pub async fn sandbox() -> Result<Self, Box<dyn std::error::Error>> {
        Self::sandbox_with(SandboxConfig::default()).await
    }

    /// A sandbox with the given configuration.
    pub async fn sandbox_with(config: SandboxConfig) -> Result<Self, Box<dyn std::error::Error>> {
        let credentials = config.credentials.clone();
        let sandbox = Sandbox::start(config).await?;
        // Security Information answers apps only, so the demo uses the
        // sandbox's app token, as a Forge backend would.
        let jira = JiraClient::builder(sandbox.url())
            .bearer_token(credentials.bearer_token.clone())
            .build()?;
        let qwiet = QwietClient::builder()
            .base_url(sandbox.qwiet_url())
            .bearer_token(credentials.qwiet_token.clone())
            .build()?;
        Ok(Self {
            jira,
            qwiet,
            org_id: appsec_sandbox::SANDBOX_ORG_ID.parse()?,
            sandbox: Some(sandbox),
        })
    }

    /// Real services when `JIRA_BASE_URL` is set, the sandbox otherwise.
    pub async fn from_env() -> Result<Self, Box<dyn std::error::Error>> {
        let Ok(base) = std::env::var("JIRA_BASE_URL") else {
            return Self::sandbox().await;
        };
        let var = |name: &str| {
            std::env::var(name).map_err(|_| format!("{name} must be set with JIRA_BASE_URL"))
        };
        let jira = JiraClient::builder(base).retry(RetryPolicy::default());
        // An app token serves both APIs; basic auth serves issue security only,
        // and Security Information calls then fail before sending anything.
        let jira = match std::env::var("JIRA_APP_TOKEN") {
            Ok(token) => jira.bearer_token(token),
            Err(_) => jira.basic_auth(var("JIRA_EMAIL")?, var("JIRA_API_TOKEN")?),
        }
        .build()?;
        let mut qwiet = QwietClient::builder().bearer_token(var("QWIET_TOKEN")?);
        if let Ok(url) = std::env::var("QWIET_BASE_URL") {
            qwiet = qwiet.base_url(url);
        }
        Ok(Self {
            jira,
            qwiet: qwiet.build()?,
            org_id: var("QWIET_ORG_ID")?.parse()?,
            sandbox: None,
        })
    }

    /// Where the run goes, for the first line of output.
    pub fn describe(&self) -> String {
        match &self.sandbox {
            Some(s) => format!("sandbox at {} (no credentials needed)", s.url()),
            None => "the services named by JIRA_BASE_URL and QWIET_*".to_string(),
        }
    }
}

/// Turns an SDK error into a boxed one for `main`.
pub fn boxed(e: Error) -> Box<dyn std::error::Error> {
    Box::new(e)
}
