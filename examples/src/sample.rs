//! Vulnerabilities as a scanner integration reports them, built with the
//! generated builders so that every field is checked before anything is
//! sent.

use appsec_sdk::jira::security_info::types::{
    VulnerabilityDetails, VulnerabilityDetailsSchemaVersion, VulnerabilityDetailsType,
    VulnerabilitySeverity, VulnerabilitySeverityLevel, VulnerabilityStatus, error::ConversionError,
};

/// What a scanner knows about one finding.
#[derive(Debug, Clone)]
pub struct Found<'a> {
    /// Stable id: sending the same id again updates the vulnerability.
    pub id: &'a str,
    /// The security workspace (container) it belongs to.
    pub workspace: &'a str,
    /// One line for Jira's list.
    pub title: &'a str,
    /// Where the scanner shows it.
    pub url: &'a str,
    /// How bad it is.
    pub severity: VulnerabilitySeverityLevel,
}

/// An open static-analysis vulnerability, stamped with the current time
/// (also its `updateSequenceNumber`, which only ever increases).
pub fn vulnerability(found: &Found<'_>) -> Result<VulnerabilityDetails, ConversionError> {
    let now = chrono::Utc::now();
    // Jira keeps at most 255 characters of a name.
    let title: String = found.title.chars().take(255).collect();
    VulnerabilityDetails::builder()
        .schema_version(VulnerabilityDetailsSchemaVersion::X10)
        .id(found.id)
        .update_sequence_number(now.timestamp_millis())
        .container_id(found.workspace)
        .display_name(title.as_str())
        .description(found.title)
        .url(found.url)
        .type_(VulnerabilityDetailsType::Sast)
        .introduced_date(now)
        .last_updated(now)
        .severity(VulnerabilitySeverity::builder().level(found.severity.clone()))
        .status(VulnerabilityStatus::Open)
        .try_into()
}
