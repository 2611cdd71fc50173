//! Reliability under injected faults (issue 8, parts 1 and 2).
//!
//! The sandbox answers 20% of requests with 429 (with `Retry-After: 0`, or
//! with no `Retry-After` at all), 10% with 503 and closes 5% of connections
//! unanswered, each decided per request from a seed. Against that the SDK
//! must page through 10,000 Jira level members and 10,000 Qwiet findings
//! with every item exactly once and in order, submit 5,000 vulnerabilities
//! so that each is accepted exactly once, and, once the retry policy is
//! exhausted, surface `Error::RetriesExhausted` with the last response.
//!
//! Each run prints one `FIGURES` line (see `cargo test -- --nocapture`);
//! RELIABILITY.md records them.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use appsec_sandbox::{Credentials, Faults, SANDBOX_ORG_ID, Sandbox, SandboxConfig};
use appsec_sdk::jira::Vulnerabilities;
use appsec_sdk::jira::security_info::types::VulnerabilityDetails;
use appsec_sdk::observe::{Event, Observer};
use appsec_sdk::qwiet::api::types::{CreateTeamRequest, Status};
use appsec_sdk::{ApiErrorBody, Error, JiraClient, Paginate, QwietClient, RetryPolicy, SendExt};
use futures::TryStreamExt;
use serde_json::json;
use uuid::Uuid;

#[path = "support/trace.rs"]
mod trace;

const MEMBERS: usize = 10_000;
const FINDINGS: usize = 10_000;
const VULNERABILITIES: usize = 5_000;
/// The big level of the sandbox's scheme 10000 (see `JiraState::seed`).
const BIG_LEVEL: &str = "10021";
const WORKSPACE: &str = "reliability-ws";

/// Retries fast enough for CI: 1 ms doubling to 4 ms, no jitter, and room
/// for 12 in a row (the chance of 13 faults in a row at 35% is about 1e-6).
fn fast_retries() -> RetryPolicy {
    RetryPolicy::default()
        .with_max_retries(12)
        .with_backoff(Duration::from_millis(1), Duration::from_millis(4))
        .with_jitter(false)
}

/// The issue's mix: 20% 429, 10% 503, 5% dropped connections.
fn mixed_faults(retry_after: bool) -> Faults {
    Faults {
        rate_limited: 0.20,
        retry_after_secs: Some(0),
        omit_retry_after: !retry_after,
        unavailable: 0.10,
        dropped: 0.05,
        ..Faults::default()
    }
}

async fn sandbox(faults: Faults, seed: u64, members: usize, findings: usize) -> Sandbox {
    Sandbox::start(SandboxConfig {
        faults,
        seed,
        jira_level_members: members,
        qwiet_findings: findings,
        ..SandboxConfig::default()
    })
    .await
    .expect("the sandbox starts")
}

fn jira(sandbox: &Sandbox, retry: RetryPolicy) -> JiraClient {
    let c = Credentials::default();
    // An app token: the calls below include Security Information.
    JiraClient::builder(sandbox.url())
        .bearer_token(c.bearer_token)
        .retry(retry)
        .build()
        .expect("a loopback URL is accepted")
}

fn qwiet(sandbox: &Sandbox, retry: RetryPolicy) -> QwietClient {
    QwietClient::builder()
        .base_url(sandbox.qwiet_url())
        .bearer_token(Credentials::default().qwiet_token)
        .retry(retry)
        .build()
        .expect("a loopback URL is accepted")
}

fn org() -> Uuid {
    SANDBOX_ORG_ID
        .parse()
        .expect("the sandbox org id is a UUID")
}

// ------------------------------------------------------------ retry counting

/// Every retry the SDK reports through its observer: operation, failed
/// attempt, status. Counted from the SDK's own events rather than from a
/// log capture: a subscriber set up per test can miss the first events of
/// a call site while other tests of this binary run, which made counts
/// flaky.
#[derive(Debug, Default)]
struct Resends(Mutex<Vec<(String, u32, Option<u16>)>>);

impl Observer for Resends {
    fn event(&self, event: &Event<'_>) {
        if let Event::Retry {
            operation,
            attempt,
            status,
            ..
        } = event
        {
            let mut seen = self.0.lock().unwrap_or_else(|e| e.into_inner());
            seen.push((operation.to_string(), *attempt, *status));
        }
    }
}

impl Resends {
    fn seen(&self) -> Vec<(String, u32, Option<u16>)> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Retries taken and the most attempts any single call needed.
    fn retries(&self) -> (usize, u32) {
        let seen = self.seen();
        let max_attempt = seen.iter().map(|(_, attempt, _)| *attempt).max();
        (seen.len(), max_attempt.unwrap_or(0) + 1)
    }
}

/// [`jira`], with its retries recorded in `resends`.
fn counted_jira(sandbox: &Sandbox, retry: RetryPolicy, resends: &Arc<Resends>) -> JiraClient {
    JiraClient::builder(sandbox.url())
        .bearer_token(Credentials::default().bearer_token)
        .retry(retry)
        .observer(resends.clone())
        .build()
        .expect("a loopback URL is accepted")
}

/// [`qwiet`], with its retries recorded in `resends`.
fn counted_qwiet(sandbox: &Sandbox, retry: RetryPolicy, resends: &Arc<Resends>) -> QwietClient {
    QwietClient::builder()
        .base_url(sandbox.qwiet_url())
        .bearer_token(Credentials::default().qwiet_token)
        .retry(retry)
        .observer(resends.clone())
        .build()
        .expect("a loopback URL is accepted")
}

/// What one run cost.
struct Figures {
    what: &'static str,
    items: usize,
    requests: u64,
    faults: u64,
    retries: usize,
    max_attempts: u32,
    elapsed: Duration,
}

impl Figures {
    fn print(&self) {
        println!(
            "FIGURES {}: items={} requests={} faults_injected={} retries={} max_attempts_per_call={} time_ms={}",
            self.what,
            self.items,
            self.requests,
            self.faults,
            self.retries,
            self.max_attempts,
            self.elapsed.as_millis()
        );
    }
}

// ------------------------------------------------------------ Jira members

async fn member_ids(jira: &JiraClient, concurrency: usize) -> Result<Vec<String>, Error> {
    jira.issue_security()
        .get_security_level_members()
        .level_id(vec![BIG_LEVEL.to_string()])
        .paginate()
        .page_size(50)
        .concurrency(concurrency)
        .items()
        .map_ok(|m| {
            assert_eq!(m.issue_security_level_id, BIG_LEVEL);
            m.id
        })
        .try_collect()
        .await
}

/// The same seed gives the same data with or without faults (faults come
/// from a separate random stream), so a fault-free sandbox is the reference.
async fn reference_member_ids(seed: u64) -> Vec<String> {
    let clean = sandbox(Faults::default(), seed, MEMBERS, 0).await;
    let ids = member_ids(&jira(&clean, RetryPolicy::none()), 1)
        .await
        .expect("a fault-free listing succeeds");
    assert_eq!(clean.stats().faults_injected, 0);
    ids
}

fn assert_once_in_order(ids: &[String], what: &str) {
    let unique: HashSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "{what}: an item arrived twice");
    let numbers: Vec<u64> = ids
        .iter()
        .map(|id| id.parse().expect("numeric ids"))
        .collect();
    assert!(
        numbers.windows(2).all(|w| w[0] < w[1]),
        "{what}: items out of order"
    );
}

async fn members_through_faults(what: &'static str, seed: u64, retry_after: bool, conc: usize) {
    let expected = reference_member_ids(seed).await;
    assert_eq!(expected.len(), MEMBERS);
    assert_once_in_order(&expected, "reference listing");

    let faulty = sandbox(mixed_faults(retry_after), seed, MEMBERS, 0).await;
    let resends = Arc::new(Resends::default());
    let started = Instant::now();
    let ids = member_ids(&counted_jira(&faulty, fast_retries(), &resends), conc)
        .await
        .expect("every page succeeds within 12 retries");
    let elapsed = started.elapsed();

    assert_eq!(ids.len(), MEMBERS);
    assert_once_in_order(&ids, what);
    assert!(
        ids == expected,
        "{what}: differs from the fault-free listing"
    );

    let stats = faulty.stats();
    let (retries, max_attempts) = resends.retries();
    assert!(stats.faults_injected > 0, "no fault was injected");
    // Each injected fault cost exactly one retry, and nothing else did: 200
    // pages of 50 plus one request per fault.
    assert_eq!(retries as u64, stats.faults_injected);
    assert_eq!(
        stats.requests,
        (MEMBERS / 50) as u64 + stats.faults_injected
    );
    assert!(max_attempts <= 13);
    assert!(elapsed < Duration::from_secs(30), "{elapsed:?}");
    Figures {
        what,
        items: ids.len(),
        requests: stats.requests,
        faults: stats.faults_injected,
        retries,
        max_attempts,
        elapsed,
    }
    .print();
}

#[tokio::test]
async fn jira_members_arrive_once_in_order_through_faults_with_retry_after() {
    members_through_faults("jira members, sequential, Retry-After: 0", 8, true, 1).await;
}

#[tokio::test]
async fn jira_members_arrive_once_in_order_through_faults_without_retry_after_concurrently() {
    members_through_faults("jira members, concurrency 4, no Retry-After", 9, false, 4).await;
}

// ------------------------------------------------------------ Qwiet findings

async fn finding_ids(qwiet: &QwietClient) -> Result<Vec<String>, Error> {
    qwiet
        .api()
        .list_org_findings()
        .org_id(org())
        .status(Status::Any)
        .per_page(100)
        .paginate()
        .items()
        .map_ok(|f| f.id)
        .try_collect()
        .await
}

async fn findings_through_faults(what: &'static str, seed: u64, retry_after: bool) {
    let clean = sandbox(Faults::default(), seed, 0, FINDINGS).await;
    let expected = finding_ids(&qwiet(&clean, RetryPolicy::none()))
        .await
        .expect("a fault-free listing succeeds");
    drop(clean);
    // `status=any`: all of them, not only the `unset` ones Qwiet lists by default.
    assert_eq!(expected.len(), FINDINGS);
    let mut ascending = expected.clone();
    ascending.reverse(); // Qwiet lists newest (highest id) first.
    assert_once_in_order(&ascending, "reference listing");

    let faulty = sandbox(mixed_faults(retry_after), seed, 0, FINDINGS).await;
    let resends = Arc::new(Resends::default());
    let started = Instant::now();
    let ids = finding_ids(&counted_qwiet(&faulty, fast_retries(), &resends))
        .await
        .expect("every page succeeds within 12 retries");
    let elapsed = started.elapsed();

    assert_eq!(ids.len(), FINDINGS);
    assert!(
        ids == expected,
        "{what}: differs from the fault-free listing"
    );

    let stats = faulty.stats();
    let (retries, max_attempts) = resends.retries();
    assert!(stats.faults_injected > 0, "no fault was injected");
    assert_eq!(retries as u64, stats.faults_injected);
    assert_eq!(
        stats.requests,
        (FINDINGS / 100) as u64 + stats.faults_injected
    );
    assert!(elapsed < Duration::from_secs(30), "{elapsed:?}");
    Figures {
        what,
        items: ids.len(),
        requests: stats.requests,
        faults: stats.faults_injected,
        retries,
        max_attempts,
        elapsed,
    }
    .print();
}

#[tokio::test]
async fn qwiet_findings_arrive_once_in_order_through_faults_with_retry_after() {
    findings_through_faults("qwiet findings, Retry-After: 0", 21, true).await;
}

#[tokio::test]
async fn qwiet_findings_arrive_once_in_order_through_faults_without_retry_after() {
    findings_through_faults("qwiet findings, no Retry-After", 22, false).await;
}

// ------------------------------------------------------------ exhausted retries

fn one_retry() -> RetryPolicy {
    fast_retries().with_max_retries(1)
}

#[tokio::test]
async fn jira_listing_with_every_request_rate_limited_exhausts_with_the_last_429() {
    let faults = Faults {
        rate_limited: 1.0,
        ..Faults::default()
    };
    let sb = sandbox(faults, 1, 10, 0).await;
    let err = member_ids(&jira(&sb, one_retry()), 1).await.unwrap_err();
    let Error::RetriesExhausted { attempts, last } = &err else {
        panic!("expected RetriesExhausted, got {err:?}");
    };
    assert_eq!(*attempts, 2);
    assert_eq!(last.status, 429);
    assert_eq!(last.headers["retry-after"], "0");
    assert_eq!(last.headers["x-ratelimit-remaining"], "0");
    assert_eq!(
        last.body,
        ApiErrorBody::Jira {
            messages: vec!["Rate limit exceeded (injected by the sandbox).".into()],
            errors: Default::default(),
        }
    );
    assert_eq!(sb.stats().requests, 2);
}

#[tokio::test]
async fn qwiet_listing_with_every_request_unavailable_exhausts_with_the_last_503() {
    let faults = Faults {
        unavailable: 1.0,
        ..Faults::default()
    };
    let sb = sandbox(faults, 1, 0, 10).await;
    let err = finding_ids(&qwiet(&sb, fast_retries().with_max_retries(3)))
        .await
        .unwrap_err();
    let Error::RetriesExhausted { attempts, last } = &err else {
        panic!("expected RetriesExhausted, got {err:?}");
    };
    assert_eq!(*attempts, 4);
    assert_eq!(last.status, 503);
    assert_eq!(
        last.body,
        ApiErrorBody::Qwiet {
            code: "SERVICE_UNAVAILABLE".into(),
            message: "Service temporarily unavailable (injected by the sandbox).".into(),
            validation_errors: vec![],
        }
    );
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(sb.stats().requests, 4);
}

#[tokio::test]
async fn bulk_submit_with_every_request_rate_limited_reports_each_id_failed() {
    let faults = Faults {
        rate_limited: 1.0,
        omit_retry_after: true,
        ..Faults::default()
    };
    let sb = sandbox(faults, 1, 0, 0).await;
    let jira = jira(&sb, one_retry());
    // Linking is exhausted too: an error, not a silent success.
    let err = jira.link_workspaces([WORKSPACE]).await.unwrap_err();
    let Error::RetriesExhausted { last, .. } = &err else {
        panic!("expected RetriesExhausted, got {err:?}");
    };
    assert!(last.headers.get("retry-after").is_none());
    assert!(
        matches!(&last.body, ApiErrorBody::SecurityInfo(m) if m[0].message.contains("Rate limit"))
    );

    let batch = Vulnerabilities::new((0..1500).map(|i| vulnerability(i, 1)).collect());
    let report = jira.submit_vulnerabilities(batch).await.unwrap();
    assert!(report.accepted.is_empty());
    assert_eq!(report.failed.len(), 1500);
    assert_eq!(report.requests, 2);
    let reason = &report.failed["vuln-00042"][0].message;
    assert!(
        reason.starts_with("gave up after 2 attempts; the last answer was 429"),
        "{reason}"
    );
    assert!(sb.stats().vulnerability_deliveries.is_empty());
}

#[tokio::test]
async fn a_retry_after_beyond_the_time_budget_gives_up_at_once() {
    let faults = Faults {
        rate_limited: 1.0,
        retry_after_secs: Some(30),
        ..Faults::default()
    };
    let sb = sandbox(faults, 1, 10, 0).await;
    let started = Instant::now();
    let err = member_ids(
        &jira(&sb, fast_retries().with_budget(Duration::from_secs(1))),
        1,
    )
    .await
    .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(5));
    let Error::RetriesExhausted { attempts, last } = &err else {
        panic!("expected RetriesExhausted, got {err:?}");
    };
    assert_eq!(*attempts, 1, "no retry can fit in the budget");
    assert_eq!(last.headers["retry-after"], "30");
    assert_eq!(sb.stats().requests, 1);
}

#[tokio::test]
async fn dropped_connections_on_reads_are_retried_then_surface_as_transport() {
    let faults = Faults {
        dropped: 1.0,
        ..Faults::default()
    };
    let sb = sandbox(faults, 1, 10, 0).await;
    let err = member_ids(&jira(&sb, fast_retries().with_max_retries(2)), 1)
        .await
        .unwrap_err();
    // No response ever came, so there is none to carry: Transport, not
    // RetriesExhausted.
    assert!(matches!(err, Error::Transport(_)), "{err:?}");
    assert_eq!(err.status(), None);
    assert_eq!(sb.stats().requests, 3, "a GET is resent after a drop");
}

async fn create_team(sb: &Sandbox) -> Result<(), Error> {
    let body = CreateTeamRequest::builder()
        .applications(vec![])
        .members(vec![])
        .name("Reliability");
    qwiet(sb, fast_retries())
        .api()
        .create_team()
        .org_id(org())
        .body(body)
        .send()
        .value()
        .await
        .map(drop)
}

#[tokio::test]
async fn a_post_that_is_not_idempotent_is_never_resent_after_a_drop() {
    for faults in [
        Faults {
            dropped: 1.0,
            ..Faults::default()
        },
        Faults {
            dropped_after_processing: 1.0,
            ..Faults::default()
        },
    ] {
        let sb = sandbox(faults.clone(), 1, 0, 0).await;
        let err = create_team(&sb).await.unwrap_err();
        assert!(matches!(err, Error::Transport(_)), "{faults:?}: {err:?}");
        assert_eq!(sb.stats().requests, 1, "{faults:?}: the POST was resent");
    }
}

#[tokio::test]
async fn a_post_that_is_not_idempotent_is_resent_after_429_and_503() {
    // The server did not act on a 429 or 503, so resending is safe.
    let faults = Faults {
        rate_limited: 0.5,
        unavailable: 0.5,
        ..Faults::default()
    };
    let sb = sandbox(faults, 1, 0, 0).await;
    let err = create_team(&sb).await.unwrap_err();
    assert!(
        matches!(err, Error::RetriesExhausted { attempts: 13, .. }),
        "{err:?}"
    );
    assert_eq!(sb.stats().requests, 13);
}

// ------------------------------------------------------------ bulk submit

fn vulnerability(i: usize, usn: i64) -> VulnerabilityDetails {
    serde_json::from_value(json!({
        "schemaVersion": "1.0",
        "id": format!("vuln-{i:05}"),
        "updateSequenceNumber": usn,
        "containerId": WORKSPACE,
        "displayName": format!("Finding {i}"),
        "description": "Found by the reliability suite.",
        "url": format!("https://scanner.example.com/findings/{i}"),
        "type": "sast",
        "introducedDate": "2026-01-10T10:00:00Z",
        "lastUpdated": "2026-01-12T08:30:00Z",
        "severity": {"level": "high"},
        "status": "open"
    }))
    .expect("a valid vulnerability")
}

fn batch(usn: i64) -> Vulnerabilities {
    Vulnerabilities::new(
        (0..VULNERABILITIES)
            .map(|i| vulnerability(i, usn))
            .collect(),
    )
    .property("source", "reliability")
    .provider("appsec-sdk reliability suite")
}

/// Links the workspace (retried like any idempotent call) and submits.
async fn link_and_submit(
    jira: &JiraClient,
    usn: i64,
) -> Result<appsec_sdk::jira::SubmitReport, Error> {
    jira.link_workspaces([WORKSPACE]).await?;
    jira.submit_vulnerabilities(batch(usn)).await
}

fn assert_each_reported_once(report: &appsec_sdk::jira::SubmitReport) {
    assert_eq!(report.accepted.len() + report.failed.len(), VULNERABILITIES);
    let accepted: HashSet<&String> = report.accepted.iter().collect();
    assert_eq!(accepted.len(), report.accepted.len(), "accepted twice");
    assert!(report.failed.keys().all(|id| !accepted.contains(id)));
}

#[tokio::test]
async fn bulk_submit_through_faults_accepts_each_vulnerability_exactly_once() {
    // Seed 36 drops the connection of two submissions (and of the link).
    let sb = sandbox(mixed_faults(true), 36, 0, 0).await;
    let resends = Arc::new(Resends::default());
    let jira = counted_jira(&sb, fast_retries(), &resends);
    let started = Instant::now();
    let report = link_and_submit(&jira, 7).await.expect("nothing invalid");
    let elapsed = started.elapsed();

    assert_each_reported_once(&report);
    assert!(report.all_accepted(), "{:?}", report.failed.iter().next());
    assert_eq!(report.requests, VULNERABILITIES / 1000);

    let stats = sb.stats();
    // Drops happen before the sandbox reads the body, so a resent request
    // was never processed: each id was delivered once, with its number.
    assert_eq!(stats.vulnerability_deliveries.len(), VULNERABILITIES);
    for (id, usns) in &stats.vulnerability_deliveries {
        assert_eq!(usns, &[7], "{id} delivered {usns:?}");
    }
    let (retries, max_attempts) = resends.retries();
    let resent_after_drop = resends
        .seen()
        .iter()
        .filter(|(operation, _, status)| operation == "submit_vulnerabilities" && status.is_none())
        .count();
    assert!(resent_after_drop > 0, "the seed must drop a submission");
    assert!(stats.faults_injected > 0);
    assert_eq!(retries as u64, stats.faults_injected);
    Figures {
        what: "bulk submit 5,000, Retry-After: 0",
        items: report.accepted.len(),
        requests: stats.requests,
        faults: stats.faults_injected,
        retries,
        max_attempts,
        elapsed,
    }
    .print();
}

#[tokio::test]
async fn bulk_submit_whose_answers_are_lost_is_redelivered_but_applied_once() {
    // As before, plus 10% of requests processed and then dropped: the SDK
    // cannot tell those from the others, and resends (the submission is an
    // idempotent upsert keyed by id and updateSequenceNumber).
    let faults = Faults {
        dropped_after_processing: 0.10,
        ..mixed_faults(false)
    };
    let sb = sandbox(faults, 5, 0, 0).await;
    let resends = Arc::new(Resends::default());
    let jira = counted_jira(&sb, fast_retries(), &resends);
    let started = Instant::now();
    let report = link_and_submit(&jira, 9).await.expect("nothing invalid");
    let elapsed = started.elapsed();

    assert_each_reported_once(&report);
    assert!(report.all_accepted());
    let stats = sb.stats();
    let twice: Vec<&String> = stats
        .vulnerability_deliveries
        .iter()
        .filter(|(_, usns)| usns.len() > 1)
        .map(|(id, _)| id)
        .collect();
    assert!(
        !twice.is_empty(),
        "this seed is meant to lose at least one answer to a submission"
    );
    // Redelivered whole chunks of 1000, always with the same number: the
    // second delivery changes nothing.
    assert_eq!(twice.len() % 1000, 0);
    for (id, usns) in &stats.vulnerability_deliveries {
        assert!(usns.iter().all(|n| *n == 9), "{id}: {usns:?}");
    }
    let (retries, max_attempts) = resends.retries();
    // Reads go through the same faults; retries make them succeed.
    let stored = jira
        .security_info()
        .unwrap()
        .get_vulnerability_by_id()
        .vulnerability_id(twice[0].as_str())
        .send()
        .value()
        .await
        .expect("the redelivered vulnerability is stored");
    assert_eq!(stored.update_sequence_number, 9);
    Figures {
        what: "bulk submit 5,000, no Retry-After, 10% answers lost after processing",
        items: report.accepted.len(),
        requests: stats.requests,
        faults: stats.faults_injected,
        retries,
        max_attempts,
        elapsed,
    }
    .print();
    println!(
        "FIGURES redelivered vulnerabilities (same updateSequenceNumber): {}",
        twice.len()
    );
}

// ------------------------------------------------------------ secrets

/// Every credential of the secrets test starts with this, so one search
/// finds any of them.
const MARK: &str = "SECRET-";

fn secret_credentials() -> Credentials {
    Credentials {
        jira_email: "reliability@example.com".into(),
        jira_api_token: format!("{MARK}basic-7d1f9a"),
        bearer_token: format!("{MARK}bearer-2b8c4e"),
        connect_app_key: "com.example.reliability".into(),
        connect_shared_secret: format!("{MARK}shared-5e0a33"),
        qwiet_token: format!("{MARK}qwiet-91fd02"),
    }
}

/// The four ways the SDK authenticates, against `base` (Jira) and
/// `qwiet_base`, with the given credentials.
fn every_auth(
    base: &str,
    qwiet_base: &str,
    c: &Credentials,
    retry: RetryPolicy,
) -> (Vec<JiraClient>, QwietClient) {
    let jira = vec![
        JiraClient::builder(base)
            .basic_auth(c.jira_email.clone(), c.jira_api_token.clone())
            .retry(retry.clone())
            .build()
            .unwrap(),
        JiraClient::builder(base)
            .bearer_token(c.bearer_token.clone())
            .retry(retry.clone())
            .build()
            .unwrap(),
        JiraClient::builder(base)
            .connect_jwt(c.connect_app_key.clone(), c.connect_shared_secret.clone())
            .retry(retry.clone())
            .build()
            .unwrap(),
    ];
    let qwiet = QwietClient::builder()
        .base_url(qwiet_base)
        .bearer_token(c.qwiet_token.clone())
        .retry(retry)
        .build()
        .unwrap();
    (jira, qwiet)
}

/// Runs a member listing on every Jira client and a findings listing on
/// Qwiet; returns the errors.
async fn list_with_every_auth(jira: &[JiraClient], qwiet: &QwietClient) -> Vec<Error> {
    let mut errors = Vec::new();
    for client in jira {
        if let Err(e) = member_ids(client, 1).await {
            errors.push(e);
        }
        // Security Information refuses basic auth before sending anything.
        let Ok(security_info) = client.security_info() else {
            continue;
        };
        if let Err(e) = security_info.get_linked_workspaces().send().value().await {
            errors.push(e);
        }
    }
    if let Err(e) = finding_ids(qwiet).await {
        errors.push(e);
    }
    errors
}

/// TRACE logs of everything (the SDK's `tracing` events and, bridged, the
/// `log` records of reqwest and hyper) and every error rendered with `{}`,
/// `{:?}` and `{:#?}` must hold no token, password, shared secret, JWT or
/// base64 basic credential.
#[tokio::test]
async fn no_secret_reaches_trace_logs_or_rendered_errors() {
    // The whole binary's logs: a subscriber for this test's thread alone
    // misses events whose call site another test reached first.
    let captured = trace::capture();

    let c = secret_credentials();
    let config = |faults: Faults| SandboxConfig {
        credentials: c.clone(),
        faults,
        seed: 12,
        qwiet_findings: 300,
        ..SandboxConfig::default()
    };
    let mut errors: Vec<Error> = Vec::new();

    // Faulty but successful runs with each kind of credential.
    let faulty = Sandbox::start(config(mixed_faults(true))).await.unwrap();
    let (jira, qwiet) = every_auth(&faulty.url(), &faulty.qwiet_url(), &c, fast_retries());
    let failed = list_with_every_auth(&jira, &qwiet).await;
    assert!(failed.is_empty(), "{failed:?}");
    assert!(faulty.stats().faults_injected > 0);
    assert_eq!(faulty.stats().rejected_auth, 0, "the JWTs verify");

    // Wrong credentials of each kind: Auth errors.
    let wrong = Credentials {
        jira_api_token: format!("{MARK}wrong-basic-0aa1"),
        bearer_token: format!("{MARK}wrong-bearer-0bb2"),
        connect_shared_secret: format!("{MARK}wrong-shared-0cc3"),
        qwiet_token: format!("{MARK}wrong-qwiet-0dd4"),
        ..c.clone()
    };
    let (jira, qwiet) = every_auth(&faulty.url(), &faulty.qwiet_url(), &wrong, fast_retries());
    let failed = list_with_every_auth(&jira, &qwiet).await;
    // Three Jira clients times two APIs, less basic auth on Security
    // Information (refused before sending), plus Qwiet.
    assert_eq!(failed.len(), 6);
    assert!(
        failed.iter().all(|e| matches!(e, Error::Auth(_))),
        "{failed:?}"
    );
    errors.extend(failed);

    // Rate limits and outages that outlast the retries.
    for faults in [
        Faults {
            rate_limited: 1.0,
            ..Faults::default()
        },
        Faults {
            unavailable: 1.0,
            ..Faults::default()
        },
    ] {
        let sb = Sandbox::start(config(faults)).await.unwrap();
        let (jira, qwiet) = every_auth(&sb.url(), &sb.qwiet_url(), &c, one_retry());
        let failed = list_with_every_auth(&jira, &qwiet).await;
        assert_eq!(failed.len(), 6);
        assert!(
            failed
                .iter()
                .all(|e| matches!(e, Error::RetriesExhausted { .. })),
            "{failed:?}"
        );
        errors.extend(failed);
    }

    // Dropped connections: transport errors.
    let dropping = Sandbox::start(config(Faults {
        dropped: 1.0,
        ..Faults::default()
    }))
    .await
    .unwrap();
    let (jira, qwiet) = every_auth(&dropping.url(), &dropping.qwiet_url(), &c, one_retry());
    let failed = list_with_every_auth(&jira, &qwiet).await;
    assert!(failed.iter().all(|e| matches!(e, Error::Transport(_))));
    errors.extend(failed);

    // A server that records what was sent: the JWTs and the basic header.
    let mock = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::any())
        .respond_with(
            wiremock::ResponseTemplate::new(503)
                .insert_header("retry-after", "0")
                .set_body_string("<html>Service Unavailable</html>"),
        )
        .mount(&mock)
        .await;
    let (jira, qwiet) = every_auth(
        &mock.uri(),
        &format!("{}/api/v4", mock.uri()),
        &c,
        one_retry(),
    );
    errors.extend(list_with_every_auth(&jira, &qwiet).await);
    let mut rendered = jira
        .iter()
        .map(|j| format!("{j:?}"))
        .chain([format!("{qwiet:?}")])
        .collect::<Vec<_>>()
        .join("\n");

    // Errors raised before anything is sent.
    errors.push(
        JiraClient::builder(format!(
            "https://me:{}@example.atlassian.net",
            c.jira_api_token
        ))
        .build()
        .unwrap_err(),
    );
    // A static token that cannot be a header value is refused when the
    // client is built, before any request exists.
    let bad_token = JiraClient::builder(mock.uri())
        .bearer_token(format!("{}\n", c.bearer_token))
        .build()
        .unwrap_err();
    assert!(matches!(bad_token, Error::Config(_)), "{bad_token:?}");
    errors.push(bad_token);

    for e in &errors {
        rendered.push_str(&format!("{e}\n{e:?}\n{e:#?}\n"));
    }
    let logs = captured.text();
    assert!(logs.contains("retrying request"), "retries are logged");
    assert!(logs.contains("TRACE"), "TRACE events are captured");

    // What was actually sent, taken from the requests the mock received.
    let mut sent_secrets: Vec<String> = Vec::new();
    for request in mock.received_requests().await.unwrap() {
        let header = request.headers["authorization"]
            .to_str()
            .unwrap()
            .to_string();
        let (scheme, value) = header.split_once(' ').unwrap();
        sent_secrets.push(value.to_string());
        if scheme == "JWT" {
            // The signature alone is as secret as the token.
            sent_secrets.push(value.rsplit('.').next().unwrap().to_string());
        }
    }
    assert!(
        sent_secrets.iter().any(|s| s.matches('.').count() == 2),
        "a JWT was sent"
    );
    use base64::Engine as _;
    let basic = base64::engine::general_purpose::STANDARD
        .encode(format!("{}:{}", c.jira_email, c.jira_api_token));
    assert!(
        sent_secrets.contains(&basic),
        "the basic credential was sent"
    );

    for (name, text) in [("logs", &logs), ("errors", &rendered)] {
        assert!(!text.contains(MARK), "a credential is in the {name}");
        for secret in &sent_secrets {
            assert!(
                !text.contains(secret.as_str()),
                "{secret:?} is in the {name}"
            );
        }
    }
    println!(
        "FIGURES secrets: {} bytes of TRACE logs and {} rendered errors checked against {} sent credentials",
        logs.len(),
        errors.len(),
        sent_secrets.len()
    );
}
