//! Publishes Qwiet findings to Jira's Security tab.
//!
//! The Qwiet organization is linked as a security workspace, then every
//! finding becomes a Jira vulnerability with a stable id
//! (`qwiet-<app>-<finding>`), so re-running updates rather than duplicates.
//! Each run stamps `updateSequenceNumber` with its start time in
//! milliseconds, which only ever increases.

use std::collections::BTreeMap;

use appsec_sdk::Paginate;
use appsec_sdk::jira::Vulnerabilities;
use appsec_sdk::jira::security_info::types::VulnerabilityDetails;
use appsec_sdk::qwiet::api::types::{Finding, Severity, Status, Tag};
use appsec_sdk::{Error, JiraClient, QwietClient};
use chrono::{DateTime, SecondsFormat, Utc};
use futures::TryStreamExt;
use serde_json::json;
use uuid::Uuid;

/// Findings sent per submission (the service's own limit is 1000).
const BATCH: usize = 1000;

/// What to publish.
#[derive(Debug, Clone)]
pub struct Options {
    /// The Qwiet organization; also the Jira workspace id.
    pub org_id: Uuid,
    /// Only this app's findings, when set.
    pub app: Option<String>,
    /// Read and map, but send nothing to Jira.
    pub dry_run: bool,
    /// Draw a progress bar on stderr.
    pub progress: bool,
    /// Base of the links back to Qwiet's web UI.
    pub web_url: String,
}

impl Options {
    /// Publishes every finding of `org_id`.
    pub fn new(org_id: Uuid) -> Self {
        Self {
            org_id,
            app: None,
            dry_run: false,
            progress: false,
            web_url: "https://app.shiftleft.io".into(),
        }
    }
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    /// Findings read from Qwiet.
    pub findings: usize,
    /// Vulnerabilities Jira accepted.
    pub accepted: usize,
    /// Vulnerabilities not published, with the reasons.
    pub failed: BTreeMap<String, Vec<String>>,
    /// Issue associations Jira could not resolve.
    pub unknown_associations: usize,
    /// Submissions sent.
    pub requests: usize,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "findings read      {:>7}", self.findings)?;
        writeln!(f, "accepted by Jira   {:>7}", self.accepted)?;
        writeln!(f, "failed             {:>7}", self.failed.len())?;
        writeln!(f, "unknown issue keys {:>7}", self.unknown_associations)?;
        write!(f, "requests           {:>7}", self.requests)?;
        for (id, reasons) in self.failed.iter().take(10) {
            write!(f, "\n  {id}: {}", reasons.join("; "))?;
        }
        if self.failed.len() > 10 {
            write!(f, "\n  … and {} more", self.failed.len() - 10)?;
        }
        Ok(())
    }
}

/// Reads findings from Qwiet and publishes them to Jira.
pub async fn run(
    jira: &JiraClient,
    qwiet: &QwietClient,
    options: &Options,
) -> Result<Summary, Error> {
    let workspace = options.org_id.to_string();
    if !options.dry_run {
        jira.link_workspaces([workspace.clone()]).await?;
    }
    let started = Utc::now();
    let sequence = started.timestamp_millis();

    let bar = if options.progress {
        indicatif::ProgressBar::new_spinner()
    } else {
        indicatif::ProgressBar::hidden()
    };
    bar.set_message("findings");

    let mut findings = match &options.app {
        Some(app) => qwiet
            .api()
            .list_app_findings()
            .org_id(options.org_id)
            .app_id(app.as_str())
            .per_page(250)
            .paginate()
            .items(),
        None => qwiet
            .api()
            .list_org_findings()
            .org_id(options.org_id)
            .per_page(250)
            .paginate()
            .items(),
    };
    let mut summary = Summary::default();
    let mut batch = Vec::with_capacity(BATCH);
    while let Some(finding) = findings.try_next().await? {
        summary.findings += 1;
        bar.inc(1);
        match to_vulnerability(&finding, &workspace, sequence, started, &options.web_url) {
            Ok(v) => batch.push(v),
            Err(reason) => {
                summary.failed.insert(finding.id.clone(), vec![reason]);
            }
        }
        if batch.len() == BATCH {
            publish(jira, std::mem::take(&mut batch), options, &mut summary).await?;
        }
    }
    publish(jira, batch, options, &mut summary).await?;
    bar.finish_and_clear();
    Ok(summary)
}

async fn publish(
    jira: &JiraClient,
    batch: Vec<VulnerabilityDetails>,
    options: &Options,
    summary: &mut Summary,
) -> Result<(), Error> {
    if batch.is_empty() {
        return Ok(());
    }
    if options.dry_run {
        summary.accepted += batch.len();
        return Ok(());
    }
    let report = jira
        .submit_vulnerabilities(
            Vulnerabilities::new(batch)
                .property("source", "qwiet")
                .property("qwietOrg", options.org_id.to_string())
                .provider("Qwiet"),
        )
        .await?;
    summary.accepted += report.accepted.len();
    summary.unknown_associations += report.unknown_associations.len();
    summary.requests += report.requests;
    for (id, messages) in report.failed {
        summary
            .failed
            .insert(id, messages.into_iter().map(|m| m.message).collect());
    }
    Ok(())
}

/// Maps one Qwiet finding to a Jira vulnerability.
pub fn to_vulnerability(
    finding: &Finding,
    workspace: &str,
    sequence: i64,
    at: DateTime<Utc>,
    web_url: &str,
) -> Result<VulnerabilityDetails, String> {
    let title = finding
        .title
        .clone()
        .unwrap_or_else(|| format!("Qwiet finding {}", finding.id));
    let description = finding.description.clone().unwrap_or_else(|| title.clone());
    let when = at.to_rfc3339_opts(SecondsFormat::Secs, true);
    let value = json!({
        "schemaVersion": "1.0",
        "id": format!("qwiet-{}-{}", finding.app, finding.id),
        "updateSequenceNumber": sequence,
        "containerId": workspace,
        "displayName": truncate(&title, 255),
        "description": truncate(&description, 5000),
        "url": format!("{}/apps/{}/vulnerabilities?findingId={}", web_url.trim_end_matches('/'), finding.app, finding.id),
        "type": kind(&finding.type_),
        "introducedDate": when,
        "lastUpdated": when,
        "severity": {"level": severity(finding)},
        "identifiers": identifiers(&finding.tags),
        "status": status(finding.status.as_ref()),
    });
    serde_json::from_value(value).map_err(|e| format!("cannot map finding: {e}"))
}

fn truncate(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

fn kind(qwiet_type: &str) -> &'static str {
    match qwiet_type {
        "vuln" | "secret" | "insight" => "sast",
        "oss_vuln" | "container" | "package" => "sca",
        _ => "unknown",
    }
}

fn severity(finding: &Finding) -> &'static str {
    match &finding.severity {
        Some(Severity::Critical) => "critical",
        Some(Severity::High) => "high",
        Some(Severity::Medium) => "medium",
        Some(Severity::Low) => "low",
        // A severity Qwiet added after this SDK was generated.
        Some(_) | None => "unknown",
    }
}

fn status(status: Option<&Status>) -> &'static str {
    match status {
        Some(Status::Fixed) => "closed",
        Some(Status::Ignored) | Some(Status::X3rdparty) => "ignored",
        Some(Status::Unset) | None => "open",
        Some(_) => "unknown",
    }
}

/// CWE and CVE identifiers carried in a finding's tags.
fn identifiers(tags: &[Tag]) -> Vec<serde_json::Value> {
    tags.iter()
        .filter_map(|tag| {
            let (key, value) = match tag {
                Tag::String(t) => (t.key.as_str(), t.value.clone()),
                Tag::Number(t) => (t.key.as_str(), t.value.to_string()),
                _ => return None,
            };
            match key {
                "cwe_category" | "cwe" => {
                    let n = value.trim_start_matches("CWE-");
                    Some(json!({
                        "displayName": format!("CWE-{n}"),
                        "url": format!("https://cwe.mitre.org/data/definitions/{n}.html"),
                    }))
                }
                "cve" => Some(json!({
                    "displayName": value,
                    "url": format!("https://nvd.nist.gov/vuln/detail/{value}"),
                })),
                _ => None,
            }
        })
        .collect()
}
