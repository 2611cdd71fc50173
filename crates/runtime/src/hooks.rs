//! The request path every generated client runs through.
//!
//! Generated crates install these functions with [`install_hooks!`](crate::install_hooks):
//! [`pre`] runs once per call, [`exec`] sends each attempt.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime};

use progenitor_client::OperationInfo;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderName, HeaderValue};
use reqwest::{Method, StatusCode};

use crate::retry::{Cause, is_retryable, server_delay};
use crate::{Auth, ClientContext, OperationTable, auth};

/// How many attempts a call took, recorded by [`exec`] in the extensions of
/// a final response that is not a success or that needed a retry (the
/// responses a caller may still hold, inside `Error::UnexpectedResponse`).
///
/// Read it with [`Attempts::of`], which knows that no record means a single
/// successful attempt: successful first tries, the common case, carry nothing
/// so that they cost nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attempts {
    /// How many times the request was sent.
    pub sent: u32,
    /// True when the last answer was still retryable but no retry was left
    /// (count or time budget).
    pub exhausted: bool,
}

impl Attempts {
    /// The attempts behind `response`.
    pub fn of(response: &reqwest::Response) -> Attempts {
        response
            .extensions()
            .get::<Attempts>()
            .copied()
            .unwrap_or(Attempts {
                sent: 1,
                exhausted: false,
            })
    }
}

/// The status and headers of a call's final response when it is an error
/// (4xx or 5xx), recorded for callers that need them after the generated
/// code has consumed the response (for example when an error body did not
/// match its documented schema).
#[derive(Debug, Clone)]
pub struct ResponseRecord {
    /// Status of the final response.
    pub status: StatusCode,
    /// Its headers.
    pub headers: reqwest::header::HeaderMap,
    /// How many attempts the call took.
    pub attempts: Attempts,
}

/// The header progenitor adds for version negotiation.
const API_VERSION: HeaderName = HeaderName::from_static("api-version");

tokio::task_local! {
    // Boxed so that the value swapped in and out on every poll is one
    // pointer; the box exists only once an error response was seen.
    static RECORD: RefCell<Option<Box<ResponseRecord>>>;
}

/// Runs `call` and returns its output with the [`ResponseRecord`] of the
/// last response [`exec`] saw while it ran, if that was an error status.
///
/// The returned future holds `call` in place: no copy of it is made when it
/// is first polled, which matters because generated calls are a few
/// kilobytes each.
pub fn recording<F: Future>(call: F) -> Recording<F> {
    Recording {
        inner: RECORD.scope(RefCell::new(None), call),
    }
}

pin_project_lite::pin_project! {
    /// The future [`recording`] returns.
    #[must_use = "futures do nothing unless awaited"]
    pub struct Recording<F: Future> {
        #[pin]
        inner: tokio::task::futures::TaskLocalFuture<RefCell<Option<Box<ResponseRecord>>>, F>,
    }
}

impl<F: Future> std::fmt::Debug for Recording<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Recording")
    }
}

impl<F: Future> Future for Recording<F> {
    type Output = (F::Output, Option<ResponseRecord>);

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut inner = self.project().inner;
        let output = std::task::ready!(inner.as_mut().poll(cx));
        let record = inner
            .take_value()
            .and_then(RefCell::into_inner)
            .map(|record| *record);
        Poll::Ready((output, record))
    }
}

/// Prepares a request once per call: refuses paths whose parameters escaped
/// their segments, restores spec facts progenitor cannot express, refuses to
/// send credentials off the configured origin, and adds basic or bearer
/// credentials.
pub async fn pre(
    ctx: &ClientContext,
    operations: &OperationTable,
    baseurl: &str,
    request: &mut reqwest::Request,
    info: &OperationInfo,
) -> Result<(), String> {
    // Progenitor adds `api-version: <spec version>` to every request for
    // services that negotiate versions by header. Jira and Qwiet document no
    // such header, so it is not sent.
    request.headers_mut().remove(&API_VERSION);
    if let Some(op) = operations.get(info.operation_id) {
        let base_path = crate::path::url_path(baseurl).trim_end_matches('/');
        let below_base = request.url().path().strip_prefix(base_path);
        if !below_base.is_some_and(|p| crate::path::matches_template(op.path, p)) {
            return Err(format!(
                "refusing to send {}: a path parameter would change the request's path \
                 (`.`, `..`, `/` or `\\` in a parameter, or an empty one)",
                info.operation_id
            ));
        }
        if let Some(content_type) = op.request_content_type {
            let value = HeaderValue::from_static(content_type);
            request.headers_mut().insert(CONTENT_TYPE, value);
        }
        crate::query::join_repeated(request.url_mut(), op.comma_separated_query);
    }
    if !ctx.admits(request.url()) {
        return Err(format!(
            "refusing to send {} to {}: it is outside the configured base URL {}",
            info.operation_id,
            request.url().origin().ascii_serialization(),
            ctx.base_url()
        ));
    }
    auth::apply(ctx, request).await
}

/// Sends a request, signing each attempt afresh (Connect JWT) and retrying
/// as the context's [`RetryPolicy`](crate::RetryPolicy) allows.
///
/// When retries run out the last response is returned as it is, so callers
/// see the service's own status and body.
pub async fn exec(
    client: &reqwest::Client,
    ctx: &ClientContext,
    operations: &OperationTable,
    request: reqwest::Request,
    info: &OperationInfo,
) -> reqwest::Result<reqwest::Response> {
    // Auth: a refreshing bearer provider gets one refresh and one resend
    // after a 401 (see `auth::after_unauthorized`).
    let spare = auth::spare_for_unauthorized(ctx, &request);
    let result = send_with_retries(client, ctx, operations, request, info).await;
    match auth::after_unauthorized(ctx, &result, spare).await {
        Some(again) => send_with_retries(client, ctx, operations, again, info).await,
        None => result,
    }
}

/// [`exec`] without the resend after a 401.
async fn send_with_retries(
    client: &reqwest::Client,
    ctx: &ClientContext,
    operations: &OperationTable,
    request: reqwest::Request,
    info: &OperationInfo,
) -> reqwest::Result<reqwest::Response> {
    let policy = ctx.retry();
    let method = request.method().clone();
    // Looked up only when an attempt failed in a retryable way.
    let idempotent = || {
        operations
            .get(info.operation_id)
            .map(|op| op.idempotent)
            .unwrap_or_else(|| is_safe_method(&method))
    };
    let mut waited = Duration::ZERO;
    let mut sent = 0u32;
    let mut next = Some(request);
    loop {
        let Some(mut request) = next.take() else {
            unreachable!("a request is always queued before the loop repeats")
        };
        // Keep a copy for a retry; a streaming body cannot be cloned and is sent once.
        let spare = if sent < policy.max_retries() {
            request.try_clone()
        } else {
            None
        };
        sign_attempt(ctx, &mut request);
        sent += 1;
        let result = client.execute(request).await;
        let Some(cause) = retry_cause(&result) else {
            return with_attempts(result, sent, false);
        };
        if !is_retryable(cause, idempotent()) {
            return with_attempts(result, sent, false);
        }
        let Some(spare) = spare else {
            // Out of retries, or retries off, or a body that cannot be resent.
            let exhausted = policy.max_retries() > 0 && sent > policy.max_retries();
            return with_attempts(result, sent, exhausted);
        };
        let minimum = match &result {
            Ok(response) => server_delay(response.headers(), SystemTime::now()),
            Err(_) => None,
        };
        let delay = policy.backoff(sent - 1).max(minimum.unwrap_or_default());
        if policy
            .budget()
            .is_some_and(|budget| waited + delay > budget)
        {
            tracing::warn!(
                operation = info.operation_id,
                attempt = sent,
                status = status_of(&result),
                delay_ms = delay.as_millis() as u64,
                "retry budget exhausted; returning the last response"
            );
            return with_attempts(result, sent, true);
        }
        tracing::warn!(
            operation = info.operation_id,
            attempt = sent,
            status = status_of(&result),
            delay_ms = delay.as_millis() as u64,
            "retrying request"
        );
        drop(result);
        tokio::time::sleep(delay).await;
        waited += delay;
        next = Some(spare);
    }
}

fn is_safe_method(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS
    )
}

fn sign_attempt(ctx: &ClientContext, request: &mut reqwest::Request) {
    if let Auth::ConnectJwt(signer) = ctx.auth() {
        let now = crate::connect_jwt::now_unix();
        let header = signer.token_with_prefix(
            "JWT ",
            request.method().as_str(),
            request.url(),
            ctx.base_url(),
            now,
        );
        // A JWT is base64url and dots: always a valid header value. Handing
        // over the buffer avoids copying the token once more.
        if let Ok(mut value) = HeaderValue::from_maybe_shared(bytes::Bytes::from(header)) {
            value.set_sensitive(true);
            request.headers_mut().insert(AUTHORIZATION, value);
        }
    }
}

fn retry_cause(result: &reqwest::Result<reqwest::Response>) -> Option<Cause> {
    match result {
        Ok(response) => match response.status() {
            s @ (StatusCode::TOO_MANY_REQUESTS
            | StatusCode::SERVICE_UNAVAILABLE
            | StatusCode::BAD_GATEWAY
            | StatusCode::GATEWAY_TIMEOUT) => Some(Cause::Status(s)),
            _ => None,
        },
        Err(e) if e.is_connect() => Some(Cause::Connect),
        Err(e) if e.is_timeout() || e.is_request() => Some(Cause::Transport),
        Err(_) => None,
    }
}

fn status_of(result: &reqwest::Result<reqwest::Response>) -> u16 {
    result.as_ref().map(|r| r.status().as_u16()).unwrap_or(0)
}

fn with_attempts(
    result: reqwest::Result<reqwest::Response>,
    sent: u32,
    exhausted: bool,
) -> reqwest::Result<reqwest::Response> {
    result.map(|mut response| {
        let attempts = Attempts { sent, exhausted };
        let status = response.status();
        if !status.is_success() || sent > 1 {
            response.extensions_mut().insert(attempts);
        }
        // Seen by `recording` callers; a no-op outside one. Only error
        // statuses are recorded: a success that fails to decode is reported
        // from its body alone.
        if status.is_client_error() || status.is_server_error() {
            let _ = RECORD.try_with(|r| {
                *r.borrow_mut() = Some(Box::new(ResponseRecord {
                    status,
                    headers: response.headers().clone(),
                    attempts,
                }));
            });
        }
        response
    })
}
