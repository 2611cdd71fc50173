//! Helpers shared by the bulk and validation suites.
#![allow(dead_code)]

use appsec_sdk::jira::security_info::types::VulnerabilityDetails;
use appsec_sdk::{JiraClient, RetryPolicy};
use serde_json::{Value, json};
use wiremock::MockServer;

/// A valid vulnerability, as JSON, with one identifier and one association.
pub fn vulnerability_json(id: &str) -> Value {
    json!({
        "schemaVersion": "1.0",
        "id": id,
        "updateSequenceNumber": 1,
        "containerId": "ws-1",
        "displayName": "SQL injection",
        "description": "Found by a scan.",
        "url": "https://scanner.example.com/findings/1",
        "type": "sast",
        "introducedDate": "2026-01-10T10:00:00Z",
        "lastUpdated": "2026-01-12T08:30:00Z",
        "severity": {"level": "high"},
        "identifiers": [{"displayName": "CVE-2021-44228", "url": "https://nvd.nist.gov/vuln/detail/CVE-2021-44228"}],
        "addAssociations": [{"associationType": "issueIdOrKeys", "values": ["SEC-1"]}],
        "status": "open"
    })
}

pub fn vulnerability(id: &str) -> VulnerabilityDetails {
    serde_json::from_value(vulnerability_json(id)).unwrap()
}

/// A Jira client for `server` that does not retry.
pub fn jira(server: &MockServer, token: &str) -> JiraClient {
    JiraClient::builder(server.uri())
        .bearer_token(token)
        .retry(RetryPolicy::none())
        .build()
        .unwrap()
}
