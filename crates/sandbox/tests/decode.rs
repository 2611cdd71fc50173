//! Every kind of response decodes into the generated clients' types, which
//! follow the specs: field names, required fields and types all match.

mod common;

use appsec_jira_issue_security::types as jira;
use appsec_jira_security_info::types as secinfo;
use appsec_qwiet::types as qwiet;
use appsec_sandbox::{SANDBOX_ORG_ID, Sandbox};
use common::*;
use reqwest::Method;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

fn decode<T: DeserializeOwned>(what: &str, body: Value) -> T {
    serde_json::from_value(body.clone())
        .unwrap_or_else(|e| panic!("{what} does not decode: {e}\n{body:#}"))
}

async fn jira<T: DeserializeOwned>(sandbox: &Sandbox, path: &str) -> T {
    let (status, body) = jira_get(sandbox, path).await;
    assert!(status.is_success(), "{path}: {status} {body}");
    decode(path, body)
}

async fn qwiet<T: DeserializeOwned>(sandbox: &Sandbox, path: &str) -> T {
    let url = format!("{}/orgs/{SANDBOX_ORG_ID}{path}", sandbox.qwiet_url());
    let (status, body) = qwiet_get(&url).await;
    assert!(status.is_success(), "{path}: {status} {body}");
    decode(path, body)
}

#[tokio::test]
async fn jira_issue_security_responses_decode() {
    let sandbox = start().await;
    let s = &sandbox;
    let _: jira::SecuritySchemes = jira(s, "/rest/api/3/issuesecurityschemes").await;
    let _: jira::SecurityScheme = jira(s, "/rest/api/3/issuesecurityschemes/10000").await;
    let _: jira::PageBeanSecurityLevel = jira(s, "/rest/api/3/issuesecurityschemes/level").await;
    let page: jira::PageBeanSecurityLevelMember =
        jira(s, "/rest/api/3/issuesecurityschemes/level/member").await;
    assert_eq!(page.values.len(), 50);
    let _: jira::PageBeanSecuritySchemeWithProjects =
        jira(s, "/rest/api/3/issuesecurityschemes/search").await;
    let _: jira::PageBeanIssueSecuritySchemeToProjectMapping =
        jira(s, "/rest/api/3/issuesecurityschemes/project").await;
    let _: jira::PageBeanIssueSecurityLevelMember =
        jira(s, "/rest/api/3/issuesecurityschemes/10000/members").await;
    let _: jira::SecurityLevel = jira(s, "/rest/api/3/securitylevel/10021").await;
    let _: jira::SecurityScheme = jira(s, "/rest/api/3/project/APP/issuesecuritylevelscheme").await;
    let _: jira::ProjectIssueSecurityLevels =
        jira(s, "/rest/api/3/project/SEC/securitylevel").await;

    let url = format!("{}/rest/api/3/issuesecurityschemes", s.url());
    let (_, created) = call(
        Method::POST,
        &url,
        &basic(),
        Some(&json!({ "name": "New" })),
    )
    .await;
    let _: jira::SecuritySchemeId = decode("create", created);
    let (_, error) = call(Method::POST, &url, &basic(), Some(&json!({ "name": "" }))).await;
    let _: jira::ErrorCollection = decode("error", error);
    let (status, task) = call(
        Method::PUT,
        &format!("{url}/project"),
        &basic(),
        Some(&json!({ "projectId": "10002", "schemeId": "10000" })),
    )
    .await;
    assert_eq!(status, 303);
    let task: jira::TaskProgressBeanObject = decode("task", task);
    let (_, done) = call(Method::GET, &task.self_, &basic(), None).await;
    let _: jira::TaskProgressBeanObject = decode("finished task", done);
}

#[tokio::test]
async fn security_info_responses_decode() {
    let sandbox = start().await;
    let base = format!("{}/rest/security/1.0", sandbox.url());
    let post = |path: &str, body: Value| {
        let url = format!("{base}{path}");
        async move { call(Method::POST, &url, &app_token(), Some(&body)).await }
    };
    let get = |path: &str| {
        let url = format!("{base}{path}");
        async move { call(Method::GET, &url, &app_token(), None).await.1 }
    };
    post(
        "/linkedWorkspaces/bulk",
        json!({ "workspaceIds": ["ws-1"] }),
    )
    .await;
    let _: secinfo::SecurityWorkspaceIds = decode("workspaces", get("/linkedWorkspaces").await);
    let _: secinfo::SecurityWorkspaceResponse =
        decode("workspace", get("/linkedWorkspaces/ws-1").await);
    let vulnerability = json!({
        "schemaVersion": "1.0", "id": "v-1", "updateSequenceNumber": 1, "containerId": "ws-1",
        "displayName": "SQLi", "description": "d", "url": "https://x.example/1", "type": "sast",
        "introducedDate": "2026-01-10T10:00:00Z", "lastUpdated": "2026-01-10T10:00:00Z",
        "severity": { "level": "high" }, "status": "open",
        "addAssociations": [{ "associationType": "issueIdOrKeys", "values": ["APP-1", "x"] }],
    });
    let (_, submitted) = post(
        "/bulk",
        json!({ "vulnerabilities": [vulnerability, { "id": "broken" }] }),
    )
    .await;
    let submitted: secinfo::SubmitVulnerabilitiesResponse = decode("submit", submitted);
    assert_eq!(submitted.failed_vulnerabilities.len(), 1);
    assert_eq!(submitted.unknown_associations.len(), 1);
    let _: secinfo::VulnerabilityDetails = decode("vulnerability", get("/vulnerability/v-1").await);
    let (_, errors) = post("/linkedWorkspaces/bulk", json!({ "workspaceIds": [] })).await;
    let _: Vec<secinfo::ErrorMessage> = decode("errors", errors);
}

#[tokio::test]
async fn qwiet_responses_decode() {
    let sandbox = start().await;
    let s = &sandbox;
    let _: qwiet::ListAppsResponse = qwiet(s, "/apps").await;
    let _: qwiet::ReadAppResponse = qwiet(s, "/apps/shop-api").await;
    let _: qwiet::ListScansResponse = qwiet(s, "/apps/shop-api/scans").await;
    let _: qwiet::ReadScanResponse = qwiet(s, "/apps/shop-api/scans/1").await;
    let all: qwiet::ListOrgFindingsResponse = qwiet(s, "/findings?status=any&per_page=250").await;
    assert_eq!(all.response.findings.len(), 250);
    assert!(all.next_page.is_some());
    let app: qwiet::ListAppFindingsResponse = qwiet(s, "/apps/shop-api/findings").await;
    assert!(app.response.scan.is_some());
    let id = &app.response.findings[0].id;
    let _: qwiet::ReadAppFindingResponse = qwiet(s, &format!("/apps/shop-api/findings/{id}")).await;
    let _: qwiet::ListOrgRbacUsersResponse = qwiet(s, "/rbac/users").await;
    let _: qwiet::ListTeamsEnvelope = qwiet(s, "/rbac/teams").await;
    let url = format!("{}/orgs/{SANDBOX_ORG_ID}/rbac/teams", s.qwiet_url());
    let (_, created) = call(
        Method::POST,
        &url,
        &qwiet_bearer(),
        Some(&json!({ "name": "New" })),
    )
    .await;
    let _: qwiet::CreateTeamEnvelope = decode("create team", created);
    let (_, error) = qwiet_get(&format!(
        "{}/orgs/{SANDBOX_ORG_ID}/apps/nope",
        s.qwiet_url()
    ))
    .await;
    let _: qwiet::Error = decode("error", error);
}
