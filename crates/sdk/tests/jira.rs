//! The Jira facade against a loopback server: pagination families, the
//! concurrent mode, guards, and the Security Information bulk helpers.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use appsec_sdk::jira::Vulnerabilities;
use appsec_sdk::jira::security_info::types::VulnerabilityDetails;
use appsec_sdk::{Error, JiraClient, Paginate, RetryPolicy};
use futures::TryStreamExt;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const LEVELS: &str = "/rest/api/3/issuesecurityschemes/level";

/// An app token: these tests reach Security Information, which refuses basic auth.
fn jira(server: &MockServer) -> JiraClient {
    JiraClient::builder(server.uri())
        .bearer_token("app-token")
        .retry(RetryPolicy::none())
        .build()
        .unwrap()
}

fn query(request: &Request, key: &str) -> Option<i64> {
    request
        .url
        .query_pairs()
        .find(|(k, _)| k == key)
        .and_then(|(_, v)| v.parse().ok())
}

/// A Jira-like listing of `total` levels that never returns more than `cap`
/// per page and can leave out `isLast`/`total`.
struct Levels {
    total: i64,
    cap: i64,
    report_is_last: bool,
    report_total: bool,
    delay: Duration,
}

impl Respond for Levels {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let start = query(request, "startAt").unwrap_or(0);
        let max = query(request, "maxResults").unwrap_or(50).min(self.cap);
        let end = (start + max).min(self.total);
        let values: Vec<Value> = (start..end)
            .map(|i| json!({"id": (10000 + i).to_string(), "name": format!("level {i}")}))
            .collect();
        let mut body = json!({"startAt": start, "maxResults": max, "values": values});
        if self.report_is_last {
            body["isLast"] = json!(end >= self.total);
        }
        if self.report_total {
            body["total"] = json!(self.total);
        }
        ResponseTemplate::new(200)
            .set_body_json(body)
            .set_delay(self.delay)
    }
}

fn names(levels: &[appsec_sdk::jira::issue_security::types::SecurityLevel]) -> Vec<String> {
    levels.iter().filter_map(|l| l.name.clone()).collect()
}

fn expected(total: i64) -> Vec<String> {
    (0..total).map(|i| format!("level {i}")).collect()
}

#[tokio::test]
async fn short_pages_advance_by_what_arrived() {
    let server = MockServer::start().await;
    Mock::given(path(LEVELS))
        .respond_with(Levels {
            total: 23,
            cap: 5,
            report_is_last: true,
            report_total: true,
            delay: Duration::ZERO,
        })
        .mount(&server)
        .await;
    let levels: Vec<_> = jira(&server)
        .issue_security()
        .get_security_levels()
        .scheme_id(vec!["10000".to_string()])
        .paginate()
        .page_size(10)
        .items()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(names(&levels), expected(23));
    let starts: Vec<i64> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| query(r, "startAt").unwrap())
        .collect();
    assert_eq!(starts, [0, 5, 10, 15, 20]);
}

#[tokio::test]
async fn a_missing_is_last_and_total_ends_on_the_empty_page() {
    let server = MockServer::start().await;
    Mock::given(path(LEVELS))
        .respond_with(Levels {
            total: 7,
            cap: 3,
            report_is_last: false,
            report_total: false,
            delay: Duration::ZERO,
        })
        .mount(&server)
        .await;
    let pages: Vec<_> = jira(&server)
        .issue_security()
        .get_security_levels()
        .paginate()
        .page_size(3)
        .pages()
        .try_collect()
        .await
        .unwrap();
    let sizes: Vec<usize> = pages.iter().map(|p| p.items.len()).collect();
    // 3 + 3 + 1, then an empty page ends the listing.
    assert_eq!(sizes, [3, 3, 1, 0]);
}

#[tokio::test]
async fn an_empty_page_that_claims_more_is_an_error_not_a_loop() {
    let server = MockServer::start().await;
    Mock::given(path(LEVELS))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "startAt": 0, "maxResults": 50, "total": 10, "isLast": false, "values": []
        })))
        .mount(&server)
        .await;
    let err = jira(&server)
        .issue_security()
        .get_security_levels()
        .paginate()
        .items()
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Pagination(ref m) if m.contains("contradict")),
        "{err}"
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn concurrent_mode_yields_in_order_exactly_once() {
    let server = MockServer::start().await;
    Mock::given(path(LEVELS))
        .respond_with(Levels {
            total: 203,
            cap: 10,
            report_is_last: true,
            report_total: true,
            delay: Duration::from_millis(20),
        })
        .mount(&server)
        .await;
    let levels: Vec<_> = jira(&server)
        .issue_security()
        .get_security_levels()
        .paginate()
        .page_size(10)
        .concurrency(6)
        .items()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(names(&levels), expected(203));
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 21, "one request per page of 10");
}

#[tokio::test]
async fn concurrent_windows_fill_gaps_left_by_short_pages() {
    let server = MockServer::start().await;
    // The first page returns 10; later pages are capped at 4, so each window
    // of 10 needs three requests.
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = calls.clone();
    Mock::given(path(LEVELS))
        .respond_with(move |request: &Request| {
            let cap = if seen.fetch_add(1, Ordering::SeqCst) == 0 {
                10
            } else {
                4
            };
            Levels {
                total: 35,
                cap,
                report_is_last: true,
                report_total: true,
                delay: Duration::ZERO,
            }
            .respond(request)
        })
        .mount(&server)
        .await;
    let levels: Vec<_> = jira(&server)
        .issue_security()
        .get_security_levels()
        .paginate()
        .page_size(10)
        .concurrency(3)
        .items()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(names(&levels), expected(35));
}

#[tokio::test]
async fn a_listing_that_shrinks_mid_read_ends_where_is_last_says_in_both_modes() {
    for concurrency in [1, 4] {
        let server = MockServer::start().await;
        let calls = Arc::new(AtomicUsize::new(0));
        let seen = calls.clone();
        Mock::given(path(LEVELS))
            .respond_with(move |request: &Request| {
                // The first page says 40 items exist; afterwards only 15 do.
                let total = if seen.fetch_add(1, Ordering::SeqCst) == 0 {
                    40
                } else {
                    15
                };
                Levels {
                    total,
                    cap: 10,
                    report_is_last: true,
                    report_total: true,
                    delay: Duration::ZERO,
                }
                .respond(request)
            })
            .mount(&server)
            .await;
        let levels: Vec<_> = jira(&server)
            .issue_security()
            .get_security_levels()
            .paginate()
            .page_size(10)
            .concurrency(concurrency)
            .items()
            .try_collect()
            .await
            .unwrap();
        assert_eq!(names(&levels), expected(15), "concurrency {concurrency}");
    }
}

#[tokio::test]
async fn every_paginated_family_is_reachable() {
    let server = MockServer::start().await;
    let page = |values: Value| {
        ResponseTemplate::new(200).set_body_json(json!({
            "startAt": 0, "maxResults": 50, "total": 1, "isLast": true, "values": values
        }))
    };
    let member = json!({"id": "1", "issueSecurityLevelId": "10021", "issueSecuritySchemeId": "10000",
                        "holder": {"type": "group", "parameter": "security"}});
    Mock::given(path("/rest/api/3/issuesecurityschemes/level/member"))
        .respond_with(page(json!([member])))
        .mount(&server)
        .await;
    Mock::given(path("/rest/api/3/issuesecurityschemes/10000/members"))
        .respond_with(page(
            json!([{"id": 1, "issueSecurityLevelId": 10021, "holder": {"type": "reporter"}}]),
        ))
        .mount(&server)
        .await;
    Mock::given(path("/rest/api/3/issuesecurityschemes/search"))
        .respond_with(page(
            json!([{"id": 10000, "name": "Default", "self": "https://x/10000"}]),
        ))
        .mount(&server)
        .await;
    Mock::given(path("/rest/api/3/issuesecurityschemes/project"))
        .respond_with(page(
            json!([{"issueSecuritySchemeId": "10000", "projectId": "10010"}]),
        ))
        .mount(&server)
        .await;
    let jira = jira(&server);
    assert_eq!(
        jira.issue_security()
            .get_security_level_members()
            .paginate()
            .items()
            .try_collect::<Vec<_>>()
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        jira.issue_security()
            .get_issue_security_level_members()
            .issue_security_scheme_id(10000)
            .paginate()
            .items()
            .try_collect::<Vec<_>>()
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        jira.issue_security()
            .search_security_schemes()
            .paginate()
            .items()
            .try_collect::<Vec<_>>()
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        jira.issue_security()
            .search_projects_using_security_schemes()
            .paginate()
            .items()
            .try_collect::<Vec<_>>()
            .await
            .unwrap()
            .len(),
        1
    );
}

fn vulnerability(i: usize) -> VulnerabilityDetails {
    serde_json::from_value(json!({
        "schemaVersion": "1.0",
        "id": format!("finding-{i}"),
        "updateSequenceNumber": 1,
        "containerId": "org-1",
        "displayName": format!("Finding {i}"),
        "description": "Found by a scan.",
        "url": format!("https://scanner.example.com/findings/{i}"),
        "type": "sast",
        "introducedDate": "2026-11-01T10:00:00Z",
        "lastUpdated": "2026-11-20T08:30:00Z",
        "severity": {"level": "high"},
        "identifiers": [],
        "status": "open"
    }))
    .unwrap()
}

/// Accepts every vulnerability except ids divisible by 7, which it fails;
/// the third request is rejected as a whole.
struct BulkEndpoint {
    calls: AtomicUsize,
}

impl Respond for BulkEndpoint {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        if self.calls.fetch_add(1, Ordering::SeqCst) == 2 {
            return ResponseTemplate::new(400)
                .set_body_json(json!([{"message": "payload rejected", "errorTraceId": "t-3"}]));
        }
        let body: Value = serde_json::from_slice(&request.body).unwrap();
        let mut accepted = Vec::new();
        let mut failed = serde_json::Map::new();
        for v in body["vulnerabilities"].as_array().unwrap() {
            let id = v["id"].as_str().unwrap().to_string();
            let n: usize = id.trim_start_matches("finding-").parse().unwrap();
            if n.is_multiple_of(7) {
                failed.insert(id, json!([{"message": "containerId is not linked"}]));
            } else {
                accepted.push(id);
            }
        }
        ResponseTemplate::new(202).set_body_json(json!({
            "acceptedVulnerabilities": accepted,
            "failedVulnerabilities": failed,
            "unknownAssociations": []
        }))
    }
}

#[tokio::test]
async fn bulk_submit_splits_merges_and_hides_no_failure() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/rest/security/1.0/bulk"))
        .respond_with(BulkEndpoint {
            calls: AtomicUsize::new(0),
        })
        .mount(&server)
        .await;
    let batch = Vulnerabilities::new((0..2500).map(vulnerability).collect())
        .property("source", "qwiet")
        .provider("Qwiet");
    let report = jira(&server).submit_vulnerabilities(batch).await.unwrap();

    let requests = server.received_requests().await.unwrap();
    let sizes: Vec<usize> = requests
        .iter()
        .map(|r| {
            serde_json::from_slice::<Value>(&r.body).unwrap()["vulnerabilities"]
                .as_array()
                .unwrap()
                .len()
        })
        .collect();
    assert_eq!(sizes, [1000, 1000, 500]);
    let first: Value = serde_json::from_slice(&requests[0].body).unwrap();
    assert_eq!(first["properties"], json!({"source": "qwiet"}));
    assert_eq!(first["providerMetadata"], json!({"product": "Qwiet"}));

    assert_eq!(report.requests, 3);
    // Every id is accounted for exactly once.
    assert_eq!(report.accepted.len() + report.failed.len(), 2500);
    let rejected_by_rule = (0..2000_usize).filter(|n| n.is_multiple_of(7)).count();
    assert_eq!(report.accepted.len(), 2000 - rejected_by_rule);
    assert_eq!(
        report.failed["finding-7"][0].message,
        "containerId is not linked"
    );
    assert!(
        report.failed["finding-2100"][0]
            .message
            .contains("payload rejected")
    );
    assert!(!report.all_accepted());
}

#[tokio::test]
async fn invalid_batches_send_nothing() {
    let server = MockServer::start().await;
    let jira = jira(&server);
    let too_many = (0..6).fold(Vulnerabilities::new(vec![vulnerability(1)]), |b, i| {
        b.property(format!("k{i}"), "v")
    });
    let cases = [
        Vulnerabilities::new(vec![vulnerability(1)]).property("a:b", "v"),
        Vulnerabilities::new(vec![vulnerability(1)]).property("_private", "v"),
        Vulnerabilities::new(vec![vulnerability(1)]).property("k", "x".repeat(256)),
        Vulnerabilities::new(vec![vulnerability(1), vulnerability(1)]),
        too_many,
    ];
    for batch in cases {
        let err = jira.submit_vulnerabilities(batch).await.unwrap_err();
        assert!(matches!(err, Error::InvalidInput(_)), "{err}");
    }
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn workspaces_go_in_chunks_of_100() {
    let server = MockServer::start().await;
    Mock::given(path("/rest/security/1.0/linkedWorkspaces/bulk"))
        .respond_with(ResponseTemplate::new(202))
        .mount(&server)
        .await;
    let ids: Vec<String> = (0..250).map(|i| format!("ws-{i}")).collect();
    let jira = jira(&server);
    assert_eq!(jira.link_workspaces(ids.clone()).await.unwrap(), 3);
    assert_eq!(jira.unlink_workspaces(ids).await.unwrap(), 3);
    let requests = server.received_requests().await.unwrap();
    let posted: Vec<usize> = requests
        .iter()
        .filter(|r| r.method == "POST")
        .map(|r| {
            serde_json::from_slice::<Value>(&r.body).unwrap()["workspaceIds"]
                .as_array()
                .unwrap()
                .len()
        })
        .collect();
    assert_eq!(posted, [100, 100, 50]);
    let deleted: Vec<usize> = requests
        .iter()
        .filter(|r| r.method == "DELETE")
        .map(|r| {
            r.url
                .query()
                .unwrap()
                .trim_start_matches("workspaceIds=")
                .split(',')
                .count()
        })
        .collect();
    assert_eq!(deleted, [100, 100, 50]);
}

#[tokio::test]
async fn delete_by_any_property_keys() {
    let server = MockServer::start().await;
    Mock::given(method("DELETE"))
        .and(path("/rest/security/1.0/bulkByProperties"))
        .respond_with(ResponseTemplate::new(202))
        .mount(&server)
        .await;
    jira(&server)
        .delete_vulnerabilities_by_properties([("scanner", "qwiet"), ("org", "org 1")])
        .await
        .unwrap();
    let request = &server.received_requests().await.unwrap()[0];
    let mut pairs: Vec<(String, String)> = request.url.query_pairs().into_owned().collect();
    pairs.sort();
    assert_eq!(
        pairs,
        [
            ("org".to_string(), "org 1".to_string()),
            ("scanner".to_string(), "qwiet".to_string())
        ]
    );
}

#[tokio::test]
async fn asynchronous_operations_return_the_task_from_a_303() {
    let server = MockServer::start().await;
    let task = json!({
        "id": "10250", "status": "ENQUEUED", "progress": 0, "elapsedRuntime": 0,
        "submitted": 1_700_000_000_000_i64, "submittedBy": 10000, "lastUpdate": 1_700_000_000_000_i64,
        "self": "https://example.atlassian.net/rest/api/3/task/10250", "message": "queued"
    });
    Mock::given(method("DELETE"))
        .and(path("/rest/api/3/issuesecurityschemes/10000/level/10021"))
        .respond_with(
            ResponseTemplate::new(303)
                .insert_header(
                    "location",
                    "https://example.atlassian.net/rest/api/3/task/10250",
                )
                .set_body_json(&task),
        )
        .expect(1)
        .mount(&server)
        .await;
    let progress = jira(&server)
        .remove_level("10000", "10021", Some("10022"))
        .await
        .unwrap();
    assert_eq!(progress.id, "10250");
    assert_eq!(progress.status.to_string(), "ENQUEUED");
    let request = &server.received_requests().await.unwrap()[0];
    assert_eq!(request.url.query(), Some("replaceWith=10022"));
}
