//! Every accepted way in, and the ways that must be refused with a 401.

mod common;

use appsec_runtime::Secret;
use appsec_runtime::connect_jwt::Signer;
use appsec_sandbox::{Credentials, SandboxConfig};
use common::*;
use reqwest::{Method, StatusCode, Url};
use serde_json::json;

const SCHEMES: &str = "/rest/api/3/issuesecurityschemes";

fn signer(secret: &str) -> Signer {
    let c = Credentials::default();
    Signer::new(c.connect_app_key, Secret::new(secret))
}

/// A `JWT ...` header signed for `method url`.
fn jwt(signer: &Signer, method: &str, url: &str, base: &str) -> String {
    signer
        .authorization_header(
            method,
            &Url::parse(url).unwrap(),
            &Url::parse(&format!("{base}/")).unwrap(),
        )
        .expose()
        .to_string()
}

#[tokio::test]
async fn basic_bearer_and_jwt_are_accepted() {
    let sandbox = start().await;
    let url = format!("{}{SCHEMES}", sandbox.url());

    let (status, body) = call(Method::GET, &url, &basic(), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["issueSecuritySchemes"].as_array().unwrap().len(), 2);

    let bearer = format!("Bearer {}", Credentials::default().bearer_token);
    let (status, _) = call(Method::GET, &url, &bearer, None).await;
    assert_eq!(status, StatusCode::OK);

    // The qsh covers the query, including repeated parameters.
    let url = format!(
        "{}{SCHEMES}/level?schemeId=10000&schemeId=10001&startAt=0",
        sandbox.url()
    );
    let signer = signer(&Credentials::default().connect_shared_secret);
    let auth = jwt(&signer, "GET", &url, &sandbox.url());
    let (status, body) = call(Method::GET, &url, &auth, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["total"], 5);

    // Security Information takes Connect JWTs too, on writes.
    let url = format!("{}/rest/security/1.0/linkedWorkspaces/bulk", sandbox.url());
    let auth = jwt(&signer, "POST", &url, &sandbox.url());
    let (status, _) = call(
        Method::POST,
        &url,
        &auth,
        Some(&json!({ "workspaceIds": ["ws-1"] })),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(sandbox.stats().rejected_auth, 0);
}

#[tokio::test]
async fn wrong_password_is_rejected() {
    let sandbox = start().await;
    let url = format!("{}{SCHEMES}", sandbox.url());
    let c = Credentials::default();
    let (status, body) = call(
        Method::GET,
        &url,
        &basic_for(&c.jira_email, "not-the-token"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body["errorMessages"][0].is_string(), "{body}");

    let (status, _) = call(Method::GET, &url, "Bearer nope", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // No credentials at all.
    let resp = client().get(&url).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(sandbox.stats().rejected_auth, 3);
}

#[tokio::test]
async fn jwt_with_wrong_signature_is_rejected() {
    let sandbox = start().await;
    let url = format!("{}{SCHEMES}", sandbox.url());
    let auth = jwt(&signer("some-other-secret"), "GET", &url, &sandbox.url());
    let (status, body) = call(Method::GET, &url, &auth, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        body["errorMessages"][0]
            .as_str()
            .unwrap()
            .contains("signature"),
        "{body}"
    );
}

#[tokio::test]
async fn jwt_signed_for_another_request_is_rejected() {
    let sandbox = start().await;
    let signer = signer(&Credentials::default().connect_shared_secret);
    let signed_for = format!("{}{SCHEMES}/level?schemeId=10000", sandbox.url());
    let sent_to = format!("{}{SCHEMES}/level?schemeId=10001", sandbox.url());
    let auth = jwt(&signer, "GET", &signed_for, &sandbox.url());
    let (status, body) = call(Method::GET, &sent_to, &auth, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        body["errorMessages"][0].as_str().unwrap().contains("qsh"),
        "{body}"
    );

    // Same URL, other method.
    let auth = jwt(&signer, "GET", &sent_to, &sandbox.url());
    let (status, _) = call(Method::DELETE, &sent_to, &auth, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Security Information answers in its own error shape.
    let url = format!("{}/rest/security/1.0/linkedWorkspaces", sandbox.url());
    let auth = jwt(&signer, "GET", &format!("{url}?x=1"), &sandbox.url());
    let (status, body) = call(Method::GET, &url, &auth, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body[0]["message"].is_string(), "{body}");
}

#[tokio::test]
async fn security_levels_can_be_read_anonymously() {
    let sandbox = start().await;
    let resp = client()
        .get(format!("{}/rest/api/3/securitylevel/10021", sandbox.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let level: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(level["name"], "Security team");

    // Anonymous callers see no usable levels; authenticated ones do.
    let url = format!("{}/rest/api/3/project/APP/securitylevel", sandbox.url());
    let anonymous: serde_json::Value = client()
        .get(&url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(anonymous["levels"], json!([]));
    let (_, known) = jira_get(&sandbox, "/rest/api/3/project/APP/securitylevel").await;
    assert_eq!(known["levels"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn qwiet_takes_its_bearer_token_only() {
    let sandbox = start().await;
    let url = format!(
        "{}/orgs/{}/apps",
        sandbox.qwiet_url(),
        appsec_sandbox::SANDBOX_ORG_ID
    );
    let (status, body) = qwiet_get(&url).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["ok"], true);

    for auth in ["Bearer wrong", basic().as_str()] {
        let (status, body) = call(Method::GET, &url, auth, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(body["ok"], false);
        assert_eq!(body["code"], "UNAUTHORIZED");
        assert!(body["message"].is_string());
    }
}

#[tokio::test]
async fn custom_credentials_replace_the_demo_ones() {
    let credentials = Credentials {
        jira_api_token: "custom".into(),
        ..Credentials::default()
    };
    let sandbox = start_with(SandboxConfig {
        credentials: credentials.clone(),
        ..SandboxConfig::default()
    })
    .await;
    let (status, _) = jira_get(&sandbox, SCHEMES).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let url = format!("{}{SCHEMES}", sandbox.url());
    let auth = basic_for(&credentials.jira_email, "custom");
    let (status, _) = call(Method::GET, &url, &auth, None).await;
    assert_eq!(status, StatusCode::OK);
}

#[test]
fn credentials_debug_hides_secrets() {
    let c = Credentials::default();
    let shown = format!("{:?}", SandboxConfig::default());
    for secret in [
        &c.jira_api_token,
        &c.bearer_token,
        &c.connect_shared_secret,
        &c.qwiet_token,
    ] {
        assert!(!shown.contains(secret.as_str()), "{shown}");
    }
    assert!(shown.contains("***"));
    assert!(shown.contains(&c.jira_email));
}
