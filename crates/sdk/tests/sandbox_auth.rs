//! The sandbox as Atlassian: Forge invocations with FITs its JWKS verifies,
//! system tokens it accepts, the OAuth 2.0 (3LO) flow with rotating refresh
//! tokens behind the API gateway, and Connect scopes per operation.

use appsec_sandbox::{
    SANDBOX_CLOUD_ID, SANDBOX_FORGE_APP_ID, SANDBOX_OAUTH_CLIENT_ID, SANDBOX_OAUTH_CLIENT_SECRET,
    Sandbox, SandboxConfig,
};
use appsec_sdk::forge::{FitVerifier, ForgeTokens, HttpJwks, SYSTEM_TOKEN_HEADER, jira_builder};
use appsec_sdk::oauth::{OAuthApp, OAuthError, RefreshingToken};
use appsec_sdk::{Error, JiraClient, RetryPolicy, SendExt};
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue};

async fn sandbox() -> Sandbox {
    Sandbox::start(SandboxConfig {
        qwiet_findings: 10,
        jira_level_members: 3,
        ..SandboxConfig::default()
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn a_forge_invocation_verifies_and_its_system_token_reaches_security_information() {
    let sandbox = sandbox().await;
    let invocation = sandbox.forge_invocation();
    let mut headers = HeaderMap::new();
    headers.insert(
        AUTHORIZATION,
        HeaderValue::from_str(&format!("Bearer {}", invocation.fit)).unwrap(),
    );
    headers.insert(
        SYSTEM_TOKEN_HEADER,
        HeaderValue::from_str(&invocation.system_token).unwrap(),
    );
    let verifier = FitVerifier::new(
        SANDBOX_FORGE_APP_ID,
        HttpJwks::new(sandbox.forge_jwks_url()),
    );
    let verified = verifier.verify_headers(&headers).await.unwrap();
    assert_eq!(verified.claims.app.api_base_url, sandbox.gateway_url());
    assert_eq!(
        verified.claims.context.cloud_id.as_deref(),
        Some(SANDBOX_CLOUD_ID)
    );

    let tokens = ForgeTokens::new();
    tokens.remember(&verified);
    let jira = jira_builder(&verified.claims, &tokens).build().unwrap();
    jira.link_workspaces(["w-1".to_string()]).await.unwrap();
    let linked = jira
        .security_info()
        .unwrap()
        .get_linked_workspaces()
        .send()
        .value()
        .await
        .unwrap();
    assert_eq!(linked.workspace_ids.len(), 1);

    // A FIT for another app does not verify; a token the sandbox never issued is refused.
    let other = FitVerifier::new(
        "ari:cloud:ecosystem::app/other",
        HttpJwks::new(sandbox.forge_jwks_url()),
    );
    assert!(other.verify_headers(&headers).await.is_err());
    let stranger = JiraClient::builder(sandbox.gateway_url())
        .bearer_token("forge-system-not-issued")
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let err = stranger
        .security_info()
        .unwrap()
        .get_linked_workspaces()
        .send()
        .value()
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Auth(ref e) if e.status == 401),
        "{err:?}"
    );
}

fn oauth_app(sandbox: &Sandbox) -> OAuthApp {
    OAuthApp::new(
        SANDBOX_OAUTH_CLIENT_ID,
        SANDBOX_OAUTH_CLIENT_SECRET,
        "http://127.0.0.1:9/callback",
    )
    .with_servers(sandbox.url(), sandbox.url())
}

#[tokio::test]
async fn the_oauth_flow_runs_against_the_sandbox_and_refresh_tokens_rotate() {
    let sandbox = sandbox().await;
    let app = oauth_app(&sandbox);
    let (url, state) = app.authorize_url(&["read:jira-work", "offline_access"]);
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let consent = no_redirects.get(url).send().await.unwrap();
    assert_eq!(consent.status(), 302);
    let back = reqwest::Url::parse(consent.headers()["location"].to_str().unwrap()).unwrap();
    let param = |name: &str| {
        back.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
            .unwrap()
    };
    state.check(&param("state")).unwrap();
    let tokens = app.exchange_code(&param("code")).await.unwrap();
    // A code works once.
    assert!(matches!(
        app.exchange_code(&param("code")).await,
        Err(OAuthError::Refused { .. })
    ));
    let sites = app
        .accessible_resources(&tokens.access_token)
        .await
        .unwrap();
    assert_eq!(sites[0].id, SANDBOX_CLOUD_ID);

    let first_refresh = tokens.refresh_token.clone().unwrap();
    let provider = RefreshingToken::new(app.clone(), tokens).unwrap();
    let jira = JiraClient::builder(app.jira_base_url(&sites[0].id))
        .token_provider(provider.clone())
        .build()
        .unwrap();
    let schemes = jira
        .issue_security()
        .get_issue_security_schemes()
        .send()
        .value()
        .await
        .unwrap();
    assert!(!schemes.issue_security_schemes.is_empty());

    // One rotation: the new refresh token works, the old one no longer does.
    let rotated = app.refresh(&first_refresh).await.unwrap();
    let err = app.refresh(&first_refresh).await.unwrap_err();
    assert!(
        matches!(err, OAuthError::Refused { ref error, .. } if error == "invalid_grant"),
        "{err}"
    );
    app.refresh(&rotated.refresh_token.unwrap()).await.unwrap();
}

#[tokio::test]
async fn connect_scopes_are_enforced_per_operation() {
    let sandbox = Sandbox::start(SandboxConfig {
        connect_scopes: vec!["READ".into()],
        qwiet_findings: 10,
        jira_level_members: 3,
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let c = appsec_sandbox::Credentials::default();
    let jira = JiraClient::builder(sandbox.url())
        .connect_jwt(c.connect_app_key, c.connect_shared_secret)
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    jira.security_info()
        .unwrap()
        .get_linked_workspaces()
        .send()
        .value()
        .await
        .unwrap();
    let err = jira.link_workspaces(["w-1".to_string()]).await.unwrap_err();
    assert!(
        matches!(err, Error::Auth(ref e) if e.status == 403),
        "{err:?}"
    );
    assert!(err.to_string().contains("WRITE"), "{err}");
}
