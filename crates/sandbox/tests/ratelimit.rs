//! The Jira rate limiter: points quota per window for app traffic, burst
//! per endpoint and method, per-issue writes, and the headers of each.

mod common;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use appsec_sandbox::{DEMO_BEARER_TOKEN, RateLimiting, SandboxConfig};
use common::*;
use reqwest::StatusCode;

const SCHEMES: &str = "/rest/api/3/issuesecurityschemes";

fn limited(limits: RateLimiting) -> SandboxConfig {
    SandboxConfig {
        rate_limiting: Some(limits),
        qwiet_findings: 10,
        ..SandboxConfig::default()
    }
}

fn bearer() -> String {
    format!("Bearer {DEMO_BEARER_TOKEN}")
}

async fn send(method: reqwest::Method, url: String, auth: &str) -> reqwest::Response {
    client()
        .request(method, url)
        .header("authorization", auth)
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap()
}

fn header<'r>(resp: &'r reqwest::Response, name: &str) -> &'r str {
    resp.headers()
        .get(name)
        .unwrap_or_else(|| panic!("no {name} header"))
        .to_str()
        .unwrap()
}

/// Sleeps until just after the next multiple of `secs` on the wall clock,
/// so that a short run stays inside one fixed window.
async fn align_to(secs: u64) {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    let period = Duration::from_secs(secs);
    let into = Duration::from_nanos((now.as_nanos() % period.as_nanos()) as u64);
    tokio::time::sleep(period - into + Duration::from_millis(20)).await;
}

#[tokio::test]
async fn app_traffic_spends_points_until_a_quota_429() {
    let sandbox = start_with(limited(RateLimiting {
        quota_points: 10,
        ..RateLimiting::default()
    }))
    .await;
    let url = format!("{}{SCHEMES}", sandbox.url());
    let first = send(reqwest::Method::GET, url.clone(), &bearer()).await;
    assert_eq!(first.status(), StatusCode::OK);
    assert_eq!(
        header(&first, "ratelimit-policy"),
        "\"tenant-app-quota\";q=10;w=3600, \"jira-burst-based\";q=100;w=1"
    );
    let state = header(&first, "ratelimit").to_string();
    let body: serde_json::Value = first.json().await.unwrap();
    let objects = body["issueSecuritySchemes"].as_array().unwrap().len() as u64;
    // One point for the request, one per scheme returned.
    let remaining = 10 - (1 + objects);
    assert!(
        state.starts_with(&format!("\"tenant-app-quota\";r={remaining};t=")),
        "{state}"
    );

    let mut statuses = Vec::new();
    let mut last = None;
    for _ in 0..10 {
        let resp = send(reqwest::Method::GET, url.clone(), &bearer()).await;
        statuses.push(resp.status());
        if resp.status() == StatusCode::TOO_MANY_REQUESTS {
            last = Some(resp);
            break;
        }
    }
    let refused = last.expect("the quota runs out");
    assert_eq!(
        header(&refused, "ratelimit-reason"),
        "jira-quota-tenant-based"
    );
    let wait: u64 = header(&refused, "retry-after").parse().unwrap();
    assert!((1..=3600).contains(&wait), "{wait}");
    let reset = header(&refused, "x-ratelimit-reset");
    assert!(
        chrono::NaiveDateTime::parse_from_str(reset, "%Y-%m-%dT%H:%MZ").is_ok(),
        "Atlassian's minute form: {reset}"
    );
    assert!(header(&refused, "ratelimit").starts_with("\"tenant-app-quota\";r=0;"));
    assert_eq!(header(&refused, "x-ratelimit-nearlimit"), "true");
    assert_eq!(sandbox.rate_limit_stats().quota_limited, 1);

    // API-token traffic has no quota, only burst limits.
    let basic_resp = send(reqwest::Method::GET, url, &basic()).await;
    assert_eq!(basic_resp.status(), StatusCode::OK);
    assert!(
        !header(&basic_resp, "ratelimit").contains("tenant-app-quota"),
        "{}",
        header(&basic_resp, "ratelimit")
    );
    // Qwiet is not Jira: never limited.
    let (status, _) = qwiet_get(&format!(
        "{}/orgs/{}/apps",
        sandbox.qwiet_url(),
        appsec_sandbox::SANDBOX_ORG_ID
    ))
    .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn the_quota_resets_with_its_window() {
    let sandbox = start_with(limited(RateLimiting {
        quota_points: 1,
        window: Duration::from_secs(1),
        ..RateLimiting::default()
    }))
    .await;
    let url = format!("{}/rest/api/3/project/10000/securitylevel", sandbox.url());
    align_to(1).await;
    assert_eq!(
        send(reqwest::Method::GET, url.clone(), &bearer())
            .await
            .status(),
        StatusCode::OK
    );
    let refused = send(reqwest::Method::GET, url.clone(), &bearer()).await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    // A one-second window needs seconds in the reset time.
    let reset = header(&refused, "x-ratelimit-reset");
    assert!(
        chrono::NaiveDateTime::parse_from_str(reset, "%Y-%m-%dT%H:%M:%SZ").is_ok(),
        "{reset}"
    );
    align_to(1).await;
    assert_eq!(
        send(reqwest::Method::GET, url, &bearer()).await.status(),
        StatusCode::OK
    );
    // Each window was charged for one read: a point, plus one per level returned.
    let (_, levels) = jira_get(&sandbox, "/rest/api/3/project/10000/securitylevel").await;
    let cost = 1 + levels["levels"].as_array().unwrap().len() as u64;
    let per_window = sandbox.rate_limit_stats().points_per_window;
    assert_eq!(per_window[..2], [cost, cost], "{per_window:?}");
}

#[tokio::test]
async fn bursts_are_limited_per_endpoint_and_method() {
    let sandbox = start_with(limited(RateLimiting {
        burst_read: 3,
        ..RateLimiting::default()
    }))
    .await;
    let url = format!("{}{SCHEMES}", sandbox.url());
    let other = format!("{}/rest/api/3/issuesecurityschemes/level", sandbox.url());
    align_to(1).await;
    for _ in 0..3 {
        assert_eq!(
            send(reqwest::Method::GET, url.clone(), &basic())
                .await
                .status(),
            StatusCode::OK
        );
    }
    let refused = send(reqwest::Method::GET, url.clone(), &basic()).await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(header(&refused, "ratelimit-reason"), "jira-burst-based");
    assert_eq!(header(&refused, "retry-after"), "1");
    assert!(header(&refused, "ratelimit").starts_with("\"jira-burst-based\";r=0;t=1"));
    // Another endpoint, and the same path with another method, are unaffected.
    assert_eq!(
        send(reqwest::Method::GET, other, &basic()).await.status(),
        StatusCode::OK
    );
    let post = send(reqwest::Method::POST, url, &basic()).await;
    assert_ne!(post.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(sandbox.rate_limit_stats().burst_limited, 1);
}

#[tokio::test]
async fn writes_to_one_issue_are_limited() {
    let sandbox = start_with(limited(RateLimiting::default())).await;
    let issue = |key: &str| format!("{}/rest/api/3/issue/{key}/properties/sync", sandbox.url());
    align_to(2).await;
    for _ in 0..20 {
        let resp = send(reqwest::Method::PUT, issue("PROJ-1"), &basic()).await;
        assert_ne!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    }
    let refused = send(reqwest::Method::PUT, issue("PROJ-1"), &basic()).await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        header(&refused, "ratelimit-reason"),
        "jira-per-issue-on-write"
    );
    let other = send(reqwest::Method::PUT, issue("PROJ-2"), &basic()).await;
    assert_ne!(other.status(), StatusCode::TOO_MANY_REQUESTS);
    // Reads of the issue are not writes.
    let read = send(reqwest::Method::GET, issue("PROJ-1"), &basic()).await;
    assert_ne!(read.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(sandbox.rate_limit_stats().issue_limited, 1);
}

#[tokio::test]
async fn beta_header_names_on_request() {
    let sandbox = start_with(limited(RateLimiting {
        quota_points: 1,
        beta_headers: true,
        ..RateLimiting::default()
    }))
    .await;
    let url = format!("{}{SCHEMES}", sandbox.url());
    let ok = send(reqwest::Method::GET, url.clone(), &bearer()).await;
    assert!(ok.headers().get("ratelimit").is_none());
    assert!(header(&ok, "beta-ratelimit").starts_with("\"tenant-app-quota\";r=0;"));
    assert!(header(&ok, "beta-ratelimit-policy").starts_with("\"tenant-app-quota\";q=1;w=3600"));
    assert_eq!(header(&ok, "x-beta-ratelimit-nearlimit"), "true");
    let refused = send(reqwest::Method::GET, url, &bearer()).await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        header(&refused, "x-beta-ratelimit-reason"),
        "jira-quota-tenant-based"
    );
    assert!(refused.headers().get("x-beta-ratelimit-reset").is_some());
}

#[tokio::test]
async fn without_a_limiter_nothing_is_limited() {
    let sandbox = start().await;
    let url = format!("{}{SCHEMES}", sandbox.url());
    for _ in 0..150 {
        let resp = send(reqwest::Method::GET, url.clone(), &bearer()).await;
        assert_eq!(resp.status(), StatusCode::OK);
        assert!(resp.headers().get("ratelimit").is_none());
    }
    assert_eq!(sandbox.rate_limit_stats(), Default::default());
}
