//! Jira Cloud's rate-limit headers read into one value, and the limiter
//! state that every clone of a client and every concurrent call share.
//!
//! Jira enforces three limits at once, each with its own scope, and the
//! right answer differs per scope:
//! - an hourly points quota per app and tenant: when it runs out, every
//!   request of the client waits for the reset ([`Scope::Client`]);
//! - a per-second burst limit per endpoint and method: only that endpoint
//!   slows down ([`Scope::Endpoint`]);
//! - a per-issue write limit: writes to that issue are spaced
//!   ([`Scope::Issue`]).
//!
//! The limiter only keeps state and answers "how long must this request
//! wait"; it reads no clock itself (`now` is always an argument), so its
//! behaviour is tested without HTTP.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::{Method, StatusCode};

/// Why Jira limited a request, from its `RateLimit-Reason` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reason {
    /// `jira-quota-global-based`: the app's hourly quota across tenants.
    GlobalQuota,
    /// `jira-quota-tenant-based`: the app's hourly quota on this site.
    TenantQuota,
    /// `jira-burst-based`: too many requests per second to one endpoint.
    Burst,
    /// `jira-per-issue-on-write`: too many writes to one issue.
    PerIssueWrite,
    /// `jira-cost-based` or `jira-quota-based`, the names used before 2026.
    LegacyQuota,
    /// No reason header, or one this SDK does not know.
    Unspecified,
}

impl Reason {
    /// Parses a `RateLimit-Reason` value.
    pub fn parse(value: &str) -> Reason {
        match value.trim().to_ascii_lowercase().as_str() {
            "jira-quota-global-based" => Reason::GlobalQuota,
            "jira-quota-tenant-based" => Reason::TenantQuota,
            "jira-burst-based" => Reason::Burst,
            "jira-per-issue-on-write" => Reason::PerIssueWrite,
            "jira-cost-based" | "jira-quota-based" => Reason::LegacyQuota,
            _ => Reason::Unspecified,
        }
    }

    /// What the limit covers. A 429 without a known reason is treated as a
    /// burst limit: API-token traffic only has burst limits, and slowing one
    /// endpoint is the cautious guess that does not stall unrelated work.
    pub fn scope(self) -> Scope {
        match self {
            Reason::GlobalQuota | Reason::TenantQuota | Reason::LegacyQuota => Scope::Client,
            Reason::PerIssueWrite => Scope::Issue,
            Reason::Burst | Reason::Unspecified => Scope::Endpoint,
        }
    }
}

/// Which requests a limit holds back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Every request of the client (quota limits).
    Client,
    /// Requests to one operation's path template with one method (burst).
    Endpoint,
    /// Writes to one issue.
    Issue,
}

/// One entry of a structured `RateLimit` header:
/// `"<policy>";r=<remaining>;t=<seconds to reset>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyState {
    /// Policy name, such as `tenant-app-quota` or `jira-burst-based`.
    pub policy: String,
    /// Points or requests left in the window.
    pub remaining: Option<u64>,
    /// Time until the window resets.
    pub reset: Option<Duration>,
    /// The window's allowance, from the matching `RateLimit-Policy` entry.
    pub quota: Option<u64>,
}

impl PolicyState {
    /// True for the hourly quota policies (`global-app-quota`,
    /// `tenant-app-quota` and similar), which limit the whole client.
    pub fn is_quota(&self) -> bool {
        self.policy.contains("quota")
    }
}

/// Everything the rate-limit headers of one response say, relative to the
/// moment they were read. Unparseable values are ignored; numbers too
/// large for their type saturate.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RateLimitHeaders {
    /// `Retry-After`, in seconds or as an HTTP date.
    pub retry_after: Option<Duration>,
    /// `X-RateLimit-Reset` (ISO 8601, with or without seconds), as a delay.
    pub reset: Option<Duration>,
    /// `RateLimit-Reason`.
    pub reason: Option<Reason>,
    /// `X-RateLimit-NearLimit: true`: less than a fifth of the quota is left.
    pub near_limit: bool,
    /// `X-RateLimit-Limit`.
    pub limit: Option<u64>,
    /// `X-RateLimit-Remaining`.
    pub remaining: Option<u64>,
    /// Entries of `RateLimit` (and `RateLimit-Policy` for their quotas).
    pub policies: Vec<PolicyState>,
}

/// Header names in the order they are tried: current, `Beta-`, legacy `X-Beta-`.
fn first<'h>(headers: &'h HeaderMap, names: &[&str]) -> Option<&'h str> {
    names
        .iter()
        .find_map(|name| headers.get(*name))
        .and_then(|v| v.to_str().ok())
}

impl RateLimitHeaders {
    /// Reads the headers of a response received at `now`.
    pub fn parse(headers: &HeaderMap, now: SystemTime) -> RateLimitHeaders {
        let reason = first(
            headers,
            &[
                "ratelimit-reason",
                "x-ratelimit-reason",
                "beta-ratelimit-reason",
                "x-beta-ratelimit-reason",
            ],
        )
        .map(Reason::parse);
        let near_limit = first(
            headers,
            &["x-ratelimit-nearlimit", "x-beta-ratelimit-nearlimit"],
        )
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
        let number = |names: &[&str]| first(headers, names).and_then(parse_u64_saturating);
        let mut policies = first(headers, &["ratelimit", "beta-ratelimit"])
            .map(parse_structured)
            .unwrap_or_default();
        if let Some(declared) = first(headers, &["ratelimit-policy", "beta-ratelimit-policy"]) {
            for (name, params) in parse_items(declared) {
                let quota = params.iter().find(|(k, _)| *k == "q").map(|(_, v)| *v);
                if let Some(entry) = policies.iter_mut().find(|p| p.policy == name) {
                    entry.quota = quota;
                }
            }
        }
        RateLimitHeaders {
            retry_after: headers
                .get(RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| parse_retry_after(v, now)),
            reset: first(headers, &["x-ratelimit-reset", "x-beta-ratelimit-reset"])
                .and_then(|v| parse_reset(v, now)),
            reason,
            near_limit,
            limit: number(&["x-ratelimit-limit"]),
            remaining: number(&["x-ratelimit-remaining"]),
            policies,
        }
    }

    /// The quota policy entry, if the response carried one.
    pub fn quota(&self) -> Option<&PolicyState> {
        self.policies.iter().find(|p| p.is_quota())
    }

    /// The longest wait the server asked for: `Retry-After`,
    /// `X-RateLimit-Reset`, or the reset of an exhausted `RateLimit` policy.
    pub fn delay(&self) -> Option<Duration> {
        let exhausted = self
            .policies
            .iter()
            .filter(|p| p.remaining == Some(0))
            .filter_map(|p| p.reset);
        [self.retry_after, self.reset]
            .into_iter()
            .flatten()
            .chain(exhausted)
            .max()
    }

    /// The scope a 429 with these headers limits.
    pub fn scope(&self) -> Scope {
        match self.reason {
            Some(reason) => reason.scope(),
            None if self.quota().is_some_and(|q| q.remaining == Some(0)) => Scope::Client,
            None => Scope::Endpoint,
        }
    }
}

/// Digits only, saturating at `u64::MAX` instead of failing on overflow.
fn parse_u64_saturating(value: &str) -> Option<u64> {
    let value = value.trim();
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(value.bytes().fold(0u64, |n, b| {
        n.saturating_mul(10).saturating_add(u64::from(b - b'0'))
    }))
}

fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    if let Some(seconds) = parse_u64_saturating(value) {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value.trim()).ok()?;
    Some(at.duration_since(now).unwrap_or_default())
}

/// ISO 8601 with seconds (RFC 3339) or Atlassian's `yyyy-MM-ddTHH:mmZ`.
fn parse_reset(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    let at = chrono::DateTime::parse_from_rfc3339(value)
        .map(|at| at.with_timezone(&chrono::Utc))
        .or_else(|_| {
            chrono::NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%MZ").map(|at| at.and_utc())
        })
        .ok()?;
    let at = SystemTime::from(at);
    Some(at.duration_since(now).unwrap_or_default())
}

/// `"name";k=v;k=v, "name";k=v` into names and numeric parameters.
fn parse_items(value: &str) -> Vec<(&str, Vec<(&str, u64)>)> {
    value
        .split(',')
        .filter_map(|item| {
            let mut parts = item.split(';');
            let name = parts.next()?.trim().trim_matches('"');
            if name.is_empty() {
                return None;
            }
            let params = parts
                .filter_map(|p| {
                    let (k, v) = p.split_once('=')?;
                    Some((k.trim(), parse_u64_saturating(v)?))
                })
                .collect();
            Some((name, params))
        })
        .collect()
}

fn parse_structured(value: &str) -> Vec<PolicyState> {
    parse_items(value)
        .into_iter()
        .map(|(name, params)| {
            let get = |key: &str| params.iter().find(|(k, _)| *k == key).map(|(_, v)| *v);
            PolicyState {
                policy: name.to_string(),
                remaining: get("r"),
                reset: get("t").map(Duration::from_secs),
                quota: None,
            }
        })
        .collect()
}

/// How the shared rate-limit state behaves. On by default.
///
/// ```
/// use std::time::Duration;
/// use appsec_runtime::RateLimits;
///
/// let limits = RateLimits::default().with_issue_write_spacing(Duration::from_millis(500));
/// assert!(limits.enabled());
/// assert!(!RateLimits::off().enabled());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct RateLimits {
    enabled: bool,
    near_limit_share: f64,
    near_limit_spacing: Duration,
    issue_write_spacing: Duration,
    max_pause: Duration,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            enabled: true,
            near_limit_share: 0.2,
            near_limit_spacing: Duration::from_millis(100),
            // 20 writes per 2 s and 100 per 30 s: 300 ms apart keeps both.
            issue_write_spacing: Duration::from_millis(300),
            max_pause: Duration::from_secs(3600),
        }
    }
}

impl RateLimits {
    /// No shared state: each request only retries its own 429s.
    pub fn off() -> Self {
        Self {
            enabled: false,
            ..Self::default()
        }
    }

    /// Whether the shared state is used.
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// Below this share of the quota left, requests are spread evenly over
    /// the time to the reset (default 0.2, Jira's own "near limit").
    pub fn with_near_limit_share(mut self, share: f64) -> Self {
        self.near_limit_share = share.clamp(0.0, 1.0);
        self
    }

    /// Spacing between requests when Jira says "near limit" without saying
    /// how much is left (default 100 ms).
    pub fn with_near_limit_spacing(mut self, spacing: Duration) -> Self {
        self.near_limit_spacing = spacing;
        self
    }

    /// Spacing between writes to one issue after it was limited (default 300 ms).
    pub fn with_issue_write_spacing(mut self, spacing: Duration) -> Self {
        self.issue_write_spacing = spacing;
        self
    }

    /// The longest pause a server header can impose on the client (default
    /// one hour, the length of Jira's quota window).
    pub fn with_max_pause(mut self, max: Duration) -> Self {
        self.max_pause = max;
        self
    }
}

/// Identifies an endpoint: method and path template.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EndpointKey {
    method: Method,
    path: Cow<'static, str>,
}

impl EndpointKey {
    /// The endpoint of an operation known from its table.
    pub fn new(method: Method, path: impl Into<Cow<'static, str>>) -> Self {
        Self {
            method,
            path: path.into(),
        }
    }
}

/// A stream of requests that may be held back: until a time, and spaced.
#[derive(Debug, Clone, Default)]
struct Lane {
    open_at: Option<Instant>,
    spacing: Duration,
    next_slot: Option<Instant>,
    last_used: Option<Instant>,
}

impl Lane {
    fn ready_at(&self) -> Option<Instant> {
        self.open_at.max(self.next_slot)
    }

    fn idle(&self, now: Instant) -> bool {
        self.spacing.is_zero() && self.ready_at().is_none_or(|at| at <= now)
    }

    fn pause_until(&mut self, at: Instant) -> bool {
        let later = self.open_at.is_none_or(|open| at > open);
        if later {
            self.open_at = Some(at);
        }
        later
    }
}

/// A pause or slow-down the limiter started, reported to the observer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pause {
    /// What it holds back.
    pub scope: Scope,
    /// Why.
    pub reason: Reason,
    /// For how long.
    pub duration: Duration,
}

/// The state the clones of one client share, keyed by scope.
#[derive(Debug)]
pub struct Limiter {
    settings: RateLimits,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    client: Lane,
    endpoints: HashMap<EndpointKey, Lane>,
    issues: HashMap<String, Lane>,
    /// The lowest quota `remaining` and its `t` seen in the current window.
    last_remaining: Option<(u64, Duration)>,
    /// Points one request costs, on average, learnt from how `remaining`
    /// falls between responses (reads of many objects cost many points).
    cost: f64,
}

impl State {
    /// Responses of concurrent requests arrive out of order, so only a new
    /// low of `remaining` is a sample; a later reset (`t` growing) starts a
    /// new window.
    fn learn_cost(&mut self, remaining: u64, reset: Duration) {
        match self.last_remaining {
            Some((last, _)) if remaining < last => {
                let sample = (last - remaining) as f64;
                self.cost = if self.cost > 0.0 {
                    0.7 * self.cost + 0.3 * sample
                } else {
                    sample
                };
            }
            Some((_, last_reset)) if reset <= last_reset => return,
            // A new window: slots reserved at the old window's pace are void.
            Some(_) => self.client.next_slot = None,
            None => {}
        }
        self.last_remaining = Some((remaining, reset));
    }

    /// Pauses the whole client; spacing learnt in the old window ends with it.
    fn pause_client(&mut self, at: Instant) -> bool {
        let started = self.client.pause_until(at);
        if started {
            self.client.spacing = Duration::ZERO;
            self.client.next_slot = None;
        }
        started
    }
}

/// Above this many issue lanes, idle ones are forgotten.
const MAX_ISSUE_LANES: usize = 1024;

impl Limiter {
    /// A limiter with these settings and nothing learnt yet.
    pub fn new(settings: RateLimits) -> Self {
        Self {
            settings,
            state: Mutex::new(State::default()),
        }
    }

    /// The settings it runs with.
    pub fn settings(&self) -> &RateLimits {
        &self.settings
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// How long a request to `endpoint` (a write to `issue`, if given) must
    /// wait before it is sent at `now`, and the scope that holds it back.
    /// Reserves the request's slot in every spaced lane, so concurrent
    /// callers are spread rather than released together.
    pub fn admit(
        &self,
        endpoint: &EndpointKey,
        issue: Option<&str>,
        now: Instant,
    ) -> Option<(Duration, Scope)> {
        if !self.settings.enabled {
            return None;
        }
        let mut guard = self.lock();
        let state = &mut *guard;
        let mut lanes: [(Option<&mut Lane>, Scope); 3] = [
            (Some(&mut state.client), Scope::Client),
            (state.endpoints.get_mut(endpoint), Scope::Endpoint),
            (
                issue.and_then(|key| state.issues.get_mut(key)),
                Scope::Issue,
            ),
        ];
        let mut start = now;
        let mut holder = None;
        for (lane, scope) in lanes.iter_mut() {
            if let Some(at) = lane.as_ref().and_then(|l| l.ready_at())
                && at > start
            {
                start = at;
                holder = Some(*scope);
            }
        }
        for (lane, _) in lanes.iter_mut() {
            if let Some(lane) = lane {
                lane.last_used = Some(now);
                if !lane.spacing.is_zero() {
                    lane.next_slot = start.checked_add(lane.spacing).or(lane.next_slot);
                }
            }
        }
        holder.map(|scope| (start.saturating_duration_since(now), scope))
    }

    /// How long the state holds a request to `endpoint` back at `now`,
    /// without reserving a slot.
    pub fn held_back(&self, endpoint: &EndpointKey, issue: Option<&str>, now: Instant) -> Duration {
        if !self.settings.enabled {
            return Duration::ZERO;
        }
        let state = self.lock();
        let lanes = [
            Some(&state.client),
            state.endpoints.get(endpoint),
            issue.and_then(|key| state.issues.get(key)),
        ];
        lanes
            .into_iter()
            .flatten()
            .filter_map(Lane::ready_at)
            .max()
            .map(|at| at.saturating_duration_since(now))
            .unwrap_or_default()
    }

    /// Learns from a response to `endpoint` received at `now`. `fallback`
    /// is the wait to use when a 429 names no delay. Returns the pause it
    /// started, if any.
    pub fn observe(
        &self,
        endpoint: &EndpointKey,
        issue: Option<&str>,
        status: StatusCode,
        headers: &RateLimitHeaders,
        fallback: Duration,
        now: Instant,
    ) -> Option<Pause> {
        if !self.settings.enabled {
            return None;
        }
        let max_pause = self.settings.max_pause;
        let until = |delay: Duration| {
            let delay = delay.min(max_pause);
            (now.checked_add(delay).unwrap_or(now), delay)
        };
        let mut state = self.lock();
        if status == StatusCode::TOO_MANY_REQUESTS {
            let reason = headers.reason.unwrap_or(Reason::Unspecified);
            let scope = headers.scope();
            let (at, duration) = until(headers.delay().unwrap_or(fallback));
            let started = match (scope, issue) {
                (Scope::Client, _) => state.pause_client(at),
                (Scope::Issue, Some(key)) => {
                    if state.issues.len() >= MAX_ISSUE_LANES {
                        state.issues.retain(|_, lane| !lane.idle(now));
                    }
                    let lane = state.issues.entry(key.to_string()).or_default();
                    lane.spacing = self.settings.issue_write_spacing;
                    lane.pause_until(at)
                }
                // A per-issue limit on a request that names no issue slows its endpoint.
                (Scope::Endpoint | Scope::Issue, _) => {
                    let lane = state.endpoints.entry(endpoint.clone()).or_default();
                    lane.spacing = burst_spacing(headers);
                    lane.pause_until(at)
                }
            };
            return started.then_some(Pause {
                scope: if scope == Scope::Issue && issue.is_none() {
                    Scope::Endpoint
                } else {
                    scope
                },
                reason,
                duration,
            });
        }
        // A success: the endpoint's burst spacing relaxes step by step.
        if let Some(lane) = state.endpoints.get_mut(endpoint) {
            lane.spacing /= 2;
            if lane.spacing < Duration::from_millis(1) {
                lane.spacing = Duration::ZERO;
                lane.next_slot = None;
            }
        }
        let quota = headers.quota();
        if let Some(q) = quota
            && q.remaining == Some(0)
            && let Some(reset) = q.reset.filter(|t| !t.is_zero())
        {
            let (at, duration) = until(reset);
            let reason = headers.reason.unwrap_or(Reason::TenantQuota);
            state.last_remaining = None;
            return state.pause_client(at).then_some(Pause {
                scope: Scope::Client,
                reason,
                duration,
            });
        }
        if let Some(q) = quota
            && let (Some(remaining), Some(reset)) = (q.remaining, q.reset)
        {
            state.learn_cost(remaining, reset);
        }
        let cost = state.cost.max(1.0);
        state.client.spacing = self.spacing_near_limit(headers, cost);
        if state.client.spacing.is_zero() {
            state.client.next_slot = None;
        }
        None
    }

    /// The pace that spreads what is left of the quota over the time to the
    /// reset, once little is left; zero otherwise.
    fn spacing_near_limit(&self, headers: &RateLimitHeaders, cost: f64) -> Duration {
        let share = self.settings.near_limit_share;
        let low = |remaining: u64, quota: u64| (remaining as f64) < (quota as f64) * share;
        let (remaining, reset, near) = match headers.quota() {
            Some(q) => (
                q.remaining,
                q.reset,
                headers.near_limit
                    || matches!((q.remaining, q.quota), (Some(r), Some(t)) if low(r, t)),
            ),
            None => (
                headers.remaining,
                headers.reset,
                headers.near_limit
                    || matches!((headers.remaining, headers.limit), (Some(r), Some(l)) if low(r, l)),
            ),
        };
        if !near {
            return Duration::ZERO;
        }
        match (remaining, reset) {
            // As many requests as the points left pay for (the last one may
            // take the remainder), spread evenly up to the reset.
            (Some(r), Some(t)) if r > 0 => {
                let requests = (r as f64 / cost).ceil().max(1.0);
                Duration::try_from_secs_f64(t.as_secs_f64() / requests)
                    .unwrap_or(self.settings.max_pause)
                    .min(self.settings.max_pause)
            }
            _ => self.settings.near_limit_spacing,
        }
    }
}

/// After a burst 429: one request per `1/limit` seconds when Jira says the
/// limit, else 10 ms (its documented 100 requests per second).
fn burst_spacing(headers: &RateLimitHeaders) -> Duration {
    match headers.limit.filter(|l| (1..=100_000).contains(l)) {
        Some(limit) => Duration::from_secs(1) / limit as u32,
        None => Duration::from_millis(10),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    /// A header map from name and value pairs.
    pub(crate) fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        map
    }

    fn now() -> SystemTime {
        // 2026-03-26T16:25:28Z
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_774_542_328)
    }

    fn parsed(pairs: &[(&'static str, &str)]) -> RateLimitHeaders {
        RateLimitHeaders::parse(&headers(pairs), now())
    }

    #[test]
    fn every_reason_has_its_scope() {
        let table = [
            (
                "jira-quota-global-based",
                Reason::GlobalQuota,
                Scope::Client,
            ),
            (
                "jira-quota-tenant-based",
                Reason::TenantQuota,
                Scope::Client,
            ),
            ("jira-burst-based", Reason::Burst, Scope::Endpoint),
            (
                "jira-per-issue-on-write",
                Reason::PerIssueWrite,
                Scope::Issue,
            ),
            ("jira-cost-based", Reason::LegacyQuota, Scope::Client),
            ("JIRA-QUOTA-BASED", Reason::LegacyQuota, Scope::Client),
            ("something-new", Reason::Unspecified, Scope::Endpoint),
        ];
        for (value, reason, scope) in table {
            for name in [
                "ratelimit-reason",
                "x-ratelimit-reason",
                "beta-ratelimit-reason",
                "x-beta-ratelimit-reason",
            ] {
                let h = parsed(&[(name, value)]);
                assert_eq!(h.reason, Some(reason), "{name}: {value}");
                assert_eq!(h.scope(), scope, "{name}: {value}");
            }
        }
        assert_eq!(parsed(&[]).scope(), Scope::Endpoint);
    }

    #[test]
    fn reset_is_read_with_and_without_seconds() {
        assert_eq!(
            parsed(&[("x-ratelimit-reset", "2026-03-26T17:00Z")]).reset,
            Some(Duration::from_secs(34 * 60 + 32))
        );
        assert_eq!(
            parsed(&[("x-beta-ratelimit-reset", "2026-03-26T16:25:40Z")]).reset,
            Some(Duration::from_secs(12))
        );
        assert_eq!(
            parsed(&[("x-ratelimit-reset", "2026-03-26T16:25:40.5+00:00")]).reset,
            Some(Duration::from_millis(12_500))
        );
        // In the past: no wait. Garbage: ignored.
        assert_eq!(
            parsed(&[("x-ratelimit-reset", "2026-03-26T16:00Z")]).reset,
            Some(Duration::ZERO)
        );
        for garbage in [
            "soon",
            "2026-13-40T99:99Z",
            "",
            "1774542340",
            "9999999-01-01T00:00Z",
        ] {
            assert_eq!(
                parsed(&[("x-ratelimit-reset", garbage)]).reset,
                None,
                "{garbage:?}"
            );
        }
    }

    #[test]
    fn retry_after_saturates_and_ignores_garbage() {
        let secs = |v: &str| parsed(&[("retry-after", v)]).retry_after;
        assert_eq!(secs("7"), Some(Duration::from_secs(7)));
        assert_eq!(secs(" 0 "), Some(Duration::ZERO));
        assert_eq!(
            secs("18446744073709551615"),
            Some(Duration::from_secs(u64::MAX))
        );
        assert_eq!(
            secs("99999999999999999999999999"),
            Some(Duration::from_secs(u64::MAX))
        );
        let date = httpdate::fmt_http_date(now() + Duration::from_secs(30));
        assert_eq!(secs(&date), Some(Duration::from_secs(30)));
        for garbage in ["-1", "1.5", "soon", "", "0x10", "Mon, 99 Foo"] {
            assert_eq!(secs(garbage), None, "{garbage:?}");
        }
    }

    #[test]
    fn structured_headers_in_every_spelling() {
        for (state, policy) in [
            ("ratelimit", "ratelimit-policy"),
            ("beta-ratelimit", "beta-ratelimit-policy"),
        ] {
            let h = parsed(&[
                (
                    state,
                    "\"tenant-app-quota\";r=17842;t=2107, \"jira-burst-based\";r=3;t=1",
                ),
                (policy, "\"tenant-app-quota\";q=100100;w=3600"),
            ]);
            let quota = h.quota().unwrap();
            assert_eq!(quota.policy, "tenant-app-quota");
            assert_eq!(quota.remaining, Some(17842));
            assert_eq!(quota.reset, Some(Duration::from_secs(2107)));
            assert_eq!(quota.quota, Some(100_100));
            assert_eq!(h.policies[1].policy, "jira-burst-based");
            assert!(!h.policies[1].is_quota());
        }
        let h = parsed(&[
            ("x-ratelimit-nearlimit", "true"),
            ("x-ratelimit-limit", "350"),
            ("x-ratelimit-remaining", "349"),
        ]);
        assert!(h.near_limit);
        assert_eq!((h.limit, h.remaining), (Some(350), Some(349)));
        assert!(parsed(&[("x-beta-ratelimit-nearlimit", "TRUE")]).near_limit);
        assert!(!parsed(&[("x-ratelimit-nearlimit", "yes")]).near_limit);
    }

    #[test]
    fn garbage_and_overflow_in_structured_headers_do_not_panic() {
        for value in [
            "",
            ";;;",
            "\"\";r=1",
            "\"q\";r=;t=",
            "\"global-app-quota\";r=-1;t=abc",
            "\"global-app-quota\";r=99999999999999999999999;t=99999999999999999999999",
            ",,,\"a\",",
            "\u{7f}",
        ] {
            let Ok(v) = HeaderValue::from_str(value) else {
                continue;
            };
            let mut map = HeaderMap::new();
            map.insert("ratelimit", v.clone());
            map.insert("ratelimit-policy", v);
            let h = RateLimitHeaders::parse(&map, now());
            let _ = h.delay();
            let _ = h.scope();
        }
        let h = parsed(&[(
            "ratelimit",
            "\"global-app-quota\";r=0;t=99999999999999999999999",
        )]);
        assert_eq!(h.delay(), Some(Duration::from_secs(u64::MAX)));
        assert_eq!(h.scope(), Scope::Client);
    }

    #[test]
    fn delay_is_the_longest_the_server_names() {
        let h = parsed(&[
            ("retry-after", "3"),
            ("x-ratelimit-reset", "2026-03-26T16:25:48Z"),
            ("ratelimit", "\"tenant-app-quota\";r=0;t=30"),
        ]);
        assert_eq!(h.delay(), Some(Duration::from_secs(30)));
        // A policy with quota left does not ask for a wait.
        assert_eq!(
            parsed(&[("ratelimit", "\"tenant-app-quota\";r=5;t=30")]).delay(),
            None
        );
    }

    fn endpoint(path: &'static str) -> EndpointKey {
        EndpointKey::new(Method::GET, path)
    }

    #[test]
    fn a_quota_429_pauses_every_endpoint() {
        let limiter = Limiter::new(RateLimits::default());
        let t0 = Instant::now();
        let h = parsed(&[
            ("retry-after", "5"),
            ("ratelimit-reason", "jira-quota-tenant-based"),
        ]);
        let pause = limiter.observe(
            &endpoint("/a"),
            None,
            StatusCode::TOO_MANY_REQUESTS,
            &h,
            Duration::ZERO,
            t0,
        );
        assert_eq!(
            pause,
            Some(Pause {
                scope: Scope::Client,
                reason: Reason::TenantQuota,
                duration: Duration::from_secs(5)
            })
        );
        for path in ["/a", "/b"] {
            assert_eq!(
                limiter.admit(&endpoint(path), None, t0 + Duration::from_secs(1)),
                Some((Duration::from_secs(4), Scope::Client))
            );
        }
        assert_eq!(
            limiter.admit(&endpoint("/b"), None, t0 + Duration::from_secs(5)),
            None
        );
    }

    #[test]
    fn a_burst_429_slows_only_its_endpoint() {
        let limiter = Limiter::new(RateLimits::default());
        let t0 = Instant::now();
        let h = parsed(&[
            ("retry-after", "2"),
            ("ratelimit-reason", "jira-burst-based"),
        ]);
        limiter.observe(
            &endpoint("/a"),
            None,
            StatusCode::TOO_MANY_REQUESTS,
            &h,
            Duration::ZERO,
            t0,
        );
        assert_eq!(limiter.admit(&endpoint("/b"), None, t0), None);
        assert_eq!(
            limiter.admit(&EndpointKey::new(Method::POST, "/a"), None, t0),
            None
        );
        assert_eq!(
            limiter.admit(&endpoint("/a"), None, t0),
            Some((Duration::from_secs(2), Scope::Endpoint))
        );
        // Once open, requests are spaced 10 ms apart.
        let t2 = t0 + Duration::from_secs(3);
        assert_eq!(limiter.admit(&endpoint("/a"), None, t2), None);
        assert_eq!(
            limiter.admit(&endpoint("/a"), None, t2),
            Some((Duration::from_millis(10), Scope::Endpoint))
        );
    }

    #[test]
    fn writes_to_one_issue_are_spaced() {
        let limiter = Limiter::new(RateLimits::default());
        let t0 = Instant::now();
        let h = parsed(&[
            ("retry-after", "1"),
            ("ratelimit-reason", "jira-per-issue-on-write"),
        ]);
        let put = EndpointKey::new(Method::PUT, "/issue/{id}");
        limiter.observe(
            &put,
            Some("/issue/A-1"),
            StatusCode::TOO_MANY_REQUESTS,
            &h,
            Duration::ZERO,
            t0,
        );
        assert_eq!(limiter.admit(&put, Some("/issue/A-2"), t0), None);
        let t1 = t0 + Duration::from_secs(1);
        assert_eq!(limiter.admit(&put, Some("/issue/A-1"), t1), None);
        assert_eq!(
            limiter.admit(&put, Some("/issue/A-1"), t1),
            Some((Duration::from_millis(300), Scope::Issue))
        );
    }

    #[test]
    fn near_limit_spreads_what_is_left_and_r_zero_pauses() {
        let limiter = Limiter::new(RateLimits::default());
        let t0 = Instant::now();
        let ok = StatusCode::OK;
        let low = parsed(&[
            ("ratelimit", "\"tenant-app-quota\";r=10;t=20"),
            ("ratelimit-policy", "\"tenant-app-quota\";q=1000;w=3600"),
        ]);
        assert_eq!(
            limiter.observe(&endpoint("/a"), None, ok, &low, Duration::ZERO, t0),
            None
        );
        assert_eq!(limiter.admit(&endpoint("/a"), None, t0), None);
        assert_eq!(
            limiter.admit(&endpoint("/b"), None, t0),
            Some((Duration::from_secs(2), Scope::Client))
        );
        let plenty = parsed(&[
            ("ratelimit", "\"tenant-app-quota\";r=900;t=20"),
            ("ratelimit-policy", "\"tenant-app-quota\";q=1000;w=3600"),
        ]);
        limiter.observe(&endpoint("/a"), None, ok, &plenty, Duration::ZERO, t0);
        let t5 = t0 + Duration::from_secs(5);
        assert_eq!(limiter.admit(&endpoint("/a"), None, t5), None);
        assert_eq!(limiter.admit(&endpoint("/a"), None, t5), None);

        let empty = parsed(&[("beta-ratelimit", "\"tenant-app-quota\";r=0;t=7")]);
        let pause = limiter.observe(&endpoint("/a"), None, ok, &empty, Duration::ZERO, t5);
        assert_eq!(
            pause.map(|p| (p.scope, p.duration)),
            Some((Scope::Client, Duration::from_secs(7)))
        );
        assert_eq!(
            limiter.admit(&endpoint("/z"), None, t5),
            Some((Duration::from_secs(7), Scope::Client))
        );
        let flagged = parsed(&[("x-ratelimit-nearlimit", "true")]);
        limiter.observe(&endpoint("/a"), None, ok, &flagged, Duration::ZERO, t5);
        assert_eq!(
            limiter.settings().near_limit_spacing,
            Duration::from_millis(100)
        );
    }

    #[test]
    fn spacing_counts_what_a_request_costs_and_ends_with_the_window() {
        let limiter = Limiter::new(RateLimits::default());
        let t0 = Instant::now();
        let ok = StatusCode::OK;
        let at = |r: u32| {
            let state = format!("\"tenant-app-quota\";r={r};t=10");
            let mut map = headers(&[("ratelimit-policy", "\"tenant-app-quota\";q=10000;w=3600")]);
            map.insert("ratelimit", HeaderValue::from_str(&state).unwrap());
            RateLimitHeaders::parse(&map, now())
        };
        // Each request costs 50 points: 400 points left pay for 8 requests
        // in 10 s. An answer overtaken by a later one (475) is no sample.
        for r in [550, 500, 450, 475, 400] {
            limiter.observe(&endpoint("/a"), None, ok, &at(r), Duration::ZERO, t0);
        }
        assert_eq!(limiter.admit(&endpoint("/a"), None, t0), None);
        assert_eq!(
            limiter.admit(&endpoint("/a"), None, t0),
            Some((Duration::from_millis(1250), Scope::Client))
        );
        // The pause at r=0 drops the old window's spacing and reservations.
        let empty = parsed(&[("ratelimit", "\"tenant-app-quota\";r=0;t=3")]);
        limiter.observe(&endpoint("/a"), None, ok, &empty, Duration::ZERO, t0);
        let t3 = t0 + Duration::from_secs(3);
        assert_eq!(limiter.admit(&endpoint("/a"), None, t3), None);
        assert_eq!(limiter.admit(&endpoint("/a"), None, t3), None);
    }

    #[test]
    fn huge_server_delays_are_capped_not_overflowed() {
        let limiter = Limiter::new(RateLimits::default().with_max_pause(Duration::from_secs(60)));
        let t0 = Instant::now();
        let h = parsed(&[
            ("retry-after", "18446744073709551615"),
            ("ratelimit-reason", "jira-quota-global-based"),
        ]);
        let pause = limiter.observe(
            &endpoint("/a"),
            None,
            StatusCode::TOO_MANY_REQUESTS,
            &h,
            Duration::ZERO,
            t0,
        );
        assert_eq!(pause.map(|p| p.duration), Some(Duration::from_secs(60)));
        assert_eq!(
            limiter.admit(&endpoint("/a"), None, t0),
            Some((Duration::from_secs(60), Scope::Client))
        );
    }

    #[test]
    fn switched_off_it_holds_nothing_back() {
        let limiter = Limiter::new(RateLimits::off());
        let t0 = Instant::now();
        let h = parsed(&[
            ("retry-after", "5"),
            ("ratelimit-reason", "jira-quota-tenant-based"),
        ]);
        assert_eq!(
            limiter.observe(
                &endpoint("/a"),
                None,
                StatusCode::TOO_MANY_REQUESTS,
                &h,
                Duration::ZERO,
                t0
            ),
            None
        );
        assert_eq!(limiter.admit(&endpoint("/a"), None, t0), None);
    }
}
