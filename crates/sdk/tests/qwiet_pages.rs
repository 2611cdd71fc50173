//! Qwiet cursor listings through the facade against a loopback server: the
//! exact `page`/`per_page` of every request, every item once and in order,
//! and no request (nor credential) ever sent where a response's `next_page`
//! points outside the configured base URL.

use appsec_sdk::paginate::Page;
use appsec_sdk::{Error, Paginate, QwietClient, RetryPolicy};
use futures::{StreamExt, TryStreamExt};
use serde_json::{Value, json};
use uuid::Uuid;
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const ORG: &str = "3fd2c5a8-6e1b-4f7d-9c2a-8b1e0d4f6a57";
const APP: &str = "shiftleft-java-demo";
const TOKEN: &str = "qwiet-access-token-5b1f";

fn org() -> Uuid {
    ORG.parse().unwrap()
}

fn qwiet(server: &MockServer) -> QwietClient {
    QwietClient::builder()
        .base_url(format!("{}/api/v4", server.uri()))
        .bearer_token(TOKEN)
        .retry(RetryPolicy::none())
        .build()
        .expect("a loopback base URL is accepted")
}

fn findings_path() -> String {
    format!("/api/v4/orgs/{ORG}/findings")
}

/// A finding as Qwiet lists it.
fn finding(id: &str) -> Value {
    json!({
        "id": id,
        "app": APP,
        "type": "vuln",
        "internal_id": format!("io.shiftleft.java-demo/{id}"),
        "title": format!("SQL Injection: HTTP data to SQL database via `{id}`"),
        "description": "Attacker-controlled data reaches a SQL query.",
        "severity": "critical",
        "category": "SQL Injection",
        "owasp_category": "a03-2021-injection",
        "status": "unset",
        "version_first_seen": "3e4a1c2",
        "details": {"file_locations": ["src/main/java/AccountController.java:42"]},
        "tags": [
            {"key": "cvss_score", "value": "9.8"},
            {"key": "cwe_category", "value": "89"}
        ]
    })
}

/// A page of `GET /orgs/{org}/findings`.
fn findings_page(ids: &[&str], next_page: Option<&str>, has_more: Option<bool>) -> Value {
    let mut response = json!({
        "findings": ids.iter().map(|id| finding(id)).collect::<Vec<_>>(),
        "counts": [],
    });
    if let Some(more) = has_more {
        response["has_more"] = json!(more);
    }
    let mut body = json!({"ok": true, "response": response});
    if let Some(link) = next_page {
        body["next_page"] = json!(link);
    }
    body
}

/// A package as Qwiet's SCA listing returns it.
fn package(name: &str) -> Value {
    json!({
        "apps": [APP],
        "exploitable": [],
        "first_seen": "2024-03-01T10:15:00Z",
        "license": "Apache-2.0",
        "name": name,
        "namespace": "org.apache.logging.log4j",
        "package": format!("org.apache.logging.log4j/{name}"),
        "package_url": format!("pkg:maven/org.apache.logging.log4j/{name}@2.14.1"),
        "reachable": ["CVE-2021-44228"],
        "risk_type": {"is_abandoned": false, "is_malicious": false},
        "total_apps": 1,
        "total_exploitable": 0,
        "total_reachable": 1,
        "total_vulns": 3,
        "type": "maven",
        "version": "2.14.1",
        "vulns": ["CVE-2021-44228", "CVE-2021-45046", "CVE-2021-45105"]
    })
}

fn packages_page(names: &[&str], has_more: bool, total: i64) -> Value {
    json!({
        "ok": true,
        "response": {
            "has_more": has_more,
            "packages": names.iter().map(|n| package(n)).collect::<Vec<_>>(),
            "scans": [{"app": APP, "id": "42"}],
            "total_count": total
        }
    })
}

fn team(id: &str, name: &str) -> Value {
    json!({
        "team_id": id,
        "team_name": name,
        "team_version": 3,
        "risk_score": 7.5,
        "projects": [APP],
        "members": [
            {"user_id_v2": "b1946ac9-2f3c-4d7e-9a61-5e1c0b7f8d22", "team_role": "TEAM_ADMIN"}
        ]
    })
}

/// The query of a request as sorted `(name, value)` pairs.
fn query(request: &Request) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = request
        .url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    pairs.sort();
    pairs
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = expected
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    pairs.sort();
    pairs
}

/// Every request the server received, in order.
async fn requests(server: &MockServer) -> Vec<Request> {
    server.received_requests().await.expect("recording is on")
}

/// Asserts the queries of the received requests, in order, and that each
/// carried the bearer token to the configured path.
async fn assert_requests(server: &MockServer, expected_path: &str, expected: &[&[(&str, &str)]]) {
    let received = requests(server).await;
    let queries: Vec<_> = received.iter().map(query).collect();
    let wanted: Vec<_> = expected.iter().map(|e| pairs(e)).collect();
    assert_eq!(queries, wanted, "queries of the requests, in order");
    for request in &received {
        assert_eq!(request.url.path(), expected_path);
        assert_eq!(
            request
                .headers
                .get("authorization")
                .map(|v| v.to_str().unwrap()),
            Some(format!("Bearer {TOKEN}").as_str())
        );
    }
}

/// Drains a stream, keeping errors, so tests can see what follows an error.
async fn drain<T>(
    mut stream: futures::stream::BoxStream<'_, Result<T, Error>>,
) -> Vec<Result<T, Error>> {
    let mut out = Vec::new();
    while let Some(next) = stream.next().await {
        out.push(next);
    }
    out
}

fn finding_ids(items: &[Result<appsec_sdk::qwiet::api::types::Finding, Error>]) -> Vec<&str> {
    items
        .iter()
        .filter_map(|r| r.as_ref().ok())
        .map(|f| f.id.as_str())
        .collect()
}

#[tokio::test]
async fn org_findings_follow_next_page_over_three_pages() {
    let server = MockServer::start().await;
    let uri = server.uri();
    Mock::given(method("GET"))
        .and(path(findings_path()))
        .and(query_param_is_missing("page"))
        .respond_with(ResponseTemplate::new(200).set_body_json(findings_page(
            &["f1", "f2"],
            Some(&format!(
                "{uri}/api/v4/orgs/{ORG}/findings?page=2&per_page=2"
            )),
            Some(true),
        )))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(findings_path()))
        .and(query_param("page", "2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(findings_page(
            &["f3", "f4"],
            Some(&format!(
                "{uri}/api/v4/orgs/{ORG}/findings?page=3&per_page=2"
            )),
            Some(true),
        )))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(findings_path()))
        .and(query_param("page", "3"))
        .respond_with(ResponseTemplate::new(200).set_body_json(findings_page(
            &["f5"],
            None,
            Some(false),
        )))
        .expect(1)
        .mount(&server)
        .await;

    let items: Vec<_> = qwiet(&server)
        .api()
        .list_org_findings()
        .org_id(org())
        .per_page(2)
        .paginate()
        .items()
        .try_collect()
        .await
        .expect("three good pages");
    let ids: Vec<&str> = items.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ids, ["f1", "f2", "f3", "f4", "f5"]);
    assert_eq!(items[4].app, APP);

    assert_requests(
        &server,
        &findings_path(),
        &[
            &[("per_page", "2")],
            &[("page", "2"), ("per_page", "2")],
            &[("page", "3"), ("per_page", "2")],
        ],
    )
    .await;
}

#[tokio::test]
async fn org_finding_pages_carry_the_servers_links() {
    let server = MockServer::start().await;
    let uri = server.uri();
    let link2 = format!("{uri}/api/v4/orgs/{ORG}/findings?page=2&per_page=2");
    Mock::given(path(findings_path()))
        .and(query_param_is_missing("page"))
        .respond_with(ResponseTemplate::new(200).set_body_json(findings_page(
            &["f1", "f2"],
            Some(&link2),
            Some(true),
        )))
        .mount(&server)
        .await;
    // The last page says nothing about `has_more`: no link alone ends the listing.
    Mock::given(path(findings_path()))
        .and(query_param("page", "2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(findings_page(&["f3"], None, None)))
        .mount(&server)
        .await;

    let pages: Vec<Page<_>> = qwiet(&server)
        .api()
        .list_org_findings()
        .org_id(org())
        .per_page(2)
        .paginate()
        .pages()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(pages.len(), 2);
    assert_eq!(pages[0].next_page.as_deref(), Some(link2.as_str()));
    assert_eq!(pages[0].has_more, Some(true));
    assert_eq!(pages[0].items.len(), 2);
    assert_eq!(pages[1].next_page, None);
    assert_eq!(pages[1].has_more, None);
    assert_eq!(pages[1].items[0].id, "f3");
    assert_requests(
        &server,
        &findings_path(),
        &[&[("per_page", "2")], &[("page", "2"), ("per_page", "2")]],
    )
    .await;
}

#[tokio::test]
async fn a_relative_next_page_is_followed_on_the_configured_server() {
    let server = MockServer::start().await;
    Mock::given(path(findings_path()))
        .and(query_param_is_missing("page"))
        .respond_with(ResponseTemplate::new(200).set_body_json(findings_page(
            &["f1"],
            Some(&format!("/api/v4/orgs/{ORG}/findings?page=2&per_page=1")),
            Some(true),
        )))
        .mount(&server)
        .await;
    Mock::given(path(findings_path()))
        .and(query_param("page", "2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(findings_page(
            &["f2"],
            None,
            Some(false),
        )))
        .mount(&server)
        .await;

    let items: Vec<_> = qwiet(&server)
        .api()
        .list_org_findings()
        .org_id(org())
        .per_page(1)
        .paginate()
        .items()
        .try_collect()
        .await
        .unwrap();
    let ids: Vec<&str> = items.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ids, ["f1", "f2"]);
    assert_requests(
        &server,
        &findings_path(),
        &[&[("per_page", "1")], &[("page", "2"), ("per_page", "1")]],
    )
    .await;
}

/// A `next_page` the paginator must refuse to follow.
#[derive(Debug, Clone, Copy)]
enum BadLink {
    /// Another host.
    ForeignHost,
    /// The configured server, outside the base path.
    OutsideBasePath,
    /// The first page links to page 1.
    RepeatsFirstPage,
    /// Page 2 links to page 2.
    Stalls,
    /// A link with no `page` parameter.
    NoPageNumber,
}

const BAD_LINKS: [BadLink; 5] = [
    BadLink::ForeignHost,
    BadLink::OutsideBasePath,
    BadLink::RepeatsFirstPage,
    BadLink::Stalls,
    BadLink::NoPageNumber,
];

/// What a scenario expects: the ids that arrive before the error, and the
/// queries of the requests sent.
struct Expected {
    ids: Vec<&'static str>,
    queries: Vec<Vec<(&'static str, &'static str)>>,
}

impl BadLink {
    /// Mounts the scenario's pages (`per_page=2`) and says what should happen.
    async fn mount(self, server: &MockServer) -> Expected {
        let uri = server.uri();
        let first = |link: String| {
            Mock::given(method("GET"))
                .and(path(findings_path()))
                .and(query_param_is_missing("page"))
                .respond_with(ResponseTemplate::new(200).set_body_json(findings_page(
                    &["f1", "f2"],
                    Some(&link),
                    Some(true),
                )))
        };
        let one_request = Expected {
            ids: vec!["f1", "f2"],
            queries: vec![vec![("per_page", "2")]],
        };
        match self {
            BadLink::ForeignHost => {
                first(format!(
                    "https://evil.example/api/v4/orgs/{ORG}/findings?page=2&per_page=2"
                ))
                .mount(server)
                .await;
                one_request
            }
            BadLink::OutsideBasePath => {
                first(format!(
                    "{uri}/internal/orgs/{ORG}/findings?page=2&per_page=2"
                ))
                .mount(server)
                .await;
                one_request
            }
            BadLink::RepeatsFirstPage => {
                first(format!(
                    "{uri}/api/v4/orgs/{ORG}/findings?page=1&per_page=2"
                ))
                .mount(server)
                .await;
                one_request
            }
            BadLink::NoPageNumber => {
                first(format!(
                    "{uri}/api/v4/orgs/{ORG}/findings?cursor=abc&per_page=2"
                ))
                .mount(server)
                .await;
                one_request
            }
            BadLink::Stalls => {
                let page2 = format!("{uri}/api/v4/orgs/{ORG}/findings?page=2&per_page=2");
                first(page2.clone()).mount(server).await;
                Mock::given(method("GET"))
                    .and(path(findings_path()))
                    .and(query_param("page", "2"))
                    .respond_with(ResponseTemplate::new(200).set_body_json(findings_page(
                        &["f3", "f4"],
                        Some(&page2),
                        Some(true),
                    )))
                    .mount(server)
                    .await;
                Expected {
                    ids: vec!["f1", "f2", "f3", "f4"],
                    queries: vec![
                        vec![("per_page", "2")],
                        vec![("page", "2"), ("per_page", "2")],
                    ],
                }
            }
        }
    }
}

async fn assert_sent(server: &MockServer, expected: &Expected) {
    let queries: Vec<&[(&str, &str)]> = expected.queries.iter().map(Vec::as_slice).collect();
    assert_requests(server, &findings_path(), &queries).await;
}

/// The stream ended with exactly one `Error::Pagination`, after items that
/// are an in-order prefix of `expected` (no item twice, none out of order).
fn assert_stops_with_pagination(
    results: &[Result<appsec_sdk::qwiet::api::types::Finding, Error>],
    expected: &[&str],
    case: BadLink,
) {
    let (last, before) = results
        .split_last()
        .unwrap_or_else(|| panic!("{case:?}: the stream ended without an error"));
    assert!(
        matches!(last, Err(Error::Pagination(_))),
        "{case:?}: expected Error::Pagination last, got {last:?}"
    );
    assert!(before.iter().all(Result::is_ok), "{case:?}: {results:?}");
    let ids = finding_ids(before);
    assert!(
        expected.starts_with(&ids),
        "{case:?}: items {ids:?} are not an in-order prefix of {expected:?}"
    );
    let message = last.as_ref().unwrap_err().to_string();
    assert!(!message.contains(TOKEN), "{case:?}: {message}");
}

#[tokio::test]
async fn a_refused_next_page_stops_with_a_pagination_error_and_sends_nothing_more() {
    for case in BAD_LINKS {
        let server = MockServer::start().await;
        let expected = case.mount(&server).await;
        let results = drain(
            qwiet(&server)
                .api()
                .list_org_findings()
                .org_id(org())
                .per_page(2)
                .paginate()
                .items(),
        )
        .await;
        assert_stops_with_pagination(&results, &expected.ids, case);
        // Nothing but the expected requests, all to the configured server
        // with the token: a foreign link is never requested.
        assert_sent(&server, &expected).await;
    }
}

#[tokio::test]
async fn a_next_page_on_another_host_names_the_host_in_the_error() {
    let server = MockServer::start().await;
    BadLink::ForeignHost.mount(&server).await;
    let results = drain(
        qwiet(&server)
            .api()
            .list_org_findings()
            .org_id(org())
            .per_page(2)
            .paginate()
            .pages(),
    )
    .await;
    match results.last() {
        Some(Err(Error::Pagination(message))) => {
            assert!(message.contains("evil.example"), "{message}");
        }
        other => panic!("expected Error::Pagination, got {other:?}"),
    }
}

#[tokio::test]
async fn a_next_page_that_does_not_advance_names_the_page() {
    let server = MockServer::start().await;
    BadLink::Stalls.mount(&server).await;
    let results = drain(
        qwiet(&server)
            .api()
            .list_org_findings()
            .org_id(org())
            .per_page(2)
            .paginate()
            .items(),
    )
    .await;
    match results.last() {
        Some(Err(Error::Pagination(message))) => assert!(message.contains("page 2"), "{message}"),
        other => panic!("expected Error::Pagination, got {other:?}"),
    }
}

#[tokio::test]
async fn a_refused_next_page_still_yields_the_items_of_the_page_that_carried_it() {
    for case in BAD_LINKS {
        let server = MockServer::start().await;
        let expected = case.mount(&server).await;
        let results = drain(
            qwiet(&server)
                .api()
                .list_org_findings()
                .org_id(org())
                .per_page(2)
                .paginate()
                .items(),
        )
        .await;
        assert_eq!(
            results.len(),
            expected.ids.len() + 1,
            "{case:?}: every item, then one error: {results:?}"
        );
        assert_eq!(finding_ids(&results), expected.ids, "{case:?}");
        assert!(
            matches!(results.last(), Some(Err(Error::Pagination(_)))),
            "{case:?}: {:?}",
            results.last()
        );
        assert_sent(&server, &expected).await;
    }
}

#[tokio::test]

async fn a_refused_next_page_still_yields_the_page_that_carried_it() {
    let server = MockServer::start().await;
    BadLink::ForeignHost.mount(&server).await;
    let results = drain(
        qwiet(&server)
            .api()
            .list_org_findings()
            .org_id(org())
            .per_page(2)
            .paginate()
            .pages(),
    )
    .await;
    assert_eq!(results.len(), 2, "{results:?}");
    let page = results[0].as_ref().expect("the first page itself was fine");
    assert_eq!(page.items.len(), 2);
    assert!(
        page.next_page
            .as_deref()
            .unwrap()
            .starts_with("https://evil.example/")
    );
    assert!(matches!(results[1], Err(Error::Pagination(_))));
}

#[tokio::test]
async fn a_next_page_on_another_local_server_receives_nothing() {
    let server = MockServer::start().await;
    // Same host, another port: another origin, which must never see the token.
    let other = MockServer::start().await;
    Mock::given(path(findings_path()))
        .respond_with(ResponseTemplate::new(200).set_body_json(findings_page(
            &["o1"],
            None,
            Some(false),
        )))
        .mount(&other)
        .await;
    Mock::given(path(findings_path()))
        .respond_with(ResponseTemplate::new(200).set_body_json(findings_page(
            &["f1"],
            Some(&format!(
                "{}/api/v4/orgs/{ORG}/findings?page=2&per_page=1",
                other.uri()
            )),
            Some(true),
        )))
        .mount(&server)
        .await;

    let results = drain(
        qwiet(&server)
            .api()
            .list_org_findings()
            .org_id(org())
            .per_page(1)
            .paginate()
            .items(),
    )
    .await;
    assert!(
        matches!(results.last(), Some(Err(Error::Pagination(_)))),
        "{results:?}"
    );
    assert!(!finding_ids(&results).contains(&"o1"));

    assert!(
        requests(&other).await.is_empty(),
        "the other origin got a request"
    );
    assert_requests(&server, &findings_path(), &[&[("per_page", "1")]]).await;
}

#[tokio::test]
async fn sca_packages_ask_for_the_next_page_while_has_more() {
    let server = MockServer::start().await;
    let at = format!("/api/v4/orgs/{ORG}/apps/{APP}/sca/packages");
    Mock::given(method("GET"))
        .and(path(at.clone()))
        .and(query_param_is_missing("page"))
        .respond_with(ResponseTemplate::new(200).set_body_json(packages_page(
            &["log4j-core", "log4j-api"],
            true,
            3,
        )))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(at.clone()))
        .and(query_param("page", "2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(packages_page(
            &["log4j-slf4j-impl"],
            false,
            3,
        )))
        .expect(1)
        .mount(&server)
        .await;

    let packages: Vec<_> = qwiet(&server)
        .api()
        .read_app_sca_packages()
        .org_id(org())
        .app_id(APP)
        .per_page(2)
        .paginate()
        .items()
        .try_collect()
        .await
        .unwrap();
    let names: Vec<&str> = packages.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["log4j-core", "log4j-api", "log4j-slf4j-impl"]);
    assert_eq!(packages[0].reachable, ["CVE-2021-44228"]);

    assert_requests(
        &server,
        &at,
        &[&[("per_page", "2")], &[("page", "2"), ("per_page", "2")]],
    )
    .await;
}

#[tokio::test]
async fn sca_packages_without_filters_send_only_the_page() {
    let server = MockServer::start().await;
    let at = format!("/api/v4/orgs/{ORG}/apps/{APP}/sca/packages");
    Mock::given(path(at.clone()))
        .and(query_param_is_missing("page"))
        .respond_with(ResponseTemplate::new(200).set_body_json(packages_page(&["a"], true, 3)))
        .mount(&server)
        .await;
    Mock::given(path(at.clone()))
        .and(query_param("page", "2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(packages_page(&["b"], true, 3)))
        .mount(&server)
        .await;
    Mock::given(path(at.clone()))
        .and(query_param("page", "3"))
        .respond_with(ResponseTemplate::new(200).set_body_json(packages_page(&["c"], false, 3)))
        .mount(&server)
        .await;

    let pages: Vec<_> = qwiet(&server)
        .api()
        .read_app_sca_packages()
        .org_id(org())
        .app_id(APP)
        .paginate()
        .pages()
        .try_collect()
        .await
        .unwrap();
    let names: Vec<Vec<&str>> = pages
        .iter()
        .map(|p| p.items.iter().map(|i| i.name.as_str()).collect())
        .collect();
    assert_eq!(names, [["a"], ["b"], ["c"]]);
    assert_eq!(
        pages.iter().map(|p| p.has_more).collect::<Vec<_>>(),
        [Some(true), Some(true), Some(false)]
    );
    assert!(pages.iter().all(|p| p.next_page.is_none()));
    assert_requests(&server, &at, &[&[], &[("page", "2")], &[("page", "3")]]).await;
}

#[tokio::test]
async fn an_empty_page_that_promises_more_stops_with_an_error() {
    let server = MockServer::start().await;
    let at = format!("/api/v4/orgs/{ORG}/apps/{APP}/sca/packages");
    Mock::given(path(at.clone()))
        .and(query_param_is_missing("page"))
        .respond_with(ResponseTemplate::new(200).set_body_json(packages_page(&["a"], true, 9)))
        .mount(&server)
        .await;
    Mock::given(path(at.clone()))
        .and(query_param("page", "2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(packages_page(&[], true, 9)))
        .mount(&server)
        .await;

    let results = drain(
        qwiet(&server)
            .api()
            .read_app_sca_packages()
            .org_id(org())
            .app_id(APP)
            .paginate()
            .items(),
    )
    .await;
    assert_eq!(results.len(), 2, "{results:?}");
    assert_eq!(results[0].as_ref().unwrap().name, "a");
    assert!(
        matches!(results[1], Err(Error::Pagination(_))),
        "{:?}",
        results[1]
    );
    assert_requests(&server, &at, &[&[], &[("page", "2")]]).await;
}

#[tokio::test]
async fn teams_in_a_bare_array_arrive_in_one_page() {
    let server = MockServer::start().await;
    let at = format!("/api/v4/orgs/{ORG}/rbac/teams");
    Mock::given(method("GET"))
        .and(path(at.clone()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "ok": true,
            "response": [team("t-1", "payments"), team("t-2", "identity")]
        })))
        .expect(1)
        .mount(&server)
        .await;

    let pages: Vec<_> = qwiet(&server)
        .api()
        .list_teams()
        .org_id(org())
        .paginate()
        .pages()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(pages.len(), 1);
    let names: Vec<_> = pages[0]
        .items
        .iter()
        .map(|t| t.team_name.as_deref().unwrap())
        .collect();
    assert_eq!(names, ["payments", "identity"]);
    assert_eq!(
        pages[0].items[0].members[0].team_role.as_deref(),
        Some("TEAM_ADMIN")
    );
    assert_requests(&server, &at, &[&[]]).await;
}

#[tokio::test]
async fn an_empty_first_page_is_an_empty_stream() {
    let server = MockServer::start().await;
    let at = format!("/api/v4/orgs/{ORG}/rbac/teams");
    Mock::given(path(at.clone()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"ok": true, "response": []})))
        .expect(1)
        .mount(&server)
        .await;

    let results = drain(
        qwiet(&server)
            .api()
            .list_teams()
            .org_id(org())
            .paginate()
            .items(),
    )
    .await;
    assert!(results.is_empty(), "{results:?}");
    assert_requests(&server, &at, &[&[]]).await;
}

#[tokio::test]
async fn an_empty_first_page_of_findings_is_an_empty_stream() {
    let server = MockServer::start().await;
    Mock::given(path(findings_path()))
        .respond_with(ResponseTemplate::new(200).set_body_json(findings_page(
            &[],
            None,
            Some(false),
        )))
        .expect(1)
        .mount(&server)
        .await;

    let results = drain(
        qwiet(&server)
            .api()
            .list_org_findings()
            .org_id(org())
            .per_page(50)
            .paginate()
            .items(),
    )
    .await;
    assert!(results.is_empty(), "{results:?}");
    assert_requests(&server, &findings_path(), &[&[("per_page", "50")]]).await;
}

#[tokio::test]
async fn rbac_users_follow_next_page() {
    let server = MockServer::start().await;
    let at = format!("/api/v4/orgs/{ORG}/rbac/users");
    let user = |id: &str, email: &str| json!({"id_v2": id, "email": email, "name": email});
    Mock::given(path(at.clone()))
        .and(query_param_is_missing("page"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "ok": true,
            "response": [user("0b6f1c52-8d43-4a9e-9f1b-2c7d5e3a9b01", "ana@example.com"),
                user("5d2e9a7c-1f64-4b3a-8e0d-7c9b1a2f4e63", "bo@example.com")],
            "next_page": format!("{}{at}?page=2", server.uri())
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path(at.clone()))
        .and(query_param("page", "2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "ok": true,
            "response": [user("9a4c3e1b-6d2f-4f8a-b7e5-0c1d2e3f4a5b", "cy@example.com")]
        })))
        .expect(1)
        .mount(&server)
        .await;

    let users: Vec<_> = qwiet(&server)
        .api()
        .list_org_rbac_users()
        .org_id(org())
        .paginate()
        .items()
        .try_collect()
        .await
        .unwrap();
    let emails: Vec<_> = users.iter().map(|u| u.email.as_deref().unwrap()).collect();
    assert_eq!(
        emails,
        ["ana@example.com", "bo@example.com", "cy@example.com"]
    );
    assert_requests(&server, &at, &[&[], &[("page", "2")]]).await;
}

#[tokio::test]
async fn an_error_page_ends_the_stream_after_the_items_before_it() {
    let server = MockServer::start().await;
    Mock::given(path(findings_path()))
        .and(query_param_is_missing("page"))
        .respond_with(ResponseTemplate::new(200).set_body_json(findings_page(
            &["f1"],
            Some(&format!(
                "{}/api/v4/orgs/{ORG}/findings?page=2",
                server.uri()
            )),
            Some(true),
        )))
        .mount(&server)
        .await;
    Mock::given(path(findings_path()))
        .and(query_param("page", "2"))
        .respond_with(ResponseTemplate::new(500).set_body_json(json!({
            "ok": false,
            "code": "INTERNAL_ERROR",
            "message": "something went wrong"
        })))
        .mount(&server)
        .await;

    let results = drain(
        qwiet(&server)
            .api()
            .list_org_findings()
            .org_id(org())
            .paginate()
            .items(),
    )
    .await;
    assert_eq!(results.len(), 2, "{results:?}");
    assert_eq!(finding_ids(&results[..1]), ["f1"]);
    match &results[1] {
        Err(Error::Api(api)) => assert_eq!(api.status, 500),
        other => panic!("expected Error::Api, got {other:?}"),
    }
    assert_eq!(requests(&server).await.len(), 2);
}

/// Dependency search answers with neither `next_page` nor `has_more`: the
/// listing goes on page by page until a page comes back empty.
#[tokio::test]
async fn dependency_search_pages_until_an_empty_page() {
    let server = MockServer::start().await;
    let at = format!("/api/v4/orgs/{ORG}/dependencies");
    Mock::given(method("GET"))
        .and(path(at.clone()))
        .respond_with(|request: &Request| {
            let page = request
                .url
                .query_pairs()
                .find(|(k, _)| k == "page")
                .map_or(1, |(_, v)| v.parse::<i64>().unwrap());
            let found: Vec<Value> = match page {
                1 | 2 => (0..2)
                    .map(|i| {
                        let id = format!("d{}", (page - 1) * 2 + i);
                        json!({"id": id, "app": APP, "title": "log4j-core", "type": "oss_vuln"})
                    })
                    .collect(),
                _ => Vec::new(),
            };
            ResponseTemplate::new(200).set_body_json(json!({"ok": true, "response": found}))
        })
        .mount(&server)
        .await;
    let qwiet = qwiet(&server);
    let found: Vec<_> = qwiet
        .api()
        .search_dependency()
        .org_id(org())
        .paginate()
        .items()
        .try_collect()
        .await
        .unwrap();
    let ids: Vec<&str> = found.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids, ["d0", "d1", "d2", "d3"]);
    assert_requests(&server, &at, &[&[], &[("page", "2")], &[("page", "3")]]).await;
}
