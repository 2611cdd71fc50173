//! When to send a request again, and how long to wait first.

use std::time::{Duration, SystemTime};

use reqwest::StatusCode;
use reqwest::header::HeaderMap;

use crate::ratelimit::{RateLimitHeaders, Reason};

/// Retry settings. The defaults follow Atlassian's advice for rate limits:
/// up to 4 retries, backoff from 5 s doubling to at most 30 s, with jitter.
///
/// ```
/// use std::time::Duration;
/// use appsec_runtime::RetryPolicy;
///
/// let policy = RetryPolicy::default()
///     .with_max_retries(2)
///     .with_backoff(Duration::from_millis(200), Duration::from_secs(2))
///     .with_budget(Duration::from_secs(10));
/// assert_eq!(policy.max_retries(), 2);
/// assert_eq!(RetryPolicy::none().max_retries(), 0);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    max_retries: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    budget: Option<Duration>,
    jitter: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 4,
            initial_backoff: Duration::from_secs(5),
            max_backoff: Duration::from_secs(30),
            budget: Some(Duration::from_secs(180)),
            jitter: true,
        }
    }
}

impl RetryPolicy {
    /// Never retry.
    pub fn none() -> Self {
        Self {
            max_retries: 0,
            ..Self::default()
        }
    }

    /// How many times a request may be sent again after the first attempt.
    pub fn with_max_retries(mut self, max_retries: u32) -> Self {
        self.max_retries = max_retries;
        self
    }

    /// First backoff delay and the cap it doubles up to.
    pub fn with_backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.initial_backoff = initial;
        self.max_backoff = max.max(initial);
        self
    }

    /// Total time one call may take, attempts and waits together (default
    /// 180 s): a retry whose wait would end beyond it is not made, and the
    /// call returns its last response at once. One attempt's own length is
    /// bounded by the HTTP timeout, not by the budget.
    pub fn with_budget(mut self, budget: Duration) -> Self {
        self.budget = Some(budget);
        self
    }

    /// No limit on a call's total time (only `max_retries` applies).
    pub fn without_budget(mut self) -> Self {
        self.budget = None;
        self
    }

    /// Randomise backoff delays (on by default) so that many clients do not
    /// retry in step.
    pub fn with_jitter(mut self, jitter: bool) -> Self {
        self.jitter = jitter;
        self
    }

    /// Maximum number of retries.
    pub fn max_retries(&self) -> u32 {
        self.max_retries
    }

    /// Total time budget of a call, if any.
    pub fn budget(&self) -> Option<Duration> {
        self.budget
    }

    /// The backoff before retry number `retry` (0-based), before any
    /// server-given minimum.
    pub fn backoff(&self, retry: u32) -> Duration {
        let factor = 2u32.saturating_pow(retry.min(16));
        let base = self
            .initial_backoff
            .saturating_mul(factor)
            .min(self.max_backoff);
        if self.jitter {
            // Equal jitter: half fixed, half random, so delays never collapse to 0.
            let half = base / 2;
            half + half.mul_f64(unit_random())
        } else {
            base
        }
    }
}

/// A number in `[0, 1)` for jitter. Every `RandomState` the standard library
/// hands out is keyed differently, so hashing nothing with a fresh one gives
/// a new value each call, without a random-number crate in the build.
fn unit_random() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    let bits = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    // The top 53 bits fill an f64's mantissa exactly.
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

/// The minimum wait the server asked for: `Retry-After` (seconds or an HTTP
/// date), `X-RateLimit-Reset` (ISO 8601, with or without seconds) or the
/// reset of an exhausted `RateLimit` policy, whichever is latest.
pub fn server_delay(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    RateLimitHeaders::parse(headers, now).delay()
}

/// How one attempt ended, as the retry decision sees it.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum Outcome<'a> {
    /// A response with this status and these rate-limit headers (parsed at
    /// the moment it arrived, which is the decision's "now").
    Response(StatusCode, &'a RateLimitHeaders),
    /// No connection could be made: the request was never sent.
    Connect,
    /// The host name does not resolve: retrying will not help.
    Unresolved,
    /// The request may have reached the server: timeout or reset before
    /// the response headers.
    Transport,
    /// The headers arrived but reading the body failed (reset, cut short,
    /// timeout).
    Body,
    /// The body is larger than the configured maximum.
    TooLarge,
    /// Any other failure a retry cannot fix (a redirect or decoding error).
    Unretryable,
}

/// What the caller knows about the attempt just made.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct Attempt {
    /// How many times the request has been sent, this attempt included.
    pub sent: u32,
    /// Time the call has taken so far: attempts and waits.
    pub spent: Duration,
    /// Whether sending the request twice has the effect of sending it once.
    pub idempotent: bool,
    /// Whether the request can be sent again (a streaming body cannot).
    pub resendable: bool,
}

impl Attempt {
    /// The attempt numbered `sent` (1 for the first), `spent` into the call.
    pub fn new(sent: u32, spent: Duration, idempotent: bool, resendable: bool) -> Self {
        Self {
            sent,
            spent,
            idempotent,
            resendable,
        }
    }
}

/// Why a request is sent again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RetryReason {
    /// `429` with this `RateLimit-Reason`.
    RateLimited(Reason),
    /// `503`.
    Unavailable,
    /// `502` or `504` from a gateway.
    Gateway,
    /// No connection could be made.
    Connect,
    /// The request failed before the response headers.
    Transport,
    /// Reading the response body failed.
    Body,
}

/// What the request loop does next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Decision {
    /// Return the outcome as it is: a success, or a failure a retry cannot fix.
    Done,
    /// Return the outcome, marked as retryable but out of retries (count or
    /// time budget): callers see `RetriesExhausted`.
    GiveUp,
    /// Wait this long, then send the request again.
    Wait(Duration, RetryReason),
}

/// The retry strategy, free of I/O: what to do after `outcome`, given the
/// attempt so far, how long the shared rate-limit state still holds this
/// request back (`held_back`), and the policy.
///
/// A server-named delay (`Retry-After`, the reset time) replaces the
/// backoff; a delay that would take the call beyond its budget gives up at
/// once rather than sleeping first.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use appsec_runtime::retry::{decide, Attempt, Decision, Outcome, RetryReason};
/// use appsec_runtime::ratelimit::{RateLimitHeaders, Reason};
/// use appsec_runtime::RetryPolicy;
/// use reqwest::header::HeaderMap;
/// use reqwest::StatusCode;
///
/// let mut headers = HeaderMap::new();
/// headers.insert("retry-after", "2".parse().unwrap());
/// headers.insert("ratelimit-reason", "jira-burst-based".parse().unwrap());
/// let parsed = RateLimitHeaders::parse(&headers, SystemTime::now());
/// let attempt = Attempt::new(1, Duration::ZERO, false, true);
/// let decision = decide(
///     Outcome::Response(StatusCode::TOO_MANY_REQUESTS, &parsed),
///     attempt,
///     Duration::ZERO,
///     &RetryPolicy::default(),
/// );
/// assert_eq!(
///     decision,
///     Decision::Wait(Duration::from_secs(2), RetryReason::RateLimited(Reason::Burst))
/// );
/// ```
pub fn decide(
    outcome: Outcome<'_>,
    attempt: Attempt,
    held_back: Duration,
    policy: &RetryPolicy,
) -> Decision {
    let (reason, server) = match outcome {
        Outcome::Response(status, headers) => match status {
            StatusCode::TOO_MANY_REQUESTS => (
                RetryReason::RateLimited(headers.reason.unwrap_or(Reason::Unspecified)),
                headers.delay(),
            ),
            StatusCode::SERVICE_UNAVAILABLE => (RetryReason::Unavailable, headers.retry_after),
            StatusCode::BAD_GATEWAY | StatusCode::GATEWAY_TIMEOUT if attempt.idempotent => {
                (RetryReason::Gateway, None)
            }
            _ => return Decision::Done,
        },
        Outcome::Connect => (RetryReason::Connect, None),
        Outcome::Transport if attempt.idempotent => (RetryReason::Transport, None),
        Outcome::Body if attempt.idempotent => (RetryReason::Body, None),
        Outcome::Transport
        | Outcome::Body
        | Outcome::Unresolved
        | Outcome::TooLarge
        | Outcome::Unretryable => {
            return Decision::Done;
        }
    };
    if policy.max_retries() == 0 {
        return Decision::Done;
    }
    if attempt.sent > policy.max_retries() {
        return Decision::GiveUp;
    }
    if !attempt.resendable {
        return Decision::Done;
    }
    let delay = server
        .unwrap_or_else(|| policy.backoff(attempt.sent.saturating_sub(1)))
        .max(held_back);
    let over_budget = policy
        .budget()
        .is_some_and(|budget| attempt.spent.saturating_add(delay) > budget);
    if over_budget {
        Decision::GiveUp
    } else {
        Decision::Wait(delay, reason)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ratelimit::tests::headers;

    #[test]
    fn retry_after_seconds_and_dates_are_read() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(
            server_delay(&headers(&[("retry-after", "7")]), now),
            Some(Duration::from_secs(7))
        );
        let later = httpdate::fmt_http_date(now + Duration::from_secs(12));
        assert_eq!(
            server_delay(&headers(&[("retry-after", &later)]), now),
            Some(Duration::from_secs(12))
        );
        assert_eq!(
            server_delay(&headers(&[("retry-after", "0")]), now),
            Some(Duration::ZERO)
        );
        assert_eq!(
            server_delay(&headers(&[("retry-after", "soon")]), now),
            None
        );
        assert_eq!(server_delay(&HeaderMap::new(), now), None);
    }

    #[test]
    fn rate_limit_reset_counts_when_later() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let reset =
            chrono::DateTime::<chrono::Utc>::from(now + Duration::from_secs(20)).to_rfc3339();
        let h = headers(&[("retry-after", "3"), ("x-ratelimit-reset", &reset)]);
        assert_eq!(server_delay(&h, now), Some(Duration::from_secs(20)));
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let p = RetryPolicy::default().with_jitter(false);
        let delays: Vec<u64> = (0..5).map(|i| p.backoff(i).as_secs()).collect();
        assert_eq!(delays, [5, 10, 20, 30, 30]);
        let jittered = RetryPolicy::default().backoff(1);
        assert!(jittered >= Duration::from_secs(5) && jittered <= Duration::from_secs(10));
    }

    #[test]
    fn jitter_spreads_retries_over_the_upper_half() {
        let p = RetryPolicy::default();
        let delays: std::collections::BTreeSet<Duration> = (0..200).map(|_| p.backoff(1)).collect();
        assert!(delays.len() > 150, "only {} distinct delays", delays.len());
        let (low, high) = (delays.first().unwrap(), delays.last().unwrap());
        assert!(*low >= Duration::from_secs(5) && *high < Duration::from_secs(10));
        // Both quarters of the jitter range are reached.
        assert!(*low < Duration::from_millis(6_250) && *high > Duration::from_millis(8_750));
    }

    fn fast() -> RetryPolicy {
        RetryPolicy::default()
            .with_max_retries(3)
            .with_backoff(Duration::from_millis(10), Duration::from_millis(40))
            .with_budget(Duration::from_secs(60))
            .with_jitter(false)
    }

    fn attempt(sent: u32, idempotent: bool) -> Attempt {
        Attempt {
            sent,
            spent: Duration::ZERO,
            idempotent,
            resendable: true,
        }
    }

    fn parsed(pairs: &[(&'static str, &str)]) -> RateLimitHeaders {
        RateLimitHeaders::parse(
            &headers(pairs),
            SystemTime::UNIX_EPOCH + Duration::from_secs(1_774_542_328),
        )
    }

    #[test]
    fn decision_table() {
        use Decision::{Done, GiveUp, Wait};
        use RetryReason as R;
        let ms = Duration::from_millis;
        let s = Duration::from_secs;
        let none = parsed(&[]);
        let quota = parsed(&[
            ("retry-after", "20"),
            ("ratelimit-reason", "jira-quota-tenant-based"),
        ]);
        let burst = parsed(&[
            ("retry-after", "1"),
            ("beta-ratelimit-reason", "jira-burst-based"),
        ]);
        let issue = parsed(&[
            ("x-ratelimit-reset", "2026-03-26T16:25:31Z"),
            ("ratelimit-reason", "jira-per-issue-on-write"),
        ]);
        let structured = parsed(&[("ratelimit", "\"global-app-quota\";r=0;t=45")]);
        let busy = parsed(&[("retry-after", "4")]);
        let huge = parsed(&[("retry-after", "18446744073709551615")]);
        let garbage = parsed(&[
            ("retry-after", "soon"),
            ("x-ratelimit-reset", "later"),
            ("ratelimit", ";;r=x"),
        ]);
        let status = |c: u16| StatusCode::from_u16(c).unwrap();
        let table: Vec<(&str, Outcome<'_>, Attempt, Duration, Decision)> = vec![
            (
                "success",
                Outcome::Response(status(200), &none),
                attempt(1, false),
                Duration::ZERO,
                Done,
            ),
            (
                "client error",
                Outcome::Response(status(400), &none),
                attempt(1, true),
                Duration::ZERO,
                Done,
            ),
            (
                "500 is not retried",
                Outcome::Response(status(500), &none),
                attempt(1, true),
                Duration::ZERO,
                Done,
            ),
            (
                "429 without headers backs off",
                Outcome::Response(status(429), &none),
                attempt(2, false),
                Duration::ZERO,
                Wait(ms(20), R::RateLimited(Reason::Unspecified)),
            ),
            (
                "quota 429 waits for Retry-After",
                Outcome::Response(status(429), &quota),
                attempt(1, false),
                Duration::ZERO,
                Wait(s(20), R::RateLimited(Reason::TenantQuota)),
            ),
            (
                "burst 429",
                Outcome::Response(status(429), &burst),
                attempt(1, false),
                Duration::ZERO,
                Wait(s(1), R::RateLimited(Reason::Burst)),
            ),
            (
                "per-issue 429 waits for the minute-less reset",
                Outcome::Response(status(429), &issue),
                attempt(1, false),
                Duration::ZERO,
                Wait(s(3), R::RateLimited(Reason::PerIssueWrite)),
            ),
            (
                "RateLimit r=0 waits for t",
                Outcome::Response(status(429), &structured),
                attempt(1, false),
                Duration::ZERO,
                Wait(s(45), R::RateLimited(Reason::Unspecified)),
            ),
            (
                "503 with Retry-After",
                Outcome::Response(status(503), &busy),
                attempt(1, false),
                Duration::ZERO,
                Wait(s(4), R::Unavailable),
            ),
            (
                "502 for a safe request",
                Outcome::Response(status(502), &none),
                attempt(1, true),
                Duration::ZERO,
                Wait(ms(10), R::Gateway),
            ),
            (
                "502 for an unsafe request",
                Outcome::Response(status(502), &none),
                attempt(1, false),
                Duration::ZERO,
                Done,
            ),
            (
                "connect failures retry even for POST",
                Outcome::Connect,
                attempt(3, false),
                Duration::ZERO,
                Wait(ms(40), R::Connect),
            ),
            (
                "unresolvable host fails at once",
                Outcome::Unresolved,
                attempt(1, true),
                Duration::ZERO,
                Done,
            ),
            (
                "transport failure, safe",
                Outcome::Transport,
                attempt(1, true),
                Duration::ZERO,
                Wait(ms(10), R::Transport),
            ),
            (
                "transport failure, unsafe",
                Outcome::Transport,
                attempt(1, false),
                Duration::ZERO,
                Done,
            ),
            (
                "body cut short, safe",
                Outcome::Body,
                attempt(1, true),
                Duration::ZERO,
                Wait(ms(10), R::Body),
            ),
            (
                "body cut short, unsafe",
                Outcome::Body,
                attempt(1, false),
                Duration::ZERO,
                Done,
            ),
            (
                "body too large",
                Outcome::TooLarge,
                attempt(1, true),
                Duration::ZERO,
                Done,
            ),
            (
                "out of retries",
                Outcome::Response(status(429), &burst),
                attempt(4, false),
                Duration::ZERO,
                GiveUp,
            ),
            (
                "delay beyond the budget",
                Outcome::Response(status(429), &quota),
                Attempt {
                    spent: s(45),
                    ..attempt(1, false)
                },
                Duration::ZERO,
                GiveUp,
            ),
            (
                "overflowing Retry-After gives up",
                Outcome::Response(status(429), &huge),
                attempt(1, false),
                Duration::ZERO,
                GiveUp,
            ),
            (
                "garbage headers back off",
                Outcome::Response(status(429), &garbage),
                attempt(1, false),
                Duration::ZERO,
                Wait(ms(10), R::RateLimited(Reason::Unspecified)),
            ),
            (
                "shared pause is longer",
                Outcome::Response(status(429), &burst),
                attempt(1, false),
                s(7),
                Wait(s(7), R::RateLimited(Reason::Burst)),
            ),
            (
                "shared pause beyond the budget",
                Outcome::Connect,
                attempt(1, false),
                s(61),
                GiveUp,
            ),
            (
                "unclonable body",
                Outcome::Response(status(429), &burst),
                Attempt {
                    resendable: false,
                    ..attempt(1, false)
                },
                Duration::ZERO,
                Done,
            ),
        ];
        for (name, outcome, attempt, held, expected) in table {
            assert_eq!(decide(outcome, attempt, held, &fast()), expected, "{name}");
        }
        assert_eq!(
            decide(
                Outcome::Response(status(429), &burst),
                attempt(1, false),
                Duration::ZERO,
                &RetryPolicy::none()
            ),
            Done
        );
        let unbounded = fast().without_budget();
        assert_eq!(
            decide(
                Outcome::Response(status(429), &huge),
                attempt(1, false),
                Duration::ZERO,
                &unbounded
            ),
            Wait(
                Duration::from_secs(u64::MAX),
                R::RateLimited(Reason::Unspecified)
            )
        );
    }
}
