//! One Qwiet finding as one Jira vulnerability, and the fingerprint that
//! tells whether what Jira holds for it is still current.
//!
//! Status, as the two specs define them: Qwiet marks a finding `unset`
//! (open), `fixed`, `ignored` or `3rdparty` (found in third-party code, which
//! Qwiet leaves out of the default view); Security Information knows `open`,
//! `closed`, `ignored` and `unknown`. `any` is only a filter value in Qwiet's
//! queries. A status this SDK does not list (the open enum's `Other`) is
//! sent as `unknown` and counted in the summary, never dropped.

use appsec_sdk::jira::security_info::types::{
    Identifier, VulnerabilityDetails, VulnerabilityDetailsSchemaVersion, VulnerabilityDetailsType,
    VulnerabilitySeverity, VulnerabilitySeverityLevel, VulnerabilityStatus,
};
use appsec_sdk::qwiet::api::types::{Finding, Severity, Status, Tag};
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

/// The Jira vulnerability id of a finding: stable across runs, so re-sending
/// updates rather than duplicates.
pub fn vulnerability_id(app: &str, finding: &str) -> String {
    format!("qwiet-{app}-{finding}")
}

/// The Security Information status for a Qwiet status, and the Qwiet value
/// when the SDK does not know it (sent as `unknown`).
pub fn jira_status(status: Option<&Status>) -> (VulnerabilityStatus, Option<String>) {
    match status {
        Some(Status::Unset) | None => (VulnerabilityStatus::Open, None),
        Some(Status::Fixed) => (VulnerabilityStatus::Closed, None),
        Some(Status::Ignored) | Some(Status::X3rdparty) => (VulnerabilityStatus::Ignored, None),
        // `any` selects every status in a query; a finding carrying it says
        // nothing about its state.
        Some(other) => (VulnerabilityStatus::Unknown, Some(other.to_string())),
    }
}

/// Maps one Qwiet finding to a Jira vulnerability.
///
/// `sequence` becomes the `updateSequenceNumber` and `at` the `lastUpdated`
/// time; the finding's own `details.created_at`, when it has one, is its
/// `introducedDate` (otherwise `at`).
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
    let url = format!(
        "{}/apps/{}/vulnerabilities?findingId={}",
        web_url.trim_end_matches('/'),
        finding.app,
        finding.id
    );
    let introduced = finding
        .details
        .get("created_at")
        .and_then(|v| v.as_str())
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map_or(at, |t| t.with_timezone(&Utc));
    VulnerabilityDetails::builder()
        .schema_version(VulnerabilityDetailsSchemaVersion::X10)
        .id(vulnerability_id(&finding.app, &finding.id))
        .update_sequence_number(sequence)
        .container_id(workspace)
        .display_name(truncate(&title, 255))
        .description(truncate(&description, 5000))
        .url(url)
        .type_(kind(&finding.type_))
        .introduced_date(introduced)
        .last_updated(at)
        .severity(VulnerabilitySeverity::builder().level(severity(finding)))
        .identifiers(identifiers(&finding.tags)?)
        .status(jira_status(finding.status.as_ref()).0)
        .try_into()
        .map_err(|e| format!("cannot map finding {}: {e}", finding.id))
}

/// What identifies the content Jira shows for a vulnerability: a digest of
/// everything sent except the sequence number and `lastUpdated`, which change
/// on every send.
pub fn fingerprint(vulnerability: &VulnerabilityDetails) -> String {
    let mut stable = vulnerability.clone();
    stable.update_sequence_number = 0;
    stable.last_updated = stable.introduced_date;
    let bytes = serde_json::to_vec(&stable).expect("a vulnerability serializes");
    Sha256::digest(&bytes)[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn truncate(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

fn kind(qwiet_type: &str) -> VulnerabilityDetailsType {
    match qwiet_type {
        "vuln" | "secret" | "insight" => VulnerabilityDetailsType::Sast,
        "oss_vuln" | "container" | "package" => VulnerabilityDetailsType::Sca,
        _ => VulnerabilityDetailsType::Unknown,
    }
}

fn severity(finding: &Finding) -> VulnerabilitySeverityLevel {
    match &finding.severity {
        Some(Severity::Critical) => VulnerabilitySeverityLevel::Critical,
        Some(Severity::High) => VulnerabilitySeverityLevel::High,
        Some(Severity::Medium) => VulnerabilitySeverityLevel::Medium,
        Some(Severity::Low) => VulnerabilitySeverityLevel::Low,
        // A severity Qwiet added after this SDK was generated.
        Some(_) | None => VulnerabilitySeverityLevel::Unknown,
    }
}

/// CWE and CVE identifiers carried in a finding's tags.
fn identifiers(tags: &[Tag]) -> Result<Vec<Identifier>, String> {
    tags.iter()
        .filter_map(|tag| {
            let (key, value) = match tag {
                Tag::String(t) => (t.key.as_str(), t.value.clone()),
                Tag::Number(t) => (t.key.as_str(), t.value.to_string()),
                _ => return None,
            };
            let (name, url) = match key {
                "cwe_category" | "cwe" => {
                    let n = value.trim_start_matches("CWE-").to_string();
                    (
                        format!("CWE-{n}"),
                        format!("https://cwe.mitre.org/data/definitions/{n}.html"),
                    )
                }
                "cve" => (
                    value.clone(),
                    format!("https://nvd.nist.gov/vuln/detail/{value}"),
                ),
                _ => return None,
            };
            Some(
                Identifier::builder()
                    .display_name(truncate(&name, 255))
                    .url(url)
                    .try_into()
                    .map_err(|e| format!("identifier {name}: {e}")),
            )
        })
        .take(100)
        .collect()
}
