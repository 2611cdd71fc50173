//! Stateful in-memory fakes of the three APIs the SDK talks to, served over
//! HTTP on a loopback port, for examples and tests:
//!
//! - Jira issue security (`/rest/api/3/issuesecurityschemes/...` and the
//!   project and security level lookups),
//! - Jira Security Information (`/rest/security/1.0/...`),
//! - Qwiet API v4 (`/api/v4/...`, one organization, [`SANDBOX_ORG_ID`]).
//!
//! Each request is authenticated the way the real service does it (Basic,
//! Bearer or a Connect JWT checked down to its `qsh` for Jira; a bearer
//! token for Qwiet), paged the way it pages, and answered in its JSON
//! shapes. Faults (429, 503, dropped connections, delays) can be injected
//! per request, deterministically for a given seed.
//!
//! ```no_run
//! use appsec_sandbox::{Sandbox, SandboxConfig};
//!
//! # async fn run() -> std::io::Result<()> {
//! let sandbox = Sandbox::start(SandboxConfig::default()).await?;
//! println!("Jira at {}, Qwiet at {}", sandbox.url(), sandbox.qwiet_url());
//! // ... point a client at it, with SandboxConfig::default().credentials ...
//! println!("{} requests", sandbox.stats().requests);
//! sandbox.shutdown().await;
//! # Ok(()) }
//! ```

mod atlassian;
mod auth;
mod config;
mod faults;
mod http;
mod jira_issue_security;
mod jira_model;
mod paging;
mod qwiet;
mod qwiet_seed;
mod ratelimit;
mod security_info;
mod state;
pub mod webhooks;

use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::{JoinHandle, JoinSet};

pub use atlassian::{
    ForgeInvocation, SANDBOX_CLOUD_ID, SANDBOX_FORGE_APP_ID, SANDBOX_INSTALLATION_ID,
    SANDBOX_OAUTH_CLIENT_ID, SANDBOX_OAUTH_CLIENT_SECRET,
};
pub use config::{
    Credentials, DEMO_BEARER_TOKEN, DEMO_CONNECT_APP_KEY, DEMO_CONNECT_SHARED_SECRET,
    DEMO_JIRA_API_TOKEN, DEMO_JIRA_EMAIL, DEMO_QWIET_TOKEN, Faults, SandboxConfig,
};
pub use paging::{JIRA_MAX_RESULTS, QWIET_MAX_PER_PAGE};
pub use qwiet::SANDBOX_ORG_ID;
pub use ratelimit::{RateLimitStats, RateLimiting};
pub use state::Stats;
pub use webhooks::{Webhook, WebhookDelivery};

use crate::faults::Fault;
use crate::http::{Req, Resp, Service};
use crate::ratelimit::{Admission, Limiter};
use crate::state::State;

/// A running sandbox server. It stops on [`Sandbox::shutdown`] or when
/// dropped.
pub struct Sandbox {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    limiter: Option<Arc<Mutex<Limiter>>>,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<()>>,
}

impl fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sandbox")
            .field("url", &self.url())
            .finish_non_exhaustive()
    }
}

impl Sandbox {
    /// Seeds the fake services and starts serving them on `127.0.0.1`, on
    /// `config.port` or, when it is 0, any free port.
    pub async fn start(config: SandboxConfig) -> std::io::Result<Sandbox> {
        let listener = TcpListener::bind(("127.0.0.1", config.port)).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(Mutex::new(State::new(&config)));
        let limiter = config
            .rate_limiting
            .clone()
            .map(|limits| Arc::new(Mutex::new(Limiter::new(limits))));
        let (stop, stopped) = oneshot::channel();
        let base = format!("http://127.0.0.1:{}", addr.port());
        let shared = Shared {
            state: state.clone(),
            limiter: limiter.clone(),
            base,
        };
        let server = tokio::spawn(serve(listener, shared, stopped));
        Ok(Sandbox {
            addr,
            state,
            limiter,
            stop: Some(stop),
            server: Some(server),
        })
    }

    /// Base URL of the Jira APIs, e.g. `http://127.0.0.1:43123`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.addr.port())
    }

    /// Base URL of the Qwiet API: [`url`](Self::url) + `/api/v4`.
    pub fn qwiet_url(&self) -> String {
        format!("{}/api/v4", self.url())
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// A Forge invocation of the sandbox's Forge app: a FIT signed with the
    /// sandbox key (its JWKS at [`forge_jwks_url`](Self::forge_jwks_url)) and
    /// an app system token the sandbox accepts on Jira and Security
    /// Information. The FIT's `app.apiBaseUrl` is
    /// [`gateway_url`](Self::gateway_url).
    pub fn forge_invocation(&self) -> ForgeInvocation {
        let now = chrono::Utc::now().timestamp();
        lock(&self.state)
            .issued
            .invocation(&self.gateway_url(), now)
    }

    /// Where the sandbox publishes the keys that sign its FITs.
    pub fn forge_jwks_url(&self) -> String {
        format!("{}/.well-known/jwks.json", self.url())
    }

    /// The site behind the API gateway, as OAuth 2.0 and Forge apps call it:
    /// `{url}/ex/jira/{SANDBOX_CLOUD_ID}`.
    pub fn gateway_url(&self) -> String {
        format!("{}/ex/jira/{SANDBOX_CLOUD_ID}", self.url())
    }

    /// A snapshot of the counters.
    pub fn stats(&self) -> Stats {
        lock(&self.state).stats.clone()
    }

    /// What the rate limiter counted (all zero without one).
    pub fn rate_limit_stats(&self) -> RateLimitStats {
        self.limiter
            .as_ref()
            .map(|limiter| lock(limiter).stats())
            .unwrap_or_default()
    }

    /// Gives the Qwiet finding `finding` of `app` a new status (`fixed`,
    /// `ignored`, or any other string, as a status Qwiet may add), as triage
    /// or a later scan would. False when the app has no such finding.
    pub fn set_qwiet_finding_status(&self, app: &str, finding: &str, status: &str) -> bool {
        qwiet::set_finding_status(&mut lock(&self.state).qwiet, app, finding, status)
    }

    /// Removes a Qwiet finding, as when Qwiet no longer reports it. False
    /// when the app has no such finding.
    pub fn remove_qwiet_finding(&self, app: &str, finding: &str) -> bool {
        qwiet::remove_finding(&mut lock(&self.state).qwiet, app, finding)
    }

    /// Finishes a new scan of the Qwiet app `app` and delivers its
    /// `scan.finished` event to `webhook`, signed as the
    /// [`webhooks`] module describes. Errors when the app does not exist or
    /// the receiver cannot be reached; any HTTP answer is returned.
    pub async fn send_scan_finished(
        &self,
        webhook: &Webhook,
        app: &str,
    ) -> std::io::Result<WebhookDelivery> {
        let (body, delivery_id) = {
            let mut st = lock(&self.state);
            let scan = qwiet::record_scan(&mut st.qwiet, app).ok_or_else(|| {
                std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    format!("the sandbox has no Qwiet app {app:?}"),
                )
            })?;
            let delivery_id = qwiet_seed::uuid(&mut st.rng);
            (
                webhooks::scan_finished_body(SANDBOX_ORG_ID, app, &scan),
                delivery_id,
            )
        };
        webhooks::deliver(webhook, webhooks::SCAN_FINISHED, body, delivery_id).await
    }

    /// Stops accepting connections, closes open ones and waits for the
    /// server task to end.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            server.abort();
        }
    }
}

/// What every connection task holds.
#[derive(Clone)]
struct Shared {
    state: Arc<Mutex<State>>,
    limiter: Option<Arc<Mutex<Limiter>>>,
    /// `http://127.0.0.1:PORT`.
    base: String,
}

/// Locks the state; a panic in another request does not poison the sandbox.
fn lock<T>(state: &Mutex<T>) -> MutexGuard<'_, T> {
    state
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Accepts connections until told to stop; dropping the set of connection
/// tasks on the way out closes them all.
async fn serve(listener: TcpListener, shared: Shared, mut stopped: oneshot::Receiver<()>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = &mut stopped => break,
            accepted = listener.accept() => {
                if let Ok((stream, _)) = accepted {
                    connections.spawn(connection(stream, shared.clone()));
                }
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

async fn connection(stream: TcpStream, shared: Shared) {
    let service = service_fn(move |req| respond(req, shared.clone()));
    // Errors here are connections the client or a fault closed.
    let _ = http1::Builder::new()
        .serve_connection(TokioIo::new(stream), service)
        .await;
}

/// Returned by the service to make hyper close the connection unanswered.
#[derive(Debug)]
struct Dropped;

impl fmt::Display for Dropped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("connection dropped by fault injection")
    }
}

impl std::error::Error for Dropped {}

async fn respond(req: hyper::Request<Incoming>, shared: Shared) -> Result<Resp, Dropped> {
    let Shared {
        state,
        limiter,
        base,
    } = shared;
    let service = Service::of(req.uri().path());
    let (fault, delay_ms) = {
        let mut st = lock(&state);
        st.stats.requests += 1;
        let fault = st.faults.decide();
        if fault.is_some() {
            st.stats.faults_injected += 1;
        }
        (fault, st.faults.delay_ms())
    };
    if delay_ms > 0 {
        tokio::time::sleep(Duration::from_millis(delay_ms)).await;
    }
    match fault {
        Some(Fault::Drop) => return Err(Dropped),
        None | Some(Fault::DropAfterProcessing) => {}
        Some(fault) => {
            let st = lock(&state);
            return st.faults.response(fault, service).ok_or(Dropped);
        }
    }
    let (parts, body) = req.into_parts();
    let body = body.collect().await.map_err(|_| Dropped)?.to_bytes();
    // `/ex/jira/{cloudId}/...` is the API gateway in front of the site.
    let (uri, base) = match atlassian::gateway_prefix(parts.uri.path()) {
        Some(prefix) => {
            let rest = &parts.uri.path_and_query().map_or("", |pq| pq.as_str())[prefix.len()..];
            (
                rest.parse().map_err(|_| Dropped)?,
                format!("{base}{prefix}"),
            )
        }
        None => (parts.uri, base),
    };
    let req = Req::new(parts.method, &uri, parts.headers, body, base);
    let admission = match &limiter {
        Some(limiter) => lock(limiter).admit(&req),
        None => Admission::Unlimited,
    };
    let answer = match admission {
        Admission::Refused(refusal) => return Ok(refusal),
        Admission::Unlimited => lock(&state).answer(&req),
        Admission::Admitted(ticket) => {
            let (parts, body) = lock(&state).answer(&req).into_parts();
            let bytes = body
                .collect()
                .await
                .map(|b| b.to_bytes())
                .unwrap_or_default();
            let answer =
                hyper::Response::from_parts(parts, http_body_util::Full::new(bytes.clone()));
            match &limiter {
                Some(limiter) => lock(limiter).finish(ticket, answer, &bytes),
                None => answer,
            }
        }
    };
    if fault == Some(Fault::DropAfterProcessing) {
        // The effects stay; only the answer is lost.
        return Err(Dropped);
    }
    Ok(answer)
}
