//! Hostile and broken responses (issue 8, part 3): each one ends in a typed
//! `appsec_sdk::Error`, never a panic, a hang or a request to another host.
//!
//! The fixed cases run against wiremock; the property tests feed arbitrary
//! error bodies to the SDK's error decoder (fast, thousands of cases) and,
//! fewer, arbitrary pages and bulk answers through the facade over HTTP.

mod common;

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use appsec_sdk::jira::{ListedAs, NOT_REPORTED, ServiceAnomaly, SubmitReport, Vulnerabilities};
use appsec_sdk::paginate::Page;
use appsec_sdk::{
    ApiErrorBody, Error, ErrorFormat, ErrorMessage, JiraClient, Paginate, QwietClient, RetryPolicy,
};
use futures::future::BoxFuture;
use futures::{StreamExt, TryStreamExt};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Value, json};
use uuid::Uuid;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const ORG: &str = "3fd2c5a8-6e1b-4f7d-9c2a-8b1e0d4f6a57";
const MEMBERS: &str = "/rest/api/3/issuesecurityschemes/level/member";
const TOKEN: &str = "hostile-suite-token-61c2";
/// An error renders in well under this many bytes, whatever the body was.
const RENDERED_LIMIT: usize = 8 * 1024;

fn org() -> Uuid {
    ORG.parse().unwrap()
}

fn findings_path() -> String {
    format!("/api/v4/orgs/{ORG}/findings")
}

fn jira(server: &MockServer) -> JiraClient {
    JiraClient::builder(server.uri())
        .bearer_token(TOKEN)
        .retry(RetryPolicy::none())
        .build()
        .unwrap()
}

fn qwiet(server: &MockServer) -> QwietClient {
    QwietClient::builder()
        .base_url(format!("{}/api/v4", server.uri()))
        .bearer_token(TOKEN)
        .retry(RetryPolicy::none())
        .build()
        .unwrap()
}

async fn sent(server: &MockServer) -> usize {
    server.received_requests().await.unwrap().len()
}

fn member(i: i64) -> Value {
    json!({
        "id": (10_000 + i).to_string(),
        "issueSecurityLevelId": "10021",
        "issueSecuritySchemeId": "10000",
        "holder": {"type": "group", "parameter": format!("group-{i}")}
    })
}

fn member_page(start: i64, ids: impl IntoIterator<Item = i64>, total: Option<i64>) -> Value {
    let values: Vec<Value> = ids.into_iter().map(member).collect();
    let mut page = json!({"startAt": start, "maxResults": 50, "values": values});
    if let Some(total) = total {
        page["total"] = json!(total);
        page["isLast"] = json!(start + page["values"].as_array().unwrap().len() as i64 >= total);
    }
    page
}

fn finding(id: &str) -> Value {
    json!({
        "id": id,
        "app": "shiftleft-java-demo",
        "type": "vuln",
        "internal_id": format!("io.shiftleft.java-demo/{id}"),
        "title": "SQL Injection",
        "severity": "critical",
        "status": "unset"
    })
}

fn findings_page(ids: &[&str], next_page: Option<String>) -> Value {
    let mut body = json!({
        "ok": true,
        "response": {"findings": ids.iter().map(|i| finding(i)).collect::<Vec<_>>(), "has_more": next_page.is_some()}
    });
    if let Some(link) = next_page {
        body["next_page"] = json!(link);
    }
    body
}

/// The first page of Jira members, or its error.
async fn jira_first_page(server: &MockServer) -> Result<Vec<String>, Error> {
    first_member_page(&jira(server)).await
}

async fn first_member_page(jira: &JiraClient) -> Result<Vec<String>, Error> {
    let page = jira
        .issue_security()
        .get_security_level_members()
        .paginate()
        .pages()
        .next()
        .await
        .expect("a stream yields its first page or an error")?;
    Ok(page.items.into_iter().map(|m| m.id).collect())
}

/// The first page of Qwiet findings, or its error.
async fn qwiet_first_page(server: &MockServer) -> Result<Vec<String>, Error> {
    first_finding_page(&qwiet(server)).await
}

async fn first_finding_page(qwiet: &QwietClient) -> Result<Vec<String>, Error> {
    let page = qwiet
        .api()
        .list_org_findings()
        .org_id(org())
        .paginate()
        .pages()
        .next()
        .await
        .expect("a stream yields its first page or an error")?;
    Ok(page.items.into_iter().map(|f| f.id).collect())
}

/// Renders the error both ways; neither may be huge or hold the token.
fn rendered(err: &Error) -> String {
    let text = format!("{err}\n{err:?}");
    assert!(
        text.len() < RENDERED_LIMIT,
        "an error renders in {} bytes",
        text.len()
    );
    assert!(!text.contains(TOKEN), "{text}");
    text
}

fn expect_decode(result: Result<Vec<String>, Error>, what: &str) -> (Option<String>, String) {
    match result {
        Err(
            ref err @ Error::Decode {
                ref path,
                ref snippet,
                ..
            },
        ) => {
            rendered(err);
            assert!(snippet.chars().count() <= 1025, "{what}: snippet too long");
            (path.clone(), snippet.clone())
        }
        other => panic!("{what}: expected Error::Decode, got {other:?}"),
    }
}

async fn serve(server: &MockServer, at: &str, response: ResponseTemplate) {
    Mock::given(method("GET"))
        .and(path(at))
        .respond_with(response)
        .mount(server)
        .await;
}

// ------------------------------------------------------------ broken bodies

#[tokio::test]
async fn truncated_json_is_a_decode_error() {
    let jira_body = serde_json::to_string(&member_page(0, 0..3, Some(3))).unwrap();
    let qwiet_body = serde_json::to_string(&findings_page(&["f1", "f2"], None)).unwrap();
    for cut in [1, 10, jira_body.len() / 2, jira_body.len() - 1] {
        let server = MockServer::start().await;
        let body = jira_body[..cut].to_string();
        serve(
            &server,
            MEMBERS,
            ResponseTemplate::new(200).set_body_raw(body.clone(), "application/json"),
        )
        .await;
        let (_, snippet) = expect_decode(jira_first_page(&server).await, "truncated Jira page");
        assert_eq!(snippet, body);
    }
    for cut in [1, qwiet_body.len() / 2, qwiet_body.len() - 1] {
        let server = MockServer::start().await;
        let body = qwiet_body[..cut].to_string();
        serve(
            &server,
            &findings_path(),
            ResponseTemplate::new(200).set_body_raw(body, "application/json"),
        )
        .await;
        expect_decode(qwiet_first_page(&server).await, "truncated Qwiet page");
    }
}

#[tokio::test]
async fn wrong_field_types_are_decode_errors_naming_the_field() {
    let cases: [(Value, &str); 5] = [
        (
            json!({"startAt": 0, "total": "many", "values": []}),
            "total",
        ),
        (
            json!({"startAt": 0, "isLast": "no", "values": []}),
            "isLast",
        ),
        (json!({"startAt": 0, "values": {"0": member(0)}}), "values"),
        (
            json!({"startAt": 0, "values": [member(0), {"id": 7, "issueSecurityLevelId": "1", "issueSecuritySchemeId": "1", "holder": {"type": "group"}}]}),
            "values[1].id",
        ),
        (
            json!({"startAt": 0, "values": [{"id": "1", "issueSecurityLevelId": "1", "issueSecuritySchemeId": "1", "holder": ["group"]}]}),
            "values[0].holder",
        ),
    ];
    for (body, field) in cases {
        let server = MockServer::start().await;
        serve(
            &server,
            MEMBERS,
            ResponseTemplate::new(200).set_body_json(body),
        )
        .await;
        let (path, _) = expect_decode(jira_first_page(&server).await, field);
        assert_eq!(path.as_deref(), Some(field));
    }
    let qwiet_cases: [(Value, &str); 3] = [
        (json!({"ok": "yes", "response": {}}), "ok"),
        (
            json!({"ok": true, "response": {"has_more": 1}}),
            "response.has_more",
        ),
        (
            json!({"ok": true, "response": {"findings": [finding("f1"), {"id": "f2", "app": 5}]}}),
            "response.findings[1].app",
        ),
    ];
    for (body, field) in qwiet_cases {
        let server = MockServer::start().await;
        serve(
            &server,
            &findings_path(),
            ResponseTemplate::new(200).set_body_json(body),
        )
        .await;
        let (path, _) = expect_decode(qwiet_first_page(&server).await, field);
        assert_eq!(path.as_deref(), Some(field));
    }
}

#[tokio::test]
async fn an_html_error_page_with_status_200_is_a_decode_error() {
    let html = "<!DOCTYPE html><html><head><title>Atlassian - Maintenance</title></head>\
                <body><h1>We'll be back soon</h1></body></html>";
    let server = MockServer::start().await;
    serve(
        &server,
        MEMBERS,
        ResponseTemplate::new(200).set_body_raw(html, "text/html"),
    )
    .await;
    serve(
        &server,
        &findings_path(),
        ResponseTemplate::new(200).set_body_raw(html, "text/html"),
    )
    .await;
    let (_, snippet) = expect_decode(jira_first_page(&server).await, "Jira HTML");
    assert!(snippet.starts_with("<!DOCTYPE html>"));
    let (_, snippet) = expect_decode(qwiet_first_page(&server).await, "Qwiet HTML");
    assert!(snippet.contains("We'll be back soon"));
}

#[tokio::test]
async fn an_empty_body_where_json_is_expected_is_a_decode_error() {
    for status in [200, 201, 204] {
        let server = MockServer::start().await;
        serve(&server, MEMBERS, ResponseTemplate::new(status)).await;
        serve(&server, &findings_path(), ResponseTemplate::new(status)).await;
        let (_, snippet) = expect_decode(jira_first_page(&server).await, "empty Jira body");
        assert_eq!(snippet, "");
        expect_decode(qwiet_first_page(&server).await, "empty Qwiet body");
        // Whitespace only is no better.
        let server = MockServer::start().await;
        serve(
            &server,
            MEMBERS,
            ResponseTemplate::new(status).set_body_string(" \n\t "),
        )
        .await;
        expect_decode(jira_first_page(&server).await, "blank Jira body");
    }
}

#[tokio::test]
async fn json_nested_past_the_recursion_limit_is_a_decode_error_not_a_stack_overflow() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let server = MockServer::start().await;
    serve(
        &server,
        MEMBERS,
        ResponseTemplate::new(200).set_body_raw(deep.clone(), "application/json"),
    )
    .await;
    serve(
        &server,
        &findings_path(),
        ResponseTemplate::new(200).set_body_raw(
            format!("{{\"ok\":true,\"response\":{deep}}}"),
            "application/json",
        ),
    )
    .await;
    expect_decode(jira_first_page(&server).await, "deep Jira body");
    expect_decode(qwiet_first_page(&server).await, "deep Qwiet body");
}

#[tokio::test]
async fn a_10_mb_body_ends_in_a_small_typed_error() {
    const TEN_MB: usize = 10 * 1024 * 1024;
    let server = MockServer::start().await;
    // A page that is not JSON at all, 10 MB long.
    let junk = "A".repeat(TEN_MB);
    serve(
        &server,
        MEMBERS,
        ResponseTemplate::new(200).set_body_raw(junk, "application/json"),
    )
    .await;
    // A JSON page whose one finding has a 10 MB field of the wrong type.
    let mut big = findings_page(&["f1"], None);
    big["response"]["findings"][0]["app"] = json!(vec![1; TEN_MB / 2]);
    serve(
        &server,
        &findings_path(),
        ResponseTemplate::new(200).set_body_json(big),
    )
    .await;
    // A 10 MB HTML error page.
    let html = format!("<html>{}</html>", "<p>error</p>".repeat(TEN_MB / 12));
    serve(
        &server,
        "/rest/api/3/issuesecurityschemes",
        ResponseTemplate::new(500).set_body_raw(html, "text/html"),
    )
    .await;

    let (_, snippet) = expect_decode(jira_first_page(&server).await, "10 MB junk");
    assert!(snippet.ends_with('…'));
    let (path, _) = expect_decode(qwiet_first_page(&server).await, "10 MB field");
    assert_eq!(path.as_deref(), Some("response.findings[0].app"));

    use appsec_sdk::SendExt;
    let err = jira(&server)
        .issue_security()
        .get_issue_security_schemes()
        .send()
        .value()
        .await
        .unwrap_err();
    rendered(&err);
    let Error::Api(api) = &err else {
        panic!("expected Error::Api, got {err:?}");
    };
    assert_eq!(api.status, 500);
    let ApiErrorBody::Other(text) = &api.body else {
        panic!("expected the body as text, got {:?}", api.body);
    };
    assert!(text.len() <= 1024 + '…'.len_utf8(), "{}", text.len());
}

#[tokio::test]
async fn a_valid_10_mb_page_decodes() {
    // Large but well-formed: no size limit gets in the way.
    let mut page = findings_page(&["f1", "f2"], None);
    page["response"]["findings"][0]["description"] = json!("d".repeat(10 * 1024 * 1024));
    let server = MockServer::start().await;
    serve(
        &server,
        &findings_path(),
        ResponseTemplate::new(200).set_body_json(page),
    )
    .await;
    assert_eq!(qwiet_first_page(&server).await.unwrap(), ["f1", "f2"]);
}

#[tokio::test]
async fn a_redirect_to_another_host_is_not_followed() {
    let server = MockServer::start().await;
    let elsewhere = MockServer::start().await;
    serve(
        &elsewhere,
        MEMBERS,
        ResponseTemplate::new(200).set_body_json(member_page(0, 0..1, Some(1))),
    )
    .await;
    for status in [301, 302, 303, 307, 308] {
        server.reset().await;
        let location = format!("{}{MEMBERS}", elsewhere.uri());
        serve(
            &server,
            MEMBERS,
            ResponseTemplate::new(status).insert_header("location", location.as_str()),
        )
        .await;
        expect_decode(jira_first_page(&server).await, "redirect");
    }
    assert_eq!(sent(&elsewhere).await, 0, "a redirect was followed");
}

// ------------------------------------------------------------ listings that change

/// Jira members `0..n`, where `n` becomes `after` from the `switch_at`-th
/// request on (counting from 0); pages are capped at `cap` items.
struct Changing {
    before: i64,
    after: i64,
    switch_at: usize,
    cap: i64,
    calls: AtomicUsize,
}

impl Changing {
    fn new(before: i64, after: i64, switch_at: usize) -> Self {
        Self {
            before,
            after,
            switch_at,
            cap: 10,
            calls: AtomicUsize::new(0),
        }
    }
}

fn param(request: &Request, key: &str) -> Option<i64> {
    request
        .url
        .query_pairs()
        .find(|(k, _)| k == key)
        .and_then(|(_, v)| v.parse().ok())
}

impl Respond for Changing {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let call = self.calls.fetch_add(1, Ordering::SeqCst);
        let total = if call < self.switch_at {
            self.before
        } else {
            self.after
        };
        let start = param(request, "startAt").unwrap_or(0);
        let max = param(request, "maxResults").unwrap_or(50).min(self.cap);
        let end = (start + max).min(total);
        ResponseTemplate::new(200).set_body_json(member_page(
            start,
            start..end.max(start),
            Some(total),
        ))
    }
}

async fn list_changing(listing: Changing, concurrency: usize) -> (Vec<i64>, Option<Error>) {
    let server = MockServer::start().await;
    Mock::given(path(MEMBERS))
        .respond_with(listing)
        .mount(&server)
        .await;
    let jira = jira(&server);
    let mut stream = jira
        .issue_security()
        .get_security_level_members()
        .paginate()
        .page_size(10)
        .concurrency(concurrency)
        .items();
    let mut ids = Vec::new();
    while let Some(item) = tokio::time::timeout(Duration::from_secs(10), stream.next())
        .await
        .expect("the listing does not hang")
    {
        match item {
            Ok(m) => ids.push(m.id.parse::<i64>().unwrap() - 10_000),
            Err(e) => return (ids, Some(e)),
        }
    }
    (ids, None)
}

#[tokio::test]
async fn a_listing_that_grows_mid_read() {
    // Paging follows isLast, not the first page's total: the items appended
    // meanwhile are listed too, the same in both modes.
    for concurrency in [1, 4] {
        let (ids, err) = list_changing(Changing::new(100, 150, 3), concurrency).await;
        assert!(err.is_none(), "concurrency {concurrency}: {err:?}");
        assert_eq!(
            ids,
            (0..150).collect::<Vec<_>>(),
            "concurrency {concurrency}"
        );
    }
}

#[tokio::test]
async fn a_listing_that_shrinks_mid_read() {
    for concurrency in [1, 4] {
        // It stops where the listing now ends, as isLast says.
        let (ids, err) = list_changing(Changing::new(100, 60, 3), concurrency).await;
        assert!(err.is_none(), "concurrency {concurrency}: {err:?}");
        assert_eq!(ids, (0..60).collect::<Vec<_>>());
        // Shrunk below what was already read: the first page isLast marks
        // as the last ends it; what was read stays. Requests in flight reach
        // the server in any order, so concurrently the switch may come a
        // page or two earlier.
        let (ids, err) = list_changing(Changing::new(100, 20, 3), concurrency).await;
        assert!(err.is_none(), "concurrency {concurrency}: {err:?}");
        if concurrency == 1 {
            assert_eq!(ids, (0..30).collect::<Vec<_>>());
        } else {
            assert!([10, 20, 30].contains(&ids.len()), "{ids:?}");
            assert_eq!(ids, (0..ids.len() as i64).collect::<Vec<_>>());
        }
    }
}

#[tokio::test]
async fn absurd_totals_end_or_fail_without_hanging() {
    for (total, concurrency) in [(-5, 1), (-5, 4), (i64::MAX, 1), (0, 4)] {
        let server = MockServer::start().await;
        // Always the same 3 real items, whatever is asked, with the absurd total.
        Mock::given(path(MEMBERS))
            .respond_with(move |request: &Request| {
                let start = param(request, "startAt").unwrap_or(0);
                let items = if start < 3 { start..3 } else { 0..0 };
                ResponseTemplate::new(200).set_body_json(json!({
                    "startAt": start, "total": total, "values": items.map(member).collect::<Vec<_>>()
                }))
            })
            .mount(&server)
            .await;
        let results: Vec<_> = tokio::time::timeout(
            Duration::from_secs(10),
            jira(&server)
                .issue_security()
                .get_security_level_members()
                .paginate()
                .concurrency(concurrency)
                .pages()
                .collect::<Vec<Result<Page<_>, Error>>>(),
        )
        .await
        .expect("the listing does not hang");
        let items: usize = results.iter().flatten().map(|p| p.items.len()).sum();
        assert!(items <= 3, "total {total}: {items} items");
        assert_ends_at_first_error(&results, &format!("total {total}"));
    }
}

/// At most one error, and nothing after it.
fn assert_ends_at_first_error<T: std::fmt::Debug>(results: &[Result<T, Error>], what: &str) {
    if let Some(i) = results.iter().position(Result::is_err) {
        assert!(
            matches!(results[i], Err(Error::Pagination(_))),
            "{what}: {:?}",
            results[i]
        );
        assert_eq!(
            i,
            results.len() - 1,
            "{what}: the stream went on after an error"
        );
    }
}

/// A caller that keeps polling after an error (to log it, say) must get the
/// end of the stream, not more requests: sequential offset listings and
/// cursor listings end at their first error.
#[tokio::test]
async fn a_concurrent_listing_ends_at_its_first_error() {
    // Shrinks from 100 to 60: windows 60, 70, 80 and 90 all come back empty.
    let server = MockServer::start().await;
    Mock::given(path(MEMBERS))
        .respond_with(Changing::new(100, 60, 3))
        .mount(&server)
        .await;
    let results: Vec<_> = tokio::time::timeout(
        Duration::from_secs(10),
        jira(&server)
            .issue_security()
            .get_security_level_members()
            .paginate()
            .page_size(10)
            .concurrency(4)
            .pages()
            .collect::<Vec<_>>(),
    )
    .await
    .expect("the listing does not hang");
    assert_ends_at_first_error(&results, "shrunk listing");

    // 3 real items and a total of i64::MAX: every window after the first is
    // empty, and there are about 3e18 of them.
    let server = MockServer::start().await;
    Mock::given(path(MEMBERS))
        .respond_with(|request: &Request| {
            let start = param(request, "startAt").unwrap_or(0);
            let items = if start < 3 { start..3 } else { 0..0 };
            ResponseTemplate::new(200).set_body_json(json!({
                "startAt": start, "total": i64::MAX, "values": items.map(member).collect::<Vec<_>>()
            }))
        })
        .mount(&server)
        .await;
    let jira = jira(&server);
    let mut pages = jira
        .issue_security()
        .get_security_level_members()
        .paginate()
        .concurrency(4)
        .pages();
    let mut results = Vec::new();
    let ended = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(page) = pages.next().await {
            results.push(page);
        }
    })
    .await;
    assert!(
        ended.is_ok(),
        "still paging after {} results and {} requests",
        results.len(),
        sent(&server).await
    );
    assert_ends_at_first_error(&results, "total i64::MAX");
}

/// A server that ignores `startAt` and answers every request with the first
/// page, saying more follow (`isLast: false`) but not how many.
#[tokio::test]
async fn a_server_that_ignores_start_at_is_a_pagination_error_not_an_endless_listing() {
    let server = MockServer::start().await;
    serve(
        &server,
        MEMBERS,
        ResponseTemplate::new(200).set_body_json(json!({
            "startAt": 0, "maxResults": 50, "isLast": false, "values": (0..50).map(member).collect::<Vec<_>>()
        })),
    )
    .await;
    let jira = jira(&server);
    let mut stream = jira
        .issue_security()
        .get_security_level_members()
        .paginate()
        .items();
    let mut seen = 0usize;
    let outcome = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(item) = stream.next().await {
            match item {
                Ok(_) => seen += 1,
                Err(e) => return Some(e),
            }
            if seen > 10_000 {
                return None;
            }
        }
        None
    })
    .await
    .expect("the listing does not hang");
    assert!(
        matches!(outcome, Some(Error::Pagination(_))),
        "{seen} items (the same 50 again and again), then {outcome:?}"
    );
    assert_eq!(seen, 50, "only the real items arrive");
}

/// Runs a whole listing, catching a panic inside the SDK so that it is
/// reported as such rather than taking the test down with it.
async fn pages_without_panic<T>(
    pages: futures::stream::BoxStream<'_, Result<T, Error>>,
    what: &str,
) -> Result<Vec<Result<T, Error>>, String> {
    use futures::FutureExt;
    let listing = std::panic::AssertUnwindSafe(async move {
        let mut pages = pages;
        let mut results = Vec::new();
        while let Some(page) = pages.next().await {
            results.push(page);
            if results.len() > 100 {
                break;
            }
        }
        results
    })
    .catch_unwind();
    match tokio::time::timeout(Duration::from_secs(10), listing).await {
        Err(_) => Err(format!("{what}: the listing hangs")),
        Ok(Err(_)) => Err(format!("{what}: the SDK panicked")),
        Ok(Ok(results)) => Ok(results),
    }
}

#[tokio::test]
async fn extreme_start_at_and_total_are_typed_errors_not_overflow_panics() {
    let bodies = [
        json!({"startAt": -1, "total": i64::MAX, "isLast": false, "values": []}),
        json!({"startAt": i64::MIN, "total": 1, "isLast": false, "values": []}),
        json!({"startAt": i64::MAX, "values": [member(0)]}),
        json!({"startAt": i64::MAX - 1, "total": i64::MAX, "values": [member(0), member(1)]}),
    ];
    let mut failures = Vec::new();
    for body in bodies {
        for concurrency in [1, 4] {
            let server = MockServer::start().await;
            serve(
                &server,
                MEMBERS,
                ResponseTemplate::new(200).set_body_json(&body),
            )
            .await;
            let jira = jira(&server);
            let pages = jira
                .issue_security()
                .get_security_level_members()
                .paginate()
                .concurrency(concurrency)
                .pages();
            let what = format!("{body} (concurrency {concurrency})");
            match pages_without_panic(pages, &what).await {
                Ok(results) => assert_ends_at_first_error(&results, &what),
                Err(failure) => failures.push(failure),
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn a_next_page_number_at_i64_max_is_a_typed_error_not_an_overflow_panic() {
    let server = MockServer::start().await;
    let last = format!(
        "{}/api/v4/orgs/{ORG}/findings?page={}",
        server.uri(),
        i64::MAX
    );
    Mock::given(path(findings_path()))
        .respond_with(move |request: &Request| {
            let body = if param(request, "page").is_none() {
                findings_page(&["f1"], Some(last.clone()))
            } else {
                // More follow, says the page, but no link to them.
                let mut page = findings_page(&["f2"], None);
                page["response"]["has_more"] = json!(true);
                page
            };
            ResponseTemplate::new(200).set_body_json(body)
        })
        .mount(&server)
        .await;
    let qwiet = qwiet(&server);
    let pages = qwiet
        .api()
        .list_org_findings()
        .org_id(org())
        .paginate()
        .pages();
    let results = pages_without_panic(pages, "page i64::MAX")
        .await
        .unwrap_or_else(|failure| panic!("{failure}"));
    assert_ends_at_first_error(&results, "page i64::MAX");
}

// ------------------------------------------------------------ foreign links

#[tokio::test]
async fn a_next_page_to_another_host_is_never_requested() {
    let server = MockServer::start().await;
    let elsewhere = MockServer::start().await;
    Mock::given(path(findings_path()))
        .respond_with(ResponseTemplate::new(200).set_body_json(findings_page(&["x"], None)))
        .mount(&elsewhere)
        .await;
    let base = server.uri();
    let other = elsewhere.uri();
    let host_port = base.trim_start_matches("http://");
    let query = "?page=2&per_page=2";
    let links = [
        format!("{other}/api/v4/orgs/{ORG}/findings{query}"),
        format!("https://{host_port}/api/v4/orgs/{ORG}/findings{query}"),
        format!(
            "//{}/api/v4/orgs/{ORG}/findings{query}",
            other.trim_start_matches("http://")
        ),
        format!(
            "http://{host_port}@{}/api/v4/orgs/{ORG}/findings{query}",
            other.trim_start_matches("http://")
        ),
        format!("{base}/api/v4/../../internal/orgs/{ORG}/findings{query}"),
        format!("/internal/orgs/{ORG}/findings{query}"),
        // Same origin, a path that only starts with the base path's text.
        format!("{base}/api/v4x/orgs/{ORG}/findings{query}"),
        format!("javascript:alert(1)//{query}"),
        "http://[::1".to_string(),
    ];
    for link in links {
        server.reset().await;
        serve(
            &server,
            &findings_path(),
            ResponseTemplate::new(200)
                .set_body_json(findings_page(&["f1", "f2"], Some(link.clone()))),
        )
        .await;
        let results: Vec<Result<_, Error>> = qwiet(&server)
            .api()
            .list_org_findings()
            .org_id(org())
            .per_page(2)
            .paginate()
            .items()
            .collect()
            .await;
        let ids: Vec<&str> = results.iter().flatten().map(|f| f.id.as_str()).collect();
        assert_eq!(
            ids,
            ["f1", "f2"],
            "{link}: the page that carried it still arrives"
        );
        let last = results.last().unwrap();
        assert!(
            matches!(last, Err(Error::Pagination(_))),
            "{link}: {last:?}"
        );
        rendered(last.as_ref().unwrap_err());
        assert_eq!(sent(&server).await, 1, "{link}");
    }
    assert_eq!(sent(&elsewhere).await, 0);
}

#[tokio::test]
async fn a_jira_next_page_to_another_host_is_ignored() {
    // Offset listings are paged by startAt on the configured server; a
    // `nextPage` (or `self`) link is never followed.
    let server = MockServer::start().await;
    let elsewhere = MockServer::start().await;
    let other = elsewhere.uri();
    Mock::given(path(MEMBERS))
        .respond_with(move |request: &Request| {
            let start = param(request, "startAt").unwrap_or(0);
            let mut page = member_page(start, start..(start + 10).min(30), Some(30));
            page["nextPage"] = json!(format!("{other}{MEMBERS}?startAt={}", start + 10));
            page["self"] = json!(format!("{other}{MEMBERS}"));
            ResponseTemplate::new(200).set_body_json(page)
        })
        .mount(&server)
        .await;
    let ids: Vec<_> = jira(&server)
        .issue_security()
        .get_security_level_members()
        .paginate()
        .page_size(10)
        .items()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids.len(), 30);
    assert_eq!(sent(&server).await, 3);
    assert_eq!(sent(&elsewhere).await, 0);
}

// ------------------------------------------------------------ properties

/// Any JSON value: scalars, strings with any characters, nested arrays and
/// objects whose keys are often the fields the decoders look for.
fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        any::<f64>().prop_filter_map("finite", |f| serde_json::Number::from_f64(f)
            .map(Value::Number)),
        ".{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((arb_key(), inner), 0..6)
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect())),
        ]
    })
}

fn arb_key() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(&[
            "startAt", "maxResults", "total", "isLast", "values", "nextPage", "self", "id",
            "issueSecurityLevelId", "issueSecuritySchemeId", "holder", "type", "parameter",
            "ok", "response", "findings", "has_more", "next_page", "counts", "app", "severity",
            "status", "tags", "key", "value", "details", "title",
        ][..]).prop_map(str::to_string),
        1 => ".{0,8}",
    ]
}

/// Either a plausible value or anything at all.
fn or_any(plausible: impl Strategy<Value = Value> + 'static) -> BoxedStrategy<Value> {
    prop_oneof![3 => plausible, 1 => arb_json()].boxed()
}

fn arb_member() -> impl Strategy<Value = Value> {
    (
        or_any(any::<u32>().prop_map(|n| json!(n.to_string()))),
        or_any(Just(json!("10021"))),
        or_any(Just(json!("10000"))),
        or_any(("[a-z]{1,8}", proptest::option::of(".{0,8}")).prop_map(|(t, p)| json!({"type": t, "parameter": p}))),
    )
        .prop_map(|(id, level, scheme, holder)| {
            json!({"id": id, "issueSecurityLevelId": level, "issueSecuritySchemeId": scheme, "holder": holder})
        })
}

/// Shaped like a Jira `PageBean`, with any field possibly wrong.
fn arb_page_bean() -> impl Strategy<Value = Value> {
    (
        or_any(any::<i64>().prop_map(|n| json!(n))),
        or_any(any::<i64>().prop_map(|n| json!(n))),
        or_any(any::<bool>().prop_map(Value::Bool)),
        or_any(prop::collection::vec(arb_member(), 0..4).prop_map(Value::Array)),
        any::<u8>(),
    )
        .prop_map(|(start, total, last, values, drop)| {
            let mut page =
                json!({"startAt": start, "total": total, "isLast": last, "values": values});
            let keys = ["startAt", "total", "isLast", "values"];
            page.as_object_mut()
                .unwrap()
                .remove(keys[usize::from(drop % 8) % 4]);
            page
        })
}

fn arb_finding() -> impl Strategy<Value = Value> {
    (
        or_any("[a-z0-9]{1,6}".prop_map(Value::String)),
        or_any(Just(json!("shiftleft-java-demo"))),
        or_any(prop::sample::select(&["critical", "high", "medium", "low", "info", ""][..]).prop_map(|s| json!(s))),
        or_any(prop::sample::select(&["vuln", "secret", "oss_vuln", "container"][..]).prop_map(|s| json!(s))),
        or_any(prop::collection::vec((".{0,6}", ".{0,6}"), 0..3).prop_map(|t| {
            Value::Array(t.into_iter().map(|(k, v)| json!({"key": k, "value": v})).collect())
        })),
    )
        .prop_map(|(id, app, severity, kind, tags)| {
            json!({"id": id, "app": app, "internal_id": "io.shiftleft/x", "severity": severity, "type": kind, "tags": tags})
        })
}

/// Shaped like a Qwiet findings envelope, with any field possibly wrong.
fn arb_findings_envelope() -> impl Strategy<Value = Value> {
    (
        or_any(any::<bool>().prop_map(Value::Bool)),
        or_any(prop::collection::vec(arb_finding(), 0..4).prop_map(Value::Array)),
        or_any(proptest::option::of(any::<bool>()).prop_map(|b| json!(b))),
        or_any(proptest::option::of(".{0,16}").prop_map(|s| json!(s))),
    )
        .prop_map(|(ok, findings, more, next)| {
            json!({"ok": ok, "response": {"findings": findings, "has_more": more}, "next_page": next})
        })
}

/// Bytes a server might send: anything, JSON of any shape, or JSON of the
/// expected shape, whole or cut short.
fn arb_body(shaped: impl Strategy<Value = Value> + 'static) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..256),
        arb_json().prop_map(|v| serde_json::to_vec(&v).unwrap()),
        (shaped, any::<prop::sample::Index>()).prop_map(|(v, cut)| {
            let bytes = serde_json::to_vec(&v).unwrap();
            // Half whole, half truncated somewhere.
            if cut.index(2) == 0 {
                bytes
            } else {
                bytes[..cut.index(bytes.len() + 1)].to_vec()
            }
        }),
    ]
}

fn arb_page_body() -> impl Strategy<Value = Vec<u8>> {
    arb_body(arb_page_bean())
}

fn arb_envelope_body() -> impl Strategy<Value = Vec<u8>> {
    arb_body(arb_findings_envelope())
}

/// An error body in one documented shape, or any bytes at all.
#[derive(Clone, Debug)]
enum ErrorBody {
    SecurityInfo(Vec<(String, Option<String>)>),
    Qwiet {
        code: String,
        message: String,
        validation_errors: Vec<String>,
    },
    Jira {
        messages: Vec<String>,
        errors: BTreeMap<String, String>,
    },
    Raw(Vec<u8>),
}

impl ErrorBody {
    fn bytes(&self) -> Vec<u8> {
        let value = match self {
            ErrorBody::SecurityInfo(list) => Value::Array(
                list.iter()
                    .map(|(message, trace)| match trace {
                        Some(t) => json!({"message": message, "errorTraceId": t}),
                        None => json!({"message": message}),
                    })
                    .collect(),
            ),
            ErrorBody::Qwiet {
                code,
                message,
                validation_errors,
            } => {
                json!({"ok": false, "code": code, "message": message, "validation_errors": validation_errors})
            }
            ErrorBody::Jira { messages, errors } => {
                json!({"errorMessages": messages, "errors": errors})
            }
            ErrorBody::Raw(bytes) => return bytes.clone(),
        };
        serde_json::to_vec(&value).unwrap()
    }
}

fn arb_error_body() -> impl Strategy<Value = ErrorBody> {
    let text = || ".{0,24}";
    prop_oneof![
        prop::collection::vec((text(), proptest::option::of("[a-f0-9]{1,12}")), 1..5)
            .prop_map(ErrorBody::SecurityInfo),
        ("[A-Z_]{1,16}", text(), prop::collection::vec(text(), 0..3)).prop_map(
            |(code, message, validation_errors)| ErrorBody::Qwiet {
                code,
                message,
                validation_errors
            }
        ),
        (
            prop::collection::vec(text(), 0..3),
            prop::collection::btree_map("[a-zA-Z.]{1,10}", text(), 0..3)
        )
            .prop_filter("Jira names at least one problem", |(m, e)| {
                !m.is_empty() || !e.is_empty()
            })
            .prop_map(|(messages, errors)| ErrorBody::Jira { messages, errors }),
        prop_oneof![
            prop::collection::vec(any::<u8>(), 0..3000),
            arb_json().prop_map(|v| serde_json::to_vec(&v).unwrap()),
            ".{0,2000}".prop_map(String::into_bytes),
        ]
        .prop_map(ErrorBody::Raw),
    ]
}

/// How much of a body of no documented shape an error keeps.
const SNIPPET_BYTES: usize = 1024;

/// What the decoder must make of `body`.
fn check_error_body(body: &ErrorBody) -> Result<(), TestCaseError> {
    let formats: &[ErrorFormat] = match body {
        ErrorBody::SecurityInfo(_) => &[ErrorFormat::SecurityInfoMessages],
        ErrorBody::Qwiet { .. } => &[ErrorFormat::QwietEnvelope],
        ErrorBody::Jira { .. } => &[ErrorFormat::JiraErrorCollection],
        ErrorBody::Raw(_) => &[
            ErrorFormat::SecurityInfoMessages,
            ErrorFormat::QwietEnvelope,
            ErrorFormat::JiraErrorCollection,
        ],
    };
    for format in formats {
        check_error_body_as(body, *format)?;
    }
    Ok(())
}

fn check_error_body_as(body: &ErrorBody, format: ErrorFormat) -> Result<(), TestCaseError> {
    let bytes = body.bytes();
    let decoded = ApiErrorBody::decode(format, &bytes);
    // Rendering is bounded by what was sent, never more than a snippet for
    // a body of no documented shape.
    let shown = decoded.to_string();
    match (body, &decoded) {
        (ErrorBody::SecurityInfo(list), ApiErrorBody::SecurityInfo(got)) => {
            let got: Vec<(String, Option<String>)> = got
                .iter()
                .map(|m| (m.message.clone(), m.error_trace_id.clone()))
                .collect();
            prop_assert_eq!(&got, list);
        }
        (
            ErrorBody::Qwiet {
                code,
                message,
                validation_errors,
            },
            ApiErrorBody::Qwiet {
                code: c,
                message: m,
                validation_errors: v,
            },
        ) => {
            prop_assert_eq!((code, message, validation_errors), (c, m, v));
            let head = format!("{code}: {message}");
            prop_assert!(shown.starts_with(&head), "{}", shown);
        }
        (
            ErrorBody::Jira { messages, errors },
            ApiErrorBody::Jira {
                messages: m,
                errors: e,
            },
        ) => {
            prop_assert_eq!((messages, errors), (m, e));
        }
        (ErrorBody::Raw(raw), ApiErrorBody::Other(text)) => {
            let cut = raw.len().min(SNIPPET_BYTES);
            let expected = String::from_utf8_lossy(&raw[..cut]);
            let kept = text.strip_suffix('…').unwrap_or(text);
            prop_assert_eq!(kept, expected.as_ref());
            prop_assert_eq!(text.ends_with('…'), raw.len() > cut);
        }
        // Random bytes may happen to have a documented shape; they are
        // then JSON.
        (ErrorBody::Raw(raw), _) => {
            prop_assert!(serde_json::from_slice::<Value>(raw).is_ok(), "{decoded:?}")
        }
        (sent, got) => prop_assert!(false, "{sent:?} decoded as {got:?}"),
    }
    Ok(())
}

/// A submission and the answer a careless or hostile server gives: ids of
/// this request and of no request, repeated, in both lists or in neither.
#[derive(Clone, Debug)]
struct BulkCase {
    sent: Vec<String>,
    accepted: Vec<String>,
    failed: BTreeMap<String, Vec<String>>,
}

fn arb_bulk_case() -> impl Strategy<Value = BulkCase> {
    let ours: Vec<String> = (0..10).map(|i| format!("v{i}")).collect();
    let anyone: Vec<String> = ours
        .iter()
        .cloned()
        .chain((0..4).map(|i| format!("ghost-{i}")))
        .collect();
    (
        prop::sample::subsequence(ours, 1..8).prop_shuffle(),
        prop::collection::vec(prop::sample::select(anyone.clone()), 0..14),
        prop::collection::btree_map(
            prop::sample::select(anyone),
            prop::collection::vec("[a-z ]{0,10}", 1..3),
            0..6,
        ),
    )
        .prop_map(|(sent, accepted, failed)| BulkCase {
            sent,
            accepted,
            failed,
        })
}

/// Each sent id once, with the outcome the answer gives it (failure over
/// acceptance, every message kept, "not reported" when the answer is
/// silent); every other id the answer names once, as an anomaly.
fn check_bulk_report(case: &BulkCase, report: &SubmitReport) -> Result<(), TestCaseError> {
    let sent: HashSet<&String> = case.sent.iter().collect();
    let accepted: HashSet<&String> = case.accepted.iter().collect();
    let expected_accepted: Vec<&String> = case
        .sent
        .iter()
        .filter(|id| accepted.contains(id) && !case.failed.contains_key(*id))
        .collect();
    prop_assert_eq!(
        report.accepted.iter().collect::<Vec<_>>(),
        expected_accepted
    );
    prop_assert_eq!(report.accepted.len() + report.failed.len(), case.sent.len());
    for id in &case.sent {
        let got: Option<Vec<&str>> = report
            .failed
            .get(id)
            .map(|m| m.iter().map(|m| m.message.as_str()).collect());
        match case.failed.get(id) {
            Some(messages) => {
                prop_assert_eq!(got, Some(messages.iter().map(String::as_str).collect()))
            }
            None if accepted.contains(id) => prop_assert_eq!(got, None),
            None => prop_assert_eq!(got, Some(vec![NOT_REPORTED])),
        }
    }
    let mut expected_anomalies: Vec<(String, ListedAs)> = Vec::new();
    for id in case.failed.keys().chain(&case.accepted) {
        if sent.contains(id) || expected_anomalies.iter().any(|a| &a.0 == id) {
            continue;
        }
        let listed_as = match case.failed.get(id) {
            Some(messages) => ListedAs::Failed(
                messages
                    .iter()
                    .map(|m| ErrorMessage::new(m.clone()))
                    .collect(),
            ),
            None => ListedAs::Accepted,
        };
        expected_anomalies.push((id.clone(), listed_as));
    }
    let mut got: Vec<(String, ListedAs)> = report
        .anomalies
        .iter()
        .map(|a: &ServiceAnomaly| (a.id.clone(), a.listed_as.clone()))
        .collect();
    got.sort_by(|a, b| a.0.cmp(&b.0));
    expected_anomalies.sort_by(|a, b| a.0.cmp(&b.0));
    prop_assert_eq!(got, expected_anomalies);
    Ok(())
}

proptest! {
    #![proptest_config(Config { cases: 2_000, ..Config::default() })]

    #[test]
    fn error_bodies_decode_to_their_shape_or_to_a_bounded_snippet(body in arb_error_body()) {
        check_error_body(&body)?;
    }
}

#[test]
fn a_bulk_report_holds_each_submitted_id_once_whatever_the_server_answers() {
    let (runtime, slot, server) = slot_server("/rest/security/1.0/bulk".into());
    let jira = jira(&server);
    let mut runner = TestRunner::new(Config {
        cases: 256,
        ..Config::default()
    });
    runner
        .run(&arb_bulk_case(), |case| {
            let failed: BTreeMap<&String, Vec<Value>> = case
                .failed
                .iter()
                .map(|(id, m)| (id, m.iter().map(|m| json!({"message": m})).collect()))
                .collect();
            let answer =
                json!({"acceptedVulnerabilities": case.accepted, "failedVulnerabilities": failed});
            *slot.0.lock().unwrap() = Some(Served {
                status: 202,
                body: serde_json::to_vec(&answer).unwrap(),
            });
            let batch = Vulnerabilities::new(
                case.sent
                    .iter()
                    .map(|id| common::vulnerability(id))
                    .collect(),
            );
            let report = runtime
                .block_on(jira.submit_vulnerabilities(batch))
                .map_err(|e| TestCaseError::fail(format!("{e}")))?;
            check_bulk_report(&case, &report)
        })
        .unwrap();
}

/// One status and body to serve, through the facade.
#[derive(Clone, Debug)]
struct Served {
    status: u16,
    body: Vec<u8>,
}

fn arb_served(body: impl Strategy<Value = Vec<u8>> + 'static) -> impl Strategy<Value = Served> {
    let status = prop_oneof![
        4 => Just(200u16),
        1 => prop::sample::select(&[201u16, 204, 206, 301, 304, 400, 401, 403, 404, 409, 429, 500, 502, 503, 504][..]),
        1 => 200u16..600,
    ];
    (status, body).prop_map(|(status, body)| Served { status, body })
}

/// Serves whatever the slot holds.
#[derive(Clone, Default)]
struct Slot(Arc<Mutex<Option<Served>>>);

impl Respond for Slot {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let served = self.0.lock().unwrap().clone().expect("a case was set");
        ResponseTemplate::new(served.status).set_body_raw(served.body, "application/json")
    }
}

/// The error a status and body must map to, whatever the bytes.
fn check_classification(
    served: &Served,
    outcome: &Result<Vec<String>, Error>,
) -> Result<(), TestCaseError> {
    let status = served.status;
    match outcome {
        Ok(_) => prop_assert!((200..300).contains(&status), "{status} decoded as a page"),
        Err(err) => {
            let text = format!("{err}\n{err:?}");
            prop_assert!(text.len() < RENDERED_LIMIT);
            match err {
                Error::Decode { snippet, .. } => {
                    prop_assert!((200..400).contains(&status), "{status}: {err:?}");
                    prop_assert!(snippet.chars().count() <= 1025);
                }
                Error::Auth(api) => {
                    prop_assert!(status == 401 || status == 403, "{status}: {err:?}");
                    prop_assert_eq!(api.status.as_u16(), status);
                }
                Error::Api(api) => {
                    prop_assert!(
                        status >= 400 && status != 401 && status != 403,
                        "{status}: {err:?}"
                    );
                    prop_assert_eq!(api.status.as_u16(), status);
                }
                // A page that says more follow but holds nothing.
                Error::Pagination(_) => prop_assert!((200..300).contains(&status)),
                other => prop_assert!(false, "{status}: untyped outcome {other:?}"),
            }
        }
    }
    Ok(())
}

/// Both clients, built once per property (building one loads TLS roots,
/// which is slow in debug builds).
struct Clients {
    jira: JiraClient,
    qwiet: QwietClient,
}

type FirstPage = for<'a> fn(&'a Clients) -> BoxFuture<'a, Result<Vec<String>, Error>>;

fn jira_call(clients: &Clients) -> BoxFuture<'_, Result<Vec<String>, Error>> {
    Box::pin(first_member_page(&clients.jira))
}

fn qwiet_call(clients: &Clients) -> BoxFuture<'_, Result<Vec<String>, Error>> {
    Box::pin(first_finding_page(&clients.qwiet))
}

/// A runtime for blocking on calls, and a server answering `route` with
/// whatever the slot holds.
fn slot_server(route: String) -> (tokio::runtime::Runtime, Slot, MockServer) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let slot = Slot::default();
    let server = runtime.block_on(async {
        let server = MockServer::builder()
            .disable_request_recording()
            .start()
            .await;
        Mock::given(path(route))
            .respond_with(slot.clone())
            .mount(&server)
            .await;
        server
    });
    (runtime, slot, server)
}

fn facade_property(body: impl Strategy<Value = Vec<u8>> + 'static, route: String, call: FirstPage) {
    let (runtime, slot, server) = slot_server(route);
    let clients = Clients {
        jira: jira(&server),
        qwiet: qwiet(&server),
    };
    let mut runner = TestRunner::new(Config {
        cases: 96,
        ..Config::default()
    });
    runner
        .run(&arb_served(body), |served| {
            *slot.0.lock().unwrap() = Some(served.clone());
            let outcome = runtime.block_on(call(&clients));
            check_classification(&served, &outcome)
        })
        .unwrap();
}

#[test]
fn any_response_through_the_jira_facade_is_a_page_or_a_typed_error() {
    facade_property(arb_page_body(), MEMBERS.to_string(), jira_call);
}

#[test]
fn any_response_through_the_qwiet_facade_is_a_page_or_a_typed_error() {
    facade_property(arb_envelope_body(), findings_path(), qwiet_call);
}
