//! The SDK's job in one run: issue security schemes, Qwiet findings counted
//! page by page, and (against the sandbox, or with `--write`) vulnerabilities
//! pushed to Jira's Security tab and read back.
//!
//! ```sh
//! cargo run -p appsec-examples --bin quickstart
//! ```
//!
//! With no environment it starts the built-in sandbox and needs no network
//! or credentials. With `JIRA_BASE_URL` set it reads the real services (the
//! Jira variables of `JiraClient::from_env`, plus `QWIET_TOKEN` and
//! `QWIET_ORG_ID`), and writes to them only with `--write`.

use std::collections::BTreeMap;
use std::error::Error;
use std::process::ExitCode;

use appsec_examples::report;
use appsec_examples::sample::{Found, vulnerability};
use appsec_examples::setup::Setup;
use appsec_sdk::jira::Vulnerabilities;
use appsec_sdk::jira::security_info::types::VulnerabilitySeverityLevel;
use appsec_sdk::qwiet::api::types::{Finding, Severity, Status};
use appsec_sdk::{Paginate, SendExt};
use clap::{Parser, ValueEnum};
use futures::TryStreamExt;

/// The SDK end to end: issue security schemes, Qwiet findings, vulnerabilities
/// in Jira's Security tab.
///
/// Without JIRA_BASE_URL it runs against a sandbox started in-process (no
/// network, no credentials). With JIRA_BASE_URL it uses the real services:
/// one set of Jira credentials (JIRA_APP_TOKEN, or JIRA_EMAIL and
/// JIRA_API_TOKEN, ...), QWIET_TOKEN and QWIET_ORG_ID.
#[derive(Debug, Parser)]
#[command(name = "quickstart", version)]
struct Args {
    /// Push three findings to Jira's Security tab and read them back. The
    /// sandbox is always written to; a real site only with this flag.
    #[arg(long)]
    write: bool,
    /// Which Qwiet findings to count.
    #[arg(long, value_enum, default_value_t = Counted::Open)]
    status: Counted,
}

/// Qwiet's finding statuses, as the `status` filter takes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Counted {
    /// Open findings (status `unset`, Qwiet's default filter).
    Open,
    /// Fixed findings.
    Fixed,
    /// Findings ignored by a user.
    Ignored,
    /// Findings in third-party code.
    ThirdParty,
    /// Every status.
    Any,
}

impl Counted {
    fn status(self) -> Status {
        match self {
            Counted::Open => Status::Unset,
            Counted::Fixed => Status::Fixed,
            Counted::Ignored => Status::Ignored,
            Counted::ThirdParty => Status::X3rdparty,
            Counted::Any => Status::Any,
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    report::exit(run(args).await)
}

async fn run(args: Args) -> Result<(), Box<dyn Error>> {
    let setup = Setup::from_env().await?;
    println!("Running against {}\n", setup.describe());

    println!("Issue security schemes");
    let schemes = setup
        .jira
        .issue_security()
        .get_issue_security_schemes()
        .send()
        .value()
        .await?;
    for scheme in &schemes.issue_security_schemes {
        let id = scheme.id.map(|id| id.to_string()).unwrap_or_default();
        println!("  {id:<8} {}", scheme.name.as_deref().unwrap_or(""));
        let mut levels = setup
            .jira
            .issue_security()
            .get_security_levels()
            .scheme_id(vec![id.clone()])
            .paginate()
            .items();
        while let Some(level) = levels.try_next().await? {
            let default = if level.is_default == Some(true) {
                "  (default)"
            } else {
                ""
            };
            println!(
                "           - {}{default}",
                level.name.as_deref().unwrap_or("")
            );
        }
    }

    let status = args.status.status();
    println!("\nQwiet findings with status `{status}`");
    let mut by_severity: BTreeMap<(u8, String), usize> = BTreeMap::new();
    let mut sample = Vec::new();
    let mut pages = setup
        .qwiet
        .api()
        .list_org_findings()
        .org_id(setup.org_id)
        .status(status)
        .per_page(250)
        .paginate()
        .pages();
    let mut pages_read = 0;
    while let Some(page) = pages.try_next().await? {
        pages_read += 1;
        for finding in page.items {
            *by_severity.entry(severity_key(&finding)).or_default() += 1;
            if sample.len() < 3 {
                sample.push(finding);
            }
        }
    }
    let total: usize = by_severity.values().sum();
    for ((_, severity), count) in &by_severity {
        println!("  {severity:<9} {count:>6}");
    }
    println!("  {total} findings in {pages_read} pages of up to 250");

    let writes = setup.sandbox.is_some() || args.write;
    if writes {
        push_and_read_back(&setup, &sample).await?;
    } else {
        println!(
            "\nNot writing to Jira: {} findings would go to its Security tab \
             (run again with --write to send them)",
            sample.len()
        );
    }

    println!("\nNext:");
    println!(
        "  cargo run -p appsec-examples --bin quickstart -- --status any   count every status"
    );
    println!(
        "  cargo run -p appsec-examples --bin issue-security-report       who may see what, as a table"
    );
    println!(
        "  cargo run -p appsec-examples --bin qwiet-to-jira -- --help     the sync as a real tool"
    );
    if setup.sandbox.is_some() {
        println!(
            "  set JIRA_BASE_URL, JIRA_APP_TOKEN, QWIET_TOKEN and QWIET_ORG_ID to read your own site"
        );
    }
    Ok(())
}

/// Severities from the worst down; values Qwiet adds later, then none, last.
fn severity_key(finding: &Finding) -> (u8, String) {
    let rank = match &finding.severity {
        Some(Severity::Critical) => 0,
        Some(Severity::High) => 1,
        Some(Severity::Medium) => 2,
        Some(Severity::Low) => 3,
        Some(_) => 4,
        None => 5,
    };
    let name = finding
        .severity
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_else(|| "none".into());
    (rank, name)
}

fn jira_severity(severity: Option<&Severity>) -> VulnerabilitySeverityLevel {
    match severity {
        Some(Severity::Critical) => VulnerabilitySeverityLevel::Critical,
        Some(Severity::High) => VulnerabilitySeverityLevel::High,
        Some(Severity::Medium) => VulnerabilitySeverityLevel::Medium,
        Some(Severity::Low) => VulnerabilitySeverityLevel::Low,
        Some(_) | None => VulnerabilitySeverityLevel::Unknown,
    }
}

async fn push_and_read_back(setup: &Setup, sample: &[Finding]) -> Result<(), Box<dyn Error>> {
    println!("\nPushing {} findings to Jira's Security tab", sample.len());
    let workspace = setup.org_id.to_string();
    setup.jira.link_workspaces([workspace.clone()]).await?;
    let mut vulnerabilities = Vec::new();
    for finding in sample {
        let id = format!("quickstart-{}-{}", finding.app, finding.id);
        let title = finding.title.clone().unwrap_or_else(|| id.clone());
        let url = format!(
            "https://app.shiftleft.io/apps/{}/vulnerabilities?findingId={}",
            finding.app, finding.id
        );
        vulnerabilities.push(vulnerability(&Found {
            id: &id,
            workspace: &workspace,
            title: &title,
            url: &url,
            severity: jira_severity(finding.severity.as_ref()),
        })?);
    }
    let ids: Vec<String> = vulnerabilities.iter().map(|v| v.id.to_string()).collect();
    let report = setup
        .jira
        .submit_vulnerabilities(
            Vulnerabilities::new(vulnerabilities).property("source", "quickstart"),
        )
        .await?;
    println!(
        "  accepted {}, failed {}",
        report.accepted.len(),
        report.failed.len()
    );

    println!("\nRead back from Jira");
    for id in ids {
        let v = setup
            .jira
            .security_info()?
            .get_vulnerability_by_id()
            .vulnerability_id(id.as_str())
            .send()
            .value()
            .await?;
        println!(
            "  {:<48} {:<9} {}",
            id,
            v.severity.level.to_string(),
            *v.display_name
        );
    }
    Ok(())
}
