//! What the request loop tells an [`Observer`]: retries, waits and pauses,
//! each with its reason. Events carry no headers, bodies or credentials.

use std::fmt;
use std::time::Duration;

use crate::ratelimit::{Reason, Scope};
use crate::retry::RetryReason;

/// Something the request loop did besides sending a request once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event<'a> {
    /// The shared rate-limit state held a request back before sending it.
    Wait {
        /// Operation id (`get_security_level_members`).
        operation: &'a str,
        /// How long it waited.
        delay: Duration,
        /// The limit that held it back.
        scope: Scope,
    },
    /// A response started a pause or slow-down for other requests too.
    Pause {
        /// Operation whose response started it.
        operation: &'a str,
        /// Which requests it holds back.
        scope: Scope,
        /// Jira's reason.
        reason: Reason,
        /// How long.
        duration: Duration,
    },
    /// An attempt failed in a retryable way; the request is sent again after `delay`.
    Retry {
        /// Operation id.
        operation: &'a str,
        /// The attempt that failed (1 for the first).
        attempt: u32,
        /// Its status, when a response arrived.
        status: Option<u16>,
        /// The wait before the next attempt.
        delay: Duration,
        /// Why it is retried.
        reason: RetryReason,
    },
    /// A retryable failure with no retry left (count or budget).
    GaveUp {
        /// Operation id.
        operation: &'a str,
        /// How many times it was sent.
        attempts: u32,
        /// The last status, when a response arrived.
        status: Option<u16>,
    },
}

/// Receives the request loop's [`Event`]s, for metrics or tests. Called
/// inline on the request path: keep it quick and never block.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use appsec_runtime::observe::{Event, Observer};
///
/// #[derive(Debug, Default)]
/// struct Count(Mutex<u32>);
///
/// impl Observer for Count {
///     fn event(&self, event: &Event<'_>) {
///         if matches!(event, Event::Retry { .. }) {
///             *self.0.lock().unwrap() += 1;
///         }
///     }
/// }
///
/// let observer: Arc<dyn Observer> = Arc::new(Count::default());
/// # let _ = observer;
/// ```
pub trait Observer: Send + Sync + fmt::Debug {
    /// Called once per event.
    fn event(&self, event: &Event<'_>);
}
