//! Credential checks, the way each service does them.

use appsec_runtime::Secret;
use appsec_runtime::connect_jwt::Verifier;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hyper::header::AUTHORIZATION;

use hyper::{Method, StatusCode};

use crate::config::Credentials;
use crate::http::{Req, Service};
use crate::state::State;

/// Who a request authenticated as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Caller {
    /// No `Authorization` header.
    Anonymous,
    /// Valid credentials.
    Authenticated,
}

/// Why Security Information answers basic auth with a `401`.
pub(crate) const SECURITY_INFO_REFUSES_BASIC: &str = "Security Information accepts app credentials \
     only (a Forge app token, an OAuth 2.0 app token or a Connect JWT), not basic auth.";

/// Checks the request's credentials for `service`; `Err` is the status
/// (`401`, or `403` for a Connect app without the scope) and the reason. A
/// missing header gives `Ok(Anonymous)`: the route decides whether
/// anonymous access is allowed. `issued` holds the app and OAuth tokens the
/// sandbox handed out.
pub(crate) fn check(
    req: &Req,
    service: Service,
    state: &State,
    now: i64,
) -> Result<Caller, (StatusCode, String)> {
    let creds = &state.credentials;
    let unauthorized = |reason: String| (StatusCode::UNAUTHORIZED, reason);
    let Some(header) = req.headers.get(AUTHORIZATION) else {
        return Ok(Caller::Anonymous);
    };
    let header = header
        .to_str()
        .map_err(|_| unauthorized("The Authorization header is not valid text.".into()))?;
    let (scheme, value) = header.split_once(' ').unwrap_or((header, ""));
    let value = value.trim();
    match service {
        Service::Qwiet => match scheme.to_ascii_lowercase().as_str() {
            "bearer" if constant_eq(value, &creds.qwiet_token) => Ok(Caller::Authenticated),
            "bearer" => Err(unauthorized("invalid access token".into())),
            _ => Err(unauthorized(
                "Qwiet expects `Authorization: Bearer <access token>`".into(),
            )),
        },
        // Security Information answers apps only: an API token is refused
        // there even when it is valid for the rest of Jira.
        Service::SecurityInfo if scheme.eq_ignore_ascii_case("basic") => {
            Err(unauthorized(SECURITY_INFO_REFUSES_BASIC.into()))
        }
        Service::Jira | Service::SecurityInfo => match scheme.to_ascii_lowercase().as_str() {
            "basic" => basic(value, creds).map_err(unauthorized),
            "bearer"
                if constant_eq(value, &creds.bearer_token) || state.issued.accepts(value, now) =>
            {
                Ok(Caller::Authenticated)
            }
            "bearer" => Err(unauthorized(
                "The OAuth 2.0 access token is not valid.".into(),
            )),
            "jwt" => {
                jwt(value, req, creds).map_err(unauthorized)?;
                connect_scope(&req.method, &state.connect_scopes)
                    .map_err(|reason| (StatusCode::FORBIDDEN, reason))?;
                Ok(Caller::Authenticated)
            }
            _ => Err(unauthorized(format!(
                "Unsupported authorization scheme {scheme:?}."
            ))),
        },
    }
}

/// The Connect scope an operation needs, by method: reads need `READ`,
/// writes `WRITE`, deletions `DELETE`; each scope includes the ones below
/// it (`ADMIN` > `DELETE` > `WRITE` > `READ`).
fn connect_scope(method: &Method, granted: &[String]) -> Result<(), String> {
    const ORDER: [&str; 4] = ["READ", "WRITE", "DELETE", "ADMIN"];
    let needed = match *method {
        Method::GET | Method::HEAD | Method::OPTIONS => "READ",
        Method::DELETE => "DELETE",
        _ => "WRITE",
    };
    let rank = |scope: &str| ORDER.iter().position(|s| s.eq_ignore_ascii_case(scope));
    let needed_rank = rank(needed).unwrap_or(0);
    if granted
        .iter()
        .any(|s| rank(s).is_some_and(|r| r >= needed_rank))
    {
        Ok(())
    } else {
        Err(format!(
            "The app is not allowed to do this: the {needed} scope is required."
        ))
    }
}

fn basic(value: &str, creds: &Credentials) -> Result<Caller, String> {
    let decoded = STANDARD
        .decode(value)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or("Basic credentials are not valid base64 of `email:token`.")?;
    let (email, token) = decoded
        .split_once(':')
        .ok_or("Basic credentials are not of the form `email:token`.")?;
    if email.eq_ignore_ascii_case(&creds.jira_email) && constant_eq(token, &creds.jira_api_token) {
        Ok(Caller::Authenticated)
    } else {
        Err("Client must be authenticated to access this resource.".into())
    }
}

fn jwt(token: &str, req: &Req, creds: &Credentials) -> Result<Caller, String> {
    let url = url::Url::parse(&req.url()).map_err(|e| format!("Unparseable request URL: {e}"))?;
    let base = url::Url::parse(&format!("{}/", req.base))
        .map_err(|e| format!("Unparseable base URL: {e}"))?;
    Verifier::new(Secret::new(creds.connect_shared_secret.clone()))
        .with_issuer(creds.connect_app_key.clone())
        .verify(token, req.method.as_str(), &url, &base)
        .map(|_| Caller::Authenticated)
        .map_err(|e| e.to_string())
}

/// Compares without stopping at the first difference.
fn constant_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}
