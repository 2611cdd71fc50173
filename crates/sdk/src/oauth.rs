//! OAuth 2.0 (3LO): a user lets the app act for them on their Jira sites.
//!
//! The flow: send the user to [`OAuthApp::authorize_url`], check the `state`
//! that comes back, swap the `code` for tokens with
//! [`OAuthApp::exchange_code`], find the site with
//! [`OAuthApp::accessible_resources`], then call Jira through
//! `https://api.atlassian.com/ex/jira/{cloudId}` with a [`RefreshingToken`].
//!
//! Atlassian rotates refresh tokens: every refresh returns a new one and
//! disables the one that was used. [`RefreshingToken`] hands each new one to
//! a callback you supply, so that you can persist it; losing it means the
//! user has to consent again.
//!
//! ```no_run
//! use appsec_sdk::JiraClient;
//! use appsec_sdk::oauth::{OAuthApp, RefreshingToken};
//!
//! # async fn run(code: String, returned_state: String) -> Result<(), Box<dyn std::error::Error>> {
//! let app = OAuthApp::new("client-id", "client-secret", "https://app.example.com/callback");
//! let (url, state) = app.authorize_url(&["read:jira-work", "offline_access"]);
//! // ... redirect the user to `url`; Atlassian calls back with `code` and `state` ...
//! state.check(&returned_state)?;
//! let tokens = app.exchange_code(&code).await?;
//! let site = app.accessible_resources(&tokens.access_token).await?.remove(0);
//! let provider = RefreshingToken::new(app.clone(), tokens)?
//!     .on_rotate(|new_refresh_token| { /* store it */ let _ = new_refresh_token; });
//! let jira = JiraClient::builder(app.jira_base_url(&site.id))
//!     .token_provider(provider)
//!     .build()?;
//! # Ok(()) }
//! ```

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use appsec_runtime::{Secret, TokenFuture, TokenProvider};
use serde::Deserialize;

/// Atlassian's authorization server.
pub const AUTH_BASE_URL: &str = "https://auth.atlassian.com";
/// Atlassian's API gateway, where 3LO tokens are accepted.
pub const API_BASE_URL: &str = "https://api.atlassian.com";

/// Access tokens are refreshed this long before they expire.
const EXPIRY_MARGIN: Duration = Duration::from_secs(60);

/// What can go wrong in the OAuth flow. Never quotes a token or secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OAuthError {
    /// The `state` that came back is not the one sent: possibly a forged callback.
    #[error("the OAuth callback's state does not match the one sent")]
    StateMismatch,
    /// The token endpoint refused (for example `invalid_grant` for a used
    /// or expired refresh token).
    #[error("the token endpoint answered {status}: {error}")]
    Refused {
        /// HTTP status.
        status: reqwest::StatusCode,
        /// The `error` code of the answer, or its start.
        error: String,
    },
    /// A token response without an access token, or an unreadable answer.
    #[error("unexpected answer from {0}")]
    BadResponse(&'static str),
    /// A refreshing provider needs a refresh token (`offline_access` scope).
    #[error("no refresh token: request the offline_access scope")]
    NoRefreshToken,
    /// The request did not get an answer.
    #[error("transport error: {0}")]
    Transport(#[source] reqwest::Error),
}

/// An OAuth 2.0 (3LO) app registered in Atlassian's developer console.
#[derive(Clone)]
pub struct OAuthApp {
    client_id: String,
    client_secret: Secret,
    redirect_uri: String,
    auth_base: String,
    api_base: String,
    http: reqwest::Client,
}

impl fmt::Debug for OAuthApp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthApp")
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret)
            .field("redirect_uri", &self.redirect_uri)
            .field("auth_base", &self.auth_base)
            .field("api_base", &self.api_base)
            .finish()
    }
}

/// The `state` sent with an authorization request; compare the callback's
/// with [`State::check`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct State(String);

impl State {
    /// The value sent.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Ok when `returned` is the value sent.
    pub fn check(&self, returned: &str) -> Result<(), OAuthError> {
        let same = self.0.len() == returned.len()
            && self
                .0
                .bytes()
                .zip(returned.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0;
        if same {
            Ok(())
        } else {
            Err(OAuthError::StateMismatch)
        }
    }
}

/// Tokens from the token endpoint.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct TokenSet {
    /// The bearer token for API calls.
    pub access_token: Secret,
    /// Present with the `offline_access` scope; replaced on every refresh.
    pub refresh_token: Option<Secret>,
    /// Seconds the access token lives.
    pub expires_in: u64,
    /// The granted scopes, space-separated.
    pub scope: Option<String>,
}

impl TokenSet {
    /// Tokens kept from an earlier exchange: an access token that lives
    /// `expires_in` more seconds, and the refresh token that came with it.
    pub fn new(
        access_token: impl Into<Secret>,
        refresh_token: Option<Secret>,
        expires_in: u64,
    ) -> Self {
        Self {
            access_token: access_token.into(),
            refresh_token,
            expires_in,
            scope: None,
        }
    }
}

/// A site the user granted the app access to.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Resource {
    /// The cloud id, used in `https://api.atlassian.com/ex/jira/{cloudId}`.
    pub id: String,
    /// The site's name.
    #[serde(default)]
    pub name: String,
    /// The site's own URL (3LO tokens are not accepted there).
    #[serde(default)]
    pub url: String,
    /// Scopes granted on this site.
    #[serde(default)]
    pub scopes: Vec<String>,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: Option<String>,
    refresh_token: Option<String>,
    #[serde(default)]
    expires_in: u64,
    scope: Option<String>,
}

impl OAuthApp {
    /// An app with its client id and secret and the callback URL registered
    /// for it.
    pub fn new(
        client_id: impl Into<String>,
        client_secret: impl Into<Secret>,
        redirect_uri: impl Into<String>,
    ) -> Self {
        Self {
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            redirect_uri: redirect_uri.into(),
            auth_base: AUTH_BASE_URL.into(),
            api_base: API_BASE_URL.into(),
            http: {
                appsec_runtime::tls::install_crypto_provider();
                reqwest::Client::new()
            },
        }
    }

    /// Other servers in place of `auth.atlassian.com` and
    /// `api.atlassian.com` (the sandbox, tests).
    pub fn with_servers(
        mut self,
        auth_base: impl Into<String>,
        api_base: impl Into<String>,
    ) -> Self {
        self.auth_base = auth_base.into().trim_end_matches('/').to_string();
        self.api_base = api_base.into().trim_end_matches('/').to_string();
        self
    }

    /// Uses your own `reqwest::Client`.
    pub fn with_http_client(mut self, http: reqwest::Client) -> Self {
        self.http = http;
        self
    }

    /// The consent page URL for `scopes`, and the fresh random `state` it
    /// carries.
    pub fn authorize_url(&self, scopes: &[&str]) -> (reqwest::Url, State) {
        let state = State(uuid::Uuid::new_v4().simple().to_string());
        let mut url = reqwest::Url::parse(&format!("{}/authorize", self.auth_base))
            .expect("the authorization server is a valid URL");
        url.query_pairs_mut()
            .append_pair("audience", "api.atlassian.com")
            .append_pair("client_id", &self.client_id)
            .append_pair("scope", &scopes.join(" "))
            .append_pair("redirect_uri", &self.redirect_uri)
            .append_pair("state", state.as_str())
            .append_pair("response_type", "code")
            .append_pair("prompt", "consent");
        (url, state)
    }

    /// Swaps the callback's `code` for tokens.
    pub async fn exchange_code(&self, code: &str) -> Result<TokenSet, OAuthError> {
        self.token_request(serde_json::json!({
            "grant_type": "authorization_code",
            "client_id": self.client_id,
            "client_secret": self.client_secret.expose(),
            "code": code,
            "redirect_uri": self.redirect_uri,
        }))
        .await
    }

    /// Uses `refresh_token` once; the answer carries its replacement.
    pub async fn refresh(&self, refresh_token: &Secret) -> Result<TokenSet, OAuthError> {
        self.token_request(serde_json::json!({
            "grant_type": "refresh_token",
            "client_id": self.client_id,
            "client_secret": self.client_secret.expose(),
            "refresh_token": refresh_token.expose(),
        }))
        .await
    }

    async fn token_request(&self, body: serde_json::Value) -> Result<TokenSet, OAuthError> {
        let response = self
            .http
            .post(format!("{}/oauth/token", self.auth_base))
            .json(&body)
            .send()
            .await
            .map_err(|e| OAuthError::Transport(e.without_url()))?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| OAuthError::Transport(e.without_url()))?;
        if !status.is_success() {
            #[derive(Deserialize)]
            struct Refusal {
                error: String,
            }
            let error = serde_json::from_slice::<Refusal>(&bytes)
                .map(|r| r.error)
                .unwrap_or_else(|_| "(no error code)".into());
            return Err(OAuthError::Refused { status, error });
        }
        let parsed: TokenResponse = serde_json::from_slice(&bytes)
            .map_err(|_| OAuthError::BadResponse("the token endpoint"))?;
        let access_token = parsed
            .access_token
            .filter(|t| !t.is_empty())
            .ok_or(OAuthError::BadResponse("the token endpoint"))?;
        Ok(TokenSet {
            access_token: Secret::new(access_token),
            refresh_token: parsed
                .refresh_token
                .filter(|t| !t.is_empty())
                .map(Secret::new),
            expires_in: parsed.expires_in,
            scope: parsed.scope,
        })
    }

    /// The sites the token's user granted access to.
    pub async fn accessible_resources(
        &self,
        access_token: &Secret,
    ) -> Result<Vec<Resource>, OAuthError> {
        let response = self
            .http
            .get(format!(
                "{}/oauth/token/accessible-resources",
                self.api_base
            ))
            .bearer_auth(access_token.expose())
            .send()
            .await
            .map_err(|e| OAuthError::Transport(e.without_url()))?;
        let status = response.status();
        if !status.is_success() {
            return Err(OAuthError::Refused {
                status,
                error: "accessible-resources refused the token".into(),
            });
        }
        response
            .json()
            .await
            .map_err(|_| OAuthError::BadResponse("accessible-resources"))
    }

    /// The Jira base URL for a site: `{api}/ex/jira/{cloudId}`.
    pub fn jira_base_url(&self, cloud_id: &str) -> String {
        format!("{}/ex/jira/{cloud_id}", self.api_base)
    }
}

type OnRotate = Arc<dyn Fn(&Secret) + Send + Sync>;

/// A [`TokenProvider`] that refreshes the access token before it expires
/// and after a `401`, and keeps only the newest refresh token.
///
/// Refreshes are serialised: concurrent requests wait for one refresh rather
/// than each spending the (single-use) refresh token.
#[derive(Clone)]
pub struct RefreshingToken {
    app: OAuthApp,
    state: Arc<futures::lock::Mutex<Current>>,
    on_rotate: Option<OnRotate>,
}

struct Current {
    access: Option<(Secret, Instant)>,
    refresh: Secret,
}

impl fmt::Debug for RefreshingToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RefreshingToken")
            .field("app", &self.app)
            .finish_non_exhaustive()
    }
}

impl RefreshingToken {
    /// Starts from the tokens of a code exchange or a refresh; needs their
    /// refresh token.
    pub fn new(app: OAuthApp, tokens: TokenSet) -> Result<Self, OAuthError> {
        let refresh = tokens.refresh_token.ok_or(OAuthError::NoRefreshToken)?;
        let expires = Instant::now() + Duration::from_secs(tokens.expires_in);
        Ok(Self {
            app,
            state: Arc::new(futures::lock::Mutex::new(Current {
                access: Some((tokens.access_token, expires)),
                refresh,
            })),
            on_rotate: None,
        })
    }

    /// Starts from a stored refresh token alone; the first request refreshes.
    pub fn from_refresh_token(app: OAuthApp, refresh_token: impl Into<Secret>) -> Self {
        Self {
            app,
            state: Arc::new(futures::lock::Mutex::new(Current {
                access: None,
                refresh: refresh_token.into(),
            })),
            on_rotate: None,
        }
    }

    /// Called with every new refresh token, the only one that still works:
    /// persist it, replacing the previous one.
    pub fn on_rotate(mut self, callback: impl Fn(&Secret) + Send + Sync + 'static) -> Self {
        self.on_rotate = Some(Arc::new(callback));
        self
    }

    /// The refresh token that the next refresh will use.
    pub async fn current_refresh_token(&self) -> Secret {
        self.state.lock().await.refresh.clone()
    }

    async fn fresh_token(&self) -> Result<Secret, OAuthError> {
        let mut current = self.state.lock().await;
        if let Some((token, expires)) = &current.access
            && Instant::now() + EXPIRY_MARGIN < *expires
        {
            return Ok(token.clone());
        }
        let tokens = self.app.refresh(&current.refresh).await?;
        if let Some(rotated) = tokens.refresh_token {
            current.refresh = rotated;
            if let Some(callback) = &self.on_rotate {
                callback(&current.refresh);
            }
        }
        let expires = Instant::now() + Duration::from_secs(tokens.expires_in);
        current.access = Some((tokens.access_token.clone(), expires));
        Ok(tokens.access_token)
    }
}

impl TokenProvider for RefreshingToken {
    fn token(&self) -> TokenFuture<'_> {
        Box::pin(async move { self.fresh_token().await.map_err(Into::into) })
    }

    fn invalidate(&self, rejected: &Secret) -> bool {
        // Called from the request path, which holds no lock on the state.
        match self.state.try_lock() {
            Some(mut current) => {
                if current.access.as_ref().is_some_and(|(t, _)| t == rejected) {
                    current.access = None;
                }
                true
            }
            // A refresh is under way; the next `token` call waits for it.
            None => true,
        }
    }
}
