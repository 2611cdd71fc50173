//! When to send a request again, and how long to wait first.

use std::time::{Duration, SystemTime};

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};

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

    /// Total time one call may spend waiting between attempts; a retry whose
    /// delay would exceed it is not made.
    pub fn with_budget(mut self, budget: Duration) -> Self {
        self.budget = Some(budget);
        self
    }

    /// No limit on total waiting time (only `max_retries` applies).
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

    /// Total waiting budget, if any.
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
            half + half.mul_f64(rand::random::<f64>())
        } else {
            base
        }
    }
}

/// Why an attempt might be repeated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    /// The server answered with this status.
    Status(StatusCode),
    /// The connection could not be made, so the request was never sent.
    Connect,
    /// The request may have reached the server (timeout, reset).
    Transport,
}

/// Whether `cause` justifies another attempt for a request that is (or is
/// not) safe to repeat.
pub fn is_retryable(cause: Cause, idempotent: bool) -> bool {
    match cause {
        // Rate limits: the server did not act on the request.
        Cause::Status(StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE) => true,
        Cause::Status(StatusCode::BAD_GATEWAY | StatusCode::GATEWAY_TIMEOUT) => idempotent,
        Cause::Status(_) => false,
        Cause::Connect => true,
        Cause::Transport => idempotent,
    }
}

/// The minimum wait the server asked for: `Retry-After` (seconds or an HTTP
/// date) or `X-RateLimit-Reset` (ISO 8601), whichever is later.
pub fn server_delay(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let retry_after = headers
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| parse_retry_after(v, now));
    let reset = headers
        .get("x-ratelimit-reset")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| chrono::DateTime::parse_from_rfc3339(v.trim()).ok())
        .map(|at| {
            let at: SystemTime = at.into();
            at.duration_since(now).unwrap_or_default()
        });
    match (retry_after, reset) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        map
    }

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
    fn only_safe_requests_retry_on_gateway_errors() {
        let s = |c: u16| Cause::Status(StatusCode::from_u16(c).unwrap());
        assert!(is_retryable(s(429), false));
        assert!(is_retryable(s(503), false));
        assert!(is_retryable(s(502), true));
        assert!(!is_retryable(s(502), false));
        assert!(!is_retryable(s(500), true));
        assert!(is_retryable(Cause::Connect, false));
        assert!(!is_retryable(Cause::Transport, false));
        assert!(is_retryable(Cause::Transport, true));
    }
}
