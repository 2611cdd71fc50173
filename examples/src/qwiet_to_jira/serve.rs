//! `serve`: receive Qwiet's webhooks and sync the app each event names.
//!
//! Qwiet documents that each delivery is a `POST` with `X-SL-Signature:
//! v1=<hex>` (an HMAC signature made with the webhook's secret),
//! `X-SL-Timestamp`, `X-SL-Webhook-Delivery-ID` and `X-SL-Event` (such as
//! `scan.finished`). Its documentation found for this tool does not say what
//! exactly is signed, nor the layout of the body. This receiver assumes the
//! most common scheme: HMAC-SHA256 over the raw request body, hex encoded;
//! and it looks for the app's id in the body's `app_id` or `app` field (at
//! the top or under `data` or `scan`). Check both against a real delivery
//! before relying on this in production.
//!
//! A request without a valid signature is answered `401` and nothing else
//! happens; the comparison takes the same time wherever the first wrong byte
//! is. `X-SL-Timestamp` is not checked: with the body alone signed, a replay
//! window would add nothing, and a replayed event only starts another
//! (idempotent) sync. A valid `scan.finished` event is answered `202` at once and the app is
//! synced in the background, one sync at a time (they share the state file).

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;

use appsec_runtime::Secret;
use appsec_sdk::{JiraClient, QwietClient};
use bytes::Bytes;
use hmac::{Hmac, Mac};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use sha2::Sha256;
use tokio::net::TcpListener;
use tokio::sync::{broadcast, mpsc, oneshot};
use tokio::task::JoinHandle;

use super::sync::{Options, Summary, run};

/// Largest webhook body read; larger ones are answered `413`.
pub const MAX_BODY: usize = 1024 * 1024;
/// Apps waiting for a sync before new events are answered `503`.
const QUEUE: usize = 64;

/// Why a delivery's signature is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignatureError {
    /// No `X-SL-Signature` header.
    #[error("the request carries no X-SL-Signature header")]
    Missing,
    /// The header is not `v1=` followed by 64 hex digits.
    #[error("the X-SL-Signature header is not v1=<hex HMAC-SHA256>")]
    Malformed,
    /// The signature does not match the body and the secret.
    #[error("the X-SL-Signature does not match the body")]
    Mismatch,
}

/// Checks an `X-SL-Signature` header against the raw body: one or more
/// comma-separated `v1=<hex>` values (as during a secret rotation), any of
/// which may match. Compared in constant time.
pub fn verify_signature(
    secret: &Secret,
    body: &[u8],
    header: Option<&str>,
) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?;
    let mut outcome = Err(SignatureError::Malformed);
    for value in header.split(',').map(str::trim) {
        let Some(digest) = value.strip_prefix("v1=").and_then(decode_hex) else {
            continue;
        };
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.expose().as_bytes())
            .expect("HMAC takes keys of any length");
        mac.update(body);
        // `verify_slice` compares in constant time.
        if mac.verify_slice(&digest).is_ok() {
            return Ok(());
        }
        outcome = Err(SignatureError::Mismatch);
    }
    outcome
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if text.len() != 64 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok())
        .collect()
}

/// The app a webhook body names, where this receiver looks for it.
pub fn app_of(body: &Value) -> Option<&str> {
    [Some(body), body.get("data"), body.get("scan")]
        .into_iter()
        .flatten()
        .find_map(|v| {
            ["app_id", "app", "appId"]
                .iter()
                .find_map(|k| v.get(*k).and_then(Value::as_str))
        })
        .filter(|app| !app.is_empty())
}

/// What `serve` needs besides the clients.
#[derive(Clone)]
pub struct ServeConfig {
    /// The webhook's signing secret.
    pub secret: Secret,
    /// The path webhooks are posted to, e.g. `/webhooks/qwiet`.
    pub path: String,
}

impl fmt::Debug for ServeConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServeConfig")
            .field("secret", &self.secret)
            .field("path", &self.path)
            .finish()
    }
}

/// The outcome of one app's sync, started by a webhook.
#[derive(Debug, Clone)]
pub struct AppSynced {
    /// The app the event named.
    pub app: String,
    /// The run's summary, or why it stopped (one sentence).
    pub outcome: Result<Summary, String>,
}

/// A running webhook receiver.
#[derive(Debug)]
pub struct Server {
    addr: SocketAddr,
    synced: broadcast::Sender<AppSynced>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

struct Shared {
    config: ServeConfig,
    queue: mpsc::Sender<String>,
    org_id: String,
}

impl Server {
    /// Serves webhooks on `listener`; each valid event syncs its app with
    /// `options` (their `app` and `full` are set per event).
    pub fn start(
        listener: TcpListener,
        config: ServeConfig,
        jira: JiraClient,
        qwiet: QwietClient,
        options: Options,
    ) -> std::io::Result<Server> {
        let addr = listener.local_addr()?;
        let (synced, _) = broadcast::channel(QUEUE);
        let (queue, pending) = mpsc::channel(QUEUE);
        let shared = Arc::new(Shared {
            config,
            queue,
            org_id: options.org_id.to_string(),
        });
        let (stop, stopped) = oneshot::channel();
        let worker = tokio::spawn(worker(pending, jira, qwiet, options, synced.clone()));
        let task = tokio::spawn(accept(listener, shared, stopped, worker));
        Ok(Server {
            addr,
            synced,
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every sync finished from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<AppSynced> {
        self.synced.subscribe()
    }

    /// Stops accepting webhooks and ends the background sync.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

async fn accept(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut stopped: oneshot::Receiver<()>,
    worker: JoinHandle<()>,
) {
    loop {
        tokio::select! {
            _ = &mut stopped => break,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let shared = shared.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req| respond(req, shared.clone()));
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        }
    }
    worker.abort();
}

async fn worker(
    mut pending: mpsc::Receiver<String>,
    jira: JiraClient,
    qwiet: QwietClient,
    options: Options,
    synced: broadcast::Sender<AppSynced>,
) {
    while let Some(app) = pending.recv().await {
        let options = Options {
            app: Some(app.clone()),
            full: true,
            ..options.clone()
        };
        let outcome = run(&jira, &qwiet, &options)
            .await
            .map_err(|e| crate::report::sentence(&e));
        match &outcome {
            Ok(s) => eprintln!(
                "{app}: created {}, updated {}, closed {}, unchanged {}, failed {}",
                s.created,
                s.updated,
                s.closed,
                s.unchanged,
                s.failed.len()
            ),
            Err(e) => eprintln!("{app}: cannot sync: {e}"),
        }
        // Nobody listening is fine.
        let _ = synced.send(AppSynced { app, outcome });
    }
}

type Answer = Response<Full<Bytes>>;

fn answer(status: StatusCode, text: &str) -> Answer {
    let mut response = Response::new(Full::new(Bytes::from(format!("{text}\n"))));
    *response.status_mut() = status;
    response
}

async fn respond(
    req: Request<Incoming>,
    shared: Arc<Shared>,
) -> Result<Answer, std::convert::Infallible> {
    if req.uri().path() != shared.config.path {
        return Ok(answer(
            StatusCode::NOT_FOUND,
            "no webhook receiver at this path",
        ));
    }
    if req.method() != Method::POST {
        return Ok(answer(
            StatusCode::METHOD_NOT_ALLOWED,
            "webhooks are delivered with POST",
        ));
    }
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let signature = header("x-sl-signature");
    let event = header("x-sl-event");
    let body = match Limited::new(req.into_body(), MAX_BODY).collect().await {
        Ok(body) => body.to_bytes(),
        Err(_) => {
            return Ok(answer(
                StatusCode::PAYLOAD_TOO_LARGE,
                "the body is larger than 1 MiB",
            ));
        }
    };
    if let Err(e) = verify_signature(&shared.config.secret, &body, signature.as_deref()) {
        return Ok(answer(StatusCode::UNAUTHORIZED, &e.to_string()));
    }
    if event.as_deref() != Some("scan.finished") {
        let event = event.unwrap_or_else(|| "(none)".into());
        return Ok(answer(
            StatusCode::ACCEPTED,
            &format!("event {event} ignored: only scan.finished starts a sync"),
        ));
    }
    let Ok(payload) = serde_json::from_slice::<Value>(&body) else {
        return Ok(answer(StatusCode::BAD_REQUEST, "the body is not JSON"));
    };
    let org = ["org_id", "orgID", "organization_id"]
        .iter()
        .find_map(|k| payload.get(*k).and_then(Value::as_str));
    if org.is_some_and(|org| org != shared.org_id) {
        return Ok(answer(
            StatusCode::ACCEPTED,
            "event ignored: it names another Qwiet organization",
        ));
    }
    let Some(app) = app_of(&payload) else {
        return Ok(answer(
            StatusCode::BAD_REQUEST,
            "the event names no app (app_id or app)",
        ));
    };
    match shared.queue.try_send(app.to_string()) {
        Ok(()) => Ok(answer(
            StatusCode::ACCEPTED,
            &format!("app {app} queued for a sync"),
        )),
        Err(_) => Ok(answer(
            StatusCode::SERVICE_UNAVAILABLE,
            "too many syncs waiting; deliver again later",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sign(secret: &str, body: &[u8]) -> String {
        appsec_sandbox::webhooks::signature(secret.as_bytes(), body)
    }

    #[test]
    fn a_signature_of_the_body_with_the_secret_verifies() {
        let secret = Secret::new("s3cret");
        let body = br#"{"app_id":"shop-api"}"#;
        assert_eq!(
            verify_signature(&secret, body, Some(&sign("s3cret", body))),
            Ok(())
        );
        let rotated = format!("{}, {}", sign("old", body), sign("s3cret", body));
        assert_eq!(verify_signature(&secret, body, Some(&rotated)), Ok(()));
    }

    #[test]
    fn missing_malformed_and_wrong_signatures_are_refused() {
        let secret = Secret::new("s3cret");
        let body = b"{}";
        assert_eq!(
            verify_signature(&secret, body, None),
            Err(SignatureError::Missing)
        );
        assert_eq!(
            verify_signature(&secret, body, Some("sha256=00")),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            verify_signature(&secret, body, Some(&sign("other", body))),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_signature(&secret, b"{ }", Some(&sign("s3cret", body))),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn the_app_is_found_at_the_top_or_under_data_or_scan() {
        let app = |v: Value| app_of(&v).map(str::to_string);
        assert_eq!(app(serde_json::json!({"app_id": "a"})), Some("a".into()));
        assert_eq!(
            app(serde_json::json!({"data": {"app": "b"}})),
            Some("b".into())
        );
        assert_eq!(
            app(serde_json::json!({"scan": {"app": "c"}})),
            Some("c".into())
        );
        assert_eq!(app(serde_json::json!({"app_id": ""})), None);
    }

    #[test]
    fn the_secret_stays_out_of_debug() {
        let config = ServeConfig {
            secret: Secret::new("do-not-print"),
            path: "/hook".into(),
        };
        assert!(!format!("{config:?}").contains("do-not-print"));
    }
}
