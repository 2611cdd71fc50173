//! Atlassian's side of app authentication, offline: Forge Invocation Tokens
//! signed with a local RSA key and the JWKS to check them, the app system
//! tokens that come with them, and an OAuth 2.0 (3LO) authorization server
//! with rotating refresh tokens and the `api.atlassian.com` gateway path.
//!
//! The key in `keys/` was generated with `openssl genrsa` for the sandbox
//! only; it signs nothing outside it.

use std::collections::HashMap;

use hyper::{Method, StatusCode};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Deserialize;
use serde_json::json;

use crate::http::{Req, Resp, empty, json, with_header};

/// The Forge app the sandbox invokes.
pub const SANDBOX_FORGE_APP_ID: &str =
    "ari:cloud:ecosystem::app/00000000-0000-4000-8000-00000000f0e1";
/// The installation of that app on the sandbox site.
pub const SANDBOX_INSTALLATION_ID: &str =
    "ari:cloud:ecosystem::installation/00000000-0000-4000-8000-0000000001a5";
/// The sandbox site's cloud id.
pub const SANDBOX_CLOUD_ID: &str = "00000000-0000-4000-8000-00000000c10d";
/// The OAuth 2.0 (3LO) app registered with the sandbox.
pub const SANDBOX_OAUTH_CLIENT_ID: &str = "sandbox-oauth-client";
/// Its client secret.
pub const SANDBOX_OAUTH_CLIENT_SECRET: &str = "sandbox-oauth-client-secret";

const SIGNING_KEY: &[u8] = include_bytes!("../keys/forge-invocation.der");
const JWKS: &str = include_str!("../keys/forge-invocation-jwks.json");
const KID: &str = "sandbox-forge-1";
/// FITs live about 25 seconds.
const FIT_LIFETIME: i64 = 25;
/// App system tokens live at least two hours.
const SYSTEM_TOKEN_LIFETIME: i64 = 2 * 3600;
/// 3LO access tokens live an hour.
const ACCESS_TOKEN_LIFETIME: i64 = 3600;

/// An invocation as Forge would send it to a remote backend.
#[derive(Clone)]
pub struct ForgeInvocation {
    /// For `Authorization: Bearer <fit>`.
    pub fit: String,
    /// For `x-forge-oauth-system`.
    pub system_token: String,
}

impl std::fmt::Debug for ForgeInvocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ForgeInvocation(***)")
    }
}

#[derive(Debug, Clone)]
struct Grant {
    scope: String,
    redirect_uri: String,
}

/// Tokens the sandbox issued, by value.
#[derive(Debug, Default)]
pub(crate) struct Issued {
    /// System and access tokens, with their expiry.
    bearer: HashMap<String, i64>,
    /// Authorization codes not used yet.
    codes: HashMap<String, Grant>,
    /// The one refresh token of each grant that still works.
    refresh: HashMap<String, Grant>,
}

impl Issued {
    /// True for an unexpired system or access token the sandbox issued.
    pub fn accepts(&self, token: &str, now: i64) -> bool {
        self.bearer.get(token).is_some_and(|exp| *exp > now)
    }

    /// A FIT and a system token for the sandbox installation, whose API
    /// base URL is the sandbox at `base`.
    pub fn invocation(&mut self, base: &str, now: i64) -> ForgeInvocation {
        let system_token = new_token("forge-system");
        self.bearer
            .insert(system_token.clone(), now + SYSTEM_TOKEN_LIFETIME);
        let claims = json!({
            "iss": "forge/invocation-token",
            "aud": SANDBOX_FORGE_APP_ID,
            "iat": now,
            "nbf": now,
            "exp": now + FIT_LIFETIME,
            "jti": new_token("fit"),
            "app": {
                "id": SANDBOX_FORGE_APP_ID,
                "installationId": SANDBOX_INSTALLATION_ID,
                "apiBaseUrl": base,
                "environment": {"type": "DEVELOPMENT", "id": "sandbox"},
                "module": {"type": "devops:securityInfoProvider", "key": "security-info"},
            },
            "context": {"cloudId": SANDBOX_CLOUD_ID, "siteUrl": base, "moduleKey": "security-info"},
        });
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(KID.into());
        let fit = jsonwebtoken::encode(&header, &claims, &EncodingKey::from_rsa_der(SIGNING_KEY))
            .expect("the sandbox key signs");
        ForgeInvocation { fit, system_token }
    }
}

fn new_token(kind: &str) -> String {
    format!("{kind}-{}", uuid::Uuid::new_v4().simple())
}

/// The paths `api.atlassian.com` serves in front of a site: the part after
/// the prefix goes to the site; `None` for other paths.
pub(crate) fn gateway_prefix(path: &str) -> Option<String> {
    let prefix = format!("/ex/jira/{SANDBOX_CLOUD_ID}");
    path.strip_prefix(&prefix)
        .filter(|rest| rest.starts_with('/'))
        .map(|_| prefix)
}

/// Answers the authorization server's and key server's paths.
pub(crate) fn answer(issued: &mut Issued, req: &Req, now: i64) -> Option<Resp> {
    let resp = match (&req.method, req.raw_path.as_str()) {
        (&Method::GET, "/.well-known/jwks.json") => {
            let keys: serde_json::Value = serde_json::from_str(JWKS).expect("the JWKS is JSON");
            json(StatusCode::OK, &keys)
        }
        (&Method::GET, "/authorize") => authorize(issued, req),
        (&Method::POST, "/oauth/token") => token(issued, req, now),
        (&Method::GET, "/oauth/token/accessible-resources") => resources(issued, req, now),
        _ => return None,
    };
    Some(resp)
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Resp {
    json(
        status,
        &json!({"error": error, "error_description": description}),
    )
}

fn authorize(issued: &mut Issued, req: &Req) -> Resp {
    let required = [
        "audience",
        "client_id",
        "scope",
        "redirect_uri",
        "state",
        "response_type",
    ];
    if let Some(missing) = required
        .iter()
        .find(|p| req.param(p).is_none_or(str::is_empty))
    {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            &format!("`{missing}` is required"),
        );
    }
    if req.param("audience") != Some("api.atlassian.com") {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "audience must be api.atlassian.com",
        );
    }
    if req.param("client_id") != Some(SANDBOX_OAUTH_CLIENT_ID) {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            "unknown client_id",
        );
    }
    if req.param("response_type") != Some("code") {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_response_type",
            "response_type must be code",
        );
    }
    // The sandbox's user consents at once.
    let code = new_token("code");
    let redirect_uri = req.param("redirect_uri").unwrap_or_default().to_string();
    issued.codes.insert(
        code.clone(),
        Grant {
            scope: req.param("scope").unwrap_or_default().to_string(),
            redirect_uri: redirect_uri.clone(),
        },
    );
    let mut target = match url::Url::parse(&redirect_uri) {
        Ok(url) => url,
        Err(_) => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "redirect_uri is not a URL",
            );
        }
    };
    target
        .query_pairs_mut()
        .append_pair("code", &code)
        .append_pair("state", req.param("state").unwrap_or_default());
    with_header(empty(StatusCode::FOUND), "location", target.as_str())
}

#[derive(Deserialize)]
struct TokenRequest {
    grant_type: String,
    client_id: String,
    client_secret: String,
    code: Option<String>,
    redirect_uri: Option<String>,
    refresh_token: Option<String>,
}

fn token(issued: &mut Issued, req: &Req, now: i64) -> Resp {
    let Ok(body) = req.json::<TokenRequest>() else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "a JSON body with grant_type, client_id and client_secret is required",
        );
    };
    if body.client_id != SANDBOX_OAUTH_CLIENT_ID
        || body.client_secret != SANDBOX_OAUTH_CLIENT_SECRET
    {
        return oauth_error(StatusCode::UNAUTHORIZED, "access_denied", "Unauthorized");
    }
    let grant = match body.grant_type.as_str() {
        "authorization_code" => {
            let Some(grant) = body.code.and_then(|c| issued.codes.remove(&c)) else {
                return oauth_error(
                    StatusCode::FORBIDDEN,
                    "invalid_grant",
                    "Invalid authorization code",
                );
            };
            if body.redirect_uri.as_deref() != Some(grant.redirect_uri.as_str()) {
                return oauth_error(
                    StatusCode::FORBIDDEN,
                    "invalid_grant",
                    "redirect_uri does not match",
                );
            }
            grant
        }
        // Rotation: the used refresh token stops working.
        "refresh_token" => match body.refresh_token.and_then(|t| issued.refresh.remove(&t)) {
            Some(grant) => grant,
            None => {
                return oauth_error(
                    StatusCode::FORBIDDEN,
                    "invalid_grant",
                    "Unknown or invalid refresh token.",
                );
            }
        },
        _ => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "unsupported grant_type",
            );
        }
    };
    let access = new_token("oauth-access");
    issued
        .bearer
        .insert(access.clone(), now + ACCESS_TOKEN_LIFETIME);
    let mut answer = json!({
        "access_token": access,
        "expires_in": ACCESS_TOKEN_LIFETIME,
        "token_type": "Bearer",
        "scope": grant.scope,
    });
    if grant.scope.split(' ').any(|s| s == "offline_access") {
        let refresh = new_token("oauth-refresh");
        answer["refresh_token"] = json!(refresh);
        issued.refresh.insert(refresh, grant);
    }
    json(StatusCode::OK, &answer)
}

fn resources(issued: &Issued, req: &Req, now: i64) -> Resp {
    let token = req
        .headers
        .get(hyper::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if !token.is_some_and(|t| issued.accepts(t, now)) {
        return json(
            StatusCode::UNAUTHORIZED,
            &json!({"code": 401, "message": "Unauthorized"}),
        );
    }
    json(
        StatusCode::OK,
        &json!([{
            "id": SANDBOX_CLOUD_ID,
            "name": "sandbox",
            "url": req.base,
            "scopes": ["read:jira-work", "write:jira-work", "offline_access"],
            "avatarUrl": format!("{}/avatar.png", req.base),
        }]),
    )
}
