//! The value every generated client carries as its progenitor "inner" type.

use std::net::IpAddr;
use std::sync::Arc;

use reqwest::Url;
use reqwest::header::HeaderValue;

use crate::body::DEFAULT_MAX_RESPONSE_SIZE;
use crate::observe::Observer;
use crate::ratelimit::{Limiter, RateLimits};
use crate::{Auth, RetryPolicy};

/// A configuration the runtime refuses before anything is sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The base URL does not parse or is not an `http(s)` URL with a host.
    #[error("invalid base URL {url:?}: {reason}")]
    InvalidBaseUrl {
        /// The URL without query and fragment, or `(not shown)` when it
        /// could hold a credential or does not parse.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Plain `http://` to a host that is not loopback would expose credentials.
    #[error("base URL {url:?} must use https (plain http is allowed only for loopback addresses)")]
    InsecureBaseUrl {
        /// The URL without query and fragment.
        url: String,
    },
    /// A credential is missing or empty.
    #[error("invalid credentials: {0}")]
    InvalidCredentials(&'static str),
}

/// Settings a generated client consults on every request: where credentials
/// may go, how to authenticate, and when to retry.
///
/// Cheap to clone: clones share one configuration.
///
/// ```
/// use appsec_runtime::{Auth, ClientContext, RetryPolicy};
///
/// let ctx = ClientContext::builder("https://example.atlassian.net")
///     .auth(Auth::basic("me@example.com", "api-token"))
///     .retry(RetryPolicy::default().with_max_retries(2))
///     .build()
///     .unwrap();
/// assert_eq!(ctx.base_url().as_str(), "https://example.atlassian.net/");
///
/// // Credentials never travel in clear text to a remote host.
/// assert!(ClientContext::builder("http://example.atlassian.net").build().is_err());
/// ```
#[derive(Debug, Clone)]
pub struct ClientContext {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    base_url: Option<Bound>,
    auth: Auth,
    /// The `Authorization` value of basic or static bearer credentials,
    /// encoded once here rather than on every request.
    static_authorization: Option<HeaderValue>,
    retry: RetryPolicy,
    /// Rate-limit state shared by every clone of this context.
    limiter: Limiter,
    observer: Option<Arc<dyn Observer>>,
    max_response_size: u64,
    max_stream_size: Option<u64>,
}

/// A base URL and the parts of it the per-request origin check compares,
/// taken apart once when the context is built.
#[derive(Debug)]
struct Bound {
    url: Url,
    /// The base path without its trailing `/` (`""` for a bare host).
    path: String,
    /// The serialized origin followed by `path`: a request URL that starts
    /// with it (then ends, or goes on with `/`, `?` or `#`) is on the same
    /// origin and below the base path.
    prefix: String,
}

impl Bound {
    fn new(url: Url) -> Bound {
        let path = url.path().trim_end_matches('/').to_string();
        let prefix = format!("{}{path}", &url[..url::Position::BeforePath]);
        Bound { url, path, prefix }
    }
}

impl Default for ClientContext {
    fn default() -> Self {
        Self::new()
    }
}

impl ClientContext {
    /// A context with no credentials, no retries and no base-URL check:
    /// requests are sent as generated. Useful in tests.
    pub fn new() -> Self {
        Self {
            inner: Arc::new(Inner {
                base_url: None,
                auth: Auth::None,
                static_authorization: None,
                retry: RetryPolicy::none(),
                limiter: Limiter::new(RateLimits::off()),
                observer: None,
                max_response_size: DEFAULT_MAX_RESPONSE_SIZE,
                max_stream_size: None,
            }),
        }
    }

    /// Starts a context for a service at `base_url`.
    pub fn builder(base_url: impl Into<String>) -> ClientContextBuilder {
        ClientContextBuilder {
            base_url: base_url.into(),
            auth: Auth::None,
            retry: RetryPolicy::default(),
            rate_limits: RateLimits::default(),
            observer: None,
            max_response_size: DEFAULT_MAX_RESPONSE_SIZE,
            max_stream_size: None,
        }
    }

    /// The base URL credentials are bound to, when one was configured.
    pub fn base_url(&self) -> &Url {
        static NONE: std::sync::OnceLock<Url> = std::sync::OnceLock::new();
        self.inner
            .base_url
            .as_ref()
            .map(|bound| &bound.url)
            .unwrap_or_else(|| NONE.get_or_init(|| Url::parse("http://localhost/").expect("valid")))
    }

    /// The base URL's path without its trailing `/`: `""` for a bare host or
    /// when no base URL was configured. Operation paths follow it.
    pub fn base_path(&self) -> &str {
        self.inner
            .base_url
            .as_ref()
            .map_or("", |bound| bound.path.as_str())
    }

    /// True when credentials bound to this context may be sent to `url`:
    /// always without a configured base URL, otherwise only on the base
    /// URL's origin and at or below its path.
    pub(crate) fn admits(&self, url: &Url) -> bool {
        self.inner
            .base_url
            .as_ref()
            .is_none_or(|bound| within(bound, url))
    }

    /// The precomputed `Authorization` value for basic and static bearer
    /// credentials.
    pub(crate) fn static_authorization(&self) -> Option<&HeaderValue> {
        self.inner.static_authorization.as_ref()
    }

    /// How requests are authenticated.
    pub fn auth(&self) -> &Auth {
        &self.inner.auth
    }

    /// When requests are retried.
    pub fn retry(&self) -> &RetryPolicy {
        &self.inner.retry
    }

    /// The rate-limit state every clone of this context shares.
    pub fn limiter(&self) -> &Limiter {
        &self.inner.limiter
    }

    /// Who hears about retries, waits and pauses.
    pub fn observer(&self) -> Option<&dyn Observer> {
        self.inner.observer.as_deref()
    }

    /// The largest response body read whole, in bytes.
    pub fn max_response_size(&self) -> u64 {
        self.inner.max_response_size
    }

    /// The largest streamed download, in bytes, when limited.
    pub fn max_stream_size(&self) -> Option<u64> {
        self.inner.max_stream_size
    }
}

/// Builds a [`ClientContext`]; see [`ClientContext::builder`].
pub struct ClientContextBuilder {
    base_url: String,
    auth: Auth,
    retry: RetryPolicy,
    rate_limits: RateLimits,
    observer: Option<Arc<dyn Observer>>,
    max_response_size: u64,
    max_stream_size: Option<u64>,
}

impl std::fmt::Debug for ClientContextBuilder {
    /// Shows the base URL only as its errors would, so a credential pasted
    /// into it stays hidden.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let base_url = match parse_base_url(&self.base_url) {
            Ok(url) => shown(&url),
            Err(ConfigError::InvalidBaseUrl { url, .. } | ConfigError::InsecureBaseUrl { url }) => {
                url
            }
            Err(ConfigError::InvalidCredentials(_)) => WITHHELD.to_string(),
        };
        f.debug_struct("ClientContextBuilder")
            .field("base_url", &base_url)
            .field("auth", &self.auth)
            .field("retry", &self.retry)
            .finish()
    }
}

impl ClientContextBuilder {
    /// Sets the credentials.
    pub fn auth(mut self, auth: Auth) -> Self {
        self.auth = auth;
        self
    }

    /// Sets the retry policy ([`RetryPolicy::none`] turns retries off).
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Sets how the shared rate-limit state behaves ([`RateLimits::off`]
    /// leaves each request to retry its own 429s).
    pub fn rate_limits(mut self, rate_limits: RateLimits) -> Self {
        self.rate_limits = rate_limits;
        self
    }

    /// Reports retries, waits and pauses to `observer`.
    pub fn observer(mut self, observer: Arc<dyn Observer>) -> Self {
        self.observer = Some(observer);
        self
    }

    /// The largest response body read whole (JSON and every error body),
    /// in bytes; default [`DEFAULT_MAX_RESPONSE_SIZE`] (64 MiB). A larger
    /// body ends the call with a [`ResponseTooLarge`](crate::ResponseTooLarge) error.
    pub fn max_response_size(mut self, bytes: u64) -> Self {
        self.max_response_size = bytes;
        self
    }

    /// Also limits streamed downloads (reports, archives), which are
    /// unlimited by default; reading past the limit fails with
    /// [`ResponseTooLarge`](crate::ResponseTooLarge).
    pub fn max_stream_size(mut self, bytes: u64) -> Self {
        self.max_stream_size = Some(bytes);
        self
    }

    /// Validates the base URL and credentials.
    pub fn build(self) -> Result<ClientContext, ConfigError> {
        let url = parse_base_url(&self.base_url)?;
        self.auth
            .validate()
            .map_err(ConfigError::InvalidCredentials)?;
        let static_authorization = self
            .auth
            .static_header()
            .map_err(ConfigError::InvalidCredentials)?;
        Ok(ClientContext {
            inner: Arc::new(Inner {
                base_url: Some(Bound::new(url)),
                auth: self.auth,
                static_authorization,
                retry: self.retry,
                limiter: Limiter::new(self.rate_limits),
                observer: self.observer,
                max_response_size: self.max_response_size,
                max_stream_size: self.max_stream_size,
            }),
        })
    }
}

/// Parses a base URL and enforces https except for loopback hosts.
///
/// Errors show the URL only as far as it cannot hold a credential: a URL
/// with an `@` anywhere is refused without being shown (whatever a password
/// contains, `user:pass@` needs one), and what does not parse is not shown.
pub fn parse_base_url(raw: &str) -> Result<Url, ConfigError> {
    let trimmed = raw.trim();
    let withheld = |reason: &str| ConfigError::InvalidBaseUrl {
        url: WITHHELD.to_string(),
        reason: reason.to_string(),
    };
    if trimmed.is_empty() {
        return Err(withheld("it is empty"));
    }
    if trimmed.contains('@') {
        return Err(withheld(
            "it contains '@'; credentials belong in the auth settings, not the URL",
        ));
    }
    let url = Url::parse(trimmed).map_err(|e| withheld(&e.to_string()))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(withheld(
            "credentials belong in the auth settings, not the URL",
        ));
    }
    let shown = shown(&url);
    let invalid = |reason: &str| ConfigError::InvalidBaseUrl {
        url: shown.clone(),
        reason: reason.to_string(),
    };
    if url.host_str().is_none_or(str::is_empty) {
        return Err(invalid("it has no host"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid("it must not carry a query or fragment"));
    }
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback(&url) => Ok(url),
        "http" => Err(ConfigError::InsecureBaseUrl { url: shown }),
        other => Err(invalid(&format!("scheme {other:?} is not http or https"))),
    }
}

/// What errors show in place of a URL that may hold a credential.
const WITHHELD: &str = "(not shown)";

/// A parsed URL without its query and fragment, which errors may show: it
/// has no user info, since the text it came from has no `@`.
fn shown(url: &Url) -> String {
    let mut url = url.clone();
    url.set_query(None);
    url.set_fragment(None);
    url.to_string()
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

/// True when `url` is on the same origin as `base` (scheme, host and port)
/// and at or below its path, so credentials bound to `base` may be sent to it.
///
/// Both URLs are parsed, so their text is normalised (lower-case scheme and
/// host, no default port) and one prefix comparison checks origin and path.
/// A request URL with credentials in it does not match, since the base URL
/// has none.
fn within(base: &Bound, url: &Url) -> bool {
    url.as_str()
        .strip_prefix(base.prefix.as_str())
        .is_some_and(|rest| rest.is_empty() || rest.starts_with(['/', '?', '#']))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_are_checked() {
        assert!(parse_base_url("https://x.atlassian.net").is_ok());
        assert!(parse_base_url("http://127.0.0.1:8080").is_ok());
        assert!(parse_base_url("http://localhost:1/api/v4").is_ok());
        assert!(parse_base_url("http://[::1]:9").is_ok());
        assert!(matches!(
            parse_base_url("http://x.atlassian.net"),
            Err(ConfigError::InsecureBaseUrl { .. })
        ));
        for bad in [
            "",
            "   ",
            "not a url",
            "ftp://h",
            "https://u:p@h",
            "https://h/?q=1",
        ] {
            assert!(
                matches!(parse_base_url(bad), Err(ConfigError::InvalidBaseUrl { .. })),
                "{bad:?}"
            );
        }
    }

    /// Base URLs carrying user info of many shapes, with the pieces that
    /// must never be shown.
    const WITH_CREDENTIALS: &[(&str, &[&str])] = &[
        ("https://m3e:s3cret@example.com/x", &["m3e", "s3cret"]),
        (
            "https://ux7u:pa/ss-s3cret@host/",
            &["ux7u", "pa/ss-s3cret", "ss-s3cret"],
        ),
        (
            "https://ux7u:1234/ss-s3cret@host/",
            &["ux7u", "1234", "ss-s3cret"],
        ),
        ("https://ux7u:p@ss@host", &["ux7u", "p@ss", "ss@"]),
        (
            "https://ux7u:p%40ss%2F@host/api",
            &["ux7u", "p%40ss", "%2F"],
        ),
        ("https://ux7u:p#frag@host", &["ux7u", "p#frag", "frag"]),
        (
            "https://ux7u:p?q=s3cret@host",
            &["ux7u", "q=s3cret", "s3cret"],
        ),
        ("http://m3e:tok3n@127.0.0.1:9/", &["m3e", "tok3n"]),
        ("http://m3e:tok3n@example.com/", &["m3e", "tok3n"]),
        ("https://only-a-user@host", &["only-a-user"]),
        ("https://:j4m@host", &["j4m"]),
        (
            "https://ux%20er:pw%E2%82%AC\\x@host",
            &["ux%20er", "pw%E2%82%AC", "ux er"],
        ),
        ("https://ux7u:pass word@host", &["ux7u", "pass word"]),
        ("  https://ux7u:trailing@host  ", &["ux7u", "trailing"]),
        ("https://ux7u:p\\ss@host", &["ux7u", "p\\ss"]),
        ("ftp://ux7u:s3cret@host", &["ux7u", "s3cret"]),
        ("ux7u:s3cret@host", &["ux7u", "s3cret"]),
        (
            "https://ux\u{e9}r:p\u{e4}ss@host",
            &["ux\u{e9}r", "p\u{e4}ss", "ux%C3%A9r"],
        ),
    ];

    #[test]
    fn no_part_of_a_credential_in_a_base_url_is_ever_shown() {
        for (raw, secrets) in WITH_CREDENTIALS {
            let err = parse_base_url(raw).expect_err(raw);
            let builder = ClientContext::builder(*raw);
            let text = format!("{err} {err:?} {builder:?}");
            for secret in *secrets {
                assert!(!text.contains(secret), "{raw:?} shows {secret:?}: {text}");
            }
            let built = ClientContext::builder(*raw).build().unwrap_err();
            assert_eq!(built, err);
        }
    }

    #[test]
    fn urls_without_credentials_are_shown_without_query_or_fragment() {
        let err = parse_base_url("http://example.com/api?token=t0k#x").unwrap_err();
        let text = err.to_string();
        assert!(text.contains("\"http://example.com/api\""), "{text}");
        assert!(!text.contains("t0k"), "{text}");
        let err = parse_base_url("http://example.com/api").unwrap_err();
        assert_eq!(
            err,
            ConfigError::InsecureBaseUrl {
                url: "http://example.com/api".into()
            }
        );
        let debug = format!("{:?}", ClientContext::builder("https://example.com/x"));
        assert!(debug.contains("https://example.com/x"), "{debug}");
    }

    #[test]
    fn within_requires_same_origin_and_path_prefix() {
        let base = Bound::new(Url::parse("https://app.shiftleft.io/api/v4").unwrap());
        let ok = Url::parse("https://app.shiftleft.io/api/v4/orgs").unwrap();
        let other_host = Url::parse("https://evil.example/api/v4/orgs").unwrap();
        let other_port = Url::parse("https://app.shiftleft.io:8443/api/v4/orgs").unwrap();
        let outside = Url::parse("https://app.shiftleft.io/other").unwrap();
        let sibling = Url::parse("https://app.shiftleft.io/api/v40/orgs").unwrap();
        let other_scheme = Url::parse("http://app.shiftleft.io:443/api/v4/orgs").unwrap();
        let default_port = Url::parse("https://APP.shiftleft.io:443/api/v4").unwrap();
        assert!(within(&base, &ok));
        assert!(within(&base, &default_port));
        assert!(!within(&base, &sibling));
        assert!(!within(&base, &other_scheme));
        assert!(!within(&base, &other_host));
        assert!(!within(&base, &other_port));
        assert!(!within(&base, &outside));
        let query = Url::parse("https://app.shiftleft.io/api/v4?page=2").unwrap();
        let userinfo = Url::parse("https://u@app.shiftleft.io/api/v4/orgs").unwrap();
        assert!(within(&base, &query));
        assert!(!within(&base, &userinfo));

        let bare = Bound::new(Url::parse("https://x.atlassian.net").unwrap());
        let suffix = Url::parse("https://x.atlassian.net.evil.example/rest").unwrap();
        let port = Url::parse("https://x.atlassian.net:8443/rest").unwrap();
        assert!(within(
            &bare,
            &Url::parse("https://x.atlassian.net/rest/api/3").unwrap()
        ));
        assert!(!within(&bare, &suffix));
        assert!(!within(&bare, &port));
    }
}
