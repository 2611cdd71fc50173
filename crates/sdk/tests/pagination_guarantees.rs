//! What the offset paginator guarantees whatever the server reports, in both
//! modes: sequential (`concurrency(1)`) and concurrent (`concurrency(4)`).
//!
//! The server is a loopback Jira-like listing of `n` members whose `total`,
//! `isLast` and `startAt` can lie or be missing, and which can fail at a
//! given offset.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use appsec_sdk::{Error, JiraClient, Paginate, RetryPolicy};
use futures::StreamExt;
use proptest::prelude::*;
use serde_json::{Value, json};
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const MEMBERS: &str = "/rest/api/3/issuesecurityschemes/level/member";

fn jira(server: &MockServer) -> JiraClient {
    JiraClient::builder(server.uri())
        .basic_auth("me@example.com", "api-token")
        .retry(RetryPolicy::none())
        .build()
        .unwrap()
}

fn member(i: i64) -> Value {
    json!({
        "id": (20000 + i).to_string(),
        "issueSecurityLevelId": "10021",
        "issueSecuritySchemeId": "10000",
        "holder": {"type": "user", "parameter": format!("user-{i}")}
    })
}

fn param(request: &Request, key: &str) -> Option<i64> {
    request
        .url
        .query_pairs()
        .find(|(k, _)| k == key)
        .and_then(|(_, v)| v.parse().ok())
}

/// What the server says about its total.
#[derive(Debug, Clone, Copy)]
enum Total {
    Honest,
    /// Off by this much (positive: more than exist).
    Lying(i64),
    Missing,
}

/// What the server says about the last page.
#[derive(Debug, Clone, Copy)]
enum IsLast {
    Honest,
    /// `false` on every page, the last one included.
    NeverTrue,
    Missing,
}

#[derive(Debug, Clone)]
struct Listing {
    n: i64,
    cap: i64,
    total: Total,
    is_last: IsLast,
    report_start: bool,
    /// Answers every request with the first page.
    ignore_start_at: bool,
    /// Fails with 500 when asked for this `startAt`.
    fault_at: Option<i64>,
    delay: Duration,
    /// When each request arrived.
    arrivals: Arc<Mutex<Vec<Instant>>>,
}

impl Listing {
    fn new(n: i64, cap: i64) -> Self {
        Self {
            n,
            cap,
            total: Total::Honest,
            is_last: IsLast::Honest,
            report_start: true,
            ignore_start_at: false,
            fault_at: None,
            delay: Duration::ZERO,
            arrivals: Arc::default(),
        }
    }
}

impl Respond for Listing {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        self.arrivals.lock().unwrap().push(Instant::now());
        let asked = param(request, "startAt").unwrap_or(0);
        if self.fault_at == Some(asked) {
            return ResponseTemplate::new(500).set_delay(self.delay);
        }
        let start = if self.ignore_start_at { 0 } else { asked };
        let max = param(request, "maxResults").unwrap_or(50).min(self.cap);
        let end = (start + max).min(self.n).max(start);
        let mut body = json!({
            "maxResults": max,
            "values": (start..end).map(member).collect::<Vec<_>>(),
        });
        if self.report_start {
            body["startAt"] = json!(asked);
        }
        match self.total {
            Total::Honest => body["total"] = json!(self.n),
            Total::Lying(by) => body["total"] = json!((self.n + by).max(0)),
            Total::Missing => {}
        }
        match self.is_last {
            IsLast::Honest => body["isLast"] = json!(end >= self.n),
            IsLast::NeverTrue => body["isLast"] = json!(false),
            IsLast::Missing => {}
        }
        ResponseTemplate::new(200)
            .set_body_json(body)
            .set_delay(self.delay)
    }
}

/// The member numbers a listing yielded, and the error that ended it.
async fn list(listing: Listing, page_size: u32, concurrency: usize) -> (Vec<i64>, Option<Error>) {
    let server = MockServer::start().await;
    Mock::given(path(MEMBERS))
        .respond_with(listing)
        .mount(&server)
        .await;
    let jira = jira(&server);
    let mut items = jira
        .issue_security()
        .get_security_level_members()
        .paginate()
        .page_size(page_size)
        .concurrency(concurrency)
        .items();
    let mut ids = Vec::new();
    while let Some(item) = tokio::time::timeout(Duration::from_secs(20), items.next())
        .await
        .expect("the listing does not hang")
    {
        match item {
            Ok(m) => ids.push(m.id.parse::<i64>().unwrap() - 20000),
            Err(e) => return (ids, Some(e)),
        }
        assert!(ids.len() < 100_000, "runaway listing");
    }
    (ids, None)
}

/// Both modes, which must agree.
async fn both_modes(listing: Listing, page_size: u32) -> (Vec<i64>, Option<Error>) {
    let sequential = list(listing.clone(), page_size, 1).await;
    let concurrent = list(listing, page_size, 4).await;
    assert_eq!(
        sequential.0, concurrent.0,
        "both modes yield the same items"
    );
    assert_eq!(
        sequential.1.as_ref().map(ToString::to_string),
        concurrent.1.as_ref().map(ToString::to_string),
        "both modes end the same way"
    );
    sequential
}

#[tokio::test]
async fn a_total_larger_than_the_listing_yields_every_item_in_both_modes() {
    // 80 members, total 100, the last real page says isLast: true.
    let mut listing = Listing::new(80, 10);
    listing.total = Total::Lying(20);
    let (ids, err) = both_modes(listing, 10).await;
    assert!(err.is_none(), "{err:?}");
    assert_eq!(ids, (0..80).collect::<Vec<_>>());
}

#[tokio::test]
async fn a_total_smaller_than_the_listing_does_not_stop_it_early() {
    // 230 members, total 150, isLast false until the real last page.
    let mut listing = Listing::new(230, 10);
    listing.total = Total::Lying(-80);
    let (ids, err) = both_modes(listing, 10).await;
    assert!(err.is_none(), "{err:?}");
    assert_eq!(ids, (0..230).collect::<Vec<_>>());
}

#[tokio::test]
async fn an_empty_page_that_is_not_the_last_is_an_error_that_says_the_fields_contradict() {
    // isLast never true: after the 30 real items comes an empty page that
    // claims more follow.
    let mut listing = Listing::new(30, 10);
    listing.is_last = IsLast::NeverTrue;
    let (ids, err) = both_modes(listing, 10).await;
    assert_eq!(ids, (0..30).collect::<Vec<_>>());
    assert!(
        matches!(&err, Some(Error::Pagination(m)) if m.contains("contradict")),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_server_that_ignores_start_at_is_detected() {
    // It echoes the startAt asked for but always returns the first page.
    let mut listing = Listing::new(100, 10);
    listing.ignore_start_at = true;
    let (ids, err) = both_modes(listing, 10).await;
    assert_eq!(ids, (0..10).collect::<Vec<_>>(), "no duplicates");
    assert!(
        matches!(&err, Some(Error::Pagination(m)) if m.contains("repeats")),
        "{err:?}"
    );
}

/// The most requests the server was answering at one time: each answer
/// takes `delay`, so two requests overlap when one arrives before the
/// other's answer is due.
fn most_in_flight(arrivals: &[Instant], delay: Duration) -> usize {
    arrivals
        .iter()
        .map(|a| {
            arrivals
                .iter()
                .filter(|b| *b <= a && **b + delay > *a)
                .count()
        })
        .max()
        .unwrap_or(0)
}

#[tokio::test]
async fn concurrency_really_overlaps_requests() {
    let delay = Duration::from_millis(150);
    for (concurrency, expected) in [(1, 1..=1), (4, 2..=4)] {
        let mut listing = Listing::new(120, 10);
        listing.delay = delay;
        let arrivals = listing.arrivals.clone();
        let (ids, err) = list(listing, 10, concurrency).await;
        assert!(err.is_none(), "{err:?}");
        assert_eq!(ids, (0..120).collect::<Vec<_>>());
        let most = most_in_flight(&arrivals.lock().unwrap(), delay);
        assert!(
            expected.contains(&most),
            "concurrency {concurrency}: at most {most} requests in flight"
        );
    }
}

#[tokio::test]
async fn max_items_stops_asking_in_both_modes() {
    let listing = Listing::new(100, 10);
    let arrivals = listing.arrivals.clone();
    let server = MockServer::start().await;
    Mock::given(path(MEMBERS))
        .respond_with(listing)
        .mount(&server)
        .await;
    for concurrency in [1, 4] {
        arrivals.lock().unwrap().clear();
        let jira = jira(&server);
        let items: Vec<_> = jira
            .issue_security()
            .get_security_level_members()
            .paginate()
            .page_size(10)
            .concurrency(concurrency)
            .max_items(25)
            .items()
            .collect()
            .await;
        assert_eq!(items.len(), 25);
        assert!(items.iter().all(Result::is_ok));
        // Pages 0, 10 and 20 hold the 25; none beyond is asked for.
        assert_eq!(
            arrivals.lock().unwrap().len(),
            3,
            "concurrency {concurrency}"
        );
    }
}

fn listings() -> impl Strategy<Value = (Listing, u32)> {
    let total = prop_oneof![
        Just(Total::Honest),
        Just(Total::Missing),
        (-30i64..30).prop_map(Total::Lying),
    ];
    let is_last = prop_oneof![
        4 => Just(IsLast::Honest),
        1 => Just(IsLast::NeverTrue),
        2 => Just(IsLast::Missing),
    ];
    (
        0i64..60,
        1i64..12,
        1u32..15,
        total,
        is_last,
        any::<bool>(),
        proptest::option::weighted(0.3, 0i64..60),
    )
        .prop_map(
            |(n, cap, page_size, total, is_last, report_start, fault_at)| {
                let mut listing = Listing::new(n, cap);
                listing.total = total;
                listing.is_last = is_last;
                listing.report_start = report_start;
                listing.fault_at = fault_at;
                (listing, page_size)
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Whatever the server reports: every item exactly once and in order,
    /// or a prefix of them and an error; the same in both modes.
    #[test]
    fn the_server_s_items_in_order_or_an_error((listing, page_size) in listings()) {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let n = listing.n;
        let (ids, err) = runtime.block_on(both_modes(listing, page_size));
        let all: Vec<i64> = (0..n).collect();
        prop_assert!(all.starts_with(&ids), "not a prefix in order: {:?}", ids);
        if err.is_none() {
            prop_assert_eq!(ids, all);
        }
    }
}
