//! Where the examples get their clients: the real services when
//! `JIRA_BASE_URL` is set, otherwise a sandbox started in-process with its
//! demo credentials.
//!
//! Each example asks only for what it uses: [`Jira::from_env`] reads the Jira
//! variables of [`JiraClient::from_env`] (see `appsec_sdk::env`), and
//! [`Setup::from_env`] adds Qwiet's `QWIET_TOKEN`, optional `QWIET_BASE_URL`,
//! and the organization to read, `QWIET_ORG_ID`.

use std::error::Error;

use appsec_sandbox::{Credentials, Sandbox, SandboxConfig};
use appsec_sdk::env::JIRA_BASE_URL;
use appsec_sdk::{JiraClient, QwietClient};
use uuid::Uuid;

use crate::report::Usage;

/// The Qwiet organization an example reads.
pub const QWIET_ORG_ID: &str = "QWIET_ORG_ID";

/// True when `JIRA_BASE_URL` names a real site.
pub fn real_services() -> bool {
    std::env::var_os(JIRA_BASE_URL).is_some_and(|v| !v.is_empty())
}

/// A Jira site for one run, and the sandbox behind it when there is one.
#[derive(Debug)]
pub struct Jira {
    /// The site.
    pub client: JiraClient,
    /// Kept alive for the run when no real site was configured.
    pub sandbox: Option<Sandbox>,
}

impl Jira {
    /// The site of `JIRA_BASE_URL` and its credentials, or a sandbox.
    pub async fn from_env() -> Result<Self, Box<dyn Error>> {
        if !real_services() {
            return Self::sandbox(SandboxConfig::default()).await;
        }
        Ok(Self {
            client: JiraClient::from_env()?,
            sandbox: None,
        })
    }

    /// A sandbox on a free loopback port, reached with its app token
    /// (Security Information answers apps only, as on a real site).
    pub async fn sandbox(config: SandboxConfig) -> Result<Self, Box<dyn Error>> {
        let token = config.credentials.bearer_token.clone();
        let sandbox = Sandbox::start(config).await?;
        Ok(Self {
            client: sandbox_jira(&sandbox, token)?,
            sandbox: Some(sandbox),
        })
    }

    /// Where the run goes, for the first line of output.
    pub fn describe(&self) -> String {
        describe(
            self.sandbox.as_ref(),
            "the Jira site named by JIRA_BASE_URL",
        )
    }
}

/// Jira and Qwiet clients for one run, and the sandbox behind them when
/// there is one.
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
    pub async fn sandbox() -> Result<Self, Box<dyn Error>> {
        Self::sandbox_with(SandboxConfig::default()).await
    }

    /// A sandbox with the given configuration.
    pub async fn sandbox_with(config: SandboxConfig) -> Result<Self, Box<dyn Error>> {
        let credentials = config.credentials.clone();
        let sandbox = Sandbox::start(config).await?;
        let qwiet = QwietClient::builder()
            .base_url(sandbox.qwiet_url())
            .bearer_token(credentials.qwiet_token)
            .build()?;
        Ok(Self {
            jira: sandbox_jira(&sandbox, credentials.bearer_token)?,
            qwiet,
            org_id: appsec_sandbox::SANDBOX_ORG_ID.parse()?,
            sandbox: Some(sandbox),
        })
    }

    /// Real services when `JIRA_BASE_URL` is set (then the Jira credentials,
    /// `QWIET_TOKEN` and `QWIET_ORG_ID` are needed), the sandbox otherwise.
    pub async fn from_env() -> Result<Self, Box<dyn Error>> {
        if !real_services() {
            return Self::sandbox().await;
        }
        Ok(Self {
            jira: JiraClient::from_env()?,
            qwiet: QwietClient::from_env()?,
            org_id: org_id()?,
            sandbox: None,
        })
    }

    /// Where the run goes, for the first line of output.
    pub fn describe(&self) -> String {
        describe(
            self.sandbox.as_ref(),
            "the services named by JIRA_BASE_URL and QWIET_*",
        )
    }
}

/// A site and two credentials: from `JIRA_BASE_URL` and the variables
/// `names` when a real site is configured, otherwise from a sandbox started
/// here (returned, to keep it running) and its demo credentials `demo`.
pub async fn site_or_sandbox(
    names: [&str; 2],
    demo: fn(Credentials) -> [String; 2],
) -> Result<(Option<Sandbox>, [String; 3]), Box<dyn Error>> {
    if real_services() {
        let [first, second] = names;
        return Ok((
            None,
            [
                required(JIRA_BASE_URL)?,
                required(first)?,
                required(second)?,
            ],
        ));
    }
    let config = SandboxConfig::default();
    let [first, second] = demo(config.credentials.clone());
    let sandbox = Sandbox::start(config).await?;
    println!(
        "(the sandbox at {}, no credentials needed)\n",
        sandbox.url()
    );
    let url = sandbox.url();
    Ok((Some(sandbox), [url, first, second]))
}

/// A variable the example needs, or an error naming it.
pub fn required(name: &str) -> Result<String, Usage> {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .ok_or_else(|| Usage(format!("{name} is not set")))
}

/// `QWIET_ORG_ID` as a UUID, or an error naming the variable.
pub fn org_id() -> Result<Uuid, Usage> {
    required(QWIET_ORG_ID)?
        .parse()
        .map_err(|e| Usage(format!("{QWIET_ORG_ID} is not a UUID: {e}")))
}

fn sandbox_jira(sandbox: &Sandbox, token: String) -> Result<JiraClient, appsec_sdk::Error> {
    JiraClient::builder(sandbox.url())
        .bearer_token(token)
        .build()
}

fn describe(sandbox: Option<&Sandbox>, real: &str) -> String {
    match sandbox {
        Some(s) => format!("the sandbox at {} (no credentials needed)", s.url()),
        None => real.to_string(),
    }
}
