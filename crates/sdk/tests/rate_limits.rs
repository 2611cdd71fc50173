//! Rate limits, retries and response size on a loopback server (issue 14,
//! and the size limit of issue 16).
//!
//! What happened is read from the client's observer, and from the times at
//! which the server saw each request, never from log text.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use appsec_runtime::ratelimit::{Reason, Scope};
use appsec_runtime::retry::RetryReason;
use appsec_sdk::observe::{Event, Observer};
use appsec_sdk::{Error, JiraClient, Paginate, RateLimits, ResponseTooLarge, RetryPolicy, SendExt};
use futures::TryStreamExt;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const LEVELS: &str = "/rest/api/3/issuesecurityschemes/level";
const MEMBERS: &str = "/rest/api/3/issuesecurityschemes/level/member";

/// An owned copy of each event.
#[derive(Debug, Clone, PartialEq)]
enum Seen {
    Wait(String, Scope),
    Pause(String, Scope, Reason),
    Retry(String, RetryReason),
    GaveUp(String),
}

#[derive(Debug, Default)]
struct Events(Mutex<Vec<Seen>>);

impl Observer for Events {
    fn event(&self, event: &Event<'_>) {
        let seen = match *event {
            Event::Wait {
                operation, scope, ..
            } => Seen::Wait(operation.into(), scope),
            Event::Pause {
                operation,
                scope,
                reason,
                ..
            } => Seen::Pause(operation.into(), scope, reason),
            Event::Retry {
                operation, reason, ..
            } => Seen::Retry(operation.into(), reason),
            Event::GaveUp { operation, .. } => Seen::GaveUp(operation.into()),
            _ => return,
        };
        self.0.lock().unwrap().push(seen);
    }
}

impl Events {
    fn all(&self) -> Vec<Seen> {
        self.0.lock().unwrap().clone()
    }
}

/// Small delays so that tests run fast.
fn fast_retries() -> RetryPolicy {
    RetryPolicy::default()
        .with_max_retries(4)
        .with_backoff(Duration::from_millis(5), Duration::from_millis(20))
        .with_jitter(false)
}

fn client(base: &str, events: &Arc<Events>, retry: RetryPolicy) -> JiraClient {
    JiraClient::builder(base)
        .basic_auth("me@example.com", "api-token")
        .retry(retry)
        .observer(events.clone())
        .build()
        .expect("a loopback URL is accepted")
}

/// One arrival at the server: when, and which path.
type Arrivals = Arc<Mutex<Vec<(Instant, String)>>>;

/// Pages of `total` items for one listing; the request numbered
/// `limit_at` (1-based) is answered with `limited` instead.
struct Pages {
    total: usize,
    item: fn(usize) -> serde_json::Value,
    arrivals: Arrivals,
    count: Mutex<usize>,
    limit_at: Option<usize>,
    limited: ResponseTemplate,
    limited_at: Arc<Mutex<Option<Instant>>>,
}

impl Respond for Pages {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let now = Instant::now();
        self.arrivals
            .lock()
            .unwrap()
            .push((now, request.url.path().to_string()));
        let n = {
            let mut count = self.count.lock().unwrap();
            *count += 1;
            *count
        };
        if self.limit_at == Some(n) {
            *self.limited_at.lock().unwrap() = Some(now);
            return self.limited.clone();
        }
        let param = |name: &str| {
            request
                .url
                .query_pairs()
                .find(|(k, _)| k == name)
                .and_then(|(_, v)| v.parse::<usize>().ok())
        };
        let start = param("startAt").unwrap_or(0);
        let max = param("maxResults").unwrap_or(50);
        let end = (start + max).min(self.total);
        let values: Vec<_> = (start..end).map(self.item).collect();
        ResponseTemplate::new(200)
            .set_delay(Duration::from_millis(5))
            .set_body_json(json!({
                "startAt": start,
                "maxResults": max,
                "total": self.total,
                "isLast": end >= self.total,
                "values": values,
            }))
    }
}

fn level(n: usize) -> serde_json::Value {
    json!({ "id": n.to_string(), "name": format!("level {n}") })
}

fn member(n: usize) -> serde_json::Value {
    json!({
        "id": n.to_string(),
        "issueSecurityLevelId": "1",
        "issueSecuritySchemeId": "1",
        "holder": { "type": "anyone" }
    })
}

struct Served {
    arrivals: Arrivals,
    limited_at: Arc<Mutex<Option<Instant>>>,
}

impl Served {
    /// Requests to `route` (any when `None`) that arrived between `from`
    /// and `to` ms after the 429 was sent, with their offsets.
    fn after_429(&self, from: u64, to: u64, route: Option<&str>) -> Vec<(Duration, String)> {
        let limited_at = self.limited_at.lock().unwrap().expect("the 429 was sent");
        let (from, to) = (
            limited_at + Duration::from_millis(from),
            limited_at + Duration::from_millis(to),
        );
        self.arrivals
            .lock()
            .unwrap()
            .iter()
            .filter(|(at, path)| *at > from && *at < to && route.is_none_or(|r| r == path))
            .map(|(at, path)| (at.duration_since(limited_at), path.clone()))
            .collect()
    }
}

/// A 429 with `Retry-After: 1` and this `RateLimit-Reason`.
fn limited(reason: &str) -> ResponseTemplate {
    ResponseTemplate::new(429)
        .insert_header("Retry-After", "1")
        .insert_header("RateLimit-Reason", reason)
        .set_body_json(json!({ "errorMessages": ["Rate limit exceeded."], "errors": {} }))
}

/// Mounts both listings; the levels listing answers its `limit_at`-th
/// request with `limited`.
async fn mount(
    server: &MockServer,
    total: usize,
    limit_at: usize,
    limited: ResponseTemplate,
) -> Served {
    let arrivals = Arrivals::default();
    let limited_at = Arc::new(Mutex::new(None));
    for (route, item, limit_at) in [
        (MEMBERS, member as fn(usize) -> _, None),
        (LEVELS, level, Some(limit_at)),
    ] {
        Mock::given(method("GET"))
            .and(path(route))
            .respond_with(Pages {
                total,
                item,
                arrivals: arrivals.clone(),
                count: Mutex::new(0),
                limit_at,
                limited: limited.clone(),
                limited_at: limited_at.clone(),
            })
            .mount(server)
            .await;
    }
    Served {
        arrivals,
        limited_at,
    }
}

/// Lists every level and every member at once, each stream one page at a time.
async fn both_streams(jira: &JiraClient) -> (Vec<String>, Vec<String>) {
    let levels = jira
        .issue_security()
        .get_security_levels()
        .paginate()
        .page_size(10)
        .items()
        .map_ok(|l| l.id.unwrap_or_default())
        .try_collect::<Vec<_>>();
    let members = jira
        .issue_security()
        .get_security_level_members()
        .paginate()
        .page_size(10)
        .items()
        .map_ok(|m| m.id)
        .try_collect::<Vec<_>>();
    let (levels, members) = tokio::join!(levels, members);
    (
        levels.expect("levels listed"),
        members.expect("members listed"),
    )
}

fn ids(n: usize) -> Vec<String> {
    (0..n).map(|i| i.to_string()).collect()
}

#[tokio::test]
async fn one_quota_429_pauses_both_streams_until_the_reset() {
    let server = MockServer::start().await;
    let quota = limited("jira-quota-tenant-based");
    let served = mount(&server, 200, 3, quota).await;
    let events = Arc::new(Events::default());
    let jira = client(&server.uri(), &events, fast_retries());

    let (levels, members) = both_streams(&jira).await;

    assert_eq!(levels, ids(200), "every level, once, in order");
    assert_eq!(members, ids(200), "every member, once, in order");
    // Requests already on the wire when the 429 left may still arrive; after
    // that nothing may reach the server until the reset a second later.
    let early = served.after_429(50, 950, None);
    assert!(early.is_empty(), "requests during the pause: {early:?}");
    let seen = events.all();
    assert!(seen.contains(&Seen::Pause(
        "get_security_levels".into(),
        Scope::Client,
        Reason::TenantQuota
    )));
    assert!(
        seen.contains(&Seen::Wait(
            "get_security_level_members".into(),
            Scope::Client
        )),
        "the other stream waited for the quota: {seen:?}"
    );
    assert!(seen.contains(&Seen::Retry(
        "get_security_levels".into(),
        RetryReason::RateLimited(Reason::TenantQuota)
    )));
}

#[tokio::test]
async fn a_burst_429_slows_only_its_endpoint() {
    let server = MockServer::start().await;
    let burst = limited("jira-burst-based");
    let served = mount(&server, 400, 3, burst).await;
    let events = Arc::new(Events::default());
    let jira = client(&server.uri(), &events, fast_retries());

    let (levels, members) = both_streams(&jira).await;

    assert_eq!(levels, ids(400));
    assert_eq!(members, ids(400));
    let during = |route: &str| served.after_429(50, 950, Some(route)).len();
    assert_eq!(during(LEVELS), 0, "the limited endpoint waited");
    assert!(during(MEMBERS) > 0, "the other endpoint kept going");
    let seen = events.all();
    assert!(seen.contains(&Seen::Pause(
        "get_security_levels".into(),
        Scope::Endpoint,
        Reason::Burst
    )));
    assert!(
        !seen
            .iter()
            .any(|s| matches!(s, Seen::Wait(op, _) if op == "get_security_level_members")),
        "{seen:?}"
    );
}

#[tokio::test]
async fn an_overflowing_retry_after_gives_up_at_once_with_the_response() {
    let server = MockServer::start().await;
    let answers = Arc::new(Mutex::new(vec!["18446744073709551615", "1"]));
    let served = answers.clone();
    Mock::given(method("GET"))
        .and(path(LEVELS))
        .respond_with(move |_: &Request| {
            let value = served.lock().unwrap().pop().unwrap_or("0");
            ResponseTemplate::new(429)
                .insert_header("Retry-After", value)
                .set_body_json(json!({ "errorMessages": ["slow down"], "errors": {} }))
        })
        .mount(&server)
        .await;
    let events = Arc::new(Events::default());
    let jira = client(
        &server.uri(),
        &events,
        fast_retries().with_budget(Duration::from_secs(30)),
    );

    let err = jira
        .issue_security()
        .get_security_levels()
        .send()
        .value()
        .await
        .expect_err("always limited");

    match err {
        Error::RetriesExhausted { attempts, last } => {
            assert_eq!(attempts, 2);
            assert_eq!(last.status.as_u16(), 429);
            assert_eq!(last.headers["retry-after"], "18446744073709551615");
        }
        other => panic!("expected RetriesExhausted, got {other:?}"),
    }
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
    assert!(
        events
            .all()
            .contains(&Seen::GaveUp("get_security_levels".into()))
    );
}

/// A loopback server that answers each connection, in order, with the
/// bytes `script` gives for it; `endless` connections then send chunks of
/// `x` forever.
async fn raw_server(script: Vec<(Vec<u8>, bool)>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        for (answer, endless) in script {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let mut request = vec![0u8; 8192];
                let _ = socket.read(&mut request).await;
                if socket.write_all(&answer).await.is_err() {
                    return;
                }
                let chunk = format!("10000\r\n{}\r\n", "x".repeat(0x10000));
                while endless && socket.write_all(chunk.as_bytes()).await.is_ok() {}
                let _ = socket.shutdown().await;
            });
        }
    });
    url
}

fn levels_body() -> Vec<u8> {
    serde_json::to_vec(&json!({ "levels": [{ "id": "1", "name": "one" }] })).unwrap()
}

#[tokio::test]
async fn a_body_cut_short_is_retried_for_a_get() {
    let body = levels_body();
    let cut = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len() + 100
    )
    .into_bytes()
    .into_iter()
    .chain(body[..5].iter().copied())
    .collect();
    let whole = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes()
    .into_iter()
    .chain(body.iter().copied())
    .collect();
    let url = raw_server(vec![(cut, false), (whole, false)]).await;
    let events = Arc::new(Events::default());
    let jira = client(&url, &events, fast_retries());

    let levels = jira
        .issue_security()
        .get_security_levels_for_project()
        .project_key_or_id("P")
        .send()
        .value()
        .await;

    let levels = levels.expect("the second attempt succeeds");
    assert_eq!(levels.levels.len(), 1);
    assert!(events.all().contains(&Seen::Retry(
        "get_security_levels_for_project".into(),
        RetryReason::Body
    )));
}

#[tokio::test]
async fn an_unresolvable_host_fails_at_once_naming_it() {
    let events = Arc::new(Events::default());
    let jira = client(
        "https://no-such-site.invalid",
        &events,
        RetryPolicy::default(),
    );

    let err = jira
        .issue_security()
        .get_security_levels()
        .send()
        .value()
        .await
        .expect_err("the host does not resolve");

    assert!(matches!(err, Error::Transport(_)), "{err:?}");
    assert!(err.to_string().contains("no-such-site.invalid"), "{err}");
    assert!(
        events.all().is_empty(),
        "no retry, no wait: {:?}",
        events.all()
    );
}

async fn too_large(answer: Vec<u8>, endless: bool) -> Error {
    let url = raw_server(vec![(answer, endless)]).await;
    let events = Arc::new(Events::default());
    let jira = JiraClient::builder(url)
        .basic_auth("me@example.com", "api-token")
        .retry(fast_retries())
        .observer(events.clone())
        .max_response_size(1 << 20)
        .build()
        .unwrap();
    let err = jira
        .issue_security()
        .get_security_levels()
        .send()
        .value()
        .await
        .expect_err("the body is over the limit");
    assert!(events.all().is_empty(), "not retried: {:?}", events.all());
    err
}

#[tokio::test]
async fn huge_and_endless_bodies_end_the_call_with_a_typed_error() {
    let declared =
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2147483648\r\n\r\n["
            .to_vec();
    let err = too_large(declared, false).await;
    assert!(matches!(err, Error::TooLarge(_)), "{err:?}");
    assert_eq!(
        ResponseTooLarge::find(&err),
        Some(&ResponseTooLarge::new(1 << 20, Some(2_147_483_648))),
        "{err:?}"
    );

    let endless =
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n"
            .to_vec();
    let err = too_large(endless, true).await;
    assert!(matches!(err, Error::TooLarge(_)), "{err:?}");
    assert_eq!(
        ResponseTooLarge::find(&err),
        Some(&ResponseTooLarge::new(1 << 20, None)),
        "{err:?}"
    );
    assert!(err.to_string().contains("exceeds the limit"), "{err}");
}

#[tokio::test]
async fn without_shared_state_each_stream_meets_the_limit_itself() {
    let server = MockServer::start().await;
    let quota = limited("jira-quota-tenant-based");
    let served = mount(&server, 200, 3, quota).await;
    let events = Arc::new(Events::default());
    let jira = JiraClient::builder(server.uri())
        .basic_auth("me@example.com", "api-token")
        .retry(fast_retries())
        .rate_limits(RateLimits::off())
        .observer(events.clone())
        .build()
        .unwrap();

    let (levels, members) = both_streams(&jira).await;

    assert_eq!((levels.len(), members.len()), (200, 200));
    let members_during_pause = served.after_429(0, 900, Some(MEMBERS)).len();
    assert!(
        members_during_pause > 0,
        "the other stream should not be held back"
    );
    assert!(
        !events
            .all()
            .iter()
            .any(|s| matches!(s, Seen::Wait(..) | Seen::Pause(..)))
    );
}
