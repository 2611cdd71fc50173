//! OAuth 2.0 (3LO): rotation keeps only the newest refresh token, and a 401
//! costs exactly one refresh and one resend.

use std::sync::{Arc, Mutex};

use appsec_sdk::oauth::{OAuthApp, OAuthError, RefreshingToken};
use appsec_sdk::{Error, JiraClient, RetryPolicy, SendExt, TokenProvider};
use serde_json::json;
use wiremock::matchers::{body_partial_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[path = "support/trace.rs"]
mod trace;

const SECRET: &str = "client-secret-7c1e";

fn app(server: &MockServer) -> OAuthApp {
    OAuthApp::new("client-1", SECRET, "https://app.example/callback")
        .with_servers(server.uri(), server.uri())
}

/// The token endpoint answers `old` with `(access, new)` exactly once, and
/// refuses every refresh token it did not issue last, as Atlassian does.
async fn rotation(server: &MockServer, old: &str, access: &str, new: &str) {
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .and(body_partial_json(json!({"grant_type": "refresh_token", "refresh_token": old})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": access, "refresh_token": new, "expires_in": 3600, "scope": "read:jira-work"
        })))
        .up_to_n_times(1)
        .expect(1)
        .with_priority(1)
        .mount(server)
        .await;
}

async fn refuse_other_refresh_tokens(server: &MockServer) {
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(ResponseTemplate::new(403).set_body_json(json!({
            "error": "invalid_grant", "error_description": "Unknown or invalid refresh token."
        })))
        .with_priority(10)
        .mount(server)
        .await;
}

#[tokio::test]
async fn rotation_keeps_only_the_newest_refresh_token() {
    let server = MockServer::start().await;
    rotation(&server, "r1", "a1", "r2").await;
    rotation(&server, "r2", "a2", "r3").await;
    refuse_other_refresh_tokens(&server).await;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    let provider = RefreshingToken::from_refresh_token(app(&server), "r1")
        .on_rotate(move |t| record.lock().unwrap().push(t.expose().to_string()));

    assert_eq!(provider.token().await.unwrap().expose(), "a1");
    assert_eq!(
        provider.token().await.unwrap().expose(),
        "a1",
        "cached until expiry"
    );
    assert!(provider.invalidate(&"a1".into()));
    assert_eq!(provider.token().await.unwrap().expose(), "a2");
    assert_eq!(*seen.lock().unwrap(), ["r2", "r3"]);
    assert_eq!(provider.current_refresh_token().await.expose(), "r3");

    // A provider still holding a used refresh token is refused.
    let stale = RefreshingToken::from_refresh_token(app(&server), "r1");
    let err = stale.token().await.unwrap_err();
    assert!(err.to_string().contains("invalid_grant"), "{err}");
}

async fn jira_with(server: &MockServer, access: &str) -> JiraClient {
    let tokens = appsec_sdk::oauth::TokenSet::new(access, Some("r1".into()), 3600);
    let provider = RefreshingToken::new(app(server), tokens).unwrap();
    JiraClient::builder(format!("{}/ex/jira/cloud-1", server.uri()))
        .token_provider(provider)
        .retry(RetryPolicy::none())
        .build()
        .unwrap()
}

const SCHEMES: &str = "/ex/jira/cloud-1/rest/api/3/issuesecurityschemes";

#[tokio::test]
async fn a_401_triggers_one_refresh_and_one_resend() {
    let server = MockServer::start().await;
    rotation(&server, "r1", "a2", "r2").await;
    refuse_other_refresh_tokens(&server).await;
    Mock::given(method("GET"))
        .and(path(SCHEMES))
        .and(header("authorization", "Bearer a1"))
        .respond_with(ResponseTemplate::new(401))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(SCHEMES))
        .and(header("authorization", "Bearer a2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"issueSecuritySchemes": []})))
        .expect(1)
        .mount(&server)
        .await;
    let jira = jira_with(&server, "a1").await;
    let schemes = jira
        .issue_security()
        .get_issue_security_schemes()
        .send()
        .value()
        .await
        .unwrap();
    assert!(schemes.issue_security_schemes.is_empty());
}

#[tokio::test]
async fn a_second_401_is_the_answer() {
    let server = MockServer::start().await;
    rotation(&server, "r1", "a2", "r2").await;
    refuse_other_refresh_tokens(&server).await;
    Mock::given(method("GET"))
        .and(path(SCHEMES))
        .respond_with(ResponseTemplate::new(401))
        .expect(2)
        .mount(&server)
        .await;
    let jira = jira_with(&server, "a1").await;
    let err = jira
        .issue_security()
        .get_issue_security_schemes()
        .send()
        .value()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Auth(_)), "{err:?}");
}

#[tokio::test]
async fn a_fixed_bearer_token_is_not_resent_after_a_401() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(SCHEMES))
        .respond_with(ResponseTemplate::new(401))
        .expect(1)
        .mount(&server)
        .await;
    let jira = JiraClient::builder(format!("{}/ex/jira/cloud-1", server.uri()))
        .bearer_token("fixed")
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let err = jira
        .issue_security()
        .get_issue_security_schemes()
        .send()
        .value()
        .await;
    assert!(matches!(err, Err(Error::Auth(_))));
}

#[tokio::test]
async fn the_whole_flow_finds_the_site() {
    let server = MockServer::start().await;
    let app = app(&server);
    let (url, state) = app.authorize_url(&["read:jira-work", "offline_access"]);
    let query: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
    assert_eq!(url.path(), "/authorize");
    assert_eq!(query["audience"], "api.atlassian.com");
    assert_eq!(query["client_id"], "client-1");
    assert_eq!(query["scope"], "read:jira-work offline_access");
    assert_eq!(query["redirect_uri"], "https://app.example/callback");
    assert_eq!(query["response_type"], "code");
    assert_eq!(query["prompt"], "consent");
    assert_eq!(query["state"], state.as_str());
    assert!(state.check(state.as_str()).is_ok());
    assert!(matches!(
        state.check("forged"),
        Err(OAuthError::StateMismatch)
    ));
    let (_, other) = app.authorize_url(&["read:jira-work"]);
    assert_ne!(state, other, "each request gets its own state");

    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .and(body_partial_json(json!({
            "grant_type": "authorization_code", "code": "code-1",
            "client_id": "client-1", "client_secret": SECRET,
            "redirect_uri": "https://app.example/callback"
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": "a1", "refresh_token": "r1", "expires_in": 3600
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/oauth/token/accessible-resources"))
        .and(header("authorization", "Bearer a1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([{
            "id": "cloud-1", "name": "site", "url": "https://site.atlassian.net",
            "scopes": ["read:jira-work"], "avatarUrl": "https://x"
        }])))
        .expect(1)
        .mount(&server)
        .await;
    let tokens = app.exchange_code("code-1").await.unwrap();
    let sites = app
        .accessible_resources(&tokens.access_token)
        .await
        .unwrap();
    assert_eq!(sites[0].id, "cloud-1");
    assert_eq!(
        app.jira_base_url(&sites[0].id),
        format!("{}/ex/jira/cloud-1", server.uri())
    );
}

#[tokio::test]
async fn no_token_or_secret_shows_in_debug_display_or_trace_logs() {
    let captured = trace::capture();

    let server = MockServer::start().await;
    rotation(&server, "r1-secret", "a2-secret", "r2-secret").await;
    refuse_other_refresh_tokens(&server).await;
    Mock::given(method("GET"))
        .and(path(SCHEMES))
        .respond_with(ResponseTemplate::new(401))
        .mount(&server)
        .await;
    let tokens = appsec_sdk::oauth::TokenSet::new("a1-secret", Some("r1-secret".into()), 3600);
    let provider = RefreshingToken::new(app(&server), tokens.clone()).unwrap();
    let jira = JiraClient::builder(format!("{}/ex/jira/cloud-1", server.uri()))
        .token_provider(provider.clone())
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let err = jira
        .issue_security()
        .get_issue_security_schemes()
        .send()
        .value()
        .await
        .unwrap_err();
    let failed = RefreshingToken::from_refresh_token(app(&server), "r0-secret")
        .token()
        .await
        .unwrap_err();

    let mut shown = captured.text();
    assert!(
        shown.contains("fresh one"),
        "TRACE output was captured: {shown}"
    );
    shown.push_str(&format!(
        "{err} {err:?} {failed} {failed:?} {provider:?} {tokens:?} {jira:?} {:?}",
        app(&server)
    ));
    for secret in [
        "a1-secret",
        "a2-secret",
        "r0-secret",
        "r1-secret",
        "r2-secret",
        SECRET,
    ] {
        assert!(!shown.contains(secret), "{secret} leaked: {shown}");
    }
}
