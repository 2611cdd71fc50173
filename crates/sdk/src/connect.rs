//! Atlassian Connect, until its end of support on 31 January 2027: checking
//! the requests Jira sends to a Connect app.
//!
//! - [`unverified_issuer`] reads a token's `iss` (the tenant's client key)
//!   before anything is verified, so the app can look up that tenant's
//!   shared secret.
//! - [`ConnectVerifier`] verifies an HS256 token with that secret and binds
//!   it to the request through the `qsh` claim; the fixed `context-qsh`
//!   value of context tokens is accepted only when asked for.
//! - [`InstallVerifier`] verifies the signed `installed`/`uninstalled`
//!   callbacks: RS256, key chosen by `kid` from a pluggable source.
//!
//! Signing the app's own requests to Jira stays in
//! [`connect_jwt::Signer`](crate::connect_jwt::Signer).
//!
//! ```
//! use appsec_sdk::Secret;
//! use appsec_sdk::connect::{ConnectVerifier, unverified_issuer};
//! use appsec_sdk::connect_jwt::Signer;
//! use reqwest::Url;
//!
//! let base = Url::parse("https://app.example.com")?;
//! let url = Url::parse("https://app.example.com/panel?project=APP")?;
//! // What Jira would send, signed with the tenant's shared secret.
//! let token = Signer::new("tenant-client-key", Secret::new("tenant-secret")).sign("GET", &url, &base);
//!
//! let client_key = unverified_issuer(token.expose())?;
//! assert_eq!(client_key, "tenant-client-key");
//! let secret = "tenant-secret"; // looked up by client key
//! let claims = ConnectVerifier::new(secret)?
//!     .with_issuer(client_key)
//!     .verify(token.expose(), "GET", &url, &base)?;
//! assert_eq!(claims.iss, "tenant-client-key");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use appsec_runtime::Secret;
use appsec_runtime::connect_jwt::query_string_hash;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use reqwest::Url;
use serde::Deserialize;

pub use appsec_runtime::connect_jwt::Claims;

/// The fixed `qsh` of context tokens (iframe and context JWTs), which are
/// not bound to one request.
pub const CONTEXT_QSH: &str = "context-qsh";

/// Clock skew tolerated between Jira and the app.
const DEFAULT_LEEWAY: Duration = Duration::from_secs(30);

/// Why a Connect token was rejected. Never quotes the token or the secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectError {
    /// An empty shared secret would accept tokens anyone can make.
    #[error("the Connect shared secret is empty; refusing to verify with it")]
    EmptySharedSecret,
    /// Not a JWT with JSON header and claims.
    #[error("malformed Connect JWT: {0}")]
    Malformed(&'static str),
    /// The header's algorithm is not the one this check accepts.
    #[error("Connect JWT algorithm {found:?} is not accepted; only {expected} is")]
    AlgorithmNotAllowed {
        /// The accepted algorithm.
        expected: &'static str,
        /// The header's.
        found: String,
    },
    /// The signature does not match the secret or key.
    #[error("the Connect JWT's signature does not verify")]
    BadSignature,
    /// Past `exp` by more than the leeway.
    #[error("the Connect JWT has expired")]
    Expired,
    /// `iss` is not the expected client key.
    #[error("the Connect JWT was issued by someone else")]
    WrongIssuer,
    /// `aud` is not the app's base URL (install callbacks).
    #[error("the Connect JWT is meant for another app")]
    WrongAudience,
    /// `qsh` does not match this request.
    #[error("the Connect JWT's qsh does not match this request")]
    QshMismatch,
    /// A context token (`qsh: context-qsh`) where a request-bound one is needed.
    #[error("a context JWT (qsh `context-qsh`) is not accepted here")]
    ContextQshNotAccepted,
    /// An install callback whose header names no `kid`.
    #[error("the install callback's JWT names no key (`kid`)")]
    MissingKeyId,
    /// The key source has no key with this `kid`.
    #[error("no install key has the `kid` {0:?}")]
    UnknownKeyId(String),
    /// Required claims are missing or mistyped.
    #[error("the Connect JWT's claims are incomplete: {0}")]
    Claims(String),
}

#[derive(Deserialize)]
struct Header {
    alg: Option<String>,
    kid: Option<String>,
}

#[derive(Deserialize)]
struct Issuer {
    iss: Option<String>,
}

fn part<T: serde::de::DeserializeOwned>(token: &str, index: usize) -> Result<T, ConnectError> {
    let mut parts = token.split('.');
    let (Some(_), Some(_), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(ConnectError::Malformed(
            "expected three dot-separated parts",
        ));
    };
    let raw = token.split('.').nth(index).unwrap_or_default();
    let bytes = URL_SAFE_NO_PAD
        .decode(raw)
        .map_err(|_| ConnectError::Malformed("a part is not unpadded base64url"))?;
    serde_json::from_slice(&bytes).map_err(|_| ConnectError::Malformed("a part is not JSON"))
}

/// The token's `iss`, read without verifying anything: for Jira's requests
/// it is the tenant's client key, which selects the shared secret to verify
/// with. Trust nothing else in the token until it is verified.
pub fn unverified_issuer(token: &str) -> Result<String, ConnectError> {
    part::<Issuer>(token, 1)?
        .iss
        .filter(|iss| !iss.is_empty())
        .ok_or(ConnectError::Claims("no `iss`".into()))
}

/// Refuses any algorithm but `name` before a key is touched.
fn check_algorithm(token: &str, name: &'static str) -> Result<Header, ConnectError> {
    let header: Header = part(token, 0)?;
    match header.alg.as_deref() {
        Some(alg) if alg == name => Ok(header),
        Some(alg) => Err(ConnectError::AlgorithmNotAllowed {
            expected: name,
            found: alg.to_string(),
        }),
        None => Err(ConnectError::Malformed("the header has no `alg`")),
    }
}

fn classify(e: jsonwebtoken::errors::Error) -> ConnectError {
    use jsonwebtoken::errors::ErrorKind as K;
    match e.kind() {
        K::InvalidSignature => ConnectError::BadSignature,
        K::ExpiredSignature => ConnectError::Expired,
        K::InvalidIssuer => ConnectError::WrongIssuer,
        K::InvalidAudience => ConnectError::WrongAudience,
        K::MissingRequiredClaim(claim) => ConnectError::Claims(format!("no `{claim}`")),
        K::Json(_) => ConnectError::Claims("iss, iat, exp and qsh are required".into()),
        _ => ConnectError::Malformed("the token could not be decoded"),
    }
}

fn check_qsh(
    claims: &Claims,
    accept_context: bool,
    method: &str,
    url: &Url,
    base_url: &Url,
) -> Result<(), ConnectError> {
    if claims.qsh == CONTEXT_QSH {
        return if accept_context {
            Ok(())
        } else {
            Err(ConnectError::ContextQshNotAccepted)
        };
    }
    if claims.qsh == query_string_hash(method, url, base_url) {
        Ok(())
    } else {
        Err(ConnectError::QshMismatch)
    }
}

/// Verifies HS256 tokens Jira signs with a tenant's shared secret.
#[derive(Clone)]
pub struct ConnectVerifier {
    key: DecodingKey,
    issuer: Option<String>,
    accept_context_qsh: bool,
    leeway: Duration,
}

impl fmt::Debug for ConnectVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectVerifier")
            .field("key", &"***")
            .field("issuer", &self.issuer)
            .field("accept_context_qsh", &self.accept_context_qsh)
            .field("leeway", &self.leeway)
            .finish()
    }
}

impl ConnectVerifier {
    /// A verifier for one tenant's shared secret; an empty one is refused.
    pub fn new(shared_secret: impl Into<Secret>) -> Result<Self, ConnectError> {
        let secret = shared_secret.into();
        if secret.is_empty() {
            return Err(ConnectError::EmptySharedSecret);
        }
        Ok(Self {
            key: DecodingKey::from_secret(secret.expose().as_bytes()),
            issuer: None,
            accept_context_qsh: false,
            leeway: DEFAULT_LEEWAY,
        })
    }

    /// Requires `iss` to be this client key.
    pub fn with_issuer(mut self, client_key: impl Into<String>) -> Self {
        self.issuer = Some(client_key.into());
        self
    }

    /// Also accepts context tokens, whose `qsh` is the fixed `context-qsh`
    /// (for endpoints called from the app's own iframe).
    pub fn accept_context_qsh(mut self) -> Self {
        self.accept_context_qsh = true;
        self
    }

    /// Clock skew tolerated on `exp` (default 30 s).
    pub fn with_leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// Verifies `token` for the request `method url`; `base_url` is the
    /// app's base URL, whose path is not part of the `qsh`.
    pub fn verify(
        &self,
        token: &str,
        method: &str,
        url: &Url,
        base_url: &Url,
    ) -> Result<Claims, ConnectError> {
        self.verify_at(
            token,
            method,
            url,
            base_url,
            jsonwebtoken::get_current_timestamp(),
        )
    }

    /// [`verify`](Self::verify) as of `now_unix` (seconds since the epoch).
    pub fn verify_at(
        &self,
        token: &str,
        method: &str,
        url: &Url,
        base_url: &Url,
        now_unix: u64,
    ) -> Result<Claims, ConnectError> {
        check_algorithm(token, "HS256")?;
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_required_spec_claims(&["exp", "iss"]);
        validation.validate_aud = false;
        // Checked below against `now_unix`, so that tests can pin the clock.
        validation.validate_exp = false;
        if let Some(issuer) = &self.issuer {
            validation.set_issuer(&[issuer]);
        }
        let claims = jsonwebtoken::decode::<Claims>(token, &self.key, &validation)
            .map_err(classify)?
            .claims;
        let now = i64::try_from(now_unix).unwrap_or(i64::MAX);
        let leeway = i64::try_from(self.leeway.as_secs()).unwrap_or(i64::MAX);
        if claims.exp.saturating_add(leeway) < now {
            return Err(ConnectError::Expired);
        }
        check_qsh(&claims, self.accept_context_qsh, method, url, base_url)?;
        Ok(claims)
    }
}

/// The future an [`InstallKeySource`] returns.
pub type InstallKeyFuture<'a> =
    Pin<Box<dyn Future<Output = Result<DecodingKey, ConnectError>> + Send + 'a>>;

/// Where [`InstallVerifier`] finds the public key for a `kid`. Atlassian
/// publishes them as PEM at `https://connect-install-keys.atlassian.com/{kid}`;
/// tests and the sandbox use local keys.
pub trait InstallKeySource: fmt::Debug + Send + Sync {
    /// The RSA public key `kid`, or [`ConnectError::UnknownKeyId`].
    fn key<'a>(&'a self, kid: &'a str) -> InstallKeyFuture<'a>;
}

/// RSA public keys held in memory, by `kid`.
#[derive(Clone, Default)]
pub struct StaticInstallKeys(std::collections::HashMap<String, DecodingKey>);

impl fmt::Debug for StaticInstallKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}

impl StaticInstallKeys {
    /// No keys.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds the key `kid` from its base64url modulus and exponent (JWK `n`, `e`).
    pub fn with_rsa_components(
        mut self,
        kid: impl Into<String>,
        n: &str,
        e: &str,
    ) -> Result<Self, ConnectError> {
        let key = DecodingKey::from_rsa_components(n, e)
            .map_err(|_| ConnectError::Malformed("not an RSA public key"))?;
        self.0.insert(kid.into(), key);
        Ok(self)
    }
}

impl InstallKeySource for StaticInstallKeys {
    fn key<'a>(&'a self, kid: &'a str) -> InstallKeyFuture<'a> {
        let key = self
            .0
            .get(kid)
            .cloned()
            .ok_or_else(|| ConnectError::UnknownKeyId(kid.to_string()));
        Box::pin(async move { key })
    }
}

/// Verifies the signed `installed` and `uninstalled` lifecycle callbacks.
#[derive(Debug)]
pub struct InstallVerifier {
    keys: Box<dyn InstallKeySource>,
    base_url: Url,
    leeway: Duration,
}

impl InstallVerifier {
    /// A verifier for the app whose descriptor has `baseUrl` `base_url`.
    pub fn new(base_url: Url, keys: impl InstallKeySource + 'static) -> Self {
        Self {
            keys: Box::new(keys),
            base_url,
            leeway: DEFAULT_LEEWAY,
        }
    }

    /// Verifies the callback's token for the request `method url`, whose
    /// body names `client_key`: RS256 with the key `kid`, `aud` the app's
    /// base URL, `iss` the body's client key, `exp`, and `qsh`.
    pub async fn verify(
        &self,
        token: &str,
        method: &str,
        url: &Url,
        client_key: &str,
    ) -> Result<Claims, ConnectError> {
        let header = check_algorithm(token, "RS256")?;
        let kid = header.kid.ok_or(ConnectError::MissingKeyId)?;
        let key = self.keys.key(&kid).await?;
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        validation.set_issuer(&[client_key]);
        let base = self.base_url.as_str();
        validation.set_audience(&[base, base.trim_end_matches('/')]);
        validation.leeway = self.leeway.as_secs();
        let claims = jsonwebtoken::decode::<Claims>(token, &key, &validation)
            .map_err(classify)?
            .claims;
        check_qsh(&claims, false, method, url, &self.base_url)?;
        Ok(claims)
    }
}
