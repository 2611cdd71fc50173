//! Forge Remote: checking that a request really comes from Forge, and calling
//! Jira back with the app tokens it carries.
//!
//! Forge calls a remote backend with `Authorization: Bearer <FIT>`, a Forge
//! Invocation Token: a JWT that Atlassian signs with RS256 and whose public
//! keys it publishes as a JWKS. [`FitVerifier`] checks the token (algorithm,
//! key, issuer, audience, lifetime) and returns its claims typed; the app
//! tokens of the `x-forge-oauth-system` and `x-forge-oauth-user` headers come
//! with them, ready for [`ForgeTokens`] and [`jira_builder`].
//!
//! The API takes a [`HeaderMap`] (the `http` crate's, which every Rust server
//! framework uses), so it works with any of them.
//!
//! ```no_run
//! use appsec_sdk::forge::{FitVerifier, ForgeTokens, HttpJwks, jira_builder};
//! use reqwest::header::HeaderMap;
//!
//! # async fn handle(headers: HeaderMap) -> Result<(), Box<dyn std::error::Error>> {
//! let verifier = FitVerifier::new(
//!     "ari:cloud:ecosystem::app/6c1f7b1e-7d3e-4c4b-9a55-1b2d3e4f5a6b",
//!     HttpJwks::atlassian(),
//! );
//! let tokens = ForgeTokens::new();
//!
//! let invocation = verifier.verify_headers(&headers).await?;
//! tokens.remember(&invocation);
//! let jira = jira_builder(&invocation.claims, &tokens).build()?;
//! # Ok(()) }
//! ```

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use appsec_runtime::{Secret, TokenFuture, TokenProvider};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use reqwest::header::{AUTHORIZATION, HeaderMap};
use serde::Deserialize;

use crate::JiraClient;
use crate::builder::ClientBuilder;

/// The `iss` of every FIT.
pub const ISSUER: &str = "forge/invocation-token";
/// Where Atlassian publishes the keys that sign FITs.
pub const ATLASSIAN_JWKS_URL: &str =
    "https://forge.cdn.prod.atlassian-dev.net/.well-known/jwks.json";
/// Header carrying the app system token.
pub const SYSTEM_TOKEN_HEADER: &str = "x-forge-oauth-system";
/// Header carrying the app user token (only with a user in session).
pub const USER_TOKEN_HEADER: &str = "x-forge-oauth-user";

/// Clock skew tolerated on `exp` and `nbf`. FITs live for about 25 seconds,
/// so this stays small.
const DEFAULT_LEEWAY: Duration = Duration::from_secs(10);
/// Least time between two JWKS downloads for one source, so that tokens with
/// made-up `kid`s cannot turn the verifier into a download loop.
const DEFAULT_MIN_REFRESH: Duration = Duration::from_secs(60);
/// App tokens are treated as expired this long before their `exp`.
const TOKEN_EXPIRY_MARGIN: i64 = 60;

/// Why a FIT was rejected. Each check has its own variant; none of them
/// quotes the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FitError {
    /// No `Authorization` header, or not `Bearer <token>`.
    #[error("the request has no `Authorization: Bearer` Forge Invocation Token")]
    Missing,
    /// Not a JWT: three base64url parts with JSON header and claims.
    #[error("the Forge Invocation Token is malformed: {0}")]
    Malformed(&'static str),
    /// `alg: none`: an unsigned token.
    #[error("the Forge Invocation Token is unsigned (`alg: none`)")]
    Unsigned,
    /// An algorithm other than RS256, such as HS256 keyed with the public key.
    #[error("the Forge Invocation Token uses {0:?}; only RS256 is accepted")]
    AlgorithmNotAllowed(String),
    /// The header names no `kid`.
    #[error("the Forge Invocation Token names no signing key (`kid`)")]
    MissingKeyId,
    /// No key with this `kid` in the JWKS, even after refreshing it.
    #[error("no published key has the Forge Invocation Token's `kid` {0:?}")]
    UnknownKeyId(String),
    /// The signature does not match the key.
    #[error("the Forge Invocation Token's signature does not verify")]
    BadSignature,
    /// `iss` is not `forge/invocation-token`.
    #[error("the Forge Invocation Token's issuer is not {ISSUER:?}")]
    WrongIssuer,
    /// `aud` is not this app's id.
    #[error("the Forge Invocation Token is meant for another app")]
    WrongAudience,
    /// Past `exp` by more than the leeway.
    #[error("the Forge Invocation Token has expired")]
    Expired,
    /// Before `nbf` by more than the leeway.
    #[error("the Forge Invocation Token is not valid yet")]
    NotYetValid,
    /// `icLabel` is not 1 to 50 of `a-z0-9_-`; it is never used to pick keys.
    #[error("the Forge Invocation Token's `icLabel` is not a valid isolated-cloud label")]
    InvalidIcLabel,
    /// The token names an isolated cloud and the key source has no keys for it.
    #[error("no key source is configured for isolated cloud {0:?}")]
    IsolatedCloudNotConfigured(String),
    /// A required claim is missing or mistyped (`app.id`, `app.apiBaseUrl`, ...).
    #[error("the Forge Invocation Token's claims are incomplete: {0}")]
    Claims(String),
    /// The keys could not be fetched.
    #[error("cannot fetch the Forge signing keys: {0}")]
    KeySource(String),
}

/// Where [`FitVerifier`] gets its keys; tests and the sandbox plug in
/// local keys.
pub trait JwksSource: fmt::Debug + Send + Sync {
    /// The key set for `ic_label` (`None`: the public cloud). The label has
    /// been validated before this is called.
    fn fetch<'a>(&'a self, ic_label: Option<&'a str>) -> JwksFuture<'a>;
}

/// The future a [`JwksSource`] returns.
pub type JwksFuture<'a> = Pin<Box<dyn Future<Output = Result<JwkSet, FitError>> + Send + 'a>>;

/// Keys fixed in memory.
#[derive(Debug, Clone)]
pub struct StaticJwks(pub JwkSet);

impl JwksSource for StaticJwks {
    fn fetch<'a>(&'a self, ic_label: Option<&'a str>) -> JwksFuture<'a> {
        let keys = match ic_label {
            None => Ok(self.0.clone()),
            Some(label) => Err(FitError::IsolatedCloudNotConfigured(label.to_string())),
        };
        Box::pin(async move { keys })
    }
}

/// Keys downloaded over HTTPS.
#[derive(Debug, Clone)]
pub struct HttpJwks {
    http: reqwest::Client,
    url: String,
    isolated_cloud_url: Option<String>,
}

impl HttpJwks {
    /// Keys from `url`.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            http: {
                appsec_runtime::tls::install_crypto_provider();
                reqwest::Client::new()
            },
            url: url.into(),
            isolated_cloud_url: None,
        }
    }

    /// Atlassian's published FIT keys.
    pub fn atlassian() -> Self {
        Self::new(ATLASSIAN_JWKS_URL)
    }

    /// The JWKS URL for isolated clouds, with `{icLabel}` where the label
    /// goes. Without one, tokens that carry an `icLabel` are refused.
    pub fn with_isolated_cloud_url(mut self, template: impl Into<String>) -> Self {
        self.isolated_cloud_url = Some(template.into());
        self
    }

    /// Uses your own `reqwest::Client`.
    pub fn with_http_client(mut self, http: reqwest::Client) -> Self {
        self.http = http;
        self
    }
}

impl JwksSource for HttpJwks {
    fn fetch<'a>(&'a self, ic_label: Option<&'a str>) -> JwksFuture<'a> {
        Box::pin(async move {
            let url = match ic_label {
                None => self.url.clone(),
                Some(label) => self
                    .isolated_cloud_url
                    .as_ref()
                    .ok_or_else(|| FitError::IsolatedCloudNotConfigured(label.to_string()))?
                    .replace("{icLabel}", label),
            };
            let fail = |e: reqwest::Error| FitError::KeySource(e.without_url().to_string());
            let response = self.http.get(&url).send().await.map_err(fail)?;
            let response = response.error_for_status().map_err(fail)?;
            response.json::<JwkSet>().await.map_err(fail)
        })
    }
}

/// The `app` claim: which app and installation was invoked, and where to
/// call Atlassian's APIs back.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct FitApp {
    /// The app id, `ari:cloud:ecosystem::app/<uuid>`.
    pub id: String,
    /// The installation the call belongs to.
    pub installation_id: String,
    /// Base URL for calls with the app tokens.
    pub api_base_url: String,
    /// The environment (id, type) the app runs in.
    #[serde(default)]
    pub environment: Option<serde_json::Value>,
    /// The module that was invoked.
    #[serde(default)]
    pub module: Option<serde_json::Value>,
    /// Licence details, for paid apps.
    #[serde(default)]
    pub license: Option<serde_json::Value>,
    /// Fields this SDK does not model yet.
    #[serde(flatten)]
    pub other: serde_json::Map<String, serde_json::Value>,
}

/// The `context` claim: the site and module of the invocation.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct FitContext {
    /// The site's cloud id.
    #[serde(default)]
    pub cloud_id: Option<String>,
    /// The site's URL.
    #[serde(default)]
    pub site_url: Option<String>,
    /// The key of the invoked module.
    #[serde(default)]
    pub module_key: Option<String>,
    /// Fields this SDK does not model yet.
    #[serde(flatten)]
    pub other: serde_json::Map<String, serde_json::Value>,
}

/// The verified claims of a FIT.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct FitClaims {
    /// Always [`ISSUER`].
    pub iss: String,
    /// The invoked app and installation.
    pub app: FitApp,
    /// The site and module.
    #[serde(default)]
    pub context: FitContext,
    /// The account in session, when there is one.
    #[serde(default)]
    pub principal: Option<String>,
    /// The isolated cloud, when the site lives in one.
    #[serde(default)]
    pub ic_label: Option<String>,
    /// Issued at, seconds since the Unix epoch.
    #[serde(default)]
    pub iat: Option<i64>,
    /// Not before, seconds since the Unix epoch.
    #[serde(default)]
    pub nbf: Option<i64>,
    /// Expiry, seconds since the Unix epoch.
    pub exp: i64,
}

/// An app token Forge handed over with an invocation.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct AppToken {
    /// The token; formatting never shows it.
    pub token: Secret,
    /// Its `exp`, when the token is a JWT that states one.
    pub expires_at: Option<i64>,
}

impl AppToken {
    fn from_header(headers: &HeaderMap, name: &str) -> Option<Self> {
        let value = headers.get(name)?.to_str().ok()?.trim();
        if value.is_empty() {
            return None;
        }
        Some(Self {
            expires_at: unverified_exp(value),
            token: Secret::new(value),
        })
    }

    fn is_fresh(&self, now: i64) -> bool {
        self.expires_at
            .is_none_or(|exp| exp.saturating_sub(TOKEN_EXPIRY_MARGIN) > now)
    }
}

/// A verified invocation: the FIT's claims and the app tokens that came with
/// it (`requestRemote` calls carry none).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Invocation {
    /// The verified claims.
    pub claims: FitClaims,
    /// From `x-forge-oauth-system`: acts as the app.
    pub system_token: Option<AppToken>,
    /// From `x-forge-oauth-user`: acts as the user in session.
    pub user_token: Option<AppToken>,
}

/// Verifies Forge Invocation Tokens for one app.
#[derive(Debug)]
pub struct FitVerifier {
    app_id: String,
    source: Box<dyn JwksSource>,
    leeway: Duration,
    min_refresh: Duration,
    cache: Mutex<HashMap<Option<String>, Cached>>,
}

#[derive(Debug)]
struct Cached {
    keys: Arc<JwkSet>,
    fetched: Instant,
}

impl FitVerifier {
    /// A verifier for the app `app_id` (`ari:cloud:ecosystem::app/<uuid>`).
    pub fn new(app_id: impl Into<String>, source: impl JwksSource + 'static) -> Self {
        Self {
            app_id: app_id.into(),
            source: Box::new(source),
            leeway: DEFAULT_LEEWAY,
            min_refresh: DEFAULT_MIN_REFRESH,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// Clock skew tolerated on `exp` and `nbf` (default 10 s).
    pub fn with_leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// Least time between two downloads of one key set (default 60 s).
    pub fn with_min_refresh_interval(mut self, interval: Duration) -> Self {
        self.min_refresh = interval;
        self
    }

    /// Verifies the FIT in `headers` and collects the app tokens.
    pub async fn verify_headers(&self, headers: &HeaderMap) -> Result<Invocation, FitError> {
        let token = headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                let (scheme, token) = v.split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
            })
            .filter(|t| !t.is_empty())
            .ok_or(FitError::Missing)?;
        Ok(Invocation {
            claims: self.verify(token).await?,
            system_token: AppToken::from_header(headers, SYSTEM_TOKEN_HEADER),
            user_token: AppToken::from_header(headers, USER_TOKEN_HEADER),
        })
    }

    /// Verifies one FIT.
    pub async fn verify(&self, token: &str) -> Result<FitClaims, FitError> {
        let mut parts = token.split('.');
        let (Some(header), Some(claims), Some(_), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(FitError::Malformed("expected three dot-separated parts"));
        };
        let header: UnverifiedHeader = decode_json(header)?;
        match header.alg.as_deref() {
            Some("RS256") => {}
            Some(alg) if alg.eq_ignore_ascii_case("none") => return Err(FitError::Unsigned),
            Some(alg) => return Err(FitError::AlgorithmNotAllowed(alg.to_string())),
            None => return Err(FitError::Malformed("the header has no `alg`")),
        }
        let kid = header.kid.ok_or(FitError::MissingKeyId)?;
        // The label chooses where keys come from, so it is checked before
        // the signature can be.
        let unverified: UnverifiedClaims = decode_json(claims)?;
        let ic_label = unverified.ic_label;
        if let Some(label) = &ic_label
            && !is_valid_ic_label(label)
        {
            return Err(FitError::InvalidIcLabel);
        }
        let key = self.key(ic_label.as_deref(), &kid).await?;

        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[&self.app_id]);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        validation.leeway = self.leeway.as_secs();
        validation.validate_nbf = true;
        let data = jsonwebtoken::decode::<FitClaims>(token, &key, &validation).map_err(classify)?;
        Ok(data.claims)
    }

    /// The key `kid` for `ic_label`, downloading the set when it is not
    /// cached or lacks the key, at most once per refresh interval.
    async fn key(&self, ic_label: Option<&str>, kid: &str) -> Result<DecodingKey, FitError> {
        let cache_key = ic_label.map(str::to_string);
        let cached = self.cached(&cache_key);
        if let Some((keys, _)) = &cached
            && let Some(jwk) = keys.find(kid)
        {
            return DecodingKey::from_jwk(jwk).map_err(|_| FitError::UnknownKeyId(kid.to_string()));
        }
        let may_fetch = cached
            .as_ref()
            .is_none_or(|(_, fetched)| fetched.elapsed() >= self.min_refresh);
        if !may_fetch {
            return Err(FitError::UnknownKeyId(kid.to_string()));
        }
        // Recorded before the download, so a failing source is rate-bound too.
        let previous =
            cached.map_or_else(|| Arc::new(JwkSet { keys: Vec::new() }), |(keys, _)| keys);
        self.store(&cache_key, previous);
        let keys = Arc::new(self.source.fetch(ic_label).await?);
        self.store(&cache_key, keys.clone());
        let jwk = keys
            .find(kid)
            .ok_or_else(|| FitError::UnknownKeyId(kid.to_string()))?;
        DecodingKey::from_jwk(jwk).map_err(|_| FitError::UnknownKeyId(kid.to_string()))
    }

    fn cached(&self, key: &Option<String>) -> Option<(Arc<JwkSet>, Instant)> {
        let cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        cache.get(key).map(|c| (c.keys.clone(), c.fetched))
    }

    fn store(&self, key: &Option<String>, keys: Arc<JwkSet>) {
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        cache.insert(
            key.clone(),
            Cached {
                keys,
                fetched: Instant::now(),
            },
        );
    }
}

#[derive(Deserialize)]
struct UnverifiedHeader {
    alg: Option<String>,
    kid: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UnverifiedClaims {
    #[serde(default)]
    ic_label: Option<String>,
}

fn decode_json<T: serde::de::DeserializeOwned>(part: &str) -> Result<T, FitError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| FitError::Malformed("a part is not unpadded base64url"))?;
    serde_json::from_slice(&bytes)
        .map_err(|_| FitError::Malformed("a part is not the expected JSON"))
}

/// `^[a-z0-9_-]{1,50}$`.
fn is_valid_ic_label(label: &str) -> bool {
    (1..=50).contains(&label.len())
        && label
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

fn classify(e: jsonwebtoken::errors::Error) -> FitError {
    use jsonwebtoken::errors::ErrorKind as K;
    match e.kind() {
        K::InvalidSignature => FitError::BadSignature,
        K::ExpiredSignature => FitError::Expired,
        K::ImmatureSignature => FitError::NotYetValid,
        K::InvalidIssuer => FitError::WrongIssuer,
        K::InvalidAudience => FitError::WrongAudience,
        K::InvalidAlgorithm => FitError::AlgorithmNotAllowed("a non-RS256 algorithm".into()),
        K::MissingRequiredClaim(claim) => FitError::Claims(format!("no `{claim}`")),
        K::Json(_) => FitError::Claims(
            "missing or mistyped fields (app.id, app.installationId, app.apiBaseUrl, exp)".into(),
        ),
        _ => FitError::Malformed("the token could not be decoded"),
    }
}

/// The `exp` of a JWT, read without verifying it: app tokens are for
/// Atlassian to check; the SDK only needs to know when to stop using them.
fn unverified_exp(token: &str) -> Option<i64> {
    #[derive(Deserialize)]
    struct Exp {
        exp: i64,
    }
    let claims = token.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(claims).ok()?;
    serde_json::from_slice::<Exp>(&bytes).ok().map(|e| e.exp)
}

/// The newest app system token of each installation, kept until its `exp`.
///
/// System tokens arrive with invocations and outlive them, so a backend can
/// keep calling Jira between invocations.
#[derive(Debug, Clone, Default)]
pub struct ForgeTokens {
    by_installation: Arc<Mutex<HashMap<String, AppToken>>>,
}

impl ForgeTokens {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Keeps the invocation's system token when it outlives the stored one.
    pub fn remember(&self, invocation: &Invocation) {
        let Some(token) = &invocation.system_token else {
            return;
        };
        let mut map = self
            .by_installation
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let id = &invocation.claims.app.installation_id;
        let expiry = |t: &AppToken| t.expires_at.unwrap_or(i64::MAX);
        let newer = map
            .get(id)
            .is_none_or(|old| !old.is_fresh(now_unix()) || expiry(token) >= expiry(old));
        if newer {
            map.insert(id.clone(), token.clone());
        }
    }

    /// The installation's system token, unless it has expired.
    pub fn system_token(&self, installation_id: &str) -> Option<Secret> {
        let mut map = self
            .by_installation
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        match map.get(installation_id) {
            Some(token) if token.is_fresh(now_unix()) => Some(token.token.clone()),
            Some(_) => {
                map.remove(installation_id);
                None
            }
            None => None,
        }
    }

    /// A token provider for the installation's system token, for
    /// [`ClientBuilder::token_provider`].
    pub fn provider(&self, installation_id: impl Into<String>) -> SystemTokenProvider {
        SystemTokenProvider {
            tokens: self.clone(),
            installation_id: installation_id.into(),
        }
    }
}

/// Supplies the newest unexpired system token of one installation.
#[derive(Debug, Clone)]
pub struct SystemTokenProvider {
    tokens: ForgeTokens,
    installation_id: String,
}

impl TokenProvider for SystemTokenProvider {
    fn token(&self) -> TokenFuture<'_> {
        let token = self.tokens.system_token(&self.installation_id);
        let id = self.installation_id.clone();
        Box::pin(async move {
            token.ok_or_else(|| {
                format!(
                    "no unexpired Forge system token for installation {id}; \
                     it arrives with the next invocation"
                )
                .into()
            })
        })
    }
}

/// A Jira client builder for an installation: `app.apiBaseUrl` as base URL
/// and its system token as credentials. Works for Security Information.
pub fn jira_builder(claims: &FitClaims, tokens: &ForgeTokens) -> ClientBuilder<JiraClient> {
    JiraClient::builder(claims.app.api_base_url.clone())
        .token_provider(tokens.provider(claims.app.installation_id.clone()))
}

fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}
