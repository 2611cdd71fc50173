//! Security Information answers apps only: with basic auth (or none) every
//! Security Information call fails before anything is sent.

use appsec_sdk::jira::Vulnerabilities;
use appsec_sdk::{Error, JiraClient, RetryPolicy, SendExt};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn with_basic(server: &MockServer) -> JiraClient {
    JiraClient::builder(server.uri())
        .basic_auth("me@example.com", "api-token-3f9a")
        .retry(RetryPolicy::none())
        .build()
        .unwrap()
}

fn assert_refused(err: Error) {
    let Error::AuthNotAccepted {
        api,
        used,
        accepted,
    } = &err
    else {
        panic!("expected AuthNotAccepted, got {err:?}");
    };
    assert_eq!(*api, "Jira Security Information");
    assert!(used.contains("basic"), "{used}");
    let text = err.to_string();
    for mode in ["Forge", "OAuth 2.0", "Connect"] {
        assert!(accepted.iter().any(|a| a.contains(mode)), "{accepted:?}");
        assert!(text.contains(mode), "{text}");
    }
    assert!(!text.contains("api-token-3f9a"), "{text}");
}

#[tokio::test]
async fn basic_auth_is_refused_for_every_security_information_call_and_nothing_is_sent() {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    let jira = with_basic(&server);

    assert_refused(jira.security_info().unwrap_err());
    assert_refused(jira.link_workspaces(["w1".to_string()]).await.unwrap_err());
    assert_refused(
        jira.unlink_workspaces(["w1".to_string()])
            .await
            .unwrap_err(),
    );
    assert_refused(
        jira.submit_vulnerabilities(Vulnerabilities::new(Vec::new()).property("k", "v"))
            .await
            .map(|_| ())
            .unwrap_err(),
    );
    assert_refused(
        jira.delete_vulnerabilities_by_properties([("k".to_string(), "v".to_string())])
            .await
            .unwrap_err(),
    );
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn no_credentials_are_refused_too_and_app_credentials_pass() {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::path(
        "/rest/security/1.0/linkedWorkspaces",
    ))
    .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"workspaceIds": []})))
    .expect(2)
    .mount(&server)
    .await;
    let anonymous = JiraClient::builder(server.uri()).build().unwrap();
    assert!(matches!(
        anonymous.security_info(),
        Err(Error::AuthNotAccepted {
            used: "no credentials",
            ..
        })
    ));
    for jira in [
        JiraClient::builder(server.uri())
            .bearer_token("app-token")
            .build()
            .unwrap(),
        JiraClient::builder(server.uri())
            .connect_jwt("com.example.app", "shared-secret")
            .build()
            .unwrap(),
    ] {
        jira.security_info()
            .unwrap()
            .get_linked_workspaces()
            .send()
            .value()
            .await
            .unwrap();
    }
}
