//! The generated layer as a user meets it through the facade, against a
//! loopback server: responses from a service that moved on still decode,
//! errors carry what the service said (bounded), redirect-only operations
//! give their `Location`, and asynchronous Jira tasks can be awaited.

use std::time::Duration;

use appsec_sdk::jira::TaskWait;
use appsec_sdk::jira::issue_security::types::TaskProgressBeanObjectStatus;
use appsec_sdk::qwiet::api::types::Severity;
use appsec_sdk::{Error, JiraClient, Paginate, QwietClient, RetryPolicy, SendExt};
use futures::TryStreamExt;
use serde_json::{Value, json};
use uuid::Uuid;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const ORG: &str = "3fd2c5a8-6e1b-4f7d-9c2a-8b1e0d4f6a57";

fn org() -> Uuid {
    ORG.parse().unwrap()
}

fn qwiet(server: &MockServer) -> QwietClient {
    QwietClient::builder()
        .base_url(format!("{}/api/v4", server.uri()))
        .bearer_token("qwiet-token")
        .retry(RetryPolicy::none())
        .build()
        .unwrap()
}

fn jira(server: &MockServer) -> JiraClient {
    JiraClient::builder(server.uri())
        .basic_auth("me@example.com", "jira-token")
        .retry(RetryPolicy::none())
        .build()
        .unwrap()
}

fn finding(id: &str, severity: &str) -> Value {
    json!({
        "id": id, "app": "demo", "type": "vuln", "title": "t", "severity": severity,
        "internal_id": format!("demo/{id}"), "description": "d", "owasp_category": "a03",
        "version_first_seen": "1",
        "status": "unset", "category": "SQL Injection",
        // A field no spec lists yet.
        "exploitability_score": 0.97,
        "tags": [{"key": "cwe_category", "value": "89"}]
    })
}

#[tokio::test]
async fn values_and_fields_the_spec_does_not_list_decode_and_stream() {
    let server = MockServer::start().await;
    let page = json!({"ok": true, "response": {
        "findings": [finding("1", "critical"), finding("2", "info"), finding("3", "low")],
        "counts": [], "has_more": false
    }});
    Mock::given(method("GET"))
        .and(path(format!("/api/v4/orgs/{ORG}/findings")))
        .respond_with(ResponseTemplate::new(200).set_body_json(page))
        .mount(&server)
        .await;

    let findings: Vec<_> = qwiet(&server)
        .api()
        .list_org_findings()
        .org_id(org())
        .paginate()
        .items()
        .try_collect()
        .await
        .expect("an unknown severity does not end the stream");
    let severities: Vec<_> = findings.iter().map(|f| f.severity.clone()).collect();
    assert_eq!(
        severities,
        [
            Some(Severity::Critical),
            Some(Severity::Other("info".into())),
            Some(Severity::Low)
        ]
    );
    // The unknown value is readable and goes back on the wire unchanged.
    let info = findings[1].severity.as_ref().unwrap();
    assert_eq!(info.as_str(), "info");
    assert_eq!(serde_json::to_value(info).unwrap(), json!("info"));
    assert_eq!("info".parse::<Severity>().unwrap(), *info);
    assert_eq!(Severity::from("critical"), Severity::Critical);
}

#[tokio::test]
async fn an_unknown_holder_type_and_extra_fields_decode() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/rest/api/3/issuesecurityschemes/level/member"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "startAt": 0, "maxResults": 50, "total": 2, "isLast": true,
            "values": [
                {"id": "1", "issueSecurityLevelId": "10", "issueSecuritySchemeId": "100",
                 "holder": {"type": "group", "value": "g-1"}},
                {"id": "2", "issueSecurityLevelId": "10", "issueSecuritySchemeId": "100",
                 "holder": {"type": "appRole", "value": "r-7", "since": "2026"},
                 "managedBy": "policy-engine"}
            ]
        })))
        .mount(&server)
        .await;
    let members: Vec<_> = jira(&server)
        .issue_security()
        .get_security_level_members()
        .paginate()
        .items()
        .try_collect()
        .await
        .expect("unknown holder types and fields decode");
    assert_eq!(members.len(), 2);
    assert_eq!(members[1].holder.type_, "appRole");
}

#[tokio::test]
async fn error_helpers_read_the_response() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/rest/api/3/issuesecurityschemes/404"))
        .respond_with(
            ResponseTemplate::new(404)
                .insert_header("x-arequestid", "req-9f2")
                .set_body_json(
                    json!({"errorMessages": ["Scheme 404 does not exist."], "errors": {}}),
                ),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/rest/api/3/issuesecurityschemes/429"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "7"))
        .mount(&server)
        .await;
    let jira = jira(&server);
    let get = |id: i64| {
        jira.issue_security()
            .get_issue_security_scheme()
            .id(id)
            .send()
            .value()
    };

    let missing = get(404).await.unwrap_err();
    assert!(missing.is_not_found());
    assert!(!missing.is_retryable());
    assert_eq!(missing.request_id(), Some("req-9f2"));
    assert_eq!(missing.status().map(|s| s.as_u16()), Some(404));
    assert_eq!(
        missing.to_string(),
        "the service answered 404 Not Found: Scheme 404 does not exist."
    );

    let limited = get(429).await.unwrap_err();
    assert!(limited.is_retryable());
    assert!(!limited.is_not_found());
    let wait = limited.retry_after().expect("Retry-After is read");
    assert_eq!(wait, Duration::from_secs(7));
    assert_eq!(limited.request_id(), None);
}

#[tokio::test]
async fn a_huge_error_body_becomes_a_short_error() {
    let server = MockServer::start().await;
    let huge = "x".repeat(10 * 1024 * 1024);
    Mock::given(method("GET"))
        .and(path(format!("/api/v4/orgs/{ORG}/apps")))
        .respond_with(ResponseTemplate::new(500).set_body_json(json!({
            "ok": false, "code": "INTERNAL", "message": huge,
            "validation_errors": vec![huge.clone(); 3]
        })))
        .mount(&server)
        .await;
    let err = qwiet(&server)
        .api()
        .list_apps()
        .org_id(org())
        .send()
        .value()
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(text.len() < 8 * 1024, "{} bytes", text.len());
    assert!(format!("{err:?}").len() < 16 * 1024);
    assert_eq!(err.status().map(|s| s.as_u16()), Some(500));
}

#[tokio::test]
async fn redirect_only_operations_return_their_location() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/api/v4/slack/authorize/orgs/{ORG}")))
        .respond_with(
            ResponseTemplate::new(302)
                .insert_header("location", "https://slack.com/oauth/v2/authorize?state=s1"),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v4/azureboard/callback"))
        .respond_with(
            ResponseTemplate::new(302).insert_header("location", "/settings/integrations"),
        )
        .mount(&server)
        .await;
    let qwiet = qwiet(&server);
    let consent = qwiet
        .api()
        .authorize_slack()
        .org_id(org())
        .send()
        .location()
        .await
        .expect("the 302 is the answer");
    assert_eq!(
        consent.as_str(),
        "https://slack.com/oauth/v2/authorize?state=s1"
    );
    // A relative Location resolves against the request.
    let back = qwiet
        .api()
        .azure_callback()
        .send()
        .location()
        .await
        .unwrap();
    assert_eq!(
        back.as_str(),
        format!("{}/settings/integrations", server.uri())
    );
}

fn task(status: &str) -> Value {
    json!({
        "self": "https://site.example/rest/api/3/task/77", "id": "77", "status": status,
        "progress": 50, "elapsedRuntime": 12, "submitted": 1, "submittedBy": 10000, "lastUpdate": 2,
        "message": "remapping issues"
    })
}

async fn task_server(statuses: &[&str]) -> MockServer {
    let server = MockServer::start().await;
    for (i, status) in statuses.iter().enumerate() {
        let mock = Mock::given(method("GET"))
            .and(path("/rest/api/3/task/77"))
            .respond_with(ResponseTemplate::new(200).set_body_json(task(status)));
        let mock = if i + 1 < statuses.len() {
            mock.up_to_n_times(1)
        } else {
            mock
        };
        mock.mount(&server).await;
    }
    server
}

fn quick() -> TaskWait {
    TaskWait::default().intervals(Duration::from_millis(5), Duration::from_millis(20))
}

#[tokio::test]
async fn waiting_for_a_task_polls_until_it_completes() {
    let server = task_server(&["RUNNING", "SOMETHING_NEW", "COMPLETE"]).await;
    let jira = jira(&server);
    let started = jira.task("77").await.unwrap();
    assert_eq!(started.status, TaskProgressBeanObjectStatus::Running);
    let done = jira.wait_for_task(&started, quick()).await.unwrap();
    assert_eq!(done.status, TaskProgressBeanObjectStatus::Complete);
    let polls = server.received_requests().await.unwrap().len();
    assert_eq!(polls, 3, "one read, then a poll per status until COMPLETE");
}

#[tokio::test]
async fn a_task_that_fails_or_outlasts_the_timeout_is_an_error() {
    let server = task_server(&["RUNNING", "FAILED"]).await;
    let jira = jira(&server);
    let started = jira.task("77").await.unwrap();
    let err = jira.wait_for_task(&started, quick()).await.unwrap_err();
    assert!(
        matches!(&err, Error::TaskEnded { status, .. } if status == "FAILED"),
        "{err:?}"
    );
    assert_eq!(err.to_string(), "task 77 ended FAILED: remapping issues");

    let server = task_server(&["RUNNING"]).await;
    let jira_slow = self::jira(&server);
    let err = jira_slow
        .wait_for_task(&started, quick().timeout(Duration::from_millis(60)))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Timeout(_)), "{err:?}");
}

#[tokio::test]
async fn cancelling_a_task_posts_once() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/rest/api/3/task/77/cancel"))
        .respond_with(ResponseTemplate::new(202).set_body_json(json!({})))
        .expect(1)
        .mount(&server)
        .await;
    jira(&server).cancel_task("77").await.unwrap();
}

/// The runtime finds every operation of each generated client in that
/// client's table: the generator writes the tables in the order the
/// lookup searches, and a request whose operation is not found is refused.
#[test]
fn every_generated_operation_is_found_in_its_table() {
    use appsec_sdk::jira::{issue_security, security_info};
    let tables = [
        &issue_security::OPERATIONS,
        &security_info::OPERATIONS,
        &appsec_sdk::qwiet::api::OPERATIONS,
    ];
    for table in tables {
        assert!(table.iter().count() > 5);
        for op in table.iter() {
            assert_eq!(table.get(op.id), Some(op), "{}", op.id);
        }
        assert_eq!(table.get("not_an_operation"), None);
    }
}
