//! Rate limits: a sync against the sandbox's Jira limiter with a small
//! quota and a short window, (a) with the SDK as shipped and (b) with its
//! shared rate-limit state off, so that each request only retries its own
//! 429s, as clients without shared state do.

use std::sync::atomic::{AtomicBool, Ordering};
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
    /// Of the 429s: quota, burst and per-issue ones.
    pub limited_by: [u64; 3],
    /// Wall time of the whole sync.
    pub wall: Duration,
    /// Points granted per window over the window's quota, averaged over
    /// every window but the last (in which the work ran out, not the quota).
    pub goodput: Option<f64>,
    /// Windows the run spanned.
    pub windows: usize,
    /// True when every vulnerability was accepted and every member read once.
    pub complete: bool,
    /// Per window: when its points were granted.
    pub timeline: Vec<WindowUse>,
}

/// How one quota window was used, from the limiter's count sampled every
/// few milliseconds.
#[derive(Debug, Clone)]
pub struct WindowUse {
    /// Points granted in the window.
    pub points: u64,
    /// Time into the window of the first and the last grant.
    pub first: Duration,
    /// See `first`.
    pub last: Duration,
    /// Time into the window when a fifth of the quota was left.
    pub near_limit: Option<Duration>,
}

fn unix_now() -> Duration {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
}

/// Samples (time since the epoch, points granted so far) every 2 ms until
/// `done` is set.
async fn sample_points(sandbox: &Sandbox, done: &AtomicBool) -> Vec<(Duration, u64)> {
    let mut samples = Vec::new();
    let mut last = u64::MAX;
    while !done.load(Ordering::Relaxed) {
        let total: u64 = sandbox.rate_limit_stats().points_per_window.iter().sum();
        if total != last {
            samples.push((unix_now(), total));
            last = total;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    samples
}

/// Groups the samples by the limiter's windows (aligned to the epoch).
fn timeline(samples: &[(Duration, u64)], sizes: Sizes) -> Vec<WindowUse> {
    let len = sizes.window.as_millis().max(1);
    let mut windows: Vec<(u128, WindowUse)> = Vec::new();
    let mut before = 0u64;
    for &(at, total) in samples {
        let index = at.as_millis() / len;
        let into = Duration::from_millis((at.as_millis() % len) as u64);
        let granted = total.saturating_sub(before);
        before = total;
        if granted == 0 {
            continue;
        }
        if windows.last().is_none_or(|(i, _)| *i != index) {
            windows.push((
                index,
                WindowUse {
                    points: 0,
                    first: into,
                    last: into,
                    near_limit: None,
                },
            ));
        }
        if let Some((_, w)) = windows.last_mut() {
            w.points += granted;
            w.last = into;
            if w.near_limit.is_none() && w.points as f64 >= 0.8 * sizes.quota_points as f64 {
                w.near_limit = Some(into);
            }
        }
    }
    windows.into_iter().map(|(_, w)| w).collect()
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
    // Start as a window opens: goodput is counted per window, and a first
    // window cut short by a random start would count against whichever
    // mode drew the later start.
    let len = sizes.window.as_millis().max(1);
    let into = unix_now().as_millis() % len;
    tokio::time::sleep(Duration::from_millis((len - into) as u64 + 5)).await;
    let started = Instant::now();
    let done = AtomicBool::new(false);
    let (complete, samples) = tokio::join!(
        async {
            let complete = sync(&jira, sizes).await;
            done.store(true, Ordering::Relaxed);
            complete
        },
        sample_points(&sandbox, &done)
    );
    let complete = complete?;

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
    let timeline = timeline(&samples, sizes);
    Ok(ModeResult {
        label,
        timeline,
        requests,
        limited: stats.limited(),
        limited_by: [
            stats.quota_limited,
            stats.burst_limited,
            stats.issue_limited,
        ],
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
        "| client | requests | 429s (quota / burst / issue) | 429 share | wall time | windows | goodput (share of allowance) | complete |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---|");
    for r in results {
        println!(
            "| {} | {} | {} ({} / {} / {}) | {:.2}% | {:.1} s | {} | {} | {} |",
            r.label,
            r.requests,
            r.limited,
            r.limited_by[0],
            r.limited_by[1],
            r.limited_by[2],
            100.0 * r.limited as f64 / r.requests.max(1) as f64,
            r.wall.as_secs_f64(),
            r.windows,
            r.goodput
                .map_or("n/a".to_string(), |g| format!("{:.1}%", 100.0 * g)),
            if r.complete { "yes" } else { "NO" }
        );
    }
    println!(
        "Per window, from the limiter's count sampled every 2 ms (points are counted when a response is finished, so a grant just before a reset can land in the next window):\n"
    );
    println!(
        "| client | window | points | share of quota | first grant | 80% reached | last grant |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for r in results {
        for (i, w) in r.timeline.iter().enumerate() {
            println!(
                "| {} | {} | {} | {:.1}% | {:.2} s | {} | {:.2} s |",
                r.label,
                i,
                w.points,
                100.0 * w.points as f64 / sizes.quota_points as f64,
                w.first.as_secs_f64(),
                w.near_limit
                    .map_or("—".to_string(), |t| format!("{:.2} s", t.as_secs_f64())),
                w.last.as_secs_f64(),
            );
        }
    }
    println!();
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
