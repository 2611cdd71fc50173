//! Streamlined scans chain pages by an `upto` cursor rather than a page number.

use appsec_sdk::{Error, Paginate, QwietClient, RetryPolicy};
use futures::TryStreamExt;
use serde_json::{Value, json};
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const ORG: &str = "0c8f3e2a-6a51-4b7e-9d3c-5f1e2a7b9c40";

fn scan(id: i64) -> Value {
    let sca = json!({"critical": 0, "high": 1, "medium": 2, "low": 3, "unreachable": 0});
    json!({
        "agent": "sl-agent/1.0", "branch": "main", "created_at": "2026-11-20T08:30:00Z",
        "polyglot_scan_id": id, "secrets": 0, "failures": [], "languages": ["java"], "platforms": [],
        "container_vulns": sca, "oss_vulns": sca,
        "vulns": {"critical": 1, "high": 0, "medium": 0, "low": 0}
    })
}

fn qwiet(server: &MockServer) -> QwietClient {
    QwietClient::builder()
        .base_url(format!("{}/api/v4", server.uri()))
        .bearer_token("tok")
        .retry(RetryPolicy::none())
        .build()
        .unwrap()
}

fn scans_path() -> String {
    format!("/api/v4/orgs/{ORG}/compounds/named/shop/scans/streamlined")
}

#[tokio::test]
async fn streamlined_scans_follow_the_upto_cursor() {
    let server = MockServer::start().await;
    let uri = server.uri();
    Mock::given(path(scans_path()))
        .respond_with(move |request: &Request| {
            let upto = request
                .url
                .query_pairs()
                .find(|(k, _)| k == "upto")
                .map(|(_, v)| v.parse::<i64>().unwrap());
            // Scans 30..21, then 20..11, then 10..1, newest first.
            let top = upto.unwrap_or(30);
            let scans: Vec<Value> = (top - 9..=top).rev().map(scan).collect();
            let mut body = json!({"ok": true, "response": {"scans": scans, "agents": ["sl-agent/1.0"]}});
            if top > 10 {
                body["next_page"] = json!(format!(
                    "{uri}/api/v4/orgs/{ORG}/compounds/named/shop/scans/streamlined?limit=10&upto={}",
                    top - 10
                ));
            }
            ResponseTemplate::new(200).set_body_json(body)
        })
        .mount(&server)
        .await;
    let scans: Vec<_> = qwiet(&server)
        .api()
        .get_streamlined_scans()
        .org_id(ORG.parse::<uuid::Uuid>().unwrap())
        .compound_name("shop")
        .limit(std::num::NonZeroU64::new(10).unwrap())
        .paginate()
        .items()
        .try_collect()
        .await
        .unwrap();
    let ids: Vec<i64> = scans.iter().map(|s| s.polyglot_scan_id).collect();
    assert_eq!(ids, (1..=30).rev().collect::<Vec<_>>());
    let queries: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| r.url.query().unwrap_or("").to_string())
        .collect();
    assert_eq!(
        queries,
        ["limit=10", "limit=10&upto=20", "limit=10&upto=10"]
    );
}

#[tokio::test]
async fn a_cursor_that_does_not_move_is_an_error() {
    let server = MockServer::start().await;
    let uri = server.uri();
    Mock::given(path(scans_path()))
        .respond_with(move |_: &Request| {
            ResponseTemplate::new(200).set_body_json(json!({
                "ok": true,
                "response": {"scans": [scan(5)], "agents": []},
                "next_page": format!("{uri}/api/v4/orgs/{ORG}/compounds/named/shop/scans/streamlined?upto=5")
            }))
        })
        .mount(&server)
        .await;
    let pages: Vec<_> = futures::StreamExt::collect::<Vec<_>>(
        qwiet(&server)
            .api()
            .get_streamlined_scans()
            .org_id(ORG.parse::<uuid::Uuid>().unwrap())
            .compound_name("shop")
            .paginate()
            .pages(),
    )
    .await;
    // First page (upto absent) points at upto=5; that page repeats the
    // first one's scans, so the server ignored the cursor.
    assert_eq!(pages.len(), 2, "{pages:?}");
    assert!(pages[0].is_ok());
    assert!(
        matches!(&pages[1], Err(Error::Pagination(m)) if m.contains("repeats")),
        "{:?}",
        pages[1]
    );
}

/// `upto` 100 -> 200 -> 100, each page with its own scans: the third link
/// leads back to a cursor already read, which is an error, not 40 pages.
#[tokio::test]
async fn a_cursor_that_cycles_is_a_pagination_error() {
    let server = MockServer::start().await;
    let uri = server.uri();
    Mock::given(path(scans_path()))
        .respond_with(move |request: &Request| {
            let upto = request
                .url
                .query_pairs()
                .find(|(k, _)| k == "upto")
                .map(|(_, v)| v.parse::<i64>().unwrap());
            let (id, next) = match upto {
                None => (1, 100),
                Some(100) => (2, 200),
                Some(_) => (3, 100),
            };
            ResponseTemplate::new(200).set_body_json(json!({
                "ok": true,
                "response": {"scans": [scan(id)], "agents": []},
                "next_page": format!("{uri}/api/v4/orgs/{ORG}/compounds/named/shop/scans/streamlined?upto={next}")
            }))
        })
        .mount(&server)
        .await;
    let qwiet = qwiet(&server);
    let pages: Vec<_> = futures::StreamExt::collect::<Vec<_>>(
        qwiet
            .api()
            .get_streamlined_scans()
            .org_id(ORG.parse::<uuid::Uuid>().unwrap())
            .compound_name("shop")
            .paginate()
            .pages(),
    )
    .await;
    assert_eq!(pages.len(), 4, "{pages:?}");
    assert!(pages[..3].iter().all(Result::is_ok));
    assert!(
        matches!(&pages[3], Err(Error::Pagination(m)) if m.contains("already read")),
        "{:?}",
        pages[3]
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}
