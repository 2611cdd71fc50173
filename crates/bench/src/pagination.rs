//! Pagination: every member of a big Jira security level, 50 per page, from
//! a sandbox that waits before every answer, one page at a time versus
//! several pages in flight.
//!
//! With the `peers` feature, the same members are also listed through the
//! scheme-members endpoint, the one `jira` 0.4 streams, by the SDK and by
//! `jira` 0.4's `stream()`, and the items are compared.

use std::time::Instant;

use appsec_sandbox::{
    DEMO_JIRA_API_TOKEN, DEMO_JIRA_EMAIL, Faults, JIRA_MAX_RESULTS, Sandbox, SandboxConfig,
};
use appsec_sdk::{JiraClient, Paginate};
use futures::TryStreamExt;

use crate::stats::Summary;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The sandbox's level with `jira_level_members` members.
const BIG_LEVEL: &str = "10021";
/// The scheme that level belongs to.
#[cfg(feature = "peers")]
const BIG_SCHEME: i64 = 10000;

/// What to list and how often.
#[derive(Debug, Clone, Copy)]
pub struct Sizes {
    /// Members of the big level.
    pub members: usize,
    /// Delay the sandbox adds to every answer, in ms.
    pub delay_ms: u64,
    /// Times each mode is run (interleaved); the median wall time is reported.
    pub repeats: usize,
}

/// Pages in flight for each mode; 1 is the sequential stream.
pub const MODES: [usize; 3] = [1, 4, 8];

/// Wall time of one mode.
#[derive(Debug, Clone)]
pub struct ModeResult {
    /// Pages in flight (1 = sequential).
    pub concurrency: usize,
    /// Wall time to list everything, in ms.
    pub wall_ms: Summary,
    /// Requests the sandbox saw per listing.
    pub requests: u64,
}

/// All modes.
#[derive(Debug, Clone)]
pub struct PagingResult {
    /// Items listed per run.
    pub items: usize,
    /// Server page size.
    pub page_size: usize,
    /// Server delay per answer, ms.
    pub delay_ms: u64,
    /// One entry per [`MODES`] value, in that order.
    pub modes: Vec<ModeResult>,
    /// True when every run returned the same items in the same order.
    pub identical: bool,
    /// The SDK against `jira` 0.4 on the scheme-members endpoint (`peers`).
    pub peers: Option<PeerResult>,
}

/// The SDK and `jira` 0.4 listing the same scheme members.
#[derive(Debug, Clone)]
pub struct PeerResult {
    /// (label, wall ms, requests per listing), the SDK's sequential run first.
    pub rows: Vec<(&'static str, Summary, u64)>,
    /// True when every run returned the same (member, level) ids in the same order.
    pub identical: bool,
}

impl PeerResult {
    /// Label of the SDK with four pages in flight.
    pub const SDK_FOUR: &'static str = "SDK `scheme_members`, `.concurrency(4)`";
    /// Label of `jira` 0.4's stream.
    pub const JIRA: &'static str = "`jira` 0.4 `stream()`";

    /// Median wall time of the row labelled `label`.
    pub fn wall(&self, label: &str) -> f64 {
        self.rows
            .iter()
            .find(|r| r.0 == label)
            .map_or(f64::NAN, |r| r.1.median)
    }
}

impl PagingResult {
    /// Sequential median wall time over this mode's.
    pub fn speedup(&self, concurrency: usize) -> f64 {
        let wall = |c: usize| {
            self.modes
                .iter()
                .find(|m| m.concurrency == c)
                .map_or(f64::NAN, |m| m.wall_ms.median)
        };
        wall(1) / wall(concurrency)
    }
}

/// Starts an in-process sandbox and lists the big level in every mode.
pub async fn run(sizes: Sizes) -> Result<PagingResult, BoxError> {
    let sandbox = Sandbox::start(SandboxConfig {
        jira_level_members: sizes.members,
        faults: Faults {
            delay_ms: sizes.delay_ms,
            ..Faults::default()
        },
        ..SandboxConfig::default()
    })
    .await?;
    let jira = JiraClient::builder(sandbox.url())
        .basic_auth(DEMO_JIRA_EMAIL, DEMO_JIRA_API_TOKEN)
        .build()?;

    let mut reference: Option<serde_json::Value> = None;
    let mut identical = true;
    let mut walls: Vec<Vec<f64>> = MODES.iter().map(|_| Vec::new()).collect();
    let mut requests = vec![0u64; MODES.len()];
    for repeat in 0..sizes.repeats {
        for k in 0..MODES.len() {
            let index = (repeat + k) % MODES.len();
            let before = sandbox.stats().requests;
            let start = Instant::now();
            let members: Vec<_> = jira
                .issue_security()
                .get_security_level_members()
                .level_id(vec![BIG_LEVEL.to_string()])
                .paginate()
                .concurrency(MODES[index])
                .items()
                .try_collect()
                .await?;
            walls[index].push(start.elapsed().as_secs_f64() * 1e3);
            requests[index] = sandbox.stats().requests - before;
            if members.len() != sizes.members {
                identical = false;
            }
            let listed = serde_json::to_value(&members)?;
            match &reference {
                None => reference = Some(listed),
                Some(first) => identical &= *first == listed,
            }
        }
    }
    #[cfg(feature = "peers")]
    let peers = Some(against_jira_crate(&sandbox, &jira, sizes).await?);
    #[cfg(not(feature = "peers"))]
    let peers = None;
    sandbox.shutdown().await;
    let modes = MODES
        .iter()
        .zip(walls.iter().zip(&requests))
        .map(|(c, (w, r))| {
            Ok(ModeResult {
                concurrency: *c,
                wall_ms: Summary::of(w).ok_or("no runs")?,
                requests: *r,
            })
        })
        .collect::<Result<_, BoxError>>()?;
    Ok(PagingResult {
        items: sizes.members,
        page_size: JIRA_MAX_RESULTS,
        delay_ms: sizes.delay_ms,
        modes,
        identical,
        peers,
    })
}

/// Lists the big level through the scheme-members endpoint: the SDK one
/// page at a time and four in flight, and `jira` 0.4's stream, interleaved.
#[cfg(feature = "peers")]
async fn against_jira_crate(
    sandbox: &Sandbox,
    sdk: &JiraClient,
    sizes: Sizes,
) -> Result<PeerResult, BoxError> {
    let peer = crate::peers::Peer::jira(&sandbox.url(), DEMO_JIRA_EMAIL, DEMO_JIRA_API_TOKEN)?;
    let labels = [
        "SDK `scheme_members`, sequential",
        PeerResult::SDK_FOUR,
        PeerResult::JIRA,
    ];
    let mut walls: Vec<Vec<f64>> = labels.iter().map(|_| Vec::new()).collect();
    let mut requests = [0u64; 3];
    let mut reference: Option<Vec<(i64, i64)>> = None;
    let mut identical = true;
    for repeat in 0..sizes.repeats {
        for k in 0..labels.len() {
            let index = (repeat + k) % labels.len();
            let before = sandbox.stats().requests;
            let start = Instant::now();
            let members = if index == 2 {
                peer.scheme_members(BIG_SCHEME, BIG_LEVEL).await?
            } else {
                sdk.issue_security()
                    .get_issue_security_level_members()
                    .issue_security_scheme_id(BIG_SCHEME)
                    .issue_security_level_id(vec![BIG_LEVEL.to_string()])
                    .paginate()
                    .concurrency(if index == 0 { 1 } else { 4 })
                    .items()
                    .map_ok(|m| (m.id, m.issue_security_level_id))
                    .try_collect()
                    .await?
            };
            walls[index].push(start.elapsed().as_secs_f64() * 1e3);
            requests[index] = sandbox.stats().requests - before;
            identical &= members.len() == sizes.members;
            match &reference {
                None => reference = Some(members),
                Some(first) => identical &= *first == members,
            }
        }
    }
    let rows = labels
        .iter()
        .zip(walls.iter().zip(requests))
        .map(|(label, (w, r))| Ok((*label, Summary::of(w).ok_or("no runs")?, r)))
        .collect::<Result<_, BoxError>>()?;
    Ok(PeerResult { rows, identical })
}
