//! The parsed request handed to the fakes, and response helpers.

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{CONTENT_TYPE, HeaderMap, HeaderValue};
use hyper::{Method, StatusCode};
use percent_encoding::percent_decode_str;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// What the fakes answer with.
pub(crate) type Resp = hyper::Response<Full<Bytes>>;

/// A request as the fakes see it: decoded path segments and query pairs.
#[derive(Debug)]
pub(crate) struct Req {
    pub method: Method,
    /// Path exactly as received (still percent-encoded).
    pub raw_path: String,
    /// Query exactly as received, without `?`.
    pub raw_query: Option<String>,
    /// Percent-decoded, non-empty path segments.
    pub segments: Vec<String>,
    /// Decoded query pairs, in order; repeated names appear repeatedly.
    pub query: Vec<(String, String)>,
    pub headers: HeaderMap,
    pub body: Bytes,
    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub base: String,
}

impl Req {
    pub fn new(
        method: Method,
        uri: &hyper::Uri,
        headers: HeaderMap,
        body: Bytes,
        base: String,
    ) -> Self {
        let raw_path = uri.path().to_string();
        let raw_query = uri.query().map(str::to_string);
        let segments = raw_path
            .split('/')
            .filter(|s| !s.is_empty())
            .map(|s| percent_decode_str(s).decode_utf8_lossy().into_owned())
            .collect();
        let query = raw_query
            .as_deref()
            .map(|q| {
                url::form_urlencoded::parse(q.as_bytes())
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect()
            })
            .unwrap_or_default();
        Self {
            method,
            raw_path,
            raw_query,
            segments,
            query,
            headers,
            body,
            base,
        }
    }

    /// Path segments as `&str`, for slice patterns.
    pub fn segs(&self) -> Vec<&str> {
        self.segments.iter().map(String::as_str).collect()
    }

    /// The first value of query parameter `name`.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a repeatable query parameter; commas also separate.
    pub fn params(&self, name: &str) -> Vec<String> {
        self.query
            .iter()
            .filter(|(k, _)| k == name)
            .flat_map(|(_, v)| v.split(','))
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
            .collect()
    }

    /// The full URL as received, on the sandbox's own address.
    pub fn url(&self) -> String {
        match &self.raw_query {
            Some(q) => format!("{}{}?{q}", self.base, self.raw_path),
            None => format!("{}{}", self.base, self.raw_path),
        }
    }

    /// This request's URL with `replace` substituted for the named
    /// parameters (which are dropped first), for `self`/`next` links.
    pub fn url_with(&self, replace: &[(&str, String)]) -> String {
        let mut ser = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in &self.query {
            if !replace.iter().any(|(name, _)| name == k) {
                ser.append_pair(k, v);
            }
        }
        for (k, v) in replace {
            ser.append_pair(k, v);
        }
        format!("{}{}?{}", self.base, self.raw_path, ser.finish())
    }

    /// The body as JSON; `Err` carries a message for a 400.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, String> {
        if self.body.is_empty() {
            return Err("The request body is empty; a JSON body is required.".into());
        }
        serde_json::from_slice(&self.body).map_err(|e| format!("Unparseable JSON body: {e}"))
    }
}

/// A JSON response.
pub(crate) fn json(status: StatusCode, body: &Value) -> Resp {
    let bytes = serde_json::to_vec(body).expect("JSON values always serialise");
    let mut resp = hyper::Response::new(Full::new(Bytes::from(bytes)));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/json;charset=UTF-8"),
    );
    resp
}

/// A response without a body.
pub(crate) fn empty(status: StatusCode) -> Resp {
    let mut resp = hyper::Response::new(Full::new(Bytes::new()));
    *resp.status_mut() = status;
    resp
}

/// Adds a header to `resp`.
pub(crate) fn with_header(mut resp: Resp, name: &'static str, value: &str) -> Resp {
    if let Ok(value) = HeaderValue::from_str(value) {
        resp.headers_mut().insert(name, value);
    }
    resp
}

/// Which service a path belongs to; each has its own error shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Service {
    /// `/rest/api/...`: `{"errorMessages":[...],"errors":{}}`.
    Jira,
    /// `/rest/security/...`: `[{"message": ...}]`.
    SecurityInfo,
    /// `/api/v4/...`: `{"ok":false,"code":...,"message":...}`.
    Qwiet,
}

impl Service {
    pub fn of(path: &str) -> Self {
        if path.starts_with("/rest/security/") {
            Service::SecurityInfo
        } else if path == "/api/v4" || path.starts_with("/api/v4/") {
            Service::Qwiet
        } else {
            Service::Jira
        }
    }

    /// An error in this service's shape.
    pub fn error(self, status: StatusCode, message: &str) -> Resp {
        match self {
            Service::Jira => jira_error(status, message),
            Service::SecurityInfo => security_info_error(status, &[message]),
            Service::Qwiet => qwiet_error(status, qwiet_code(status), message),
        }
    }
}

/// Jira's `ErrorCollection`.
pub(crate) fn jira_error(status: StatusCode, message: &str) -> Resp {
    json(
        status,
        &serde_json::json!({ "errorMessages": [message], "errors": {} }),
    )
}

/// Jira's `ErrorCollection` with a field error.
pub(crate) fn jira_field_error(status: StatusCode, field: &str, message: &str) -> Resp {
    json(
        status,
        &serde_json::json!({ "errorMessages": [], "errors": { field: message } }),
    )
}

/// Security Information's list of `ErrorMessage`.
pub(crate) fn security_info_error(status: StatusCode, messages: &[&str]) -> Resp {
    let list: Vec<Value> = messages
        .iter()
        .map(|m| serde_json::json!({ "message": m }))
        .collect();
    json(status, &Value::Array(list))
}

/// Qwiet's `Error`.
pub(crate) fn qwiet_error(status: StatusCode, code: &str, message: &str) -> Resp {
    json(
        status,
        &serde_json::json!({ "ok": false, "code": code, "message": message }),
    )
}

fn qwiet_code(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "BAD_REQUEST",
        401 => "UNAUTHORIZED",
        403 => "FORBIDDEN",
        404 => "NOT_FOUND",
        429 => "RATE_LIMITED",
        503 => "SERVICE_UNAVAILABLE",
        _ => "INTERNAL_ERROR",
    }
}
