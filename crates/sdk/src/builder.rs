//! The builder every service client shares: base URL, credentials, retries,
//! rate limits, response size and HTTP settings.

use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use appsec_runtime::connect_jwt::Signer;
use appsec_runtime::observe::Observer;
use appsec_runtime::{Auth, ClientContext, RateLimits, RetryPolicy, Secret, TokenProvider};

use crate::Error;

/// Implemented by each service client so one builder serves them all.
///
/// Sealed: only the SDK's clients implement it, so it can gain methods
/// without breaking anyone.
pub trait FromParts: Sized + sealed::Sealed {
    /// Assembles the client from a checked base URL (no trailing slash), an
    /// HTTP client and the runtime context.
    fn from_parts(base_url: String, http: reqwest::Client, ctx: ClientContext) -> Self;
}

pub(crate) mod sealed {
    /// Keeps [`FromParts`](super::FromParts) to the SDK's own clients.
    pub trait Sealed {}
}

/// Configures a [`JiraClient`](crate::JiraClient) or
/// [`QwietClient`](crate::QwietClient).
#[derive(Debug)]
pub struct ClientBuilder<C> {
    base_url: String,
    auth: Auth,
    retry: RetryPolicy,
    rate_limits: RateLimits,
    observer: Option<Arc<dyn Observer>>,
    max_response_size: Option<u64>,
    max_stream_size: Option<u64>,
    timeout: Option<Duration>,
    connect_timeout: Option<Duration>,
    user_agent: Option<String>,
    http: Option<reqwest::Client>,
    client: PhantomData<fn() -> C>,
}

impl<C: FromParts> ClientBuilder<C> {
    // Only the clients call it; a build with neither has no caller.
    #[cfg_attr(not(any(feature = "jira", feature = "qwiet")), allow(dead_code))]
    pub(crate) fn new(base_url: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            auth: Auth::None,
            retry: RetryPolicy::default(),
            rate_limits: RateLimits::default(),
            observer: None,
            max_response_size: None,
            max_stream_size: None,
            timeout: Some(Duration::from_secs(60)),
            connect_timeout: Some(Duration::from_secs(10)),
            user_agent: None,
            http: None,
            client: PhantomData,
        }
    }

    /// Replaces the base URL.
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = base_url.into();
        self
    }

    /// Any [`Auth`].
    pub fn auth(mut self, auth: Auth) -> Self {
        self.auth = auth;
        self
    }

    /// Jira basic auth with an account email and API token.
    pub fn basic_auth(self, email: impl Into<String>, api_token: impl Into<Secret>) -> Self {
        self.auth(Auth::basic(email, api_token))
    }

    /// A fixed bearer token (Qwiet access token, Jira OAuth 2.0 token).
    pub fn bearer_token(self, token: impl Into<Secret>) -> Self {
        self.auth(Auth::bearer(token))
    }

    /// Bearer tokens from a provider that can refresh them.
    pub fn token_provider(self, provider: impl TokenProvider + 'static) -> Self {
        self.auth(Auth::bearer_provider(provider))
    }

    /// Atlassian Connect: sign every request with the app's shared secret.
    pub fn connect_jwt(self, app_key: impl Into<String>, shared_secret: impl Into<Secret>) -> Self {
        self.auth(Auth::connect_jwt(Signer::new(
            app_key,
            shared_secret.into(),
        )))
    }

    /// Retry policy; [`RetryPolicy::none`] turns retries off.
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// How the client shares what it learns from rate-limit headers across
    /// its clones and concurrent calls (on by default): a quota limit pauses
    /// every request until the reset, a burst limit slows one endpoint, a
    /// per-issue limit spaces writes to that issue, and near the limit
    /// requests are spread over the time left. [`RateLimits::off`] leaves
    /// each request to retry its own 429s.
    ///
    /// ```
    /// use appsec_sdk::{JiraClient, RateLimits};
    ///
    /// let jira = JiraClient::builder("https://example.atlassian.net")
    ///     .basic_auth("me@example.com", "api-token")
    ///     .rate_limits(RateLimits::off())
    ///     .build()
    ///     .unwrap();
    /// # let _ = jira;
    /// ```
    pub fn rate_limits(mut self, rate_limits: RateLimits) -> Self {
        self.rate_limits = rate_limits;
        self
    }

    /// Reports every retry, wait and pause, with its reason, to `observer`
    /// (for metrics; tests use it instead of reading logs).
    pub fn observer(mut self, observer: Arc<dyn Observer>) -> Self {
        self.observer = Some(observer);
        self
    }

    /// The largest response body read whole, in bytes (default 64 MiB,
    /// [`DEFAULT_MAX_RESPONSE_SIZE`](crate::DEFAULT_MAX_RESPONSE_SIZE)).
    /// A larger body, declared or sent, ends the call with a transport
    /// error whose source is [`ResponseTooLarge`](crate::ResponseTooLarge).
    pub fn max_response_size(mut self, bytes: u64) -> Self {
        self.max_response_size = Some(bytes);
        self
    }

    /// Also limits downloads read as streams (reports, archives), which
    /// are unlimited by default.
    pub fn max_stream_size(mut self, bytes: u64) -> Self {
        self.max_stream_size = Some(bytes);
        self
    }

    /// Timeout for a whole attempt (default 60 s). Ignored with [`http_client`](Self::http_client).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Timeout for connecting (default 10 s). Ignored with [`http_client`](Self::http_client).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// `User-Agent` to send. Ignored with [`http_client`](Self::http_client).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = Some(user_agent.into());
        self
    }

    /// Uses your own `reqwest::Client` (proxies, TLS roots). Configure it not
    /// to follow redirects: Jira answers some writes with `303` and a body.
    /// With the default `rustls-ring` feature, call
    /// [`tls::install_crypto_provider`](crate::tls::install_crypto_provider)
    /// before building it.
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }

    /// Checks the configuration and builds the client.
    pub fn build(self) -> Result<C, Error> {
        let mut ctx = ClientContext::builder(&self.base_url)
            .auth(self.auth)
            .retry(self.retry)
            .rate_limits(self.rate_limits);
        if let Some(observer) = self.observer {
            ctx = ctx.observer(observer);
        }
        if let Some(bytes) = self.max_response_size {
            ctx = ctx.max_response_size(bytes);
        }
        if let Some(bytes) = self.max_stream_size {
            ctx = ctx.max_stream_size(bytes);
        }
        let ctx = ctx.build()?;
        let http = match self.http {
            Some(http) => http,
            None => {
                appsec_runtime::tls::install_crypto_provider();
                let mut builder = reqwest::Client::builder()
                    .redirect(reqwest::redirect::Policy::none())
                    .user_agent(self.user_agent.unwrap_or_else(|| {
                        concat!("appsec-sdk/", env!("CARGO_PKG_VERSION")).to_string()
                    }));
                if let Some(t) = self.timeout {
                    builder = builder.timeout(t);
                }
                if let Some(t) = self.connect_timeout {
                    builder = builder.connect_timeout(t);
                }
                builder.build().map_err(Error::Transport)?
            }
        };
        let base = ctx.base_url().as_str().trim_end_matches('/').to_string();
        Ok(C::from_parts(base, http, ctx))
    }
}
