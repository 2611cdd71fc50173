//! Jira Cloud's rate limiter as Atlassian documents it, for the two Jira
//! APIs (Qwiet paths are not limited):
//!
//! - a points quota per tenant and window (an hour, resetting at the top of
//!   each UTC hour; shorter in tests). Each request costs 1 point; reads
//!   also cost 1 point per object returned. Only app traffic (Connect JWT,
//!   OAuth bearer) counts against it: API-token traffic has burst limits
//!   only. A request is admitted while points are left, so the last one
//!   may overdraw; the next is answered `429 jira-quota-tenant-based`;
//! - a burst limit per endpoint (method and path) per second: 100 for GET
//!   and POST, 50 for PUT and DELETE;
//! - per-issue writes under `/rest/api/3/issue/{issueIdOrKey}`: 20 per 2 s
//!   and 100 per 30 s.
//!
//! Every Jira response carries `RateLimit-Policy` and `RateLimit` (the
//! quota for app traffic, the endpoint's burst budget for all), plus
//! `X-RateLimit-NearLimit: true` below a fifth of the quota; a 429 adds
//! `Retry-After`, `RateLimit-Reason` and `X-RateLimit-Reset`. With
//! [`RateLimiting::beta_headers`] the names take the `Beta-` and `X-Beta-`
//! forms Jira used while the limits were in beta.

use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hyper::header::{AUTHORIZATION, HeaderName, HeaderValue};
use hyper::{Method, StatusCode};
use serde_json::Value;

use crate::http::{Req, Resp, Service};

/// The limiter's settings; `SandboxConfig::rate_limiting` is `None` (no
/// limits) by default.
#[derive(Clone, Debug)]
pub struct RateLimiting {
    /// Points per window for app traffic.
    pub quota_points: u64,
    /// Length of a quota window. Windows are aligned to the UNIX epoch, so
    /// an hour resets at the top of each UTC hour.
    pub window: Duration,
    /// Requests per second per endpoint for GET and POST.
    pub burst_read: u32,
    /// Requests per second per endpoint for PUT, PATCH and DELETE.
    pub burst_write: u32,
    /// Send the `Beta-RateLimit*` and `X-Beta-RateLimit-*` names.
    pub beta_headers: bool,
}

impl Default for RateLimiting {
    /// Jira's documented burst limits and a small hourly quota.
    fn default() -> Self {
        Self {
            quota_points: 65_000,
            window: Duration::from_secs(3600),
            burst_read: 100,
            burst_write: 50,
            beta_headers: false,
        }
    }
}

/// Per-issue write limits: (writes, seconds).
const ISSUE_WRITE_LIMITS: [(u32, u64); 2] = [(20, 2), (100, 30)];

/// What the limiter counted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RateLimitStats {
    /// Requests answered `429` because the quota was spent.
    pub quota_limited: u64,
    /// Requests answered `429` for the burst limit.
    pub burst_limited: u64,
    /// Requests answered `429` for the per-issue write limit.
    pub issue_limited: u64,
    /// Points charged per quota window, oldest first, from the first window
    /// with app traffic to the last.
    pub points_per_window: Vec<u64>,
}

impl RateLimitStats {
    /// Every 429 the limiter sent.
    pub fn limited(&self) -> u64 {
        self.quota_limited + self.burst_limited + self.issue_limited
    }
}

/// Counts in fixed windows of `length`, keyed by the window's index.
#[derive(Debug, Default)]
struct Counter {
    window: u64,
    count: u64,
}

impl Counter {
    fn at(&mut self, window: u64) -> &mut u64 {
        if self.window != window {
            self.window = window;
            self.count = 0;
        }
        &mut self.count
    }
}

/// The limiter's state; one per sandbox.
#[derive(Debug)]
pub(crate) struct Limiter {
    config: RateLimiting,
    first_window: Option<u64>,
    spent: Counter,
    bursts: HashMap<(Method, String), Counter>,
    issues: HashMap<String, [Counter; 2]>,
    stats: RateLimitStats,
}

/// What `admit` decided for a request.
#[derive(Debug)]
pub(crate) enum Admission {
    /// Not a rate-limited path.
    Unlimited,
    /// Handle it, then `finish` it.
    Admitted(Ticket),
    /// Answer with this 429.
    Refused(Resp),
}

/// What `finish` needs to know about an admitted request.
#[derive(Debug)]
pub(crate) struct Ticket {
    app: bool,
    write: bool,
    burst_key: (Method, String),
}

fn unix_now() -> Duration {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
}

impl Limiter {
    pub fn new(config: RateLimiting) -> Self {
        Self {
            config,
            first_window: None,
            spent: Counter::default(),
            bursts: HashMap::new(),
            issues: HashMap::new(),
            stats: RateLimitStats::default(),
        }
    }

    pub fn stats(&self) -> RateLimitStats {
        self.stats.clone()
    }

    fn window_len(&self) -> u128 {
        self.config.window.as_millis().max(1)
    }

    /// The quota window `now` falls in, and the time left until it resets.
    fn window_at(&self, now: Duration) -> (u64, Duration) {
        let len = self.window_len();
        let index = now.as_millis() / len;
        let left = len - now.as_millis() % len;
        (
            u64::try_from(index).unwrap_or(u64::MAX),
            Duration::from_millis(u64::try_from(left).unwrap_or(u64::MAX)),
        )
    }

    fn remaining(&mut self, window: u64) -> u64 {
        let quota = self.config.quota_points;
        quota.saturating_sub(*self.spent.at(window))
    }

    fn record_points(&mut self, window: u64, points: u64) {
        let first = *self.first_window.get_or_insert(window);
        let slot = usize::try_from(window.saturating_sub(first)).unwrap_or(usize::MAX);
        if slot < 100_000 {
            let per = &mut self.stats.points_per_window;
            if per.len() <= slot {
                per.resize(slot + 1, 0);
            }
            per[slot] += points;
        }
        let spent = self.spent.at(window);
        *spent = spent.saturating_add(points);
    }

    /// Decides whether `req` may be handled now.
    pub fn admit(&mut self, req: &Req) -> Admission {
        let service = Service::of(&req.raw_path);
        if service == Service::Qwiet {
            return Admission::Unlimited;
        }
        let now = unix_now();
        let (window, left) = self.window_at(now);
        let app = is_app_traffic(req);
        let write = !matches!(req.method, Method::GET | Method::HEAD | Method::OPTIONS);
        if app && self.remaining(window) == 0 {
            self.stats.quota_limited += 1;
            let resp = self.refusal(service, "jira-quota-tenant-based", left, now);
            return Admission::Refused(self.with_state(resp, app, window, left, None));
        }
        let burst_key = (req.method.clone(), req.raw_path.clone());
        let second = now.as_secs();
        let limit = u64::from(self.burst_limit(&req.method));
        let used = self.bursts.entry(burst_key.clone()).or_default().at(second);
        if *used >= limit {
            self.stats.burst_limited += 1;
            let to_next_second =
                Duration::from_secs(1) - Duration::from_nanos(u64::from(now.subsec_nanos()));
            let resp = self.refusal(service, "jira-burst-based", to_next_second, now);
            let resp = self.with_state(
                resp,
                app,
                window,
                left,
                Some((&burst_key, 0, to_next_second)),
            );
            return Admission::Refused(resp);
        }
        *used += 1;
        if write && let Some(issue) = issue_of(&req.raw_path) {
            let counters = self.issues.entry(issue).or_default();
            for ((max, secs), counter) in ISSUE_WRITE_LIMITS.iter().zip(counters.iter_mut()) {
                let slot = now.as_secs() / secs;
                if *counter.at(slot) >= u64::from(*max) {
                    self.stats.issue_limited += 1;
                    let wait = Duration::from_secs((slot + 1) * secs).saturating_sub(now);
                    let resp = self.refusal(service, "jira-per-issue-on-write", wait, now);
                    return Admission::Refused(self.with_state(resp, app, window, left, None));
                }
            }
            for ((_, secs), counter) in ISSUE_WRITE_LIMITS.iter().zip(counters.iter_mut()) {
                *counter.at(now.as_secs() / secs) += 1;
            }
        }
        Admission::Admitted(Ticket {
            app,
            write,
            burst_key,
        })
    }

    fn burst_limit(&self, method: &Method) -> u32 {
        match *method {
            Method::PUT | Method::PATCH | Method::DELETE => self.config.burst_write,
            _ => self.config.burst_read,
        }
    }

    /// Charges an admitted request for what it did and adds the headers.
    pub fn finish(&mut self, ticket: Ticket, resp: Resp, body: &[u8]) -> Resp {
        let now = unix_now();
        let (window, left) = self.window_at(now);
        if ticket.app {
            let objects = if ticket.write || !resp.status().is_success() {
                0
            } else {
                objects_in(body)
            };
            self.record_points(window, 1 + objects);
        }
        let limit = u64::from(self.burst_limit(&ticket.burst_key.0));
        let used = self
            .bursts
            .get_mut(&ticket.burst_key)
            .map(|c| *c.at(now.as_secs()))
            .unwrap_or(0);
        let to_next_second =
            Duration::from_secs(1) - Duration::from_nanos(u64::from(now.subsec_nanos()));
        self.with_state(
            resp,
            ticket.app,
            window,
            left,
            Some((
                &ticket.burst_key,
                limit.saturating_sub(used),
                to_next_second,
            )),
        )
    }

    fn name(&self, plain: &'static str, beta: &'static str) -> HeaderName {
        HeaderName::from_static(if self.config.beta_headers {
            beta
        } else {
            plain
        })
    }

    fn refusal(
        &self,
        service: Service,
        reason: &'static str,
        wait: Duration,
        now: Duration,
    ) -> Resp {
        let mut resp = service.error(StatusCode::TOO_MANY_REQUESTS, "Rate limit exceeded.");
        let seconds = ceil_secs(wait).max(1);
        let headers = resp.headers_mut();
        headers.insert(hyper::header::RETRY_AFTER, HeaderValue::from(seconds));
        headers.insert(
            self.name("ratelimit-reason", "x-beta-ratelimit-reason"),
            HeaderValue::from_static(reason),
        );
        let reset = now.saturating_add(Duration::from_secs(seconds));
        if let Some(at) =
            chrono::DateTime::from_timestamp(i64::try_from(reset.as_secs()).unwrap_or(i64::MAX), 0)
        {
            // Atlassian's form has no seconds; windows shorter than a
            // minute need them to mean anything.
            let format = if self.config.window.as_secs().is_multiple_of(60) {
                "%Y-%m-%dT%H:%MZ"
            } else {
                "%Y-%m-%dT%H:%M:%SZ"
            };
            if let Ok(value) = HeaderValue::from_str(&at.format(format).to_string()) {
                headers.insert(
                    self.name("x-ratelimit-reset", "x-beta-ratelimit-reset"),
                    value,
                );
            }
        }
        resp
    }

    /// Adds the quota (for app traffic) and burst state headers.
    fn with_state(
        &mut self,
        mut resp: Resp,
        app: bool,
        window: u64,
        left: Duration,
        burst: Option<(&(Method, String), u64, Duration)>,
    ) -> Resp {
        let quota = self.config.quota_points;
        let remaining = self.remaining(window);
        let mut policies = Vec::new();
        let mut states = Vec::new();
        if app {
            policies.push(format!(
                "\"tenant-app-quota\";q={quota};w={}",
                self.config.window.as_secs().max(1)
            ));
            states.push(format!(
                "\"tenant-app-quota\";r={remaining};t={}",
                ceil_secs(left)
            ));
        }
        if let Some(((method, _), burst_left, reset)) = burst {
            let limit = self.burst_limit(method);
            policies.push(format!("\"jira-burst-based\";q={limit};w=1"));
            states.push(format!(
                "\"jira-burst-based\";r={burst_left};t={}",
                ceil_secs(reset)
            ));
        }
        let near = app && (remaining as f64) < quota as f64 * 0.2;
        let policy_name = self.name("ratelimit-policy", "beta-ratelimit-policy");
        let state_name = self.name("ratelimit", "beta-ratelimit");
        let near_name = self.name("x-ratelimit-nearlimit", "x-beta-ratelimit-nearlimit");
        let headers = resp.headers_mut();
        if !policies.is_empty() {
            if let Ok(v) = HeaderValue::from_str(&policies.join(", ")) {
                headers.insert(policy_name, v);
            }
            if let Ok(v) = HeaderValue::from_str(&states.join(", ")) {
                headers.insert(state_name, v);
            }
        }
        if near {
            headers.insert(near_name, HeaderValue::from_static("true"));
        }
        resp
    }
}

/// Seconds, rounded up, as `Retry-After` and `t=` carry them.
fn ceil_secs(d: Duration) -> u64 {
    d.as_secs().saturating_add(u64::from(d.subsec_nanos() > 0))
}

/// Connect JWTs and OAuth bearer tokens are app traffic; Basic auth with an
/// API token is not.
fn is_app_traffic(req: &Req) -> bool {
    req.headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_whitespace().next())
        .is_some_and(|scheme| {
            scheme.eq_ignore_ascii_case("jwt") || scheme.eq_ignore_ascii_case("bearer")
        })
}

/// `/rest/api/3/issue/PROJ-1/...` → `PROJ-1`.
fn issue_of(path: &str) -> Option<String> {
    let rest = path.strip_prefix("/rest/api/3/issue/")?;
    let key = rest.split('/').next().filter(|k| !k.is_empty())?;
    Some(key.to_string())
}

/// Objects a read returned: the items of a page (`values`), of a top-level
/// array, or of the first array field (`levels`); one for anything else.
fn objects_in(body: &[u8]) -> u64 {
    let Ok(value) = serde_json::from_slice::<Value>(body) else {
        return 0;
    };
    let len = match &value {
        Value::Array(items) => items.len(),
        Value::Object(map) => map
            .get("values")
            .and_then(Value::as_array)
            .or_else(|| map.values().find_map(Value::as_array))
            .map_or(1, Vec::len),
        _ => 0,
    };
    len as u64
}
