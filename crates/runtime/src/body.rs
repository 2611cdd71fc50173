//! Reading response bodies inside the request loop, within a size limit.
//!
//! Bodies the generated code decodes whole (JSON, and every error body) are
//! read here, so that a connection cut mid-body can be retried like one cut
//! before the headers, and so that no body grows past the limit. A JSON
//! answer is decoded straight from the bytes read (`hooks::exec_json`);
//! other bodies are handed on in a rebuilt response. Streaming downloads are passed
//! through as streams, limited only when the caller asked for it.

use std::error::Error as StdError;
use std::fmt;

use bytes::{Bytes, BytesMut};
use futures::StreamExt;
use reqwest::ResponseBuilderExt;
use reqwest::header::{ACCEPT, CONTENT_LENGTH};

/// The default maximum size of a response body read whole: 64 MiB.
pub const DEFAULT_MAX_RESPONSE_SIZE: u64 = 64 * 1024 * 1024;

/// A response body was larger than the configured maximum. It is the
/// [`source`](std::error::Error::source) of the `reqwest::Error` the call
/// fails with; [`ResponseTooLarge::find`] digs it out.
///
/// ```
/// use appsec_runtime::ResponseTooLarge;
///
/// let err = ResponseTooLarge::new(1024, Some(4096));
/// assert_eq!(err.to_string(), "the response body (4096 bytes declared) exceeds the limit of 1024 bytes");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ResponseTooLarge {
    /// The limit in bytes.
    pub limit: u64,
    /// The `Content-Length` the server declared, when it declared one
    /// larger than the limit; `None` when the body outgrew the limit while
    /// it was read.
    pub declared: Option<u64>,
}

impl ResponseTooLarge {
    /// A body over `limit` bytes; `declared` is the `Content-Length` the
    /// server announced, when it announced more than the limit.
    pub fn new(limit: u64, declared: Option<u64>) -> Self {
        Self { limit, declared }
    }
}

impl fmt::Display for ResponseTooLarge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.declared {
            Some(n) => write!(
                f,
                "the response body ({n} bytes declared) exceeds the limit of {} bytes",
                self.limit
            ),
            None => write!(
                f,
                "the response body exceeds the limit of {} bytes",
                self.limit
            ),
        }
    }
}

impl StdError for ResponseTooLarge {}

impl ResponseTooLarge {
    /// The limit error somewhere in `error`'s chain of sources, if any.
    pub fn find<'e>(error: &'e (dyn StdError + 'static)) -> Option<&'e ResponseTooLarge> {
        let mut next = Some(error);
        while let Some(e) = next {
            if let Some(found) = e.downcast_ref::<ResponseTooLarge>() {
                return Some(found);
            }
            next = e.source();
        }
        None
    }
}

/// Whether the loop reads this response's body itself: when the request
/// asked for JSON (the generated code decodes it whole) or the status is
/// not a success (error bodies are decoded whole too). Other successes are
/// downloads the caller streams.
pub(crate) fn is_buffered(request_accepts_json: bool, response: &reqwest::Response) -> bool {
    request_accepts_json || !response.status().is_success()
}

/// True when the request's `Accept` header asks for JSON, which the
/// generated code sets exactly for operations whose responses it decodes.
pub(crate) fn accepts_json(request: &reqwest::Request) -> bool {
    request
        .headers()
        .get(ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("json"))
}

/// Why reading a body whole failed.
#[derive(Debug)]
pub(crate) enum ReadError {
    /// The connection failed or the body was cut short.
    Transport(reqwest::Error),
    /// The body is larger than the limit.
    TooLarge(ResponseTooLarge),
}

/// Reads the whole body, refusing at once a declared length above `limit`
/// and stopping as soon as the bytes read pass it.
pub(crate) async fn read(response: &mut reqwest::Response, limit: u64) -> Result<Bytes, ReadError> {
    let declared = response
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if let Some(n) = declared.filter(|n| *n > limit) {
        return Err(ReadError::TooLarge(ResponseTooLarge {
            limit,
            declared: Some(n),
        }));
    }
    // Most bodies arrive as one chunk: that one is handed on without a copy.
    let mut first: Option<Bytes> = None;
    let mut joined: Option<BytesMut> = None;
    let mut total = 0u64;
    while let Some(chunk) = response.chunk().await.map_err(ReadError::Transport)? {
        total = total.saturating_add(chunk.len() as u64);
        if total > limit {
            return Err(ReadError::TooLarge(ResponseTooLarge {
                limit,
                declared: None,
            }));
        }
        match (&mut joined, first.take()) {
            (Some(buf), _) => buf.extend_from_slice(&chunk),
            (None, None) => first = Some(chunk),
            (None, Some(head)) => {
                let capacity = declared.unwrap_or(0).clamp(total, limit).min(1 << 24);
                let mut buf = BytesMut::with_capacity(capacity as usize);
                buf.extend_from_slice(&head);
                buf.extend_from_slice(&chunk);
                joined = Some(buf);
            }
        }
    }
    Ok(match joined {
        Some(buf) => buf.freeze(),
        None => first.unwrap_or_default(),
    })
}

/// The parts of a response besides its body.
struct Head {
    status: reqwest::StatusCode,
    version: reqwest::Version,
    headers: reqwest::header::HeaderMap,
    extensions: http::Extensions,
    url: reqwest::Url,
}

/// Moves the parts out of `response`, leaving only its body usable.
fn take_head(response: &mut reqwest::Response) -> Head {
    Head {
        status: response.status(),
        version: response.version(),
        headers: std::mem::take(response.headers_mut()),
        extensions: std::mem::take(response.extensions_mut()),
        url: response.url().clone(),
    }
}

fn assemble(head: Head, body: reqwest::Body) -> reqwest::Response {
    let mut response = http::Response::new(body);
    *response.status_mut() = head.status;
    *response.version_mut() = head.version;
    *response.headers_mut() = head.headers;
    *response.extensions_mut() = head.extensions;
    // reqwest keeps the URL in an extension only its builder can write.
    if let Ok(marker) = http::Response::builder().url(head.url).body(()) {
        response
            .extensions_mut()
            .extend(marker.into_parts().0.extensions);
    }
    reqwest::Response::from(response)
}

/// The response again, with `body` in place of the one already read.
pub(crate) fn rebuild(mut response: reqwest::Response, body: Bytes) -> reqwest::Response {
    let head = take_head(&mut response);
    assemble(head, reqwest::Body::from(body))
}

/// The response with its body stream cut off, with a [`ResponseTooLarge`]
/// error, once more than `limit` bytes have passed.
pub(crate) fn limit_stream(mut response: reqwest::Response, limit: u64) -> reqwest::Response {
    let head = take_head(&mut response);
    let mut seen = 0u64;
    let stream = response.bytes_stream().map(move |chunk| {
        let chunk = chunk.map_err(|e| Box::new(e) as Box<dyn StdError + Send + Sync>)?;
        seen = seen.saturating_add(chunk.len() as u64);
        if seen > limit {
            return Err(Box::new(ResponseTooLarge {
                limit,
                declared: None,
            }) as Box<dyn StdError + Send + Sync>);
        }
        Ok(chunk)
    });
    assemble(head, reqwest::Body::wrap_stream(stream))
}

/// The answer to a call that the shared rate-limit state would hold back
/// beyond its time budget: a `429` made here, never sent by a server, with
/// `Retry-After` saying when the client may send again.
pub(crate) fn held_back(url: &reqwest::Url, wait: std::time::Duration) -> reqwest::Response {
    let seconds = wait
        .as_secs()
        .saturating_add(u64::from(wait.subsec_nanos() > 0));
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(reqwest::header::RETRY_AFTER, seconds.into());
    let head = Head {
        status: reqwest::StatusCode::TOO_MANY_REQUESTS,
        version: reqwest::Version::HTTP_11,
        headers,
        extensions: http::Extensions::new(),
        url: url.clone(),
    };
    assemble(head, reqwest::Body::from(Bytes::new()))
}

/// A `reqwest::Error` whose source is `error`, made by reading a body that
/// fails with it: reqwest offers no other way to build one, and callers of
/// a generated client receive `reqwest::Error`s for failures of this kind.
pub(crate) async fn reqwest_error(error: ResponseTooLarge) -> reqwest::Error {
    let failing = futures::stream::once(async move { Err::<Bytes, _>(error) });
    let response =
        reqwest::Response::from(http::Response::new(reqwest::Body::wrap_stream(failing)));
    match response.bytes().await {
        Err(e) => e,
        Ok(_) => unreachable!("the body fails on its first chunk"),
    }
}
