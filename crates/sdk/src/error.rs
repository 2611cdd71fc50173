//! One error type for every call the SDK makes.
//!
//! Generated operations hand every non-success response over as the
//! response itself; [`Error::from_generated`] reads its body (at most
//! `MAX_ERROR_BODY` (64 KiB) bytes) and decodes it in the format the service's spec
//! declares, which the runtime attached to the response together with the
//! attempt count. There is no other path.

use std::fmt;
use std::time::{Duration, SystemTime};

use appsec_runtime::ErrorFormat;
use appsec_runtime::hooks::Attempts;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde::de::DeserializeOwned;

/// The body of an error response, decoded as the service documents it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ApiErrorBody {
    /// Jira platform `ErrorCollection`: messages plus per-field errors.
    Jira {
        /// General messages.
        messages: Vec<String>,
        /// Field name to message.
        errors: std::collections::BTreeMap<String, String>,
    },
    /// Jira Security Information: a list of messages, each with an optional trace id.
    SecurityInfo(Vec<ErrorMessage>),
    /// Qwiet's error envelope.
    Qwiet {
        /// Machine-readable code, such as `NOT_FOUND`.
        code: String,
        /// Human-readable explanation.
        message: String,
        /// Problems with individual request fields.
        validation_errors: Vec<String>,
    },
    /// A body not in the service's format (HTML error pages, plain text,
    /// empty), kept as text, cut at `SNIPPET_LEN` (1 KiB) bytes.
    Other(String),
}

/// One Security Information error message.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ErrorMessage {
    /// What went wrong.
    pub message: String,
    /// Identifier Atlassian support can trace.
    pub error_trace_id: Option<String>,
}

impl ErrorMessage {
    /// A message without a trace id.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            error_trace_id: None,
        }
    }

    /// The same message with the trace id the service gave it.
    pub fn with_trace_id(mut self, id: impl Into<String>) -> Self {
        self.error_trace_id = Some(id.into());
        self
    }
}

/// How much of a body that is not in the service's format errors keep, and
/// the most any one quoted string (a message, a decoder's complaint) keeps.
pub const SNIPPET_LEN: usize = 1024;

/// How many bytes of an error response are read: enough for any real error
/// document, and a 10 MB error page costs no more than this.
pub const MAX_ERROR_BODY: usize = 64 * 1024;

/// How many messages or field errors of one body are kept; the rest are
/// counted in a last entry.
pub const MAX_MESSAGES: usize = 8;

impl ApiErrorBody {
    /// Decodes an error body written in `format`; anything else is kept as
    /// text. Every string is bounded (see `SNIPPET_LEN` (1 KiB), `MAX_MESSAGES` (8)).
    pub fn decode(format: ErrorFormat, bytes: &[u8]) -> Self {
        Self::decode_as(format, bytes).unwrap_or_else(|| ApiErrorBody::Other(snippet(bytes)))
    }

    fn decode_as(format: ErrorFormat, bytes: &[u8]) -> Option<Self> {
        match format {
            ErrorFormat::JiraErrorCollection => {
                #[derive(serde::Deserialize)]
                #[serde(rename_all = "camelCase")]
                struct Collection {
                    #[serde(default)]
                    error_messages: Vec<String>,
                    #[serde(default)]
                    errors: std::collections::BTreeMap<String, serde_json::Value>,
                }
                let c: Collection = serde_json::from_slice(bytes).ok()?;
                if c.error_messages.is_empty() && c.errors.is_empty() {
                    return None;
                }
                let text = |v: serde_json::Value| match v {
                    serde_json::Value::String(s) => clip(s),
                    other => clip(other.to_string()),
                };
                let omitted = c.errors.len().saturating_sub(MAX_MESSAGES);
                let mut errors: std::collections::BTreeMap<_, _> = c
                    .errors
                    .into_iter()
                    .take(MAX_MESSAGES)
                    .map(|(k, v)| (clip(k), text(v)))
                    .collect();
                if omitted > 0 {
                    errors.insert("…".to_string(), format!("and {omitted} more"));
                }
                Some(ApiErrorBody::Jira {
                    messages: bounded(c.error_messages),
                    errors,
                })
            }
            ErrorFormat::SecurityInfoMessages => {
                #[derive(serde::Deserialize)]
                #[serde(rename_all = "camelCase")]
                struct Message {
                    message: String,
                    error_trace_id: Option<String>,
                }
                let list: Vec<Message> = serde_json::from_slice(bytes).ok()?;
                let omitted = list.len().saturating_sub(MAX_MESSAGES);
                let mut out: Vec<ErrorMessage> = list
                    .into_iter()
                    .take(MAX_MESSAGES)
                    .map(|m| ErrorMessage {
                        message: clip(m.message),
                        error_trace_id: m.error_trace_id.map(clip),
                    })
                    .collect();
                if omitted > 0 {
                    out.push(ErrorMessage::new(format!("… and {omitted} more")));
                }
                Some(ApiErrorBody::SecurityInfo(out))
            }
            ErrorFormat::QwietEnvelope => {
                #[derive(serde::Deserialize)]
                struct Envelope {
                    code: String,
                    #[serde(default)]
                    message: String,
                    #[serde(default)]
                    validation_errors: Vec<String>,
                }
                let e: Envelope = serde_json::from_slice(bytes).ok()?;
                Some(ApiErrorBody::Qwiet {
                    code: clip(e.code),
                    message: clip(e.message),
                    validation_errors: bounded(e.validation_errors),
                })
            }
            // A format added to the runtime before the facade knows it.
            _ => None,
        }
    }
}

impl fmt::Display for ApiErrorBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts: Vec<String> = Vec::new();
        match self {
            ApiErrorBody::Jira { messages, errors } => {
                parts.extend(messages.iter().cloned());
                parts.extend(errors.iter().map(|(k, v)| format!("{k}: {v}")));
            }
            ApiErrorBody::SecurityInfo(list) => {
                parts.extend(list.iter().map(|m| m.message.clone()));
            }
            ApiErrorBody::Qwiet {
                code,
                message,
                validation_errors,
            } => {
                write!(f, "{code}: {message}")?;
                if !validation_errors.is_empty() {
                    write!(f, " ({})", validation_errors.join("; "))?;
                }
                return Ok(());
            }
            ApiErrorBody::Other(text) if text.trim().is_empty() => return f.write_str("no body"),
            ApiErrorBody::Other(text) => return f.write_str(text.trim()),
        }
        f.write_str(&parts.join("; "))
    }
}

/// An error response: status, headers and the decoded body.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Response headers (rate-limit headers, request ids).
    pub headers: HeaderMap,
    /// The decoded body.
    pub body: ApiErrorBody,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.status, self.body)
    }
}

/// Everything that can go wrong in an SDK call.
///
/// ```no_run
/// # async fn run(jira: appsec_sdk::JiraClient) {
/// use appsec_sdk::SendExt;
/// match jira.issue_security().get_issue_security_scheme().id(10000).send().value().await {
///     Ok(scheme) => println!("{:?}", scheme.name),
///     Err(e) if e.is_not_found() => println!("no such scheme"),
///     Err(e) if e.is_retryable() => println!("try again in {:?}", e.retry_after()),
///     Err(e) => println!("{e} (request {})", e.request_id().unwrap_or("unknown")),
/// }
/// # }
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The service answered with an error status.
    #[error("the service answered {0}")]
    Api(Box<ApiError>),
    /// The service rejected the credentials (401) or refused the caller (403).
    #[error("the service did not authorize the call: {0}")]
    Auth(Box<ApiError>),
    /// Rate limits or outages outlasted the retry policy; holds the last answer.
    #[error("gave up after {attempts} attempts; the last answer was {last}")]
    RetriesExhausted {
        /// How many times the request was sent.
        attempts: u32,
        /// The last response.
        last: Box<ApiError>,
    },
    /// The request never got a complete answer (connection, TLS, timeout,
    /// a body cut short).
    #[error("the request failed before a complete answer arrived: {}", Chain(.0))]
    Transport(#[source] reqwest::Error),
    /// The response was larger than the client's maximum response size
    /// (`ClientBuilder::max_response_size`); it was not decoded. The source
    /// chain holds the runtime's `ResponseTooLarge` with the limit.
    #[error("the response was refused: {}", Chain(.0))]
    TooLarge(#[source] reqwest::Error),
    /// A success response whose body does not match the documented schema.
    #[error("cannot decode the response{}: {message}; the body starts {snippet:?}", path.as_deref().map(|p| format!(" at `{p}`")).unwrap_or_default())]
    Decode {
        /// Path of the field that failed, such as `values[3].name`, when known.
        path: Option<String>,
        /// What the decoder said (at most `SNIPPET_LEN` (1 KiB) bytes).
        message: String,
        /// The start of the body.
        snippet: String,
    },
    /// Input the SDK refused before sending anything.
    #[error("invalid input, nothing was sent: {0}")]
    InvalidInput(String),
    /// The client configuration is unusable (base URL, credentials).
    #[error(transparent)]
    Config(#[from] appsec_runtime::ConfigError),
    /// A setting read from the environment ([`JiraClient::from_env`](crate::JiraClient::from_env),
    /// [`QwietClient::from_env`](crate::QwietClient::from_env)) is missing or
    /// unusable; the error names the variable.
    #[error(transparent)]
    Env(#[from] crate::env::EnvError),
    /// The runtime would not send the request: credentials could not be
    /// obtained, or the destination is outside the configured base URL.
    #[error("the request was not sent: {0}")]
    Refused(String),
    /// The API does not accept this kind of credentials; nothing was sent.
    #[error("{api} does not accept {used}; it accepts {}", accepted.join("; "))]
    AuthNotAccepted {
        /// The API that refuses them.
        api: &'static str,
        /// What the client is configured with.
        used: &'static str,
        /// The credentials that work.
        accepted: &'static [&'static str],
    },
    /// A paginated listing misbehaved (no progress, a foreign `next_page`).
    #[error("pagination stopped: {0}")]
    Pagination(String),
    /// An asynchronous Jira task ended without completing.
    #[error("task {id} ended {status}{}", .message.as_deref().map(|m| format!(": {m}")).unwrap_or_default())]
    TaskEnded {
        /// The task's id.
        id: String,
        /// Its final status (`FAILED`, `CANCELLED`, `DEAD`).
        status: String,
        /// Jira's progress message, when it gave one.
        message: Option<String>,
    },
    /// Waiting for something outlasted the time the caller allowed.
    #[error("timed out: {0}")]
    Timeout(String),
}

/// A reqwest error and the innermost cause it wraps, in one line.
struct Chain<'a>(&'a reqwest::Error);

impl fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut text = self.0.to_string();
        let mut source = std::error::Error::source(self.0);
        while let Some(cause) = source {
            let cause_text = cause.to_string();
            if !text.contains(&cause_text) {
                text.push_str(": ");
                text.push_str(&cause_text);
            }
            source = cause.source();
        }
        f.write_str(&text)
    }
}

impl Error {
    /// The HTTP status, when the error came from a response.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Transport(e) => e.status(),
            _ => self.response().map(|r| r.status),
        }
    }

    /// The error response, for errors that have one.
    pub fn response(&self) -> Option<&ApiError> {
        match self {
            Error::Api(e) | Error::Auth(e) => Some(e),
            Error::RetriesExhausted { last, .. } => Some(last),
            _ => None,
        }
    }

    /// The id the service gave the request, for support tickets: Jira's
    /// `X-AREQUESTID`, or an `X-Request-Id` where a service sends one.
    pub fn request_id(&self) -> Option<&str> {
        let headers = &self.response()?.headers;
        ["x-arequestid", "x-request-id"]
            .iter()
            .find_map(|name| headers.get(*name)?.to_str().ok())
    }

    /// True when sending the same request later may succeed: rate limits,
    /// outages and timeouts, including those that outlasted the retries.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::RetriesExhausted { .. } => true,
            Error::Transport(e) => e.is_timeout() || e.is_connect() || e.is_body(),
            _ => self.status().is_some_and(|s| {
                matches!(
                    s,
                    StatusCode::TOO_MANY_REQUESTS
                        | StatusCode::BAD_GATEWAY
                        | StatusCode::SERVICE_UNAVAILABLE
                        | StatusCode::GATEWAY_TIMEOUT
                )
            }),
        }
    }

    /// How long the service asked the caller to wait (`Retry-After`, or a
    /// rate-limit reset), when it said.
    pub fn retry_after(&self) -> Option<Duration> {
        let headers = &self.response()?.headers;
        appsec_runtime::retry::server_delay(headers, SystemTime::now())
    }

    /// True for a 404: the resource does not exist (or is hidden from the caller).
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(StatusCode::NOT_FOUND)
    }

    /// Classifies an error response whose body was read (at most
    /// `MAX_ERROR_BODY` (64 KiB) bytes).
    pub(crate) fn from_response(
        status: StatusCode,
        headers: HeaderMap,
        body: &[u8],
        format: Option<ErrorFormat>,
        attempts: Attempts,
    ) -> Self {
        let body = match format {
            Some(format) => ApiErrorBody::decode(format, body),
            None => ApiErrorBody::Other(snippet(body)),
        };
        let api = Box::new(ApiError {
            status,
            headers,
            body,
        });
        if attempts.exhausted {
            Error::RetriesExhausted {
                attempts: attempts.sent,
                last: api,
            }
        } else if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
            Error::Auth(api)
        } else {
            Error::Api(api)
        }
    }

    /// Converts a generated client's error. `T` is the success type, used to
    /// locate the failing field when a success body does not decode.
    pub async fn from_generated<T: DeserializeOwned, E>(err: progenitor_client::Error<E>) -> Self {
        Self::convert(err, decode_error::<T>).await
    }

    /// Like [`Error::from_generated`], for calls whose success body is raw
    /// bytes (reports, downloads).
    pub async fn from_generated_raw<E>(err: progenitor_client::Error<E>) -> Self {
        Self::convert(err, |bytes, e| Error::Decode {
            path: None,
            message: clip(e.to_string()),
            snippet: snippet(bytes),
        })
        .await
    }

    async fn convert<E>(
        err: progenitor_client::Error<E>,
        undecodable: fn(&[u8], &serde_json::Error) -> Error,
    ) -> Self {
        use progenitor_client::Error as G;
        match err {
            G::InvalidRequest(message) => Error::InvalidInput(message),
            G::CommunicationError(e) | G::InvalidUpgrade(e) | G::ResponseBodyError(e) => {
                Error::from_transport(e)
            }
            G::InvalidResponsePayload(bytes, e) => undecodable(&bytes, &e),
            G::UnexpectedResponse(response) => Self::from_unexpected(response).await,
            // No generated operation documents an error body (the xtask
            // leaves every error status to `UnexpectedResponse`).
            G::ErrorResponse(value) => Error::from_response(
                value.status(),
                value.headers().clone(),
                b"",
                None,
                Attempts::SINGLE,
            ),
            G::Custom(message) => Error::Refused(message),
        }
    }

    /// A response the operation does not document as its outcome: an error
    /// status, or an undocumented success or redirect.
    pub(crate) async fn from_unexpected(response: reqwest::Response) -> Self {
        let status = response.status();
        let headers = response.headers().clone();
        let attempts = Attempts::of(&response);
        let format = response.extensions().get::<ErrorFormat>().copied();
        match read_bounded(response, MAX_ERROR_BODY).await {
            Ok(body) if status.is_client_error() || status.is_server_error() => {
                Error::from_response(status, headers, &body, format, attempts)
            }
            Ok(body) => Error::Decode {
                path: None,
                message: format!("status {status} is not one the operation documents"),
                snippet: snippet(&body),
            },
            Err(e) => Error::from_transport(e),
        }
    }

    /// A failure without a complete answer; a body over the size limit is
    /// told apart from the network failing.
    pub(crate) fn from_transport(e: reqwest::Error) -> Self {
        if appsec_runtime::ResponseTooLarge::find(&e).is_some() {
            Error::TooLarge(e)
        } else {
            Error::Transport(e)
        }
    }
}

/// Reads at most `limit` bytes of a body; the rest is not read.
pub(crate) async fn read_bounded(
    mut response: reqwest::Response,
    limit: usize,
) -> Result<Vec<u8>, reqwest::Error> {
    let mut body = Vec::new();
    while body.len() < limit {
        let Some(chunk) = response.chunk().await? else {
            break;
        };
        let room = limit - body.len();
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
    }
    Ok(body)
}

/// A decode failure, with the path of the failing field found by decoding
/// the same bytes again field by field.
pub(crate) fn decode_error<T: DeserializeOwned>(bytes: &[u8], err: &serde_json::Error) -> Error {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let (path, message) = match serde_path_to_error::deserialize::<_, T>(&mut de) {
        Err(e) => {
            let path = e.path().to_string();
            (
                Some(clip(path)).filter(|p| p != "."),
                e.into_inner().to_string(),
            )
        }
        Ok(_) => (None, err.to_string()),
    };
    Error::Decode {
        path,
        message: clip(message),
        snippet: snippet(bytes),
    }
}

/// The start of a body as text, at most `SNIPPET_LEN` (1 KiB) bytes.
pub(crate) fn snippet(bytes: &[u8]) -> String {
    let cut = bytes.len().min(SNIPPET_LEN);
    let mut text = String::from_utf8_lossy(&bytes[..cut]).into_owned();
    if bytes.len() > cut {
        text.push('…');
    }
    text
}

/// `text` cut at a character boundary to at most `SNIPPET_LEN` (1 KiB) bytes.
fn clip(mut text: String) -> String {
    if text.len() > SNIPPET_LEN {
        let mut cut = SNIPPET_LEN;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push('…');
    }
    text
}

/// At most `MAX_MESSAGES` (8) clipped messages, and a count of the rest.
fn bounded(list: Vec<String>) -> Vec<String> {
    let omitted = list.len().saturating_sub(MAX_MESSAGES);
    let mut out: Vec<String> = list.into_iter().take(MAX_MESSAGES).map(clip).collect();
    if omitted > 0 {
        out.push(format!("… and {omitted} more"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_text_is_bounded() {
        let huge = "x".repeat(10 * 1024 * 1024);
        let many: Vec<String> = (0..1000).map(|i| format!("{i}: {huge:.2000}")).collect();
        let body = serde_json::json!({ "code": "BAD", "message": huge, "validation_errors": many });
        let decoded = ApiErrorBody::decode(
            ErrorFormat::QwietEnvelope,
            &serde_json::to_vec(&body).unwrap(),
        );
        let text = decoded.to_string();
        assert!(text.len() < 16 * 1024, "{} bytes", text.len());
        assert!(text.contains("… and 992 more"));
    }

    #[test]
    fn each_format_is_decoded_as_its_service_writes_it() {
        let jira = br#"{"errorMessages":["no"],"errors":{"name":"taken"}}"#;
        assert_eq!(
            ApiErrorBody::decode(ErrorFormat::JiraErrorCollection, jira).to_string(),
            "no; name: taken"
        );
        // The same bytes are not guessed into another service's shape.
        assert!(matches!(
            ApiErrorBody::decode(ErrorFormat::QwietEnvelope, jira),
            ApiErrorBody::Other(_)
        ));
        let info = br#"[{"message":"bad id","errorTraceId":"t-1"}]"#;
        let ApiErrorBody::SecurityInfo(list) =
            ApiErrorBody::decode(ErrorFormat::SecurityInfoMessages, info)
        else {
            panic!("not decoded");
        };
        assert_eq!(list[0].error_trace_id.as_deref(), Some("t-1"));
    }

    #[test]
    fn clip_respects_character_boundaries() {
        let text = "é".repeat(SNIPPET_LEN);
        let clipped = clip(text);
        assert!(clipped.len() <= SNIPPET_LEN + '…'.len_utf8());
    }
}
