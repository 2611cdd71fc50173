//! Authentication and retries, exercised through the generated client.

use std::time::Duration;

use appsec_jira_issue_security::{Client, Error};
use appsec_runtime::connect_jwt::{Signer, query_string_hash};
use appsec_runtime::{Auth, ClientContext, RetryPolicy, Secret};
use serde_json::json;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const SCHEMES: &str = "/rest/api/3/issuesecurityschemes";

fn client(server: &MockServer, auth: Auth, retry: RetryPolicy) -> Client {
    let ctx = ClientContext::builder(server.uri())
        .auth(auth)
        .retry(retry)
        .build()
        .unwrap();
    appsec_runtime::tls::install_crypto_provider();
    Client::new_with_client(&server.uri(), reqwest::Client::new(), ctx)
}

/// Retries in milliseconds, so tests stay fast.
fn quick_retries() -> RetryPolicy {
    RetryPolicy::default()
        .with_backoff(Duration::from_millis(5), Duration::from_millis(20))
        .with_jitter(false)
}

fn schemes_ok() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({"issueSecuritySchemes": []}))
}

#[tokio::test]
async fn basic_auth_header() {
    let server = MockServer::start().await;
    // base64("me@example.com:tok")
    Mock::given(header("authorization", "Basic bWVAZXhhbXBsZS5jb206dG9r"))
        .respond_with(schemes_ok())
        .expect(1)
        .mount(&server)
        .await;
    client(
        &server,
        Auth::basic("me@example.com", "tok"),
        RetryPolicy::none(),
    )
    .get_issue_security_schemes()
    .send()
    .await
    .unwrap();
}

#[tokio::test]
async fn bearer_header_from_a_refreshing_provider() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    #[derive(Debug, Default)]
    struct Counting(AtomicUsize);
    impl appsec_runtime::TokenProvider for Counting {
        fn token(&self) -> appsec_runtime::TokenFuture<'_> {
            let n = self.0.fetch_add(1, Ordering::SeqCst);
            Box::pin(async move { Ok(Secret::new(format!("token-{n}"))) })
        }
    }
    let server = MockServer::start().await;
    Mock::given(header("authorization", "Bearer token-0"))
        .respond_with(schemes_ok())
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(header("authorization", "Bearer token-1"))
        .respond_with(schemes_ok())
        .expect(1)
        .mount(&server)
        .await;
    let c = client(
        &server,
        Auth::bearer_provider(Counting::default()),
        RetryPolicy::none(),
    );
    c.get_issue_security_schemes().send().await.unwrap();
    c.get_issue_security_schemes().send().await.unwrap();
}

fn decode_jwt(request: &Request, secret: &str) -> serde_json::Value {
    let value = request.headers["authorization"].to_str().unwrap();
    let token = value.strip_prefix("JWT ").expect("JWT scheme");
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    jsonwebtoken::decode::<serde_json::Value>(
        token,
        &jsonwebtoken::DecodingKey::from_secret(secret.as_bytes()),
        &validation,
    )
    .expect("token verifies with the shared secret")
    .claims
}

#[tokio::test]
async fn connect_jwt_claims_checked_by_an_independent_library() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "isLast": true, "values": []
        })))
        .mount(&server)
        .await;
    let signer = Signer::new("com.example.scanner", Secret::new("shared-secret"))
        .with_client_key("client-key-1");
    client(&server, Auth::connect_jwt(signer), RetryPolicy::none())
        .get_security_levels()
        .scheme_id(vec!["10000".into(), "10001".into()])
        .send()
        .await
        .unwrap();

    let request = &server.received_requests().await.unwrap()[0];
    let claims = decode_jwt(request, "shared-secret");
    assert_eq!(claims["iss"], "com.example.scanner");
    assert_eq!(claims["aud"], "client-key-1");
    let iat = claims["iat"].as_i64().unwrap();
    assert_eq!(claims["exp"].as_i64().unwrap(), iat + 180);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!((now - iat).abs() < 60);
    let base = reqwest::Url::parse(&server.uri()).unwrap();
    assert_eq!(claims["qsh"], query_string_hash("GET", &request.url, &base));
    assert_eq!(
        appsec_runtime::connect_jwt::canonical_request("GET", &request.url, &base),
        "GET&/rest/api/3/issuesecurityschemes/level&schemeId=10000,10001"
    );
}

#[tokio::test]
async fn retry_after_is_honoured_then_success() {
    let server = MockServer::start().await;
    Mock::given(path(SCHEMES))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "1"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(path(SCHEMES))
        .respond_with(schemes_ok())
        .mount(&server)
        .await;
    let started = std::time::Instant::now();
    client(&server, Auth::None, quick_retries())
        .get_issue_security_schemes()
        .send()
        .await
        .unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "waited for Retry-After"
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn service_unavailable_then_success() {
    let server = MockServer::start().await;
    Mock::given(path(SCHEMES))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    Mock::given(path(SCHEMES))
        .respond_with(schemes_ok())
        .mount(&server)
        .await;
    client(&server, Auth::None, quick_retries())
        .get_issue_security_schemes()
        .send()
        .await
        .unwrap();
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}

#[tokio::test]
async fn a_failed_create_is_never_resent() {
    let server = MockServer::start().await;
    for status in [500, 502] {
        server.reset().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(status))
            .mount(&server)
            .await;
        let details = serde_json::from_value(json!({"name": "S"})).unwrap();
        let err = client(&server, Auth::None, quick_retries())
            .create_issue_security_scheme()
            .body::<appsec_jira_issue_security::types::CreateIssueSecuritySchemeDetails>(details)
            .send()
            .await
            .unwrap_err();
        assert_eq!(err.status().map(|s| s.as_u16()), Some(status));
        assert_eq!(
            server.received_requests().await.unwrap().len(),
            1,
            "{status}"
        );
    }
}

#[tokio::test]
async fn exhausted_retries_return_the_last_response() {
    let server = MockServer::start().await;
    Mock::given(path(SCHEMES))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after", "0")
                .set_body_string("{\"errorMessages\":[\"Rate limit exceeded\"]}"),
        )
        .mount(&server)
        .await;
    let err = client(&server, Auth::None, quick_retries().with_max_retries(2))
        .get_issue_security_schemes()
        .send()
        .await
        .unwrap_err();
    let Error::UnexpectedResponse(response) = err else {
        panic!("expected the raw last response, got {err:?}");
    };
    assert_eq!(response.status(), 429);
    let attempts = appsec_runtime::hooks::Attempts::of(&response);
    assert_eq!(attempts.sent, 3);
    assert!(attempts.exhausted);
    assert_eq!(
        response.text().await.unwrap(),
        "{\"errorMessages\":[\"Rate limit exceeded\"]}"
    );
}

#[tokio::test]
async fn each_attempt_carries_a_freshly_signed_jwt() {
    let server = MockServer::start().await;
    Mock::given(path(SCHEMES))
        .respond_with(ResponseTemplate::new(503).insert_header("retry-after", "1"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(path(SCHEMES))
        .respond_with(schemes_ok())
        .mount(&server)
        .await;
    let signer = Signer::new("app", Secret::new("s"));
    client(&server, Auth::connect_jwt(signer), quick_retries())
        .get_issue_security_schemes()
        .send()
        .await
        .unwrap();
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 2);
    let first = decode_jwt(&requests[0], "s")["iat"].as_i64().unwrap();
    let second = decode_jwt(&requests[1], "s")["iat"].as_i64().unwrap();
    assert!(second > first, "second attempt signed after the wait");
}

#[tokio::test]
async fn credentials_never_leave_the_configured_origin() {
    let server = MockServer::start().await;
    let other = MockServer::start().await;
    let ctx = ClientContext::builder(server.uri())
        .auth(Auth::bearer("tok"))
        .build()
        .unwrap();
    // A client whose requests go elsewhere than the context's base URL.
    appsec_runtime::tls::install_crypto_provider();
    let c = Client::new_with_client(&other.uri(), reqwest::Client::new(), ctx);
    let err = c.get_issue_security_schemes().send().await.unwrap_err();
    assert!(matches!(err, Error::Custom(ref m) if m.contains("outside the configured base URL")));
    assert!(other.received_requests().await.unwrap().is_empty());
}

#[test]
fn secrets_stay_out_of_debug_output() {
    let ctx = ClientContext::builder("https://example.atlassian.net")
        .auth(Auth::basic("me@example.com", "api-token-123"))
        .build()
        .unwrap();
    let jwt = Auth::connect_jwt(Signer::new("app", Secret::new("shared-secret-456")));
    let bearer = Auth::bearer("bearer-789");
    let dump = format!("{ctx:?} {jwt:?} {bearer:?}");
    for secret in ["api-token-123", "shared-secret-456", "bearer-789"] {
        assert!(!dump.contains(secret), "{secret} leaked: {dump}");
    }
}

/// A `Write` that appends to a shared buffer, for capturing log output.
#[derive(Clone, Default)]
struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn secrets_stay_out_of_trace_logs_and_errors() {
    let logs = Captured::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = MockServer::start().await;
    Mock::given(path(SCHEMES))
        .respond_with(ResponseTemplate::new(503).insert_header("retry-after", "0"))
        .mount(&server)
        .await;
    let mut rendered = String::new();
    for auth in [
        Auth::basic("me@example.com", "api-token-123"),
        Auth::bearer("bearer-789"),
        Auth::connect_jwt(Signer::new("app", Secret::new("shared-secret-456"))),
    ] {
        let err = client(&server, auth, quick_retries().with_max_retries(1))
            .get_issue_security_schemes()
            .send()
            .await
            .unwrap_err();
        rendered.push_str(&format!("{err} {err:?}\n"));
    }
    let requests = server.received_requests().await.unwrap();
    let jwt = requests
        .iter()
        .filter_map(|r| r.headers.get("authorization"))
        .filter_map(|v| v.to_str().ok()?.strip_prefix("JWT ").map(str::to_string))
        .next()
        .expect("a JWT was sent");

    let logs = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("retrying request"),
        "retries are logged: {logs}"
    );
    for secret in [
        "api-token-123",
        "bearer-789",
        "shared-secret-456",
        jwt.as_str(),
    ] {
        assert!(!logs.contains(secret), "{secret} in logs");
        assert!(!rendered.contains(secret), "{secret} in error output");
    }
}
