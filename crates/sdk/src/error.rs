//! One error type for every call the SDK makes.

use std::fmt;

use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde::de::DeserializeOwned;

use appsec_runtime::hooks::{Attempts, ResponseRecord};

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
    /// A body that is none of the above (HTML error pages, plain text, empty),
    /// kept as text, cut at 1024 bytes.
    Other(String),
}

/// One Security Information error message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorMessage {
    /// What went wrong.
    pub message: String,
    /// Identifier Atlassian support can trace.
    pub error_trace_id: Option<String>,
}

/// How much of an unexpected body errors keep.
pub const SNIPPET_LEN: usize = 1024;

impl ApiErrorBody {
    /// Decodes an error body in whichever documented shape it has.
    pub fn parse(bytes: &[u8]) -> Self {
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct JiraShape {
            #[serde(default)]
            error_messages: Vec<String>,
            #[serde(default)]
            errors: std::collections::BTreeMap<String, serde_json::Value>,
        }
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct MessageShape {
            message: String,
            error_trace_id: Option<String>,
        }
        #[derive(serde::Deserialize)]
        struct QwietShape {
            code: String,
            #[serde(default)]
            message: String,
            #[serde(default)]
            validation_errors: Vec<String>,
        }
        if let Ok(q) = serde_json::from_slice::<QwietShape>(bytes) {
            return ApiErrorBody::Qwiet {
                code: q.code,
                message: q.message,
                validation_errors: q.validation_errors,
            };
        }
        if let Ok(list) = serde_json::from_slice::<Vec<MessageShape>>(bytes) {
            return ApiErrorBody::SecurityInfo(
                list.into_iter()
                    .map(|m| ErrorMessage {
                        message: m.message,
                        error_trace_id: m.error_trace_id,
                    })
                    .collect(),
            );
        }
        if let Ok(j) = serde_json::from_slice::<JiraShape>(bytes)
            && (!j.error_messages.is_empty() || !j.errors.is_empty())
        {
            let text = |v: serde_json::Value| {
                v.as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| v.to_string())
            };
            return ApiErrorBody::Jira {
                messages: j.error_messages,
                errors: j.errors.into_iter().map(|(k, v)| (k, text(v))).collect(),
            };
        }
        ApiErrorBody::Other(snippet(bytes))
    }
}

impl fmt::Display for ApiErrorBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApiErrorBody::Jira { messages, errors } => {
                let mut parts: Vec<String> = messages.clone();
                parts.extend(errors.iter().map(|(k, v)| format!("{k}: {v}")));
                f.write_str(&parts.join("; "))
            }
            ApiErrorBody::SecurityInfo(list) => {
                let parts: Vec<&str> = list.iter().map(|m| m.message.as_str()).collect();
                f.write_str(&parts.join("; "))
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
                Ok(())
            }
            ApiErrorBody::Other(text) if text.is_empty() => f.write_str("(empty body)"),
            ApiErrorBody::Other(text) => f.write_str(text),
        }
    }
}

/// An error response: status, headers and the decoded body.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Response headers (rate-limit headers, request ids).
    pub headers: HeaderMap,
    /// The decoded body.
    pub body: ApiErrorBody,
}

/// Everything that can go wrong in an SDK call.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The service answered with an error status.
    #[error("{} {}", .0.status, .0.body)]
    Api(Box<ApiError>),
    /// The service rejected the credentials (401) or refused the caller (403).
    #[error("authentication failed: {} {}", .0.status, .0.body)]
    Auth(Box<ApiError>),
    /// Rate limits or outages outlasted the retry policy; holds the last answer.
    #[error("gave up after {attempts} attempts: {} {}", .last.status, .last.body)]
    RetriesExhausted {
        /// How many times the request was sent.
        attempts: u32,
        /// The last response.
        last: Box<ApiError>,
    },
    /// The request never got an answer (connection, TLS, timeout).
    #[error("transport error: {0}")]
    Transport(#[source] reqwest::Error),
    /// A success response whose body does not match the documented schema.
    #[error("cannot decode the response{}: {message}; body starts {snippet:?}", path.as_deref().map(|p| format!(" at `{p}`")).unwrap_or_default())]
    Decode {
        /// Path of the field that failed, such as `values[3].name`, when known.
        path: Option<String>,
        /// What the decoder said.
        message: String,
        /// The start of the body.
        snippet: String,
    },
    /// Input the SDK refused before sending anything.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// The client configuration is unusable (base URL, credentials).
    #[error(transparent)]
    Config(#[from] appsec_runtime::ConfigError),
    /// The runtime would not send the request: credentials could not be
    /// obtained, or the destination is outside the configured base URL.
    #[error("request not sent: {0}")]
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
}

impl Error {
    /// The HTTP status, when the error came from a response.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Api(e) | Error::Auth(e) => Some(e.status),
            Error::RetriesExhausted { last, .. } => Some(last.status),
            Error::Transport(e) => e.status(),
            _ => None,
        }
    }

    /// Classifies an error response.
    pub(crate) fn from_response(
        status: StatusCode,
        headers: HeaderMap,
        body: &[u8],
        attempts: Option<Attempts>,
    ) -> Self {
        let api = Box::new(ApiError {
            status,
            headers,
            body: ApiErrorBody::parse(body),
        });
        match attempts {
            Some(a) if a.exhausted => Error::RetriesExhausted {
                attempts: a.sent,
                last: api,
            },
            _ if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN => {
                Error::Auth(api)
            }
            _ => Error::Api(api),
        }
    }

    /// Converts a generated client's error, reading the body of unexpected
    /// responses so nothing the service said is lost. `T` is the success type,
    /// used to locate the failing field when a body does not decode.
    pub async fn from_generated<T: DeserializeOwned, E: serde::Serialize>(
        err: progenitor_client::Error<E>,
    ) -> Self {
        Self::from_recorded::<T, E>(err, None).await
    }

    /// Like [`Error::from_generated`], with the final response's record
    /// (see [`appsec_runtime::hooks::recording`]) to recover what progenitor
    /// drops: the status of an error body that did not match its schema, and
    /// how many attempts were made.
    pub async fn from_recorded<T: DeserializeOwned, E: serde::Serialize>(
        err: progenitor_client::Error<E>,
        record: Option<ResponseRecord>,
    ) -> Self {
        use progenitor_client::Error as G;
        let failed = record
            .as_ref()
            .filter(|r| r.status.is_client_error() || r.status.is_server_error());
        match (err, failed) {
            // An error status whose body is not the documented error shape.
            (G::InvalidResponsePayload(bytes, _), Some(r)) => {
                Error::from_response(r.status, r.headers.clone(), &bytes, Some(r.attempts))
            }
            (G::InvalidResponsePayload(bytes, e), None) => decode_error::<T>(&bytes, &e),
            (G::ErrorResponse(rv), _) => Error::from_error_value(rv, record.map(|r| r.attempts)),
            (other, _) => Self::from_generated_raw(other).await,
        }
    }

    /// A documented error body that progenitor decoded: re-encoded so that
    /// it is classified like any other error response.
    fn from_error_value<E: serde::Serialize>(
        rv: progenitor_client::ResponseValue<E>,
        attempts: Option<Attempts>,
    ) -> Self {
        let status = rv.status();
        let headers = rv.headers().clone();
        let body = serde_json::to_vec(&rv.into_inner()).unwrap_or_default();
        Error::from_response(status, headers, &body, attempts)
    }

    /// Like [`Error::from_generated`], for calls whose success body is raw
    /// bytes (reports, downloads).
    pub async fn from_generated_raw<E: serde::Serialize>(err: progenitor_client::Error<E>) -> Self {
        use progenitor_client::Error as G;
        match err {
            G::InvalidRequest(message) => Error::InvalidInput(message),
            G::CommunicationError(e) | G::InvalidUpgrade(e) | G::ResponseBodyError(e) => {
                Error::Transport(e)
            }
            G::ErrorResponse(rv) => Error::from_error_value(rv, None),
            G::InvalidResponsePayload(bytes, e) => Error::Decode {
                path: None,
                message: e.to_string(),
                snippet: snippet(&bytes),
            },
            G::UnexpectedResponse(response) => {
                let status = response.status();
                let headers = response.headers().clone();
                let attempts = Some(Attempts::of(&response));
                match response.bytes().await {
                    Ok(body) if status.is_success() || status.is_redirection() => Error::Decode {
                        path: None,
                        message: format!("status {status} is not one the operation documents"),
                        snippet: snippet(&body),
                    },
                    Ok(body) => Error::from_response(status, headers, &body, attempts),
                    Err(e) => Error::Transport(e),
                }
            }
            G::Custom(message) => Error::Refused(message),
        }
    }
}

/// A decode failure, with the path of the failing field found by decoding
/// the same bytes again field by field.
pub(crate) fn decode_error<T: DeserializeOwned>(bytes: &[u8], err: &serde_json::Error) -> Error {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let (path, message) = match serde_path_to_error::deserialize::<_, T>(&mut de) {
        Err(e) => {
            let path = e.path().to_string();
            (Some(path).filter(|p| p != "."), e.into_inner().to_string())
        }
        Ok(_) => (None, err.to_string()),
    };
    Error::Decode {
        path,
        message,
        snippet: snippet(bytes),
    }
}

fn snippet(bytes: &[u8]) -> String {
    let cut = bytes.len().min(SNIPPET_LEN);
    let mut text = String::from_utf8_lossy(&bytes[..cut]).into_owned();
    if bytes.len() > cut {
        text.push('…');
    }
    text
}
