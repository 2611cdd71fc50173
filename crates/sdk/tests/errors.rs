//! Every `appsec_sdk::Error` variant, reached through real calls against a
//! loopback server (or none at all), and no credential in any rendering.

use std::time::Duration;

use appsec_sdk::{
    ApiErrorBody, Error, ErrorMessage, JiraClient, Paginate, QwietClient, RetryPolicy, SendExt,
    TokenFuture, TokenProvider,
};
use futures::TryStreamExt;
use serde_json::json;
use uuid::Uuid;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const ORG: &str = "3fd2c5a8-6e1b-4f7d-9c2a-8b1e0d4f6a57";
const QWIET_TOKEN: &str = "qwiet-s3cr3t-token-7f3a";
const JIRA_EMAIL: &str = "me@example.com";
const JIRA_TOKEN: &str = "jira-api-s3cr3t-9c1e";
/// `base64("{JIRA_EMAIL}:{JIRA_TOKEN}")`, as the basic-auth header carries it.
const JIRA_BASIC: &str = "bWVAZXhhbXBsZS5jb206amlyYS1hcGktczNjcjN0LTljMWU=";
const SCHEMES: &str = "/rest/api/3/issuesecurityschemes";

fn org() -> Uuid {
    ORG.parse().unwrap()
}

fn apps_path() -> String {
    format!("/api/v4/orgs/{ORG}/apps")
}

fn qwiet_at(base_url: String, retry: RetryPolicy) -> QwietClient {
    QwietClient::builder()
        .base_url(base_url)
        .bearer_token(QWIET_TOKEN)
        .retry(retry)
        .build()
        .expect("a loopback base URL is accepted")
}

fn qwiet(server: &MockServer) -> QwietClient {
    qwiet_at(format!("{}/api/v4", server.uri()), RetryPolicy::none())
}

fn jira_with(server: &MockServer, retry: RetryPolicy) -> JiraClient {
    JiraClient::builder(server.uri())
        .basic_auth(JIRA_EMAIL, JIRA_TOKEN)
        .retry(retry)
        .build()
        .expect("a loopback base URL is accepted")
}

fn jira(server: &MockServer) -> JiraClient {
    jira_with(server, RetryPolicy::none())
}

/// Security Information answers apps only: an app token instead of basic auth.
fn jira_app(server: &MockServer) -> JiraClient {
    JiraClient::builder(server.uri())
        .bearer_token("app-token")
        .retry(RetryPolicy::none())
        .build()
        .expect("a loopback base URL is accepted")
}

fn quick_retries() -> RetryPolicy {
    RetryPolicy::default()
        .with_max_retries(2)
        .with_backoff(Duration::from_millis(1), Duration::from_millis(5))
        .with_jitter(false)
}

/// The Qwiet call most tests use: list the org's apps.
async fn list_apps(qwiet: &QwietClient) -> Result<impl std::fmt::Debug, Error> {
    qwiet.api().list_apps().org_id(org()).send().value().await
}

/// The Jira call most tests use: list the issue security schemes.
async fn list_schemes(jira: &JiraClient) -> Result<impl std::fmt::Debug, Error> {
    jira.issue_security()
        .get_issue_security_schemes()
        .send()
        .value()
        .await
}

async fn sent(server: &MockServer) -> usize {
    server
        .received_requests()
        .await
        .expect("recording is on")
        .len()
}

/// `{"ok": false, "code": ..., "message": ...}`, Qwiet's error envelope.
fn qwiet_failure(code: &str, message: &str) -> serde_json::Value {
    json!({"ok": false, "code": code, "message": message})
}

/// Renders an error every way a program might and checks no credential
/// (raw, or as the basic-auth header would carry it) shows up.
fn assert_no_secret(err: &Error) {
    for rendered in [err.to_string(), format!("{err:?}"), format!("{err:#}")] {
        for secret in [QWIET_TOKEN, JIRA_TOKEN, JIRA_BASIC] {
            assert!(
                !rendered.contains(secret),
                "{secret:?} leaked into {rendered:?}"
            );
        }
    }
}

#[derive(Debug)]
struct BrokenProvider;

impl TokenProvider for BrokenProvider {
    fn token(&self) -> TokenFuture<'_> {
        Box::pin(async { Err("identity provider unavailable (HTTP 503)".into()) })
    }
}

/// A loopback address nothing listens on.
fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}/api/v4")
}

// ---------------------------------------------------------------- Api

#[tokio::test]
async fn qwiet_404_envelope_is_an_api_error_with_code_and_message() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(apps_path()))
        .respond_with(
            ResponseTemplate::new(404)
                .insert_header("x-request-id", "req-42")
                .set_body_json(qwiet_failure("NOT_FOUND", "organization not found")),
        )
        .expect(1)
        .mount(&server)
        .await;

    let err = list_apps(&qwiet(&server)).await.unwrap_err();
    let Error::Api(api) = &err else {
        panic!("expected Error::Api, got {err:?}");
    };
    assert_eq!(api.status, 404);
    assert_eq!(api.headers.get("x-request-id").unwrap(), "req-42");
    assert_eq!(
        api.body,
        ApiErrorBody::Qwiet {
            code: "NOT_FOUND".into(),
            message: "organization not found".into(),
            validation_errors: vec![],
        }
    );
    assert_eq!(err.status().map(|s| s.as_u16()), Some(404));
    assert_eq!(
        err.to_string(),
        "the service answered 404 Not Found: NOT_FOUND: organization not found"
    );
    assert_no_secret(&err);
}

#[tokio::test]
async fn qwiet_400_keeps_the_validation_errors() {
    let server = MockServer::start().await;
    Mock::given(path(apps_path()))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "ok": false,
            "code": "VALIDATION_ERROR",
            "message": "invalid request",
            "validation_errors": ["per_page must be at most 250"]
        })))
        .mount(&server)
        .await;

    let err = list_apps(&qwiet(&server)).await.unwrap_err();
    match &err {
        Error::Api(api) => {
            assert_eq!(api.status, 400);
            assert_eq!(
                api.body,
                ApiErrorBody::Qwiet {
                    code: "VALIDATION_ERROR".into(),
                    message: "invalid request".into(),
                    validation_errors: vec!["per_page must be at most 250".into()],
                }
            );
        }
        other => panic!("expected Error::Api, got {other:?}"),
    }
    assert!(
        err.to_string().contains("per_page must be at most 250"),
        "{err}"
    );
}

#[tokio::test]
async fn jira_400_error_collection_is_an_api_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("{SCHEMES}/10000")))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "errorMessages": ["The issue security scheme ID is invalid."],
            "errors": {"id": "Must be a number."}
        })))
        .expect(1)
        .mount(&server)
        .await;

    let err = jira(&server)
        .issue_security()
        .get_issue_security_scheme()
        .id(10000)
        .send()
        .value()
        .await
        .unwrap_err();
    let Error::Api(api) = &err else {
        panic!("expected Error::Api, got {err:?}");
    };
    assert_eq!(api.status, 400);
    assert_eq!(
        api.body,
        ApiErrorBody::Jira {
            messages: vec!["The issue security scheme ID is invalid.".into()],
            errors: [("id".to_string(), "Must be a number.".to_string())].into(),
        }
    );
    assert!(err.to_string().contains("id: Must be a number."), "{err}");
    assert_no_secret(&err);
}

#[tokio::test]
async fn security_info_400_message_list_is_an_api_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/rest/security/1.0/linkedWorkspaces"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!([
            {"message": "The workspace list is malformed.", "errorTraceId": "a1b2c3"}
        ])))
        .mount(&server)
        .await;

    let err = jira_app(&server)
        .security_info()
        .unwrap()
        .get_linked_workspaces()
        .send()
        .value()
        .await
        .unwrap_err();
    match &err {
        Error::Api(api) => {
            assert_eq!(api.status, 400);
            assert_eq!(
                api.body,
                ApiErrorBody::SecurityInfo(vec![
                    ErrorMessage::new("The workspace list is malformed.").with_trace_id("a1b2c3")
                ])
            );
        }
        other => panic!("expected Error::Api, got {other:?}"),
    }
}

#[tokio::test]
async fn jira_500_html_page_is_an_api_error_with_the_text() {
    let server = MockServer::start().await;
    Mock::given(path(SCHEMES))
        .respond_with(ResponseTemplate::new(500).set_body_raw(
            "<html><body>Internal Server Error</body></html>",
            "text/html",
        ))
        .mount(&server)
        .await;

    let err = list_schemes(&jira(&server)).await.unwrap_err();
    match &err {
        Error::Api(api) => {
            assert_eq!(api.status, 500);
            assert_eq!(
                api.body,
                ApiErrorBody::Other("<html><body>Internal Server Error</body></html>".into())
            );
        }
        other => panic!("expected Error::Api, got {other:?}"),
    }
}

#[tokio::test]
async fn qwiet_error_status_with_an_undocumented_body_is_still_an_api_error() {
    let server = MockServer::start().await;
    Mock::given(path(apps_path()))
        .respond_with(
            ResponseTemplate::new(502)
                .set_body_raw("<html><body>502 Bad Gateway</body></html>", "text/html"),
        )
        .mount(&server)
        .await;

    let err = list_apps(&qwiet(&server)).await.unwrap_err();
    match &err {
        Error::Api(api) => {
            assert_eq!(api.status, 502);
            assert_eq!(
                api.body,
                ApiErrorBody::Other("<html><body>502 Bad Gateway</body></html>".into())
            );
        }
        other => panic!("expected Error::Api, got {other:?}"),
    }
}

// ---------------------------------------------------------------- Auth

#[tokio::test]
async fn qwiet_401_is_an_auth_error() {
    let server = MockServer::start().await;
    Mock::given(path(apps_path()))
        .respond_with(ResponseTemplate::new(401).set_body_json(qwiet_failure(
            "UNAUTHORIZED",
            "invalid or expired access token",
        )))
        .expect(1)
        .mount(&server)
        .await;

    let err = list_apps(&qwiet(&server)).await.unwrap_err();
    let Error::Auth(api) = &err else {
        panic!("expected Error::Auth, got {err:?}");
    };
    assert_eq!(api.status, 401);
    assert!(matches!(&api.body, ApiErrorBody::Qwiet { code, .. } if code == "UNAUTHORIZED"));
    assert!(
        err.to_string()
            .starts_with("the service did not authorize the call: 401"),
        "{err}"
    );
    assert_no_secret(&err);
}

#[tokio::test]
async fn jira_401_and_403_are_auth_errors() {
    let server = MockServer::start().await;
    Mock::given(path(SCHEMES))
        .respond_with(ResponseTemplate::new(401).set_body_raw(
            "Client must be authenticated to access this resource.",
            "text/plain",
        ))
        .mount(&server)
        .await;
    Mock::given(path(format!("{SCHEMES}/10000")))
        .respond_with(ResponseTemplate::new(403).set_body_json(json!({
            "errorMessages": ["You do not have permission to administer issue security."],
            "errors": {}
        })))
        .mount(&server)
        .await;
    let jira = jira(&server);

    let err = list_schemes(&jira).await.unwrap_err();
    match &err {
        Error::Auth(api) => {
            assert_eq!(api.status, 401);
            assert_eq!(
                api.body,
                ApiErrorBody::Other("Client must be authenticated to access this resource.".into())
            );
        }
        other => panic!("expected Error::Auth, got {other:?}"),
    }
    assert_no_secret(&err);

    let err = jira
        .issue_security()
        .get_issue_security_scheme()
        .id(10000)
        .send()
        .value()
        .await
        .unwrap_err();
    match &err {
        Error::Auth(api) => {
            assert_eq!(api.status, 403);
            assert!(
                matches!(&api.body, ApiErrorBody::Jira { messages, .. } if messages.len() == 1)
            );
        }
        other => panic!("expected Error::Auth, got {other:?}"),
    }
    assert_no_secret(&err);
}

#[tokio::test]
async fn qwiet_401_with_a_plain_body_is_still_an_auth_error() {
    let server = MockServer::start().await;
    Mock::given(path(apps_path()))
        .respond_with(ResponseTemplate::new(401).set_body_raw("Unauthorized", "text/plain"))
        .mount(&server)
        .await;

    let err = list_apps(&qwiet(&server)).await.unwrap_err();
    match &err {
        Error::Auth(api) => {
            assert_eq!(api.status, 401);
            assert_eq!(api.body, ApiErrorBody::Other("Unauthorized".into()));
        }
        other => panic!("expected Error::Auth, got {other:?}"),
    }
}

#[tokio::test]
async fn security_info_401_object_body_is_still_an_auth_error() {
    let server = MockServer::start().await;
    Mock::given(path("/rest/security/1.0/linkedWorkspaces"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(json!({"code": 401, "message": "Client must be authenticated"})),
        )
        .mount(&server)
        .await;

    let err = jira_app(&server)
        .security_info()
        .unwrap()
        .get_linked_workspaces()
        .send()
        .value()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Auth(api) if api.status == 401),
        "{err:?}"
    );
}

// ---------------------------------------------------------------- RetriesExhausted

#[tokio::test]
async fn jira_429_every_time_exhausts_the_retries() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(SCHEMES))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("x-ratelimit-remaining", "0")
                .set_body_json(json!({"errorMessages": ["Rate limit exceeded."]})),
        )
        .expect(3)
        .mount(&server)
        .await;

    let err = list_schemes(&jira_with(&server, quick_retries()))
        .await
        .unwrap_err();
    let Error::RetriesExhausted { attempts, last } = &err else {
        panic!("expected Error::RetriesExhausted, got {err:?}");
    };
    assert_eq!(*attempts, 3);
    assert_eq!(last.status, 429);
    assert_eq!(last.headers.get("x-ratelimit-remaining").unwrap(), "0");
    assert_eq!(
        last.body,
        ApiErrorBody::Jira {
            messages: vec!["Rate limit exceeded.".into()],
            errors: Default::default(),
        }
    );
    assert_eq!(err.status().map(|s| s.as_u16()), Some(429));
    assert_eq!(
        err.to_string(),
        "gave up after 3 attempts; the last answer was 429 Too Many Requests: Rate limit exceeded."
    );
    assert_eq!(sent(&server).await, 3);
    assert_no_secret(&err);
}

#[tokio::test]
async fn qwiet_429_every_time_exhausts_the_retries() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(apps_path()))
        .respond_with(
            ResponseTemplate::new(429)
                .set_body_json(qwiet_failure("RATE_LIMITED", "too many requests")),
        )
        .expect(3)
        .mount(&server)
        .await;

    let err = list_apps(&qwiet_at(
        format!("{}/api/v4", server.uri()),
        quick_retries(),
    ))
    .await
    .unwrap_err();
    let Error::RetriesExhausted { attempts, last } = &err else {
        panic!("expected Error::RetriesExhausted, got {err:?}");
    };
    assert_eq!(*attempts, 3);
    assert_eq!(last.status, 429);
    assert_eq!(
        last.body,
        ApiErrorBody::Qwiet {
            code: "RATE_LIMITED".into(),
            message: "too many requests".into(),
            validation_errors: vec![],
        }
    );
}

#[tokio::test]
async fn a_retried_request_that_then_succeeds_is_not_an_error() {
    let server = MockServer::start().await;
    Mock::given(path(SCHEMES))
        .respond_with(ResponseTemplate::new(429).set_body_string("{}"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(path(SCHEMES))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"issueSecuritySchemes": []})))
        .mount(&server)
        .await;

    list_schemes(&jira_with(&server, quick_retries()))
        .await
        .expect("the retry succeeds");
    assert_eq!(sent(&server).await, 2);
}

// ---------------------------------------------------------------- Transport

#[tokio::test]
async fn a_closed_port_is_a_transport_error() {
    let qwiet = qwiet_at(closed_port_url(), RetryPolicy::none());
    let err = list_apps(&qwiet).await.unwrap_err();
    let Error::Transport(inner) = &err else {
        panic!("expected Error::Transport, got {err:?}");
    };
    assert!(inner.is_connect(), "{inner:?}");
    assert_eq!(err.status(), None);
    let text = err.to_string();
    assert!(
        text.starts_with("the request failed before a complete answer arrived: "),
        "{text}"
    );
    // The cause is part of the sentence, not only of the source chain.
    assert!(text.contains("Connection refused"), "{text}");
    assert!(std::error::Error::source(&err).is_some());
    assert_no_secret(&err);
}

#[tokio::test]
async fn a_closed_port_stays_a_transport_error_after_retries() {
    let qwiet = qwiet_at(closed_port_url(), quick_retries());
    let err = qwiet
        .api()
        .list_org_findings()
        .org_id(org())
        .paginate()
        .items()
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Transport(_)), "{err:?}");
}

// ---------------------------------------------------------------- Decode

#[tokio::test]
async fn a_field_of_the_wrong_type_is_a_decode_error_naming_the_field() {
    let server = MockServer::start().await;
    let body = r#"{"ok":true,"response":[{"id":"shiftleft-java-demo","name":"Java demo","is_demo":"yes"}]}"#;
    Mock::given(path(apps_path()))
        .respond_with(ResponseTemplate::new(200).set_body_raw(body, "application/json"))
        .mount(&server)
        .await;

    let err = list_apps(&qwiet(&server)).await.unwrap_err();
    let Error::Decode {
        path,
        message,
        snippet,
    } = &err
    else {
        panic!("expected Error::Decode, got {err:?}");
    };
    let path = path.as_deref().expect("the failing field is located");
    assert!(
        path.contains("response") && path.contains("is_demo"),
        "{path}"
    );
    assert_eq!(path, "response[0].is_demo");
    assert!(message.contains("invalid type"), "{message}");
    assert!(
        snippet.starts_with(r#"{"ok":true,"response":[{"id""#),
        "{snippet}"
    );
    assert_eq!(err.status(), None);
    assert!(err.to_string().contains("`response[0].is_demo`"), "{err}");
    assert_no_secret(&err);
}

#[tokio::test]
async fn a_bad_page_in_a_listing_is_a_decode_error_naming_the_field() {
    let server = MockServer::start().await;
    Mock::given(path(format!("/api/v4/orgs/{ORG}/findings")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "ok": true,
            "response": {"findings": [], "counts": [], "has_more": "yes"}
        })))
        .mount(&server)
        .await;

    let err = qwiet(&server)
        .api()
        .list_org_findings()
        .org_id(org())
        .per_page(2)
        .paginate()
        .items()
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    match &err {
        Error::Decode { path, .. } => assert_eq!(path.as_deref(), Some("response.has_more")),
        other => panic!("expected Error::Decode, got {other:?}"),
    }
}

#[tokio::test]
async fn a_long_bad_body_is_cut_in_the_snippet() {
    let server = MockServer::start().await;
    let names: Vec<String> = (0..200).map(|i| format!("app-{i:03}")).collect();
    let mut apps: Vec<serde_json::Value> = names.iter().map(|n| json!({"id": n})).collect();
    apps.push(json!({"id": 7}));
    let body = serde_json::to_string(&json!({"ok": true, "response": apps})).unwrap();
    assert!(body.len() > 2048);
    Mock::given(path(apps_path()))
        .respond_with(ResponseTemplate::new(200).set_body_raw(body.clone(), "application/json"))
        .mount(&server)
        .await;

    let err = list_apps(&qwiet(&server)).await.unwrap_err();
    let Error::Decode { path, snippet, .. } = &err else {
        panic!("expected Error::Decode, got {err:?}");
    };
    assert_eq!(path.as_deref(), Some("response[200].id"));
    assert!(snippet.len() < body.len());
    assert!(snippet.ends_with('…'), "{snippet}");
    assert!(body.starts_with(snippet.trim_end_matches('…')));
}

#[tokio::test]
async fn jira_html_page_with_status_200_is_a_decode_error() {
    let server = MockServer::start().await;
    let page = "<html><head><title>Log in - Jira</title></head><body>Please log in.</body></html>";
    Mock::given(path(SCHEMES))
        .respond_with(ResponseTemplate::new(200).set_body_raw(page, "text/html"))
        .mount(&server)
        .await;

    let err = list_schemes(&jira(&server)).await.unwrap_err();
    let Error::Decode { path, snippet, .. } = &err else {
        panic!("expected Error::Decode, got {err:?}");
    };
    assert_eq!(path, &None, "no field to blame in a body that is not JSON");
    assert!(snippet.starts_with("<html>"), "{snippet}");
    assert!(err.to_string().contains("<html>"), "{err}");
    assert_no_secret(&err);
}

#[tokio::test]
async fn qwiet_html_page_with_status_200_is_a_decode_error() {
    let server = MockServer::start().await;
    Mock::given(path(format!("/api/v4/orgs/{ORG}/rbac/teams")))
        .respond_with(ResponseTemplate::new(200).set_body_raw("<html>Sign in</html>", "text/html"))
        .mount(&server)
        .await;

    let err = qwiet(&server)
        .api()
        .list_teams()
        .org_id(org())
        .paginate()
        .items()
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Decode { snippet, .. } if snippet == "<html>Sign in</html>"),
        "{err:?}"
    );
}

#[tokio::test]
async fn an_undocumented_success_status_is_a_decode_error() {
    let server = MockServer::start().await;
    Mock::given(path(SCHEMES))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;

    let err = list_schemes(&jira(&server)).await.unwrap_err();
    match &err {
        Error::Decode {
            message, snippet, ..
        } => {
            assert!(message.contains("204"), "{message}");
            assert_eq!(snippet, "");
        }
        other => panic!("expected Error::Decode, got {other:?}"),
    }
}

// ---------------------------------------------------------------- InvalidInput

#[tokio::test]
async fn deleting_by_no_properties_is_invalid_input_and_sends_nothing() {
    let server = MockServer::start().await;
    let err = jira_app(&server)
        .delete_vulnerabilities_by_properties(Vec::<(String, String)>::new())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidInput(_)), "{err:?}");
    assert!(
        err.to_string()
            .starts_with("invalid input, nothing was sent: "),
        "{err}"
    );
    assert_eq!(sent(&server).await, 0);
}

#[tokio::test]
async fn bad_property_keys_and_values_are_invalid_input_and_send_nothing() {
    let server = MockServer::start().await;
    let jira = jira_app(&server);
    let long = "x".repeat(256);
    let cases: Vec<Vec<(&str, &str)>> = vec![
        vec![("repo:name", "payments")],
        vec![("_internal", "1")],
        vec![("", "1")],
        vec![("source", long.as_str())],
        vec![
            ("a", "1"),
            ("b", "2"),
            ("c", "3"),
            ("d", "4"),
            ("e", "5"),
            ("f", "6"),
        ],
    ];
    for properties in cases {
        let err = jira
            .delete_vulnerabilities_by_properties(properties.clone())
            .await
            .unwrap_err();
        assert!(
            matches!(err, Error::InvalidInput(_)),
            "{properties:?}: {err:?}"
        );
    }
    assert_eq!(sent(&server).await, 0);
}

#[tokio::test]
async fn a_valid_property_delete_is_sent() {
    let server = MockServer::start().await;
    Mock::given(method("DELETE"))
        .and(path("/rest/security/1.0/bulkByProperties"))
        .respond_with(ResponseTemplate::new(202))
        .expect(1)
        .mount(&server)
        .await;
    jira_app(&server)
        .delete_vulnerabilities_by_properties([("source", "qwiet")])
        .await
        .expect("a valid delete is accepted");
}

#[tokio::test]
async fn empty_workspace_id_is_invalid_input_and_sends_nothing() {
    let server = MockServer::start().await;
    let err = jira_app(&server).link_workspaces([""]).await.unwrap_err();
    assert!(matches!(err, Error::InvalidInput(_)), "{err:?}");
    assert_eq!(sent(&server).await, 0);
}

#[tokio::test]
async fn a_builder_value_that_does_not_convert_is_invalid_input_and_sends_nothing() {
    let server = MockServer::start().await;
    let qwiet = qwiet(&server);

    let err = qwiet
        .api()
        .list_apps()
        .org_id("not-a-uuid")
        .send()
        .value()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::InvalidInput(m) if m.contains("org_id")),
        "{err:?}"
    );

    let err = qwiet
        .api()
        .list_org_findings()
        .org_id(org())
        .per_page(u64::MAX)
        .paginate()
        .items()
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::InvalidInput(m) if m.contains("per_page")),
        "{err:?}"
    );
    assert_eq!(sent(&server).await, 0);
}

// ---------------------------------------------------------------- Config

#[test]
fn plain_http_to_a_remote_host_is_a_config_error() {
    let err = QwietClient::builder()
        .base_url("http://example.com")
        .bearer_token(QWIET_TOKEN)
        .build()
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Config(appsec_runtime::ConfigError::InsecureBaseUrl { .. })
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("https"), "{err}");
    assert_no_secret(&err);

    let err = JiraClient::builder("http://example.com")
        .basic_auth(JIRA_EMAIL, JIRA_TOKEN)
        .build()
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Config(appsec_runtime::ConfigError::InsecureBaseUrl { .. })
        ),
        "{err:?}"
    );
    assert_no_secret(&err);
}

#[test]
fn unusable_base_urls_are_config_errors() {
    for base in [
        "",
        "   ",
        "not a url",
        "ftp://example.com",
        "https://example.com/api?x=1",
    ] {
        let err = QwietClient::builder()
            .base_url(base)
            .bearer_token(QWIET_TOKEN)
            .build()
            .unwrap_err();
        assert!(
            matches!(
                err,
                Error::Config(appsec_runtime::ConfigError::InvalidBaseUrl { .. })
            ),
            "{base:?}: {err:?}"
        );
    }
    let err = JiraClient::builder("")
        .basic_auth(JIRA_EMAIL, JIRA_TOKEN)
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
}

#[test]
fn credentials_in_the_base_url_are_a_config_error_that_does_not_echo_them() {
    let err = JiraClient::builder(format!(
        "https://{JIRA_EMAIL}:{JIRA_TOKEN}@example.atlassian.net"
    ))
    .build()
    .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Config(appsec_runtime::ConfigError::InvalidBaseUrl { .. })
        ),
        "{err:?}"
    );
    assert!(
        !err.to_string().contains(JIRA_TOKEN),
        "the rejected URL's password leaks into the error: {err}"
    );
}

#[test]
fn empty_credentials_are_config_errors() {
    let err = QwietClient::builder()
        .base_url("https://app.shiftleft.io/api/v4")
        .bearer_token("")
        .build()
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Config(appsec_runtime::ConfigError::InvalidCredentials(_))
        ),
        "{err:?}"
    );
    let err = JiraClient::builder("https://example.atlassian.net")
        .basic_auth(JIRA_EMAIL, "")
        .build()
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Config(appsec_runtime::ConfigError::InvalidCredentials(_))
        ),
        "{err:?}"
    );
}

// ---------------------------------------------------------------- Refused

#[tokio::test]
async fn a_failing_token_provider_refuses_the_request() {
    let server = MockServer::start().await;
    let qwiet = QwietClient::builder()
        .base_url(format!("{}/api/v4", server.uri()))
        .token_provider(BrokenProvider)
        .retry(RetryPolicy::none())
        .build()
        .unwrap();

    let err = list_apps(&qwiet).await.unwrap_err();
    let Error::Refused(message) = &err else {
        panic!("expected Error::Refused, got {err:?}");
    };
    assert!(
        message.contains("identity provider unavailable"),
        "{message}"
    );
    assert!(
        err.to_string().starts_with("the request was not sent: "),
        "{err}"
    );
    assert_eq!(err.status(), None);

    let err = qwiet
        .api()
        .list_org_findings()
        .org_id(org())
        .paginate()
        .items()
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Refused(_)), "{err:?}");
    assert_eq!(sent(&server).await, 0);
}

// ---------------------------------------------------------------- Secrets

#[tokio::test]
async fn no_error_renders_a_credential() {
    let server = MockServer::start().await;
    Mock::given(path(apps_path()))
        .respond_with(ResponseTemplate::new(404).set_body_json(qwiet_failure("NOT_FOUND", "no")))
        .mount(&server)
        .await;
    Mock::given(path(format!("/api/v4/orgs/{ORG}/rbac/teams")))
        .respond_with(ResponseTemplate::new(200).set_body_string("{\"ok\":true,\"response\":7}"))
        .mount(&server)
        .await;
    Mock::given(path(SCHEMES))
        .respond_with(ResponseTemplate::new(401).set_body_string("Unauthorized"))
        .mount(&server)
        .await;
    Mock::given(path(format!("{SCHEMES}/1")))
        .respond_with(ResponseTemplate::new(503).set_body_string("Service Unavailable"))
        .mount(&server)
        .await;
    let qwiet = qwiet(&server);
    let jira = jira_with(&server, quick_retries());

    let mut errors = vec![
        list_apps(&qwiet).await.unwrap_err(),
        qwiet
            .api()
            .list_teams()
            .org_id(org())
            .paginate()
            .items()
            .try_collect::<Vec<_>>()
            .await
            .unwrap_err(),
        jira.issue_security()
            .get_issue_security_schemes()
            .send()
            .value()
            .await
            .unwrap_err(),
        jira.issue_security()
            .get_issue_security_scheme()
            .id(1)
            .send()
            .value()
            .await
            .unwrap_err(),
        jira.delete_vulnerabilities_by_properties([("a:b", "c")])
            .await
            .unwrap_err(),
        list_apps(&qwiet_at(closed_port_url(), RetryPolicy::none()))
            .await
            .unwrap_err(),
        QwietClient::builder()
            .base_url("http://example.com")
            .bearer_token(QWIET_TOKEN)
            .build()
            .unwrap_err(),
    ];
    let refusing = QwietClient::builder()
        .base_url(format!("{}/api/v4", server.uri()))
        .token_provider(BrokenProvider)
        .build()
        .unwrap();
    errors.push(list_apps(&refusing).await.unwrap_err());

    let kinds: Vec<&str> = errors
        .iter()
        .map(|e| match e {
            Error::Api(_) => "api",
            Error::Auth(_) => "auth",
            Error::RetriesExhausted { .. } => "exhausted",
            Error::Transport(_) => "transport",
            Error::Decode { .. } => "decode",
            Error::InvalidInput(_) => "invalid",
            Error::Config(_) => "config",
            Error::Refused(_) => "refused",
            Error::Pagination(_) => "pagination",
            _ => "other",
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "api",
            "decode",
            "auth",
            "exhausted",
            "invalid",
            "transport",
            "config",
            "refused"
        ]
    );
    for err in &errors {
        assert_no_secret(err);
    }
}
