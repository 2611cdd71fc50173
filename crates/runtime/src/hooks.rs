//! The request path every generated client runs through.
//!
//! Each generated crate's `ClientHooks` impl (written by `cargo xtask
//! generate`) calls these functions with its operation table: [`pre`] runs
//! once per call; [`exec`], or [`exec_json`] for operations that answer
//! JSON, sends each attempt.

use std::time::Duration;

use bytes::Bytes;
use progenitor_client::{OperationInfo, ResponseValue};
use reqwest::header::{AUTHORIZATION, HeaderValue};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;

use std::borrow::Cow;
use std::time::Instant;

use std::future::Future;

use futures::FutureExt as _;

use tracing::Instrument;

use crate::body::{self, ReadError};
use crate::observe::Event;
use crate::ratelimit::{EndpointKey, RateLimitHeaders};
use crate::retry::{Attempt, Decision, Outcome, decide};
use crate::{Auth, ClientContext, OperationMeta, OperationTable, auth};

/// How many attempts a call took, recorded by [`exec`] in the extensions of
/// a final response that is not a success or that needed a retry (the
/// responses a caller may still hold, inside `Error::UnexpectedResponse`).
/// This is the one place the count travels.
///
/// Read it with [`Attempts::of`], which knows that no record means a single
/// successful attempt: successful first tries, the common case, carry nothing
/// so that they cost nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Attempts {
    /// How many times the request was sent.
    pub sent: u32,
    /// True when the last answer was still retryable but no retry was left
    /// (count or time budget).
    pub exhausted: bool,
}

impl Attempts {
    /// One attempt that was answered: what a response without a record
    /// stands for.
    pub const SINGLE: Attempts = Attempts {
        sent: 1,
        exhausted: false,
    };

    /// The attempts behind `response`.
    pub fn of(response: &reqwest::Response) -> Attempts {
        response
            .extensions()
            .get::<Attempts>()
            .copied()
            .unwrap_or(Attempts::SINGLE)
    }
}

/// Prepares a request once per call: refuses operations the table does not
/// know and paths whose parameters escaped their segments, refuses to send
/// credentials off the configured origin, and adds basic or bearer
/// credentials.
pub async fn pre(
    ctx: &ClientContext,
    operations: &OperationTable,
    request: &mut reqwest::Request,
    info: &OperationInfo,
) -> Result<(), String> {
    let Some(op) = operations.get(info.operation_id) else {
        return Err(format!(
            "refusing to send {}: the operation is not in the client's operation table",
            info.operation_id
        ));
    };
    let below_base = request.url().path().strip_prefix(ctx.base_path());
    if !below_base.is_some_and(|p| crate::path::matches_template(op.path, p)) {
        return Err(format!(
            "refusing to send {}: a path parameter would change the request's path \
             (`.`, `..`, `/` or `\\` in a parameter, or an empty one)",
            info.operation_id
        ));
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

/// Sends a request, signing each attempt afresh (Connect JWT), holding it
/// back while the shared rate-limit state says so, and retrying as the
/// context's [`RetryPolicy`](crate::RetryPolicy) allows.
///
/// Bodies the generated code decodes whole are read here, within the
/// context's maximum response size, so that a failure while reading one is
/// retried like a failure before the headers. When retries run out the last
/// response is returned as it is, so callers see the service's own status
/// and body. A final response that is not a success carries, in its
/// extensions, the [`Attempts`] behind it and the service's
/// [`ErrorFormat`](crate::ErrorFormat), so the facade can decode it from the
/// response alone.
pub fn exec<'a>(
    client: &'a reqwest::Client,
    ctx: &'a ClientContext,
    operations: &'a OperationTable,
    request: reqwest::Request,
    info: &'a OperationInfo,
) -> impl Future<Output = reqwest::Result<reqwest::Response>> + Send + 'a {
    let read_whole = body::accepts_json(&request);
    call(client, ctx, operations, request, info, read_whole)
        .map(|answer| answer.map(Reply::into_response))
}

/// [`exec`] for an operation whose documented answer is JSON with status
/// `success`: decodes that answer straight from the bytes the request loop
/// read, without handing them on in a rebuilt response to be read again.
/// Any other answer is progenitor's `UnexpectedResponse`, exactly as
/// [`exec`] would return it, and a body that is not the JSON expected is
/// `InvalidResponsePayload`, as progenitor's own decoding reports it.
#[allow(clippy::result_large_err)] // Progenitor's error type, which generated code returns.
pub fn exec_json<'a, T: DeserializeOwned, E>(
    client: &'a reqwest::Client,
    ctx: &'a ClientContext,
    operations: &'a OperationTable,
    request: reqwest::Request,
    info: &'a OperationInfo,
    success: u16,
) -> impl Future<Output = Result<ResponseValue<T>, progenitor_client::Error<E>>> + Send + 'a {
    call(client, ctx, operations, request, info, true)
        .map(move |answer| decode_json(answer?, success))
}

/// The JSON answer of [`exec_json`], from a reply whose body was read.
#[allow(clippy::result_large_err)] // Progenitor's error type, as above.
fn decode_json<T: DeserializeOwned, E>(
    reply: Reply,
    success: u16,
) -> Result<ResponseValue<T>, progenitor_client::Error<E>> {
    let status = reply.response.status();
    if status.as_u16() != success {
        return Err(progenitor_client::Error::UnexpectedResponse(
            reply.into_response(),
        ));
    }
    let Reply { mut response, body } = reply;
    // Always set: `exec_json` asks the loop to read every body whole.
    let bytes = body.unwrap_or_default();
    match serde_json::from_slice(&bytes) {
        Ok(inner) => Ok(ResponseValue::new(
            inner,
            status,
            std::mem::take(response.headers_mut()),
        )),
        Err(e) => Err(progenitor_client::Error::InvalidResponsePayload(bytes, e)),
    }
}

/// A response as the request loop hands it on.
struct Reply {
    /// Status, headers, URL and extensions; when `body` is set, this
    /// response's own body has been read and is spent.
    response: reqwest::Response,
    /// The body, when the loop read it whole.
    body: Option<Bytes>,
}

impl Reply {
    fn streamed(response: reqwest::Response) -> Reply {
        Reply {
            response,
            body: None,
        }
    }

    /// The response with its body, readable again.
    fn into_response(self) -> reqwest::Response {
        match self.body {
            Some(bytes) => body::rebuild(self.response, bytes),
            None => self.response,
        }
    }
}

/// The request loop behind [`exec`] and [`exec_json`]: the attempts, the
/// resend after a 401, the span, and the error format on a failure.
///
/// One future, written as a single async block rather than a stack of
/// async functions: each layer would keep its own copy of the request and
/// be moved, kilobytes at a time, into the layer above it. Not generic, so
/// that it is compiled once; `exec_json` maps its answer per answer type.
fn call<'a>(
    client: &'a reqwest::Client,
    ctx: &'a ClientContext,
    operations: &'a OperationTable,
    mut request: reqwest::Request,
    info: &'a OperationInfo,
    read_whole: bool,
) -> impl Future<Output = reqwest::Result<Reply>> + Send + 'a {
    let span = tracing::debug_span!(
        "appsec.call",
        operation = info.operation_id,
        attempt = tracing::field::Empty,
        status = tracing::field::Empty,
        wait_ms = tracing::field::Empty,
    );
    let fields = span.clone();
    async move {
        let policy = ctx.retry();
        let limiter = ctx.limiter();
        let operation = info.operation_id;
        let op = operations.get(operation);
        let idempotent = op
            .map(|op| op.idempotent)
            .unwrap_or_else(|| is_safe_method(request.method()));
        let template = match op {
            Some(op) => Cow::Borrowed(op.path),
            None => Cow::Owned(request.url().path().to_string()),
        };
        let endpoint = EndpointKey::new(request.method().clone(), template);
        // The per-issue key is needed only once the state holds something back
        // or a 429 arrives; it is worked out then, from the request's URL.
        let mut issue: Option<Option<String>> = None;
        // Auth: a refreshing bearer provider gets one refresh and one resend
        // after a 401 (see `auth::after_unauthorized`). Boxed: it is rare.
        let mut unauthorized = auth::spare_for_unauthorized(ctx, &request).map(Box::new);
        let mut started = Instant::now();
        let mut now = started;
        let mut sent = 0u32;
        loop {
            if limiter.holds_state() && issue.is_none() {
                issue = Some(issue_of(endpoint.method(), op, request.url()));
            }
            let key = issue.as_ref().and_then(Option::as_deref);
            let admitted = limiter.admit(&endpoint, key, now);
            // From its admission on, the request counts as in flight: its slot
            // is spent even while it waits for it.
            let sending = limiter.sending();
            let mut sent_at = now;
            if let Some((wait, scope)) = admitted {
                let over_budget = policy
                    .budget()
                    .is_some_and(|budget| (now - started).saturating_add(wait) > budget);
                if over_budget {
                    notify(ctx, || Event::GaveUp {
                        operation,
                        attempts: sent,
                        status: Some(429),
                    });
                    let held = body::held_back(request.url(), wait);
                    return finished(operations, Ok(Reply::streamed(held)), sent, true);
                }
                notify(ctx, || Event::Wait {
                    operation,
                    delay: wait,
                    scope,
                });
                fields.record("wait_ms", wait.as_millis() as u64);
                pause(wait).await;
                sent_at = Instant::now();
            }
            // Keep a copy for a retry; a streaming body cannot be cloned and is sent once.
            let spare = if sent < policy.max_retries() {
                request.try_clone()
            } else {
                None
            };
            sign_attempt(ctx, &mut request);
            sent += 1;
            fields.record("attempt", sent);
            let (result, headers, kind) = match client.execute(request).await {
                Ok(mut response) => {
                    let status = response.status();
                    fields.record("status", status.as_u16());
                    let received = Instant::now();
                    let headers = RateLimitHeaders::read(response.headers());
                    let fallback = if status == StatusCode::TOO_MANY_REQUESTS {
                        if issue.is_none() {
                            issue = Some(issue_of(endpoint.method(), op, response.url()));
                        }
                        policy.backoff(sent - 1)
                    } else {
                        Duration::ZERO
                    };
                    let pause = limiter.observe(
                        &endpoint,
                        issue.as_ref().and_then(Option::as_deref),
                        status,
                        &headers,
                        fallback,
                        sent_at,
                        received,
                    );
                    drop(sending);
                    if let Some(pause) = pause {
                        notify(ctx, || Event::Pause {
                            operation,
                            scope: pause.scope,
                            reason: pause.reason,
                            duration: pause.duration,
                        });
                    }
                    // Bodies the generated code decodes whole, and every
                    // error body, are read here within the size limit;
                    // downloads pass through as streams, limited only when
                    // the caller asked for it.
                    if !body::is_buffered(read_whole, &response) {
                        let response = match ctx.max_stream_size() {
                            Some(limit) => body::limit_stream(response, limit),
                            None => response,
                        };
                        (Ok(Reply::streamed(response)), headers, None)
                    } else {
                        match body::read(&mut response, ctx.max_response_size()).await {
                            Ok(bytes) => {
                                let reply = Reply {
                                    response,
                                    body: Some(bytes),
                                };
                                (Ok(reply), headers, None)
                            }
                            Err(ReadError::TooLarge(limit)) => {
                                tracing::warn!(
                                    operation,
                                    limit = limit.limit,
                                    "response body too large"
                                );
                                let error = Box::pin(body::reqwest_error(limit)).await;
                                return Err(error);
                            }
                            Err(ReadError::Transport(e)) => (Err(e), headers, Some(Outcome::Body)),
                        }
                    }
                }
                Err(e) => {
                    drop(sending);
                    let kind = failure_of(&e);
                    if is_unresolved(&e) {
                        let host = e.url().and_then(|url| url.host_str()).unwrap_or_default();
                        tracing::warn!(operation, host, "host name does not resolve; not retried");
                    }
                    (Err(e), RateLimitHeaders::default(), Some(kind))
                }
            };
            now = Instant::now();
            let outcome = match (&result, kind) {
                (_, Some(kind)) => kind,
                (Ok(reply), None) => Outcome::Response(reply.response.status(), &headers),
                (Err(_), None) => Outcome::Transport,
            };
            let attempt = Attempt {
                sent,
                spent: now - started,
                idempotent,
                resendable: spare.is_some(),
            };
            let key = issue.as_ref().and_then(Option::as_deref);
            let held = limiter.held_back(&endpoint, key, now);
            match decide(outcome, attempt, held, policy) {
                Decision::Done => {
                    let status = status_of(&result);
                    if status == 401
                        && let Some(spare) = unauthorized.take()
                        && let Some(again) = Box::pin(auth::after_unauthorized(
                            ctx,
                            Some(StatusCode::UNAUTHORIZED),
                            *spare,
                        ))
                        .await
                    {
                        // A fresh token: the resend starts a new count.
                        request = again;
                        started = Instant::now();
                        now = started;
                        sent = 0;
                        continue;
                    }
                    return finished(operations, result, sent, false);
                }
                Decision::GiveUp => {
                    let status = status_of(&result);
                    tracing::warn!(
                        operation,
                        attempt = sent,
                        status,
                        "retries exhausted; returning the last response"
                    );
                    notify(ctx, || Event::GaveUp {
                        operation,
                        attempts: sent,
                        status: (status != 0).then_some(status),
                    });
                    return finished(operations, result, sent, true);
                }
                Decision::Wait(delay, reason) => {
                    // `decide` waits only when the request can be sent again.
                    let Some(again) = spare else {
                        return finished(operations, result, sent, true);
                    };
                    request = again;
                    let status = status_of(&result);
                    tracing::warn!(
                        operation,
                        attempt = sent,
                        status,
                        delay_ms = delay.as_millis() as u64,
                        ?reason,
                        "retrying request"
                    );
                    notify(ctx, || Event::Retry {
                        operation,
                        attempt: sent,
                        status: (status != 0).then_some(status),
                        delay,
                        reason,
                    });
                    drop(result);
                    fields.record("wait_ms", delay.as_millis() as u64);
                    pause(delay).await;
                    now = Instant::now();
                }
            }
        }
    }
    .instrument(span)
}

/// Sleeps for `wait`. The timer is boxed: waits are rare, and a timer
/// inline would make every call's future larger.
async fn pause(wait: Duration) {
    Box::pin(tokio::time::sleep(wait)).await;
}

/// How a request that got no response failed.
fn failure_of(error: &reqwest::Error) -> Outcome<'static> {
    if error.is_connect() {
        if is_unresolved(error) {
            Outcome::Unresolved
        } else {
            Outcome::Connect
        }
    } else if error.is_timeout() || error.is_request() {
        Outcome::Transport
    } else {
        Outcome::Unretryable
    }
}

/// True when name resolution failed: the resolver's error is in the chain
/// (hyper's connector says `dns error`).
fn is_unresolved(error: &reqwest::Error) -> bool {
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = next {
        if e.to_string() == "dns error" {
            return true;
        }
        next = e.source();
    }
    false
}

/// For writes to a path under `/issue/{...}`, the issue's part of the path
/// (`/rest/api/3/issue/PROJ-1`); for other writes the whole path, so a
/// per-issue limit still spaces repeated writes to one resource. Reads
/// have no issue key.
fn issue_of(method: &Method, op: Option<&OperationMeta>, url: &reqwest::Url) -> Option<String> {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return None;
    }
    let path = url.path();
    let Some(template) = op.map(|op| op.path) else {
        return Some(path.to_string());
    };
    let depth = template
        .split('/')
        .zip(template.split('/').skip(1))
        .position(|(parent, segment)| parent == "issue" && segment.starts_with('{'));
    match depth {
        // The template's segments line up with the path's (checked in `pre`).
        Some(i) => Some(path.split('/').take(i + 2).collect::<Vec<_>>().join("/")),
        None => Some(path.to_string()),
    }
}

fn notify<'a>(ctx: &ClientContext, event: impl FnOnce() -> Event<'a>) {
    if let Some(observer) = ctx.observer() {
        observer.event(&event());
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

fn status_of(result: &reqwest::Result<Reply>) -> u16 {
    result
        .as_ref()
        .map(|r| r.response.status().as_u16())
        .unwrap_or(0)
}

/// The last answer as the loop hands it on: a response that is not a
/// success, or that needed a retry, records its [`Attempts`]; one that is
/// not a success also carries the service's error format.
fn finished(
    operations: &OperationTable,
    result: reqwest::Result<Reply>,
    sent: u32,
    exhausted: bool,
) -> reqwest::Result<Reply> {
    result.map(|mut reply| {
        let success = reply.response.status().is_success();
        let extensions = reply.response.extensions_mut();
        if !success || sent > 1 {
            extensions.insert(Attempts { sent, exhausted });
        }
        if !success {
            extensions.insert(operations.error_format);
        }
        reply
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ErrorFormat, OperationMeta};

    const TABLE: OperationTable = OperationTable {
        operations: &[OperationMeta {
            id: "get_level",
            spec_id: "getLevel",
            method: "GET",
            path: "/levels/{id}",
            idempotent: true,
        }],
        error_format: ErrorFormat::JiraErrorCollection,
    };

    fn request(path: &str) -> reqwest::Request {
        let url = format!("http://127.0.0.1:9{path}").parse().unwrap();
        reqwest::Request::new(Method::GET, url)
    }

    #[tokio::test]
    async fn an_operation_missing_from_the_table_is_refused() {
        let ctx = ClientContext::new();
        let mut known = request("/levels/7");
        let info = OperationInfo {
            operation_id: "get_level",
        };
        assert_eq!(pre(&ctx, &TABLE, &mut known, &info).await, Ok(()));
        let info = OperationInfo {
            operation_id: "get_secret",
        };
        let refused = pre(&ctx, &TABLE, &mut request("/levels/7"), &info).await;
        assert!(
            refused
                .unwrap_err()
                .contains("not in the client's operation table")
        );
    }

    #[tokio::test]
    async fn a_path_that_left_its_template_is_refused() {
        let ctx = ClientContext::new();
        let info = OperationInfo {
            operation_id: "get_level",
        };
        let refused = pre(&ctx, &TABLE, &mut request("/levels/7/members"), &info).await;
        assert!(refused.unwrap_err().contains("path parameter"));
    }
}
