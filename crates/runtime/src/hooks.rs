//! The request path every generated client runs through.
//!
//! Each generated crate's `ClientHooks` impl (written by `cargo xtask
//! generate`) calls these functions with its operation table: [`pre`] runs
//! once per call, [`exec`] sends each attempt.

use std::time::{Duration, SystemTime};

use progenitor_client::OperationInfo;
use reqwest::header::{AUTHORIZATION, HeaderValue};
use reqwest::{Method, StatusCode};

use crate::retry::{Cause, is_retryable, server_delay};
use crate::{Auth, ClientContext, OperationTable, auth};

/// How many attempts a call took, recorded by [`exec`] in the extensions of
/// a final response that is not a success or that needed a retry (the
/// responses a caller may still hold, inside `Error::UnexpectedResponse`).
/// This is the one place the count travels.
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

/// Sends a request, signing each attempt afresh (Connect JWT) and retrying
/// as the context's [`RetryPolicy`](crate::RetryPolicy) allows.
///
/// When retries run out the last response is returned as it is, so callers
/// see the service's own status and body. A final response that is not a
/// success carries, in its extensions, the [`Attempts`] behind it and the
/// service's [`ErrorFormat`](crate::ErrorFormat), so the facade can decode
/// it from the response alone.
pub async fn exec(
    client: &reqwest::Client,
    ctx: &ClientContext,
    operations: &OperationTable,
    request: reqwest::Request,
    info: &OperationInfo,
) -> reqwest::Result<reqwest::Response> {
    let mut response = send_attempts(client, ctx, operations, request, info).await?;
    if !response.status().is_success() {
        response.extensions_mut().insert(operations.error_format);
    }
    Ok(response)
}

async fn send_attempts(
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
        if !response.status().is_success() || sent > 1 {
            response.extensions_mut().insert(attempts);
        }
        response
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
