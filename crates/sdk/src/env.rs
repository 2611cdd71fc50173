//! Clients configured from environment variables, for tools and services
//! that take their settings from the process environment.
//!
//! | variable | client | meaning |
//! | --- | --- | --- |
//! | `JIRA_BASE_URL` | Jira | `https://your-site.atlassian.net`, or `https://api.atlassian.com/ex/jira/{cloudId}` for app and OAuth tokens |
//! | `JIRA_APP_TOKEN` | Jira | a bearer token: Forge system token or OAuth 2.0 access token |
//! | `JIRA_EMAIL`, `JIRA_API_TOKEN` | Jira | basic auth (issue security only; Security Information refuses it) |
//! | `JIRA_CONNECT_APP_KEY`, `JIRA_CONNECT_SHARED_SECRET` | Jira | an Atlassian Connect app, signing every request |
//! | `JIRA_OAUTH_CLIENT_ID`, `JIRA_OAUTH_CLIENT_SECRET`, `JIRA_OAUTH_REFRESH_TOKEN` | Jira | OAuth 2.0 (3LO) with a stored refresh token (feature `oauth`) |
//! | `JIRA_OAUTH_AUTH_URL` (optional) | Jira | the authorization server, `https://auth.atlassian.com` by default |
//! | `QWIET_TOKEN` | Qwiet | the access token |
//! | `QWIET_BASE_URL` (optional) | Qwiet | the API, [`DEFAULT_BASE_URL`](crate::qwiet::DEFAULT_BASE_URL) by default |
//!
//! Jira takes exactly one set of credentials: none, a set with a part
//! missing, or two sets are an [`EnvError`] naming the variables. An empty
//! value counts as unset. Nothing is sent while a client is configured.
//!
//! An OAuth refresh token rotates on its first use and the old one stops
//! working. A client from the environment keeps the new one in memory only;
//! a long-lived service should build its client with
//! [`RefreshingToken::on_rotate`](crate::oauth::RefreshingToken::on_rotate)
//! and store each new refresh token.

// Without either client nothing reads the variables.
#![cfg_attr(
    not(any(feature = "jira", feature = "qwiet")),
    allow(dead_code, unused_imports)
)]

use std::ffi::OsString;

use crate::Error;
use crate::builder::{ClientBuilder, FromParts};

/// The Jira site.
pub const JIRA_BASE_URL: &str = "JIRA_BASE_URL";
/// A Jira app token (Forge system token, OAuth 2.0 access token).
pub const JIRA_APP_TOKEN: &str = "JIRA_APP_TOKEN";
/// The account email for Jira basic auth.
pub const JIRA_EMAIL: &str = "JIRA_EMAIL";
/// The API token for Jira basic auth.
pub const JIRA_API_TOKEN: &str = "JIRA_API_TOKEN";
/// A Connect app's key.
pub const JIRA_CONNECT_APP_KEY: &str = "JIRA_CONNECT_APP_KEY";
/// A Connect app's shared secret.
pub const JIRA_CONNECT_SHARED_SECRET: &str = "JIRA_CONNECT_SHARED_SECRET";
/// An OAuth 2.0 app's client id.
pub const JIRA_OAUTH_CLIENT_ID: &str = "JIRA_OAUTH_CLIENT_ID";
/// An OAuth 2.0 app's client secret.
pub const JIRA_OAUTH_CLIENT_SECRET: &str = "JIRA_OAUTH_CLIENT_SECRET";
/// A stored OAuth 2.0 refresh token.
pub const JIRA_OAUTH_REFRESH_TOKEN: &str = "JIRA_OAUTH_REFRESH_TOKEN";
/// The OAuth 2.0 authorization server, when not `https://auth.atlassian.com`.
pub const JIRA_OAUTH_AUTH_URL: &str = "JIRA_OAUTH_AUTH_URL";
/// The Qwiet access token.
pub const QWIET_TOKEN: &str = "QWIET_TOKEN";
/// The Qwiet API, when not the public one.
pub const QWIET_BASE_URL: &str = "QWIET_BASE_URL";

/// A setting read from the environment that is missing or unusable. Every
/// variant names the variables involved, never their values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EnvError {
    /// A required variable is unset or empty.
    #[error("{0} is not set")]
    Missing(&'static str),
    /// The variable holds bytes that are not UTF-8.
    #[error("{0} is not valid UTF-8")]
    NotUnicode(&'static str),
    /// The value was refused (a base URL that does not parse, plain http).
    #[error("{variable}: {source}")]
    Invalid {
        /// The variable.
        variable: &'static str,
        /// Why its value was refused.
        source: appsec_runtime::ConfigError,
    },
    /// Part of a set of credentials is set, another part is not.
    #[error("{present} is set but {missing} is not; set both")]
    Incomplete {
        /// The variable that is set.
        present: &'static str,
        /// The one that is missing.
        missing: &'static str,
    },
    /// Two sets of Jira credentials are set; which to use would be a guess.
    #[error("{first} and {second} choose different Jira credentials; set only one of them")]
    Conflict {
        /// A variable of the first set.
        first: &'static str,
        /// A variable of the second set.
        second: &'static str,
    },
    /// No Jira credentials are set.
    #[error(
        "no Jira credentials: set JIRA_APP_TOKEN, or JIRA_EMAIL and JIRA_API_TOKEN, or \
         JIRA_CONNECT_APP_KEY and JIRA_CONNECT_SHARED_SECRET, or JIRA_OAUTH_CLIENT_ID, \
         JIRA_OAUTH_CLIENT_SECRET and JIRA_OAUTH_REFRESH_TOKEN"
    )]
    NoCredentials,
    /// The variable chooses something this build of the SDK leaves out.
    #[error("{variable} needs appsec-sdk's `{feature}` feature")]
    FeatureDisabled {
        /// The variable.
        variable: &'static str,
        /// The Cargo feature to turn on.
        feature: &'static str,
    },
}

/// Reads variables for [`JiraClient::from_env_with`](crate::JiraClient::from_env_with)
/// and [`QwietClient::from_env_with`](crate::QwietClient::from_env_with):
/// a value, or why there is none.
pub(crate) struct Vars<F> {
    lookup: F,
}

impl<F: Fn(&str) -> Result<Option<String>, EnvError>> Vars<F> {
    pub(crate) fn new(lookup: F) -> Self {
        Self { lookup }
    }

    /// The value, `None` when unset or empty.
    pub(crate) fn get(&self, name: &'static str) -> Result<Option<String>, EnvError> {
        Ok((self.lookup)(name)?.filter(|v| !v.is_empty()))
    }

    #[cfg(feature = "qwiet")]
    pub(crate) fn required(&self, name: &'static str) -> Result<String, EnvError> {
        self.get(name)?.ok_or(EnvError::Missing(name))
    }

    /// A base URL, checked here so that a bad one names its variable.
    pub(crate) fn base_url(&self, name: &'static str) -> Result<Option<String>, EnvError> {
        let Some(url) = self.get(name)? else {
            return Ok(None);
        };
        appsec_runtime::parse_base_url(&url).map_err(|source| EnvError::Invalid {
            variable: name,
            source,
        })?;
        Ok(Some(url))
    }

    /// All of `names` or none of them; a partial set names what is missing.
    #[cfg(feature = "jira")]
    pub(crate) fn set<const N: usize>(
        &self,
        names: [&'static str; N],
    ) -> Result<Option<[String; N]>, EnvError> {
        let mut values: [Option<String>; N] = std::array::from_fn(|_| None);
        for (slot, name) in values.iter_mut().zip(names) {
            *slot = self.get(name)?;
        }
        let present = names.iter().zip(&values).find(|(_, v)| v.is_some());
        let missing = names.iter().zip(&values).find(|(_, v)| v.is_none());
        match (present, missing) {
            (None, _) => Ok(None),
            (Some((present, _)), Some((missing, _))) => {
                Err(EnvError::Incomplete { present, missing })
            }
            (Some(_), None) => Ok(Some(values.map(Option::unwrap_or_default))),
        }
    }
}

/// The process environment, telling an unset variable from one that is not
/// UTF-8.
pub(crate) fn process_env(name: &str) -> Result<Option<String>, EnvError> {
    match std::env::var_os(name).map(OsString::into_string) {
        None => Ok(None),
        Some(Ok(value)) => Ok(Some(value)),
        Some(Err(_)) => Err(EnvError::NotUnicode(
            ALL.iter()
                .find(|known| **known == name)
                .copied()
                .unwrap_or("a variable"),
        )),
    }
}

/// Every variable this module reads, so errors can name them statically.
const ALL: &[&str] = &[
    JIRA_BASE_URL,
    JIRA_APP_TOKEN,
    JIRA_EMAIL,
    JIRA_API_TOKEN,
    JIRA_CONNECT_APP_KEY,
    JIRA_CONNECT_SHARED_SECRET,
    JIRA_OAUTH_CLIENT_ID,
    JIRA_OAUTH_CLIENT_SECRET,
    JIRA_OAUTH_REFRESH_TOKEN,
    JIRA_OAUTH_AUTH_URL,
    QWIET_TOKEN,
    QWIET_BASE_URL,
];

/// Wraps a plain lookup (`|name| map.get(name).cloned()`) for [`Vars`].
pub(crate) fn plain(
    lookup: impl Fn(&str) -> Option<String>,
) -> impl Fn(&str) -> Result<Option<String>, EnvError> {
    move |name| Ok(lookup(name))
}

/// The one set of Jira credentials the variables choose, applied to `builder`.
#[cfg(feature = "jira")]
pub(crate) fn jira_builder<F, C>(vars: &Vars<F>) -> Result<ClientBuilder<C>, Error>
where
    F: Fn(&str) -> Result<Option<String>, EnvError>,
    C: FromParts,
{
    let base = vars
        .base_url(JIRA_BASE_URL)?
        .ok_or(EnvError::Missing(JIRA_BASE_URL))?;
    let builder = ClientBuilder::<C>::new(base.clone());
    let app = vars.set([JIRA_APP_TOKEN])?;
    let basic = vars.set([JIRA_EMAIL, JIRA_API_TOKEN])?;
    let connect = vars.set([JIRA_CONNECT_APP_KEY, JIRA_CONNECT_SHARED_SECRET])?;
    let oauth = vars.set([
        JIRA_OAUTH_CLIENT_ID,
        JIRA_OAUTH_CLIENT_SECRET,
        JIRA_OAUTH_REFRESH_TOKEN,
    ])?;
    let chosen: Vec<&'static str> = [
        app.as_ref().map(|_| JIRA_APP_TOKEN),
        basic.as_ref().map(|_| JIRA_EMAIL),
        connect.as_ref().map(|_| JIRA_CONNECT_APP_KEY),
        oauth.as_ref().map(|_| JIRA_OAUTH_CLIENT_ID),
    ]
    .into_iter()
    .flatten()
    .collect();
    if let [first, second, ..] = chosen[..] {
        return Err(EnvError::Conflict { first, second }.into());
    }
    if let Some([token]) = app {
        return Ok(builder.bearer_token(token));
    }
    if let Some([email, api_token]) = basic {
        return Ok(builder.basic_auth(email, api_token));
    }
    if let Some([app_key, secret]) = connect {
        return Ok(builder.connect_jwt(app_key, secret));
    }
    if let Some([client_id, client_secret, refresh_token]) = oauth {
        return oauth_builder(vars, builder, client_id, client_secret, refresh_token);
    }
    Err(EnvError::NoCredentials.into())
}

#[cfg(feature = "oauth")]
fn oauth_builder<F, C>(
    vars: &Vars<F>,
    builder: ClientBuilder<C>,
    client_id: String,
    client_secret: String,
    refresh_token: String,
) -> Result<ClientBuilder<C>, Error>
where
    F: Fn(&str) -> Result<Option<String>, EnvError>,
    C: FromParts,
{
    use crate::oauth::{OAuthApp, RefreshingToken};
    // A refresh needs no redirect URI; only the consent step does.
    let mut app = OAuthApp::new(client_id, client_secret, "");
    if let Some(auth) = vars.base_url(JIRA_OAUTH_AUTH_URL)? {
        app = app.with_servers(auth, crate::oauth::API_BASE_URL);
    }
    Ok(builder.token_provider(RefreshingToken::from_refresh_token(app, refresh_token)))
}

#[cfg(all(feature = "jira", not(feature = "oauth")))]
fn oauth_builder<F, C>(
    _vars: &Vars<F>,
    _builder: ClientBuilder<C>,
    _client_id: String,
    _client_secret: String,
    _refresh_token: String,
) -> Result<ClientBuilder<C>, Error>
where
    F: Fn(&str) -> Result<Option<String>, EnvError>,
    C: FromParts,
{
    Err(EnvError::FeatureDisabled {
        variable: JIRA_OAUTH_CLIENT_ID,
        feature: "oauth",
    }
    .into())
}

/// `QWIET_TOKEN` and the optional `QWIET_BASE_URL`, applied to `builder`.
#[cfg(feature = "qwiet")]
pub(crate) fn qwiet_builder<F, C>(
    vars: &Vars<F>,
    builder: ClientBuilder<C>,
) -> Result<ClientBuilder<C>, Error>
where
    F: Fn(&str) -> Result<Option<String>, EnvError>,
    C: FromParts,
{
    let mut builder = builder.bearer_token(vars.required(QWIET_TOKEN)?);
    if let Some(url) = vars.base_url(QWIET_BASE_URL)? {
        builder = builder.base_url(url);
    }
    Ok(builder)
}
