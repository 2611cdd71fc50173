//! Per-request fault decisions, drawn from the seeded generator.

use hyper::StatusCode;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::config::Faults;
use crate::http::{Resp, Service, with_header};

/// What happens to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fault {
    /// Close the connection without answering.
    Drop,
    /// Answer `503`.
    Unavailable,
    /// Answer `429` with `Retry-After` (unless it is omitted).
    RateLimited,
    /// Process the request, then close the connection without answering.
    DropAfterProcessing,
}

/// Decides faults one request at a time: one uniform draw per request, so
/// every request has the configured chances independently of the others.
#[derive(Debug)]
pub(crate) struct FaultInjector {
    faults: Faults,
    rng: StdRng,
}

impl FaultInjector {
    pub fn new(faults: Faults, seed: u64) -> Self {
        Self {
            faults,
            // A different stream from the data generator's, same seed.
            rng: StdRng::seed_from_u64(seed ^ 0x5eed_fa17),
        }
    }

    /// The fault for the next request, if any.
    pub fn decide(&mut self) -> Option<Fault> {
        let f = &self.faults;
        if f.dropped <= 0.0
            && f.unavailable <= 0.0
            && f.rate_limited <= 0.0
            && f.dropped_after_processing <= 0.0
        {
            return None;
        }
        let draw: f64 = self.rng.random();
        let mut edge = f.dropped.max(0.0);
        if draw < edge {
            return Some(Fault::Drop);
        }
        edge += f.unavailable.max(0.0);
        if draw < edge {
            return Some(Fault::Unavailable);
        }
        edge += f.rate_limited.max(0.0);
        if draw < edge {
            return Some(Fault::RateLimited);
        }
        edge += f.dropped_after_processing.max(0.0);
        if draw < edge {
            return Some(Fault::DropAfterProcessing);
        }
        None
    }

    /// Milliseconds to wait before answering each request.
    pub fn delay_ms(&self) -> u64 {
        self.faults.delay_ms
    }

    /// The answer for an injected `Unavailable` or `RateLimited` fault.
    pub fn response(&self, fault: Fault, service: Service) -> Option<Resp> {
        match fault {
            Fault::Drop | Fault::DropAfterProcessing => None,
            Fault::Unavailable => Some(service.error(
                StatusCode::SERVICE_UNAVAILABLE,
                "Service temporarily unavailable (injected by the sandbox).",
            )),
            Fault::RateLimited => {
                let resp = service.error(
                    StatusCode::TOO_MANY_REQUESTS,
                    "Rate limit exceeded (injected by the sandbox).",
                );
                let resp = if self.faults.omit_retry_after {
                    resp
                } else {
                    let secs = self.faults.retry_after_secs.unwrap_or(0).to_string();
                    with_header(resp, "retry-after", &secs)
                };
                Some(with_header(resp, "x-ratelimit-remaining", "0"))
            }
        }
    }
}
