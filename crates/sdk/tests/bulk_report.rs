//! Bulk reports against servers whose answers lie: every submitted id is
//! reported exactly once, and ids nobody sent never count as accepted.

mod common;

use appsec_sdk::JiraClient;
use appsec_sdk::jira::{ListedAs, NOT_REPORTED, ServiceAnomaly, SubmitReport, Vulnerabilities};
use common::vulnerability;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn jira(server: &MockServer) -> JiraClient {
    common::jira(server, "bulk-report-token")
}

/// Submits `ids` to a server that answers every request with `answer`.
async fn submit(ids: &[&str], answer: Value) -> (SubmitReport, MockServer) {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/rest/security/1.0/bulk"))
        .respond_with(ResponseTemplate::new(202).set_body_json(answer))
        .mount(&server)
        .await;
    let batch = Vulnerabilities::new(ids.iter().map(|id| vulnerability(id)).collect());
    let report = jira(&server).submit_vulnerabilities(batch).await.unwrap();
    (report, server)
}

fn messages(report: &SubmitReport, id: &str) -> Vec<String> {
    report.failed[id]
        .iter()
        .map(|m| m.message.clone())
        .collect()
}

#[tokio::test]
async fn an_id_listed_twice_and_failed_and_a_ghost_give_one_entry_and_one_anomaly() {
    let (report, _server) = submit(
        &["v1"],
        json!({
            "acceptedVulnerabilities": ["v1", "v1", "ghost"],
            "failedVulnerabilities": {"v1": [
                {"message": "bad url"},
                {"message": "unknown container", "errorTraceId": "t-1"}
            ]},
            "unknownAssociations": []
        }),
    )
    .await;
    assert!(report.accepted.is_empty(), "{:?}", report.accepted);
    assert_eq!(report.failed.len(), 1);
    // Every message is kept, with its trace id.
    assert_eq!(messages(&report, "v1"), ["bad url", "unknown container"]);
    assert_eq!(
        report.failed["v1"][1].error_trace_id.as_deref(),
        Some("t-1")
    );
    let anomalies: Vec<(&str, &ListedAs)> = report
        .anomalies
        .iter()
        .map(|a: &ServiceAnomaly| (a.id.as_str(), &a.listed_as))
        .collect();
    assert_eq!(anomalies, [("ghost", &ListedAs::Accepted)]);
}

#[tokio::test]
async fn an_id_missing_from_both_lists_is_a_not_reported_failure() {
    let (report, _server) = submit(
        &["v1", "v2", "v3"],
        json!({
            "acceptedVulnerabilities": ["v1", "v1"],
            "failedVulnerabilities": {"v3": [{"message": "rejected"}]}
        }),
    )
    .await;
    assert_eq!(report.accepted, ["v1"]);
    assert_eq!(messages(&report, "v2"), [NOT_REPORTED]);
    assert_eq!(messages(&report, "v3"), ["rejected"]);
    assert!(report.anomalies.is_empty());
    assert!(!report.all_accepted());
}

#[tokio::test]
async fn failed_ghosts_are_anomalies_with_their_messages_never_outcomes() {
    let (report, _server) = submit(
        &["v1"],
        json!({
            "acceptedVulnerabilities": ["v1", "ghost-2"],
            "failedVulnerabilities": {
                "ghost-1": [{"message": "who?"}],
                "ghost-2": [{"message": "both lists"}]
            }
        }),
    )
    .await;
    assert_eq!(report.accepted, ["v1"]);
    assert!(report.failed.is_empty());
    assert_eq!(report.anomalies.len(), 2);
    let listed = |id: &str| {
        report
            .anomalies
            .iter()
            .find(|a| a.id == id)
            .map(|a| a.listed_as.clone())
    };
    assert!(matches!(listed("ghost-1"), Some(ListedAs::Failed(m)) if m[0].message == "who?"));
    assert!(matches!(listed("ghost-2"), Some(ListedAs::Failed(m)) if m[0].message == "both lists"));
}

#[tokio::test]
async fn an_answer_about_another_requests_id_does_not_change_its_outcome() {
    // 1,500 ids go out in two requests; the server accepts whatever the
    // first request carried and, in every answer, also lists id 0 as failed.
    let ids: Vec<String> = (0..1500).map(|i| format!("v{i}")).collect();
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/rest/security/1.0/bulk"))
        .respond_with(|request: &wiremock::Request| {
            let body: Value = serde_json::from_slice(&request.body).unwrap();
            let sent: Vec<Value> = body["vulnerabilities"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v["id"].clone())
                .collect();
            ResponseTemplate::new(202).set_body_json(json!({
                "acceptedVulnerabilities": sent,
                "failedVulnerabilities": {"v0": [{"message": "late complaint"}]}
            }))
        })
        .mount(&server)
        .await;
    let batch = Vulnerabilities::new(ids.iter().map(|id| vulnerability(id)).collect());
    let report = jira(&server).submit_vulnerabilities(batch).await.unwrap();
    assert_eq!(report.requests, 2);
    // v0 was in the first request, whose answer fails it; the second
    // request's answer about v0 is an anomaly.
    assert_eq!(messages(&report, "v0"), ["late complaint"]);
    assert_eq!(report.accepted.len(), 1499);
    assert_eq!(report.accepted[0], "v1");
    assert_eq!(report.anomalies.len(), 1);
    assert_eq!(report.anomalies[0].id, "v0");
}

#[tokio::test]
async fn a_workspace_id_given_twice_is_sent_once() {
    let server = MockServer::start().await;
    Mock::given(path("/rest/security/1.0/linkedWorkspaces/bulk"))
        .respond_with(ResponseTemplate::new(202))
        .mount(&server)
        .await;
    let jira = jira(&server);
    // 101 ids, but only 100 distinct: one request each way.
    let mut ids: Vec<String> = (0..100).map(|i| format!("ws-{i}")).collect();
    ids.insert(50, "ws-7".into());
    assert_eq!(jira.link_workspaces(ids.clone()).await.unwrap(), 1);
    assert_eq!(jira.unlink_workspaces(ids).await.unwrap(), 1);
    let requests = server.received_requests().await.unwrap();
    let posted: Value = serde_json::from_slice(&requests[0].body).unwrap();
    let posted: Vec<&str> = posted["workspaceIds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let expected: Vec<String> = (0..100).map(|i| format!("ws-{i}")).collect();
    assert_eq!(posted, expected);
    let deleted = requests[1].url.query().unwrap().to_string();
    assert_eq!(
        deleted.matches("ws-7%2C").count() + deleted.matches("ws-7,").count(),
        1,
        "{deleted}"
    );
}

#[tokio::test]
async fn the_traffic_kind_goes_with_every_request_of_the_batch() {
    use appsec_sdk::jira::security_info::types::SubmitVulnerabilitiesRequestOperationType as Traffic;
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/rest/security/1.0/bulk"))
        .respond_with(
            ResponseTemplate::new(202).set_body_json(json!({"acceptedVulnerabilities": []})),
        )
        .mount(&server)
        .await;
    let ids: Vec<String> = (0..1500).map(|i| format!("v-{i}")).collect();
    let batch = Vulnerabilities::new(ids.iter().map(|id| vulnerability(id)).collect())
        .operation_type(Traffic::Scan);
    jira(&server).submit_vulnerabilities(batch).await.unwrap();
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 2);
    for request in &requests {
        let body: Value = serde_json::from_slice(&request.body).unwrap();
        assert_eq!(body["operationType"], "SCAN");
    }
    // Without it, the field is left out and Jira applies its default.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(202).set_body_json(json!({"acceptedVulnerabilities": []})),
        )
        .mount(&server)
        .await;
    let batch = Vulnerabilities::new(vec![vulnerability("v-1")]);
    jira(&server).submit_vulnerabilities(batch).await.unwrap();
    let body: Value =
        serde_json::from_slice(&server.received_requests().await.unwrap()[0].body).unwrap();
    assert!(body.get("operationType").is_none(), "{body}");
}
