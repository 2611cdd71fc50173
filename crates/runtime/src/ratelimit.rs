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
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::{Duration, Instant, SystemTime};

use reqwest::header::HeaderMap;
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
#[non_exhaustive]
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
#[non_exhaustive]
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
#[non_exhaustive]
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

/// The rate-limit headers a response may carry.
#[derive(Clone, Copy)]
enum Field {
    RetryAfter,
    Reason,
    NearLimit,
    Limit,
    Remaining,
    Reset,
    State,
    Policy,
}

/// The field a header name carries and its rank among the names of that
/// field (0 first): current, then `Beta-`, then the legacy `X-Beta-` forms.
fn field(name: &str) -> Option<(Field, u8)> {
    Some(match name {
        "retry-after" => (Field::RetryAfter, 0),
        "ratelimit-reason" => (Field::Reason, 0),
        "x-ratelimit-reason" => (Field::Reason, 1),
        "beta-ratelimit-reason" => (Field::Reason, 2),
        "x-beta-ratelimit-reason" => (Field::Reason, 3),
        "x-ratelimit-nearlimit" => (Field::NearLimit, 0),
        "x-beta-ratelimit-nearlimit" => (Field::NearLimit, 1),
        "x-ratelimit-limit" => (Field::Limit, 0),
        "x-ratelimit-remaining" => (Field::Remaining, 0),
        "x-ratelimit-reset" => (Field::Reset, 0),
        "x-beta-ratelimit-reset" => (Field::Reset, 1),
        "ratelimit" => (Field::State, 0),
        "beta-ratelimit" => (Field::State, 1),
        "ratelimit-policy" => (Field::Policy, 0),
        "beta-ratelimit-policy" => (Field::Policy, 1),
        _ => return None,
    })
}

/// Every rate-limit header value of `headers`, found in one pass: for each
/// field, the first value of its best-ranked name. Responses without such
/// headers, the common case, cost one look at each name.
fn raw_values(headers: &HeaderMap) -> [Option<(u8, &str)>; 8] {
    let mut found: [Option<(u8, &str)>; 8] = [None; 8];
    for (name, value) in headers {
        let Some((field, rank)) = field(name.as_str()) else {
            continue;
        };
        let slot = &mut found[field as usize];
        if slot.is_none_or(|(best, _)| rank < best)
            && let Ok(value) = value.to_str()
        {
            *slot = Some((rank, value));
        }
    }
    found
}

impl RateLimitHeaders {
    /// Reads the headers of a response received at `now`.
    pub fn parse(headers: &HeaderMap, now: SystemTime) -> RateLimitHeaders {
        Self::parse_with(headers, || now)
    }

    /// Reads the headers of a response received just now; the clock is
    /// read only when a header holds a date or a delay.
    pub(crate) fn read(headers: &HeaderMap) -> RateLimitHeaders {
        Self::parse_with(headers, SystemTime::now)
    }

    fn parse_with(headers: &HeaderMap, now: impl Fn() -> SystemTime) -> RateLimitHeaders {
        let raw = raw_values(headers);
        let value = |field: Field| raw[field as usize].map(|(_, v)| v);
        let mut policies = value(Field::State)
            .map(parse_structured)
            .unwrap_or_default();
        if let Some(declared) = value(Field::Policy) {
            for (name, params) in parse_items(declared) {
                let quota = params.iter().find(|(k, _)| *k == "q").map(|(_, v)| *v);
                if let Some(entry) = policies.iter_mut().find(|p| p.policy == name) {
                    entry.quota = quota;
                }
            }
        }
        RateLimitHeaders {
            retry_after: value(Field::RetryAfter).and_then(|v| parse_retry_after(v, now())),
            reset: value(Field::Reset).and_then(|v| parse_reset(v, now())),
            reason: value(Field::Reason).map(Reason::parse),
            near_limit: value(Field::NearLimit)
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("true")),
            limit: value(Field::Limit).and_then(parse_u64_saturating),
            remaining: value(Field::Remaining).and_then(parse_u64_saturating),
            policies,
        }
    }

    /// True when the response said nothing about rate limits.
    pub fn is_empty(&self) -> bool {
        self.retry_after.is_none()
            && self.reset.is_none()
            && self.reason.is_none()
            && !self.near_limit
            && self.limit.is_none()
            && self.remaining.is_none()
            && self.policies.is_empty()
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

    /// The endpoint's method.
    pub fn method(&self) -> &Method {
        &self.method
    }
}

/// A stream of requests that may be held back: until a time, and spaced.
#[derive(Debug, Clone, Default)]
struct Lane {
    open_at: Option<Instant>,
    spacing: Duration,
    next_slot: Option<Instant>,
}

impl Lane {
    fn ready_at(&self) -> Option<Instant> {
        self.open_at.max(self.next_slot)
    }

    /// Holds nothing back at `now`.
    fn open(&self, now: Instant) -> bool {
        self.ready_at().is_none_or(|at| at <= now)
    }

    /// Holds nothing back at `now` and, unspaced, will not later either.
    fn idle(&self, now: Instant) -> bool {
        self.spacing.is_zero() && self.open(now)
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
#[non_exhaustive]
pub struct Pause {
    /// What it holds back.
    pub scope: Scope,
    /// Why.
    pub reason: Reason,
    /// For how long.
    pub duration: Duration,
}

/// The state the clones of one client share, keyed by scope.
///
/// Requests that carry no rate-limit headers, while nothing is held back,
/// take a path without the lock: an atomic flag says the state is quiet.
#[derive(Debug)]
pub struct Limiter {
    settings: RateLimits,
    state: Mutex<State>,
    /// True while the state holds nothing back and knows no window: then
    /// admitting a request and learning from a response without rate-limit
    /// headers change nothing, and neither takes the lock.
    quiet: AtomicBool,
    /// Requests sent whose response has not been learnt from yet (see
    /// [`Limiter::sending`]): their points are spent but not yet shown in
    /// `remaining`.
    in_flight: AtomicU32,
}

/// One quota window as the responses in it described it.
#[derive(Debug, Clone, Copy)]
struct Window {
    /// The window resets after `after` and no later than `before`. The
    /// headers give whole seconds to the reset (rounded up), computed by the
    /// server between sending and receiving, so each response narrows it.
    after: Instant,
    before: Instant,
    /// The lowest `remaining` seen in the window.
    remaining: u64,
    /// The window's allowance, when a `RateLimit-Policy` or `X-RateLimit-Limit` said it.
    quota: Option<u64>,
    /// A response in the window said `X-RateLimit-NearLimit: true`.
    flagged: bool,
}

impl Window {
    fn near(&self, share: f64) -> bool {
        self.flagged
            || self
                .quota
                .is_some_and(|q| (self.remaining as f64) < q as f64 * share)
    }
}

#[derive(Debug, Default)]
struct State {
    client: Lane,
    /// The quota window the latest responses described (possibly over).
    window: Option<Window>,
    /// The latest response said "near limit" without a reset time to pace by.
    flagged_only: bool,
    endpoints: HashMap<EndpointKey, Lane>,
    issues: HashMap<String, Lane>,
    /// Points one request costs, on average, learnt from how `remaining`
    /// falls between responses (reads of many objects cost many points).
    cost: f64,
}

/// What a response said about the quota: remaining, time to the reset, allowance.
fn quota_reading(headers: &RateLimitHeaders) -> Option<(u64, Duration, Option<u64>)> {
    match headers.quota() {
        Some(q) => Some((q.remaining?, q.reset?, q.quota)),
        None => Some((headers.remaining?, headers.reset?, headers.limit)),
    }
}

impl State {
    /// Learns the quota state from a response sent at `sent` and received
    /// at `now`. Responses of concurrent requests arrive out of order: one
    /// whose window reset before the current one's is ignored (returns
    /// false); within a window, only a new low of `remaining` counts.
    fn learn(
        &mut self,
        (remaining, reset, quota): (u64, Duration, Option<u64>),
        flagged: bool,
        max_pause: Duration,
        sent: Instant,
        now: Instant,
    ) -> bool {
        let reset = reset.min(max_pause);
        let after = sent
            .checked_add(reset.saturating_sub(Duration::from_secs(1)))
            .unwrap_or(sent);
        let before = now.checked_add(reset).unwrap_or(now);
        if let Some(w) = &mut self.window {
            if before <= w.after {
                return false;
            }
            let (lo, hi) = (w.after.max(after), w.before.min(before));
            if lo < hi {
                w.after = lo;
                w.before = hi;
                if remaining < w.remaining {
                    let sample = (w.remaining - remaining) as f64;
                    self.cost = if self.cost > 0.0 {
                        0.7 * self.cost + 0.3 * sample
                    } else {
                        sample
                    };
                    w.remaining = remaining;
                }
                w.quota = quota.or(w.quota);
                w.flagged |= flagged;
                return true;
            }
        }
        // A new window: slots reserved at the old window's pace are void.
        self.window = Some(Window {
            after,
            before,
            remaining,
            quota,
            flagged,
        });
        self.client.next_slot = None;
        true
    }

    /// The window the client is in at `now`, if the headers described one.
    fn current(&self, now: Instant) -> Option<&Window> {
        self.window.as_ref().filter(|w| now < w.before)
    }

    /// Once little of the quota is left, the time to the reset before which
    /// no request can be paid for (all that is left is spent by requests in
    /// flight), if that is the case.
    fn quota_hold(&self, share: f64, in_flight: u32, now: Instant) -> Option<Instant> {
        let w = self.current(now).filter(|w| w.near(share))?;
        let cost = self.cost.max(1.0);
        let free = w.remaining as f64 - f64::from(in_flight) * cost;
        (free <= 0.0).then_some(w.before)
    }

    /// Sets the client's pace: near the limit, what the points left (less
    /// those of requests in flight) pay for, spread evenly from the next
    /// free slot up to the earliest moment the window may reset; Jira's
    /// "near limit" without numbers, a fixed spacing; else none.
    fn pace(&mut self, settings: &RateLimits, in_flight: u32, now: Instant) {
        let share = settings.near_limit_share;
        let spacing = match self.current(now).copied() {
            Some(w) if w.near(share) => {
                let cost = self.cost.max(1.0);
                let free = w.remaining as f64 - f64::from(in_flight) * cost;
                if free <= 0.0 {
                    // Nothing to spread: `quota_hold` keeps every request
                    // until the reset.
                    self.client.spacing = Duration::ZERO;
                    self.client.next_slot = None;
                    return;
                }
                // The last request may take the remainder.
                let requests = (free / cost).ceil().max(1.0);
                let from = self.client.ready_at().map_or(now, |at| at.max(now));
                let span = w.after.saturating_duration_since(from);
                Duration::try_from_secs_f64(span.as_secs_f64() / requests)
                    .unwrap_or(settings.max_pause)
                    .min(settings.max_pause)
            }
            Some(_) => Duration::ZERO,
            None if self.flagged_only => settings.near_limit_spacing,
            None => Duration::ZERO,
        };
        self.client.spacing = spacing;
        if spacing.is_zero() {
            self.client.next_slot = None;
        }
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

    /// Nothing holds a request back now or later, and no window is current:
    /// a request without rate-limit headers changes nothing.
    fn quiet(&self, now: Instant) -> bool {
        self.client.idle(now)
            && self.current(now).is_none()
            && !self.flagged_only
            && self.endpoints.is_empty()
            && self.issues.is_empty()
    }
}

/// Above this many issue lanes, those that hold nothing back are forgotten.
const MAX_ISSUE_LANES: usize = 1024;

/// A request on its way, counted by the limiter until dropped; see
/// [`Limiter::sending`].
#[derive(Debug)]
#[must_use = "the request counts as in flight only while this is held"]
pub struct Sending<'a> {
    count: Option<&'a AtomicU32>,
}

impl Drop for Sending<'_> {
    fn drop(&mut self) {
        if let Some(count) = self.count {
            count.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

impl Limiter {
    /// A limiter with these settings and nothing learnt yet.
    pub fn new(settings: RateLimits) -> Self {
        Self {
            settings,
            state: Mutex::new(State::default()),
            quiet: AtomicBool::new(true),
            in_flight: AtomicU32::new(0),
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

    fn is_quiet(&self) -> bool {
        self.quiet.load(Ordering::Acquire)
    }

    /// True when the state may hold a request back or learns from every
    /// response: the request loop then works out what the state is keyed by.
    pub fn holds_state(&self) -> bool {
        self.settings.enabled && !self.is_quiet()
    }

    fn set_quiet(&self, state: &State, now: Instant) {
        self.quiet.store(state.quiet(now), Ordering::Release);
    }

    /// Counts a request as in flight from now until the returned value is
    /// dropped. The request loop takes it as soon as [`Limiter::admit`] has
    /// given the request its slot, and drops it once it has learnt from the
    /// response (or the request failed). Near the limit, the points of
    /// requests in flight, or waiting for their slot, are not spent twice.
    pub fn sending(&self) -> Sending<'_> {
        if !self.settings.enabled {
            return Sending { count: None };
        }
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        Sending {
            count: Some(&self.in_flight),
        }
    }

    fn in_flight(&self) -> u32 {
        self.in_flight.load(Ordering::Relaxed)
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
        if !self.settings.enabled || self.is_quiet() {
            return None;
        }
        let mut guard = self.lock();
        let state = &mut *guard;
        let in_flight = self.in_flight();
        state.pace(&self.settings, in_flight, now);
        let mut start = now;
        let mut holder = None;
        if let Some(at) = state.quota_hold(self.settings.near_limit_share, in_flight, now)
            && at > start
        {
            start = at;
            holder = Some(Scope::Client);
        }
        let mut lanes: [(Option<&mut Lane>, Scope); 3] = [
            (Some(&mut state.client), Scope::Client),
            (state.endpoints.get_mut(endpoint), Scope::Endpoint),
            (
                issue.and_then(|key| state.issues.get_mut(key)),
                Scope::Issue,
            ),
        ];
        for (lane, scope) in lanes.iter_mut() {
            if let Some(at) = lane.as_ref().and_then(|l| l.ready_at())
                && at > start
            {
                start = at;
                holder = Some(*scope);
            }
        }
        for (lane, _) in lanes.iter_mut() {
            if let Some(lane) = lane
                && !lane.spacing.is_zero()
            {
                lane.next_slot = start.checked_add(lane.spacing).or(lane.next_slot);
            }
        }
        self.set_quiet(state, now);
        holder.map(|scope| (start.saturating_duration_since(now), scope))
    }

    /// How long the state holds a request to `endpoint` back at `now`,
    /// without reserving a slot.
    pub fn held_back(&self, endpoint: &EndpointKey, issue: Option<&str>, now: Instant) -> Duration {
        if !self.settings.enabled || self.is_quiet() {
            return Duration::ZERO;
        }
        let state = self.lock();
        let lanes = [
            Some(&state.client),
            state.endpoints.get(endpoint),
            issue.and_then(|key| state.issues.get(key)),
        ];
        let quota = state.quota_hold(self.settings.near_limit_share, self.in_flight(), now);
        lanes
            .into_iter()
            .flatten()
            .filter_map(Lane::ready_at)
            .chain(quota)
            .max()
            .map(|at| at.saturating_duration_since(now))
            .unwrap_or_default()
    }

    /// Learns from a response to `endpoint`, sent at `sent` and received at
    /// `now`. `fallback` is the wait to use when a 429 names no delay.
    /// Returns the pause it started, if any.
    #[allow(clippy::too_many_arguments)]
    pub fn observe(
        &self,
        endpoint: &EndpointKey,
        issue: Option<&str>,
        status: StatusCode,
        headers: &RateLimitHeaders,
        fallback: Duration,
        sent: Instant,
        now: Instant,
    ) -> Option<Pause> {
        if !self.settings.enabled {
            return None;
        }
        let limited = status == StatusCode::TOO_MANY_REQUESTS;
        if !limited && headers.is_empty() && self.is_quiet() {
            return None;
        }
        let max_pause = self.settings.max_pause;
        let until = |delay: Duration| {
            let delay = delay.min(max_pause);
            (now.checked_add(delay).unwrap_or(now), delay)
        };
        let mut guard = self.lock();
        let state = &mut *guard;
        let reading = quota_reading(headers);
        let current = match reading {
            Some(reading) => state.learn(reading, headers.near_limit, max_pause, sent, now),
            None => false,
        };
        // Near the limit with nothing to pace by: the flag, or a low
        // `X-RateLimit-Remaining` without a reset time.
        let share = self.settings.near_limit_share;
        let low = matches!((headers.remaining, headers.limit),
            (Some(r), Some(l)) if (r as f64) < l as f64 * share);
        state.flagged_only = reading.is_none() && (headers.near_limit || low);
        let pause = if limited {
            let reason = headers.reason.unwrap_or(Reason::Unspecified);
            let scope = headers.scope();
            let (at, duration) = until(headers.delay().unwrap_or(fallback));
            let started = match (scope, issue) {
                (Scope::Client, _) => state.pause_client(at),
                (Scope::Issue, Some(key)) => {
                    if state.issues.len() >= MAX_ISSUE_LANES {
                        state.issues.retain(|_, lane| !lane.open(now));
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
            started.then_some(Pause {
                scope: if scope == Scope::Issue && issue.is_none() {
                    Scope::Endpoint
                } else {
                    scope
                },
                reason,
                duration,
            })
        } else {
            // A success: the endpoint's burst spacing relaxes step by step,
            // and a relaxed endpoint is forgotten.
            if let Some(lane) = state.endpoints.get_mut(endpoint) {
                lane.spacing /= 2;
                if lane.spacing < Duration::from_millis(1) {
                    lane.spacing = Duration::ZERO;
                    lane.next_slot = None;
                    if lane.open(now) {
                        state.endpoints.remove(endpoint);
                    }
                }
            }
            // Nothing left in the window: every request waits for the reset.
            match state.window {
                Some(w) if current && w.remaining == 0 && w.before > now => {
                    let duration = w.before - now;
                    let reason = headers.reason.unwrap_or(Reason::TenantQuota);
                    state.pause_client(w.before).then_some(Pause {
                        scope: Scope::Client,
                        reason,
                        duration,
                    })
                }
                _ => None,
            }
        };
        if pause.is_none() {
            state.pace(&self.settings, self.in_flight(), now);
        }
        self.set_quiet(state, now);
        pause
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

    /// Admits two requests to `GET /a` at `now`: the first must go at once;
    /// what holds the second back.
    fn second_of_two(limiter: &Limiter, now: Instant) -> Option<(Duration, Scope)> {
        assert_eq!(limiter.admit(&endpoint("/a"), None, now), None);
        limiter.admit(&endpoint("/a"), None, now)
    }

    /// `limiter` learns from a 200 to `GET /a` sent and received at these times.
    /// A 429 for `path`, received as soon as it was sent.
    fn refused(
        limiter: &Limiter,
        path: &'static str,
        headers: &RateLimitHeaders,
        at: Instant,
    ) -> Option<Pause> {
        let too_many = StatusCode::TOO_MANY_REQUESTS;
        limiter.observe(
            &endpoint(path),
            None,
            too_many,
            headers,
            Duration::ZERO,
            at,
            at,
        )
    }

    fn answer(
        limiter: &Limiter,
        headers: &RateLimitHeaders,
        sent: Instant,
        received: Instant,
    ) -> Option<Pause> {
        let ok = StatusCode::OK;
        limiter.observe(
            &endpoint("/a"),
            None,
            ok,
            headers,
            Duration::ZERO,
            sent,
            received,
        )
    }

    #[test]
    fn a_quota_429_pauses_every_endpoint() {
        let limiter = Limiter::new(RateLimits::default());
        let t0 = Instant::now();
        let h = parsed(&[
            ("retry-after", "5"),
            ("ratelimit-reason", "jira-quota-tenant-based"),
        ]);
        let pause = refused(&limiter, "/a", &h, t0);
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
        refused(&limiter, "/a", &h, t0);
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
        assert_eq!(
            second_of_two(&limiter, t2),
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
        let low = parsed(&[
            ("ratelimit", "\"tenant-app-quota\";r=10;t=20"),
            ("ratelimit-policy", "\"tenant-app-quota\";q=1000;w=3600"),
        ]);
        assert_eq!(answer(&limiter, &low, t0, t0), None);
        // 10 requests of one point spread over the 19 s the window surely
        // has left (`t` is rounded up).
        assert_eq!(limiter.admit(&endpoint("/a"), None, t0), None);
        assert_eq!(
            limiter.admit(&endpoint("/b"), None, t0),
            Some((Duration::from_millis(1900), Scope::Client))
        );
        // The next window (its reset lies beyond this one's) ends the spreading.
        let t5 = t0 + Duration::from_secs(5);
        let plenty = parsed(&[
            ("ratelimit", "\"tenant-app-quota\";r=900;t=20"),
            ("ratelimit-policy", "\"tenant-app-quota\";q=1000;w=3600"),
        ]);
        answer(&limiter, &plenty, t5, t5);
        assert_eq!(limiter.admit(&endpoint("/a"), None, t5), None);
        assert_eq!(limiter.admit(&endpoint("/a"), None, t5), None);

        let empty = parsed(&[("beta-ratelimit", "\"tenant-app-quota\";r=0;t=19")]);
        let t6 = t5 + Duration::from_secs(1);
        let pause = answer(&limiter, &empty, t6, t6);
        // Until the earliest "received + t" of the window: t5 + 20 s.
        assert_eq!(
            pause.map(|p| (p.scope, p.duration)),
            Some((Scope::Client, Duration::from_secs(19)))
        );
        assert_eq!(
            limiter.admit(&endpoint("/z"), None, t6),
            Some((Duration::from_secs(19), Scope::Client))
        );
    }

    #[test]
    fn near_limit_without_numbers_spaces_at_the_configured_pace() {
        let limiter = Limiter::new(RateLimits::default());
        let t0 = Instant::now();
        let flagged = parsed(&[("x-ratelimit-nearlimit", "true")]);
        answer(&limiter, &flagged, t0, t0);
        assert_eq!(limiter.admit(&endpoint("/a"), None, t0), None);
        assert_eq!(
            limiter.admit(&endpoint("/b"), None, t0),
            Some((Duration::from_millis(100), Scope::Client))
        );
        // So does a low `X-RateLimit-Remaining` without a reset time.
        let low = parsed(&[("x-ratelimit-limit", "100"), ("x-ratelimit-remaining", "5")]);
        let t1 = t0 + Duration::from_secs(1);
        answer(&limiter, &low, t1, t1);
        assert_eq!(
            second_of_two(&limiter, t1),
            Some((Duration::from_millis(100), Scope::Client))
        );
        // A response without either ends it.
        answer(&limiter, &parsed(&[]), t1, t1);
        let t2 = t1 + Duration::from_millis(100);
        assert_eq!(limiter.admit(&endpoint("/a"), None, t2), None);
        assert_eq!(limiter.admit(&endpoint("/a"), None, t2), None);
    }

    /// Headers of a 10,000-point window with `r` left and `t` seconds to go.
    fn window(r: u32, t: u32) -> RateLimitHeaders {
        let state = format!("\"tenant-app-quota\";r={r};t={t}");
        let mut map = headers(&[("ratelimit-policy", "\"tenant-app-quota\";q=10000;w=3600")]);
        map.insert("ratelimit", HeaderValue::from_str(&state).unwrap());
        RateLimitHeaders::parse(&map, now())
    }

    #[test]
    fn spacing_counts_what_a_request_costs_and_ends_with_the_window() {
        let limiter = Limiter::new(RateLimits::default());
        let t0 = Instant::now();
        // Each request costs 50 points: 400 points left pay for 8 requests
        // in the 9 s the window surely has left. An answer overtaken by a
        // later one (475) is no sample.
        for r in [550, 500, 450, 475, 400] {
            answer(&limiter, &window(r, 10), t0, t0);
        }
        assert_eq!(
            second_of_two(&limiter, t0),
            Some((Duration::from_millis(1125), Scope::Client))
        );
        // r=0 pauses until the reset, which drops the old window's spacing
        // and reservations.
        let t5 = t0 + Duration::from_secs(5);
        let pause = answer(&limiter, &window(0, 5), t5, t5);
        assert_eq!(pause.map(|p| p.duration), Some(Duration::from_secs(5)));
        let t10 = t0 + Duration::from_secs(10);
        assert_eq!(limiter.admit(&endpoint("/a"), None, t10), None);
        assert_eq!(limiter.admit(&endpoint("/a"), None, t10), None);
    }

    #[test]
    fn points_of_requests_in_flight_are_not_spent_twice() {
        let limiter = Limiter::new(RateLimits::default());
        let t0 = Instant::now();
        // 50 points a request, 120 left: three requests in flight spend them.
        for r in [220, 170, 120] {
            answer(&limiter, &window(r, 10), t0, t0);
        }
        let flying = [limiter.sending(), limiter.sending(), limiter.sending()];
        // Nothing is left to pay for another: it waits for the reset.
        assert_eq!(
            limiter.admit(&endpoint("/a"), None, t0),
            Some((Duration::from_secs(10), Scope::Client))
        );
        assert_eq!(
            limiter.held_back(&endpoint("/a"), None, t0),
            Duration::from_secs(10)
        );
        drop(flying);
        assert_eq!(limiter.in_flight(), 0);
        // With one request in flight, the 70 points left after it pay for
        // two more, spread over the 9 s the window surely has left.
        let fresh = Limiter::new(RateLimits::default());
        for r in [220, 170, 120] {
            answer(&fresh, &window(r, 10), t0, t0);
        }
        let one = fresh.sending();
        assert_eq!(
            second_of_two(&fresh, t0),
            Some((Duration::from_millis(4500), Scope::Client))
        );
        drop(one);
        assert_eq!(fresh.in_flight(), 0);
    }

    #[test]
    fn the_spread_ends_before_the_earliest_possible_reset() {
        let limiter = Limiter::new(RateLimits::default());
        let t0 = Instant::now();
        // At t0 the reset is 9 to 10 s away. A response sent at 2.5 s that
        // says "8 s" puts it between 9.5 and 10 s.
        answer(&limiter, &window(300, 10), t0, t0);
        let t2 = t0 + Duration::from_millis(2500);
        answer(&limiter, &window(200, 8), t2, t2);
        // 100 points a request: two left, spread over the 7 s up to 9.5 s.
        assert_eq!(
            second_of_two(&limiter, t2),
            Some((Duration::from_millis(3500), Scope::Client))
        );
    }

    #[test]
    fn a_late_answer_from_a_window_that_ended_holds_nothing_back() {
        let limiter = Limiter::new(RateLimits::default());
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        answer(&limiter, &window(60, 5), t0, t0);
        // Sent just before the reset, received just after: its "1 s, 10
        // left" describes the window that has ended.
        let late = window(10, 1);
        answer(&limiter, &late, at(4900), at(5200));
        assert_eq!(limiter.admit(&endpoint("/a"), None, at(5200)), None);
        assert_eq!(limiter.admit(&endpoint("/a"), None, at(5200)), None);
        // A response from the new window is learnt: 100 points at 50 a
        // request, spread over the 4 s it surely has left.
        let fresh = window(100, 5);
        answer(&limiter, &fresh, at(5300), at(5300));
        assert_eq!(
            second_of_two(&limiter, at(5300)),
            Some((Duration::from_secs(2), Scope::Client))
        );
    }

    #[test]
    fn without_rate_limit_headers_the_state_stays_quiet() {
        let limiter = Limiter::new(RateLimits::default());
        let t0 = Instant::now();
        answer(&limiter, &parsed(&[]), t0, t0);
        assert!(!limiter.holds_state());
        // A burst 429 is held; successes relax the endpoint until it is forgotten.
        let burst = parsed(&[
            ("retry-after", "1"),
            ("ratelimit-reason", "jira-burst-based"),
        ]);
        let limited = StatusCode::TOO_MANY_REQUESTS;
        limiter.observe(
            &endpoint("/a"),
            None,
            limited,
            &burst,
            Duration::ZERO,
            t0,
            t0,
        );
        assert!(limiter.holds_state());
        let t1 = t0 + Duration::from_secs(1);
        for _ in 0..4 {
            answer(&limiter, &parsed(&[]), t1, t1);
        }
        assert!(!limiter.holds_state());
        assert_eq!(limiter.admit(&endpoint("/a"), None, t1), None);
        // Quota headers keep the state learning until their window is over.
        answer(&limiter, &window(9000, 5), t1, t1);
        assert!(limiter.holds_state());
    }

    #[test]
    fn issue_lanes_that_hold_nothing_back_are_forgotten() {
        let limiter = Limiter::new(RateLimits::default());
        let t0 = Instant::now();
        let h = parsed(&[
            ("retry-after", "1"),
            ("ratelimit-reason", "jira-per-issue-on-write"),
        ]);
        let put = EndpointKey::new(Method::PUT, "/issue/{id}");
        let limited = StatusCode::TOO_MANY_REQUESTS;
        for i in 0..MAX_ISSUE_LANES {
            let issue = format!("/issue/A-{i}");
            limiter.observe(&put, Some(&issue), limited, &h, Duration::ZERO, t0, t0);
        }
        assert_eq!(limiter.lock().issues.len(), MAX_ISSUE_LANES);
        let t2 = t0 + Duration::from_secs(2);
        limiter.observe(
            &put,
            Some("/issue/B-1"),
            limited,
            &h,
            Duration::ZERO,
            t2,
            t2,
        );
        assert_eq!(limiter.lock().issues.len(), 1);
    }

    #[test]
    fn huge_server_delays_are_capped_not_overflowed() {
        let limiter = Limiter::new(RateLimits::default().with_max_pause(Duration::from_secs(60)));
        let t0 = Instant::now();
        let h = parsed(&[
            ("retry-after", "18446744073709551615"),
            ("ratelimit-reason", "jira-quota-global-based"),
        ]);
        let pause = refused(&limiter, "/a", &h, t0);
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
        assert_eq!(refused(&limiter, "/a", &h, t0), None);
        assert_eq!(limiter.admit(&endpoint("/a"), None, t0), None);
    }
}
