//! Rate limits: a sync against the sandbox's Jira limiter with a small
//! quota and a short window, (a) with the SDK as shipped and (b) with its
//! shared rate-limit state off, so that each request only retries its own
//! 429s, as clients without shared state do.

use std::time::{Duration, Instant};

use appsec_sandbox::{
    DEMO_CONNECT_APP_KEY, DEMO_CONNECT_SHARED_SECRET, RateLimiting, Sandbox, SandboxConfig,
};
use appsec_sdk::jira::Vulnerabilities;
use appsec_sdk::jira::security_info::types::VulnerabilityDetails;
use appsec_sdk::{JiraClient, Paginate, RateLimits};
use futures::TryStreamExt;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The sandbox's level with `jira_level_members` members.
const BIG_LEVEL: &str = "10021";
const WORKSPACE: &str = "bench-ws";
/// Requests in flight in each phase.
const IN_FLIGHT: usize = 4;

/// The workload and the limiter it runs against.
#[derive(Debug, Clone, Copy)]
pub struct Sizes {
    /// Vulnerabilities pushed, in `IN_FLIGHT` concurrent batches.
    pub vulnerabilities: usize,
    /// Level members read, `IN_FLIGHT` pages at a time.
    pub members: usize,
    /// Points per window.
    pub quota_points: u64,
    /// The window standing in for Jira's hour.
    pub window: Duration,
}

/// One run.
#[derive(Debug, Clone)]
pub struct ModeResult {
    /// Which client.
    pub label: &'static str,
    /// Requests the sandbox received.
    pub requests: u64,
    /// Of those, answered 429.
    pub limited: u64,
    /// Wall time of the whole sync.
    pub wall: Duration,
    /// Points granted per window over the window's quota, averaged over
    /// every window but the last (in which the work ran out, not the quota).
    pub goodput: Option<f64>,
    /// Windows the run spanned.
    pub windows: usize,
    /// True when every vulnerability was accepted and every member read once.
    pub complete: bool,
}

fn vulnerability(i: usize) -> Result<VulnerabilityDetails, BoxError> {
    Ok(serde_json::from_value(serde_json::json!({
        "schemaVersion": "1.0",
        "id": format!("vuln-{i:06}"),
        "updateSequenceNumber": 1,
        "containerId": WORKSPACE,
        "displayName": format!("Finding {i}"),
        "description": "Pushed by the rate-limit benchmark.",
        "url": format!("https://scanner.example.com/findings/{i}"),
        "type": "sast",
        "introducedDate": "2026-01-10T10:00:00Z",
        "lastUpdated": "2026-01-12T08:30:00Z",
        "severity": {"level": "high"},
        "status": "open"
    }))?)
}

async fn sync(jira: &JiraClient, sizes: Sizes) -> Result<bool, BoxError> {
    jira.link_workspaces([WORKSPACE]).await?;
    let per_batch = sizes.vulnerabilities.div_ceil(IN_FLIGHT);
    let mut batches = Vec::new();
    for b in 0..IN_FLIGHT {
        let ids = (b * per_batch)..((b + 1) * per_batch).min(sizes.vulnerabilities);
        let items = ids.map(vulnerability).collect::<Result<Vec<_>, _>>()?;
        batches.push(jira.submit_vulnerabilities(Vulnerabilities::new(items)));
    }
    let reports = futures::future::try_join_all(batches).await?;
    let accepted: usize = reports.iter().map(|r| r.accepted.len()).sum();
    let members: Vec<_> = jira
        .issue_security()
        .get_security_level_members()
        .level_id(vec![BIG_LEVEL.to_string()])
        .paginate()
        .concurrency(IN_FLIGHT)
        .items()
        .try_collect()
        .await?;
    Ok(accepted == sizes.vulnerabilities && members.len() == sizes.members)
}

async fn one(
    label: &'static str,
    limits: RateLimits,
    sizes: Sizes,
) -> Result<ModeResult, BoxError> {
    let sandbox = Sandbox::start(SandboxConfig {
        jira_level_members: sizes.members,
        qwiet_findings: 0,
        rate_limiting: Some(RateLimiting {
            quota_points: sizes.quota_points,
            window: sizes.window,
            ..RateLimiting::default()
        }),
        ..SandboxConfig::default()
    })
    .await?;
    let jira = JiraClient::builder(sandbox.url())
        .connect_jwt(DEMO_CONNECT_APP_KEY, DEMO_CONNECT_SHARED_SECRET)
        .rate_limits(limits)
        .build()?;
    let started = Instant::now();
    let complete = sync(&jira, sizes).await?;
    let wall = started.elapsed();
    let stats = sandbox.rate_limit_stats();
    let requests = sandbox.stats().requests;
    sandbox.shutdown().await;
    let per_window = &stats.points_per_window;
    let full = &per_window[..per_window.len().saturating_sub(1)];
    let goodput = (!full.is_empty()).then(|| {
        full.iter().map(|p| *p as f64).sum::<f64>()
            / (full.len() as f64 * sizes.quota_points as f64)
    });
    Ok(ModeResult {
        label,
        requests,
        limited: stats.limited(),
        wall,
        goodput,
        windows: per_window.len(),
        complete,
    })
}

/// Runs (a) and then (b).
pub async fn run(sizes: Sizes) -> Result<Vec<ModeResult>, BoxError> {
    Ok(vec![
        one("(a) SDK as shipped", RateLimits::default(), sizes).await?,
        one(
            "(b) shared state off (retry only)",
            RateLimits::off(),
            sizes,
        )
        .await?,
    ])
}

/// Prints the section.
pub fn print(sizes: Sizes, results: &[ModeResult]) {
    println!("## Rate limits\n");
    println!(
        "Push {} vulnerabilities and read {} level members, {IN_FLIGHT} requests in flight, \
         against the sandbox's Jira limiter: {} points per {} s window, 1 point per request \
         plus 1 per object read, Connect JWT.\n",
        sizes.vulnerabilities,
        sizes.members,
        sizes.quota_points,
        sizes.window.as_secs_f64()
    );
    println!(
        "| client | requests | 429s | 429 share | wall time | windows | goodput (share of allowance) | complete |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---|");
    for r in results {
        println!(
            "| {} | {} | {} | {:.2}% | {:.1} s | {} | {} | {} |",
            r.label,
            r.requests,
            r.limited,
            100.0 * r.limited as f64 / r.requests.max(1) as f64,
            r.wall.as_secs_f64(),
            r.windows,
            r.goodput
                .map_or("n/a".to_string(), |g| format!("{:.1}%", 100.0 * g)),
            if r.complete { "yes" } else { "NO" }
        );
    }
    if let [a, b] = results {
        if a.limited == 0 {
            println!("\n(a) received no 429; (b) received {}.\n", b.limited);
        } else {
            println!(
                "\n(b) received {:.1} times as many 429s as (a).\n",
                b.limited as f64 / a.limited as f64
            );
        }
    }
}
