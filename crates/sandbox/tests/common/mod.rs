//! Helpers shared by the sandbox tests.
#![allow(dead_code)]

use appsec_sandbox::{Credentials, Sandbox, SandboxConfig};
use base64::Engine as _;
use reqwest::{Method, StatusCode};
use serde_json::Value;

/// A sandbox with the default configuration.
pub async fn start() -> Sandbox {
    start_with(SandboxConfig::default()).await
}

pub async fn start_with(config: SandboxConfig) -> Sandbox {
    Sandbox::start(config).await.expect("sandbox starts")
}

/// A client that does not follow redirects, like the SDK's. Plain HTTP
/// only, so no certificate store is loaded (that is slow in debug builds).
pub fn client() -> reqwest::Client {
    appsec_runtime::tls::install_crypto_provider();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .tls_certs_only([])
        .no_proxy()
        .build()
        .expect("client builds")
}

/// `Authorization` value for the default Jira Basic credentials.
pub fn basic() -> String {
    let c = Credentials::default();
    basic_for(&c.jira_email, &c.jira_api_token)
}

pub fn basic_for(email: &str, token: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{email}:{token}"))
    )
}

/// `Authorization` value for the default app token (Security Information
/// refuses basic auth).
pub fn app_token() -> String {
    format!("Bearer {}", Credentials::default().bearer_token)
}

/// `Authorization` value for the default Qwiet token.
pub fn qwiet_bearer() -> String {
    format!("Bearer {}", Credentials::default().qwiet_token)
}

/// Sends a request with `auth` and an optional JSON body; returns the
/// status and the body as JSON (`Null` when empty).
pub async fn call(
    method: Method,
    url: &str,
    auth: &str,
    body: Option<&Value>,
) -> (StatusCode, Value) {
    let mut req = client().request(method, url).header("authorization", auth);
    if let Some(body) = body {
        req = req.json(body);
    }
    let resp = req.send().await.expect("request completes");
    let status = resp.status();
    let bytes = resp.bytes().await.expect("body reads");
    let json = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).expect("body is JSON")
    };
    (status, json)
}

/// GET with Jira Basic auth.
pub async fn jira_get(sandbox: &Sandbox, path_and_query: &str) -> (StatusCode, Value) {
    call(
        Method::GET,
        &format!("{}{path_and_query}", sandbox.url()),
        &basic(),
        None,
    )
    .await
}

/// GET with the Qwiet token.
pub async fn qwiet_get(url: &str) -> (StatusCode, Value) {
    call(Method::GET, url, &qwiet_bearer(), None).await
}
