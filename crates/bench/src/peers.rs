//! The other Rust Jira clients a user would pick instead of the SDK
//! (`peers` feature): `jira` 0.4 and `gouqi` 0.20 (async), each with basic
//! auth and its default settings, through its own API.
//!
//! `jira` 0.4 types the security-level read and streams a scheme's members;
//! it has no operation that creates a scheme, so the POST goes through its
//! untyped `Client::request`, as a user of it would write it. `gouqi` types
//! neither, so both go through its JSON helpers into the bench's own structs.

use gouqi::r#async::Jira as Gouqi;
use jira::cloud::CloudClient;
use jira::futures_util::TryStreamExt;

use crate::overhead::{BareCreate, BareId, BareLevel};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// One of the other clients, built for one base URL.
pub enum Peer {
    /// `jira` 0.4: the transport and its Cloud surface over it.
    Jira {
        client: jira::Client,
        cloud: CloudClient,
    },
    /// `gouqi` 0.20's async client.
    Gouqi(Gouqi),
}

impl Peer {
    /// Every peer with basic auth against `base`, labelled for the tables.
    pub fn all(
        base: &str,
        email: &str,
        token: &str,
    ) -> Result<Vec<(&'static str, Peer)>, BoxError> {
        Ok(vec![
            (
                "(e) `jira` 0.4, basic auth, defaults",
                Peer::jira(base, email, token)?,
            ),
            (
                "(f) `gouqi` 0.20 (async), basic auth, defaults",
                Peer::Gouqi(Gouqi::new(
                    base,
                    gouqi::Credentials::Basic(email.into(), token.into()),
                )?),
            ),
        ])
    }

    /// `jira` 0.4 with basic auth (`Auth::api_token`).
    pub fn jira(base: &str, email: &str, token: &str) -> Result<Peer, BoxError> {
        let client = jira::Client::builder()
            .host(base)
            .auth(jira::Auth::api_token(email, token))
            .build()?;
        Ok(Peer::Jira {
            cloud: CloudClient::new(client.clone()),
            client,
        })
    }

    /// `GET /rest/api/3/securitylevel/{id}`, decoded; returns the name.
    pub async fn get_level(&self, id: &str) -> Result<Option<String>, BoxError> {
        Ok(match self {
            Peer::Jira { cloud, .. } => {
                cloud
                    .issue_security_level()
                    .get_issue_security_level(id)
                    .send()
                    .await?
                    .name
            }
            Peer::Gouqi(gouqi) => {
                gouqi
                    .get_versioned::<BareLevel>("api", Some("3"), &format!("/securitylevel/{id}"))
                    .await?
                    .name
            }
        })
    }

    /// `POST /rest/api/3/issuesecurityschemes`; returns the new id.
    pub async fn create_scheme(&self, name: &str, description: &str) -> Result<String, BoxError> {
        let body = BareCreate { name, description };
        Ok(match self {
            Peer::Jira { client, .. } => {
                client
                    .request(reqwest::Method::POST, "/rest/api/3/issuesecurityschemes")
                    .json(&body)?
                    .send::<BareId>()
                    .await?
                    .id
            }
            Peer::Gouqi(gouqi) => {
                gouqi
                    .post_versioned::<BareId, _>("api", Some("3"), "/issuesecurityschemes", body)
                    .await?
                    .id
            }
        })
    }

    /// Every member of `level` in `scheme`, through `jira` 0.4's `stream()`
    /// (one page at a time), as (member id, level id) pairs.
    pub async fn scheme_members(
        &self,
        scheme: i64,
        level: &str,
    ) -> Result<Vec<(i64, i64)>, BoxError> {
        let Peer::Jira { cloud, .. } = self else {
            return Err("only `jira` 0.4 streams members".into());
        };
        Ok(cloud
            .issue_security_level()
            .get_issue_security_level_members(scheme)
            .issue_security_level_id([level])
            .stream()
            .map_ok(|m| (m.id, m.issue_security_level_id))
            .try_collect()
            .await?)
    }
}
