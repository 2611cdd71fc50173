//! The SDK's job in one run: issue security schemes, vulnerabilities pushed
//! to Jira and read back, and Qwiet findings paged through.
//!
//! ```sh
//! cargo run -p appsec-examples --bin quickstart
//! ```
//!
//! With no environment it starts the built-in sandbox and needs no network
//! or credentials. Set `JIRA_BASE_URL`, `JIRA_APP_TOKEN` (Security Information
//! answers apps only; `JIRA_EMAIL` and `JIRA_API_TOKEN` serve issue security),
//! `QWIET_TOKEN` and `QWIET_ORG_ID` to run against real services.

use std::collections::BTreeMap;

use appsec_examples::qwiet_to_jira::to_vulnerability;
use appsec_examples::setup::Setup;
use appsec_sdk::jira::Vulnerabilities;
use appsec_sdk::{Paginate, SendExt};
use futures::TryStreamExt;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
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

    println!("\nQwiet findings");
    let mut by_severity: BTreeMap<String, usize> = BTreeMap::new();
    let mut sample = Vec::new();
    let mut findings = setup
        .qwiet
        .api()
        .list_org_findings()
        .org_id(setup.org_id)
        .per_page(250)
        .paginate()
        .items();
    while let Some(finding) = findings.try_next().await? {
        let severity = finding
            .severity
            .as_ref()
            .map(|s| s.to_string())
            .unwrap_or_else(|| "none".into());
        *by_severity.entry(severity).or_default() += 1;
        if sample.len() < 3 {
            sample.push(finding);
        }
    }
    for (severity, count) in &by_severity {
        println!("  {severity:<9} {count:>6}");
    }

    println!("\nPushing {} findings to Jira's Security tab", sample.len());
    let workspace = setup.org_id.to_string();
    setup.jira.link_workspaces([workspace.clone()]).await?;
    let now = chrono::Utc::now();
    let vulnerabilities = sample
        .iter()
        .map(|f| {
            to_vulnerability(
                f,
                &workspace,
                now.timestamp_millis(),
                now,
                "https://app.shiftleft.io",
            )
        })
        .collect::<Result<Vec<_>, _>>()?;
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
