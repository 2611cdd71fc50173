//! Prints each measurement as a Markdown table, and a closing table of the
//! targets with whether each was met.

use crate::decoding::DecodeResult;
use crate::jwt::JwtResult;
use crate::memory::MemoryResult;
use crate::overhead::{BY_HAND_BASIC, BY_HAND_JWT, EQUIVALENT, OpResult, PEERS, Table};
use crate::pagination::{PagingResult, PeerResult};
use crate::ratelimit::ModeResult;
use crate::stats::mib;

/// Collected targets: (what, measured, target, met, is a timing).
#[derive(Debug, Default)]
pub struct Targets(Vec<(String, String, &'static str, bool, bool)>);

impl Targets {
    /// A target on a timing or memory figure (not judged in a debug build).
    fn add(&mut self, what: impl Into<String>, measured: String, target: &'static str, met: bool) {
        self.0.push((what.into(), measured, target, met, true));
    }

    /// A target this run could not measure, and why.
    fn skip(&mut self, what: impl Into<String>, target: &'static str, why: &str) {
        self.0.push((
            what.into(),
            format!("not measured: {why}"),
            target,
            false,
            true,
        ));
    }

    /// A target on a count, judged in every build.
    fn count(
        &mut self,
        what: impl Into<String>,
        measured: String,
        target: &'static str,
        met: bool,
    ) {
        self.0.push((what.into(), measured, target, met, false));
    }

    /// A correctness check, judged in every build.
    fn check(&mut self, what: impl Into<String>, met: bool) {
        let measured = if met { "yes" } else { "no" }.to_string();
        self.0.push((what.into(), measured, "yes", met, false));
    }

    /// Prints the table of targets.
    pub fn print(&self) {
        println!("## Targets\n");
        println!("| target | measured | goal | met |");
        println!("| --- | --- | --- | --- |");
        for (what, measured, goal, met, timing) in &self.0 {
            let met = match (cfg!(debug_assertions) && *timing, met) {
                _ if measured.starts_with("not measured") => "n/a",
                (true, _) => "n/a (debug build)",
                (false, true) => "yes",
                (false, false) => "**no**",
            };
            println!("| {what} | {measured} | {goal} | {met} |");
        }
        println!();
    }
}

/// Section 1.
pub fn overhead(results: &[OpResult], targets: &mut Targets) {
    println!("## 1. Per-call overhead (one loopback server, sequential calls)\n");
    println!("| operation | variant | median µs | p90 µs | median / (a) |");
    println!("| --- | --- | ---: | ---: | ---: |");
    for r in results {
        for t in r.in_table(Table::Main) {
            println!(
                "| {} | {} | {:.1} | {:.1} | {:.3} |",
                r.op.label(),
                t.label,
                t.per_call.median,
                t.per_call.p90,
                r.ratio(t)
            );
        }
    }
    println!(
        "\nWhere the facade's time goes: the generated client with one layer added at a time (same run):\n"
    );
    println!("| operation | variant | median µs | step µs | median / (a) |");
    println!("| --- | --- | ---: | ---: | ---: |");
    for r in results {
        let mut previous: Option<f64> = None;
        for t in r.in_table(Table::Ladder) {
            let step = previous.map_or(String::new(), |p| format!("{:+.1}", t.per_call.median - p));
            previous = Some(t.per_call.median);
            println!(
                "| {} | {} | {:.1} | {step} | {:.3} |",
                r.op.label(),
                t.label,
                t.per_call.median,
                r.ratio(t)
            );
        }
    }
    println!(
        "\nHand-written references (same run): a repeat of (a), and (a) sending the \
         credentials (c) and (d) send. The last column compares the SDK variant that \
         sends the same request with it.\n"
    );
    println!("| operation | reference | median µs | median / (a) | SDK variant / reference |");
    println!("| --- | --- | ---: | ---: | ---: |");
    for r in results {
        for t in r.in_table(Table::Reference) {
            let sdk = match t.label {
                BY_HAND_BASIC => r.find("(c)"),
                BY_HAND_JWT => r.find("(d)"),
                _ => None,
            };
            let like_for_like = sdk.map_or("—".to_string(), |s| {
                format!(
                    "{} {:.3}",
                    &s.label[..3],
                    s.per_call.median / t.per_call.median
                )
            });
            println!(
                "| {} | {} | {:.1} | {:.3} | {like_for_like} |",
                r.op.label(),
                t.label,
                t.per_call.median,
                r.ratio(t)
            );
        }
    }
    println!();
    choices(results, targets);
}

/// Section 1, last table: (c) against what a user would pick instead, and
/// the per-call targets.
fn choices(results: &[OpResult], targets: &mut Targets) {
    println!(
        "What a user would pick instead of (c) (same run): the same call by hand with what \
         the facade adds, and the other crates with basic auth and their default settings.\n"
    );
    println!("| operation | variant | median µs | p90 µs | median / (a) | (c) / this |");
    println!("| --- | --- | ---: | ---: | ---: | ---: |");
    for r in results {
        let Some(c) = r.find("(c)") else { continue };
        for t in r.in_table(Table::Choice) {
            println!(
                "| {} | {} | {:.1} | {:.1} | {:.3} | {:.3} |",
                r.op.label(),
                t.label,
                t.per_call.median,
                t.per_call.p90,
                r.ratio(t),
                c.per_call.median / t.per_call.median
            );
        }
    }
    println!();
    for r in results {
        let Some(c) = r.find("(c)") else { continue };
        if let Some(by_hand) = r.timings.iter().find(|t| t.label == EQUIVALENT) {
            let ratio = c.per_call.median / by_hand.per_call.median;
            targets.add(
                format!("{} (c) facade / (r) by hand", r.op.label()),
                format!("{ratio:.3}"),
                "≤ 1.05",
                ratio <= 1.05,
            );
        }
        let faster_peer = PEERS
            .iter()
            .filter_map(|prefix| r.find(prefix))
            .min_by(|a, b| a.per_call.median.total_cmp(&b.per_call.median));
        let what = format!("{} (c) facade / faster peer", r.op.label());
        match faster_peer {
            Some(peer) => {
                let ratio = c.per_call.median / peer.per_call.median;
                targets.add(
                    what,
                    format!("{ratio:.3} (against {})", &peer.label[..3]),
                    "≤ 0.95",
                    ratio <= 0.95,
                );
            }
            None => targets.skip(what, "≤ 0.95", "build with `--features peers`"),
        }
    }
}

/// Section 2.
pub fn jwt(r: &JwtResult, targets: &mut Targets) {
    println!("## 2. Connect JWT signing\n");
    println!("URL: `GET {}`\n", r.url);
    println!("| step | median ns | p90 ns |");
    println!("| --- | ---: | ---: |");
    for (what, s) in [
        ("canonical_request", r.canonical),
        ("query_string_hash (qsh)", r.qsh),
        ("Signer::sign (qsh + claims + HMAC)", r.sign),
        ("Signer::authorization_header (per attempt)", r.header),
        ("the same token with `jsonwebtoken::encode`", r.jsonwebtoken),
    ] {
        println!("| {what} | {:.0} | {:.0} |", s.median, s.p90);
    }
    println!();
    targets.add(
        "JWT: sign one token",
        format!("{:.0} ns", r.sign.median),
        "well under 5 µs (< 2.5 µs)",
        r.sign.median < 2500.0,
    );
    let faster = r.jsonwebtoken.median / r.sign.median;
    targets.add(
        "JWT: `Signer::sign` against `jsonwebtoken`",
        format!("{faster:.2}x faster"),
        "≥ 1.4x",
        faster >= 1.4,
    );
}

/// Section 3.
pub fn pagination(r: &PagingResult, targets: &mut Targets) {
    println!(
        "## 3. Pagination: {} items, {} per page, {} ms server delay per answer\n",
        r.items, r.page_size, r.delay_ms
    );
    println!("| mode | wall ms, median | slowest run ms | requests | speedup |");
    println!("| --- | ---: | ---: | ---: | ---: |");
    for m in &r.modes {
        let mode = if m.concurrency == 1 {
            "sequential".to_string()
        } else {
            format!(".concurrency({})", m.concurrency)
        };
        println!(
            "| {mode} | {:.0} | {:.0} | {} | {:.2}x |",
            m.wall_ms.median,
            m.wall_ms.p90,
            m.requests,
            r.speedup(m.concurrency)
        );
    }
    println!(
        "\nItems identical and in the same order in every run: {}\n",
        if r.identical { "yes" } else { "NO" }
    );
    let four = r.speedup(4);
    targets.add(
        "Pagination speedup with 4 in flight",
        format!("{four:.2}x"),
        "≥ 3.5x",
        four >= 3.5,
    );
    targets.check("Pagination: same items, same order", r.identical);
    let what = "Pagination: SDK with 4 in flight against `jira` 0.4's stream";
    match &r.peers {
        Some(p) => pagination_peers(p, targets),
        None => targets.skip(what, "≥ 3.5x", "build with `--features peers`"),
    }
}

/// Section 3, with `peers`: the same members through the scheme endpoint.
fn pagination_peers(p: &PeerResult, targets: &mut Targets) {
    println!(
        "The same members through `GET /rest/api/3/issuesecurityschemes/10000/members?issueSecurityLevelId=10021`, \
         the listing `jira` 0.4 streams:\n"
    );
    println!("| listing | wall ms, median | slowest run ms | requests | `jira` 0.4 / this |");
    println!("| --- | ---: | ---: | ---: | ---: |");
    let jira = p.wall(PeerResult::JIRA);
    for (label, wall, requests) in &p.rows {
        println!(
            "| {label} | {:.0} | {:.0} | {requests} | {:.2}x |",
            wall.median,
            wall.p90,
            jira / wall.median
        );
    }
    println!(
        "\nSame (member, level) ids in the same order in every run: {}\n",
        if p.identical { "yes" } else { "NO" }
    );
    let speedup = jira / p.wall(PeerResult::SDK_FOUR);
    targets.add(
        "Pagination: SDK with 4 in flight against `jira` 0.4's stream",
        format!("{speedup:.2}x"),
        "≥ 3.5x",
        speedup >= 3.5,
    );
    targets.check(
        "Pagination: SDK and `jira` 0.4 list the same items",
        p.identical,
    );
}

/// Section 4.
pub fn memory(r: &MemoryResult, targets: &mut Targets) {
    println!(
        "## 4. Memory: streaming {} Qwiet findings, {} per page (sandbox in another process)\n",
        r.items, r.per_page
    );
    println!("| point | VmRSS MiB | VmHWM (peak) MiB |");
    println!("| --- | ---: | ---: |");
    println!(
        "| before the first request | {:.1} | {:.1} |",
        mib(r.before.current),
        mib(r.before.peak)
    );
    for c in &r.checkpoints {
        println!(
            "| after {} items | {:.1} | {:.1} |",
            c.items,
            mib(c.rss.current),
            mib(c.rss.peak)
        );
    }
    let secs = r.elapsed.as_secs_f64();
    println!(
        "\nStream took {:.1} s ({:.0} findings/s). The sandbox process held {:.0} MiB (peak {:.0} MiB), not counted above.\n",
        secs,
        r.items as f64 / secs,
        mib(r.sandbox.current),
        mib(r.sandbox.peak)
    );
    let first = r.checkpoints.first().map_or(0, |c| c.rss.peak);
    let last = r.checkpoints.last().map_or(0, |c| c.rss.peak);
    let growth = mib(last.saturating_sub(first));
    targets.add(
        format!(
            "Memory: peak growth from {} to {} items",
            r.checkpoints.first().map_or(0, |c| c.items),
            r.items
        ),
        format!("{growth:.1} MiB (peak {:.1} MiB)", mib(last)),
        "flat (< 5 MiB)",
        growth < 5.0,
    );
}

/// Section 5.
pub fn decoding(r: &DecodeResult) {
    println!(
        "## 5. Decoding one page of {} findings ({:.0} KiB)\n",
        crate::decoding::PAGE_FINDINGS,
        r.page_bytes as f64 / 1024.0
    );
    println!("| into | median µs/page | p90 µs/page | MB/s at median |");
    println!("| --- | ---: | ---: | ---: |");
    for (what, s) in [
        ("generated `ListOrgFindingsResponse`", r.typed_us),
        ("`serde_json::Value`", r.value_us),
    ] {
        println!(
            "| {what} | {:.0} | {:.0} | {:.0} |",
            s.median,
            s.p90,
            r.mb_per_s(s.median)
        );
    }
    println!();
}

/// The rate-limit targets: (a) at least 90% of the allowance with at most
/// 1% of its requests answered 429, and at least 10 times fewer 429s than (b).
pub fn ratelimit(results: &[ModeResult], targets: &mut Targets) {
    let [a, b] = results else {
        return;
    };
    let share = |r: &ModeResult| r.limited as f64 / r.requests.max(1) as f64;
    match a.goodput {
        Some(g) => targets.add(
            "rate limits: (a) goodput, share of the allowance",
            format!("{:.1}%", 100.0 * g),
            "≥ 90%",
            g >= 0.9,
        ),
        None => targets.skip(
            "rate limits: (a) goodput, share of the allowance",
            "≥ 90%",
            "the run ended within its first window",
        ),
    }
    targets.count(
        "rate limits: (a) requests answered 429",
        format!("{:.2}% ({} of {})", 100.0 * share(a), a.limited, a.requests),
        "≤ 1%",
        share(a) <= 0.01,
    );
    targets.count(
        "rate limits: 429s of (b) over those of (a)",
        format!("{} against {}", b.limited, a.limited),
        "≥ 10x",
        b.limited >= a.limited.saturating_mul(10) && b.limited > 0,
    );
    targets.check("rate limits: both modes complete", a.complete && b.complete);
}
