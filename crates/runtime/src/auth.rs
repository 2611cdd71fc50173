//! Credentials and how each kind is put on a request.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use base64::Engine;
use reqwest::header::{AUTHORIZATION, HeaderValue};

use crate::connect_jwt::Signer;
use crate::{ClientContext, Secret};

/// An error a [`TokenProvider`] reports when it cannot produce a token.
pub type TokenError = Box<dyn std::error::Error + Send + Sync>;

/// The future a [`TokenProvider`] returns.
pub type TokenFuture<'a> = Pin<Box<dyn Future<Output = Result<Secret, TokenError>> + Send + 'a>>;

/// Supplies OAuth 2.0 bearer tokens, refreshing them as it sees fit.
///
/// Called before every request, so an implementation should cache its token
/// and refresh only when it is close to expiry.
///
/// ```
/// use appsec_runtime::{Secret, TokenFuture, TokenProvider};
///
/// #[derive(Debug)]
/// struct FromEnv;
///
/// impl TokenProvider for FromEnv {
///     fn token(&self) -> TokenFuture<'_> {
///         Box::pin(async {
///             let token = std::env::var("JIRA_OAUTH_TOKEN")?;
///             Ok(Secret::new(token))
///         })
///     }
/// }
/// ```
pub trait TokenProvider: fmt::Debug + Send + Sync {
    /// The token to send with the next request.
    fn token(&self) -> TokenFuture<'_>;

    /// True when the provider can tell, before any request, that it has no
    /// token (a static empty one); lets configuration fail early.
    fn is_known_empty(&self) -> bool {
        false
    }

    /// The token, when it never changes; lets the runtime encode the
    /// `Authorization` header once instead of asking before every request.
    fn fixed(&self) -> Option<&Secret> {
        None
    }

    /// Called when the service answered `401` to a request that carried
    /// `rejected`. Return `true` when the provider dropped that token and can
    /// get another (an OAuth refresh): the runtime then asks for a token once
    /// more and sends the request once more. The default, `false`, leaves
    /// the `401` as the answer.
    fn invalidate(&self, rejected: &Secret) -> bool {
        let _ = rejected;
        false
    }
}

/// A token that never changes.
#[derive(Debug, Clone)]
pub struct StaticToken(pub Secret);

impl TokenProvider for StaticToken {
    fn token(&self) -> TokenFuture<'_> {
        let token = self.0.clone();
        Box::pin(async move { Ok(token) })
    }

    fn is_known_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn fixed(&self) -> Option<&Secret> {
        Some(&self.0)
    }
}

/// How requests are authenticated.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub enum Auth {
    /// Send requests without credentials.
    #[default]
    None,
    /// Jira basic auth: account email and API token.
    Basic {
        /// Atlassian account email.
        email: String,
        /// API token created for that account.
        api_token: Secret,
    },
    /// `Authorization: Bearer <token>`: Jira OAuth 2.0 (3LO or app tokens)
    /// and Qwiet access tokens.
    Bearer(Arc<dyn TokenProvider>),
    /// Atlassian Connect: every attempt signed afresh with the app's shared secret.
    ConnectJwt(Signer),
}

impl Auth {
    /// Basic auth with an account email and API token.
    pub fn basic(email: impl Into<String>, api_token: impl Into<Secret>) -> Self {
        Auth::Basic {
            email: email.into(),
            api_token: api_token.into(),
        }
    }

    /// A bearer token that does not change.
    pub fn bearer(token: impl Into<Secret>) -> Self {
        Auth::Bearer(Arc::new(StaticToken(token.into())))
    }

    /// Bearer tokens from a provider that may refresh them.
    pub fn bearer_provider(provider: impl TokenProvider + 'static) -> Self {
        Auth::Bearer(Arc::new(provider))
    }

    /// Atlassian Connect JWT signing.
    pub fn connect_jwt(signer: Signer) -> Self {
        Auth::ConnectJwt(signer)
    }

    /// Checks the parts that can be checked without sending anything.
    pub(crate) fn validate(&self) -> Result<(), &'static str> {
        match self {
            Auth::Basic { email, .. } if email.trim().is_empty() => {
                Err("basic auth needs an account email")
            }
            Auth::Basic { api_token, .. } if api_token.is_empty() => {
                Err("basic auth needs a non-empty API token")
            }
            Auth::Bearer(provider) if provider.is_known_empty() => {
                Err("bearer auth needs a non-empty token")
            }
            Auth::ConnectJwt(signer) if signer.shared_secret_is_empty() => {
                Err("Connect JWT needs a non-empty shared secret")
            }
            _ => Ok(()),
        }
    }
}

impl Auth {
    /// The `Authorization` value when it is the same for every request
    /// (basic, or a bearer token that never changes).
    pub(crate) fn static_header(&self) -> Result<Option<HeaderValue>, &'static str> {
        let value = match self {
            Auth::Basic { email, api_token } => basic_header(email, api_token),
            Auth::Bearer(provider) => match provider.fixed() {
                Some(token) => bearer_header(token),
                None => return Ok(None),
            },
            Auth::None | Auth::ConnectJwt(_) => return Ok(None),
        };
        value
            .map(Some)
            .map_err(|_| "credential contains characters not allowed in a header")
    }
}

fn basic_header(email: &str, api_token: &Secret) -> Result<HeaderValue, String> {
    let raw = format!("{email}:{}", api_token.expose());
    let encoded = base64::engine::general_purpose::STANDARD.encode(raw);
    sensitive(&format!("Basic {encoded}"))
}

fn bearer_header(token: &Secret) -> Result<HeaderValue, String> {
    sensitive(&format!("Bearer {}", token.expose()))
}

/// A header value that hyper and reqwest treat as sensitive (never logged).
pub(crate) fn sensitive(value: &str) -> Result<HeaderValue, String> {
    let mut value = HeaderValue::from_str(value)
        .map_err(|_| "credential contains characters not allowed in a header".to_string())?;
    value.set_sensitive(true);
    Ok(value)
}

/// Puts static or provider credentials on a request. Connect JWT is signed
/// per attempt in [`crate::hooks::exec`] instead.
pub(crate) async fn apply(
    ctx: &ClientContext,
    request: &mut reqwest::Request,
) -> Result<(), String> {
    if let Some(value) = ctx.static_authorization() {
        request.headers_mut().insert(AUTHORIZATION, value.clone());
        return Ok(());
    }
    let value = match ctx.auth() {
        Auth::None | Auth::ConnectJwt(_) => return Ok(()),
        Auth::Basic { email, api_token } => basic_header(email, api_token)?,
        Auth::Bearer(provider) => {
            let token = provider
                .token()
                .await
                .map_err(|e| format!("token provider failed: {e}"))?;
            if token.is_empty() {
                return Err("token provider returned an empty token".into());
            }
            bearer_header(&token)?
        }
    };
    request.headers_mut().insert(AUTHORIZATION, value);
    Ok(())
}

/// A copy of `request` kept for one resend after a `401`, when the
/// credentials come from a provider that may replace a rejected token.
pub(crate) fn spare_for_unauthorized(
    ctx: &ClientContext,
    request: &reqwest::Request,
) -> Option<reqwest::Request> {
    match ctx.auth() {
        Auth::Bearer(provider) if provider.fixed().is_none() => request.try_clone(),
        _ => None,
    }
}

/// After a `401` (`status` is that of the answer, if one came): tells the
/// provider which token was rejected and, when it can get another, returns
/// `spare` with fresh credentials for one resend.
pub(crate) async fn after_unauthorized(
    ctx: &ClientContext,
    status: Option<reqwest::StatusCode>,
    mut spare: reqwest::Request,
) -> Option<reqwest::Request> {
    if status != Some(reqwest::StatusCode::UNAUTHORIZED) {
        return None;
    }
    let Auth::Bearer(provider) = ctx.auth() else {
        return None;
    };
    let sent = spare.headers().get(AUTHORIZATION)?.to_str().ok()?;
    let rejected = Secret::new(sent.strip_prefix("Bearer ")?);
    if !provider.invalidate(&rejected) {
        return None;
    }
    tracing::debug!("bearer token rejected with 401; sending once more with a fresh one");
    apply(ctx, &mut spare).await.ok()?;
    Some(spare)
}
