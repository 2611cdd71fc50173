//! Upserts are safe to resend; the runtime knows which POSTs those are from
//! the spec's `x-idempotent` marks.

use std::time::Duration;

use appsec_jira_security_info::{Client, types};
use appsec_runtime::{Auth, ClientContext, RetryPolicy};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn client(server: &MockServer) -> Client {
    let ctx = ClientContext::builder(server.uri())
        .auth(Auth::bearer("oauth-app-token"))
        .retry(
            RetryPolicy::default()
                .with_backoff(Duration::from_millis(5), Duration::from_millis(20))
                .with_jitter(false),
        )
        .build()
        .unwrap();
    appsec_runtime::tls::install_crypto_provider();
    Client::new_with_client(&server.uri(), reqwest::Client::new(), ctx)
}

#[tokio::test]
async fn bulk_submit_is_resent_after_a_gateway_error() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/rest/security/1.0/linkedWorkspaces/bulk"))
        .respond_with(ResponseTemplate::new(502))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/rest/security/1.0/linkedWorkspaces/bulk"))
        .respond_with(ResponseTemplate::new(202))
        .mount(&server)
        .await;
    let body: types::SubmitSecurityWorkspacesRequest =
        serde_json::from_value(json!({"workspaceIds": ["org-1"]})).unwrap();
    client(&server)
        .submit_workspaces()
        .body(body)
        .send()
        .await
        .unwrap();
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 2);
    // The same body both times, with the bearer token on each.
    assert_eq!(requests[0].body, requests[1].body);
    for r in &requests {
        assert_eq!(r.headers["authorization"], "Bearer oauth-app-token");
    }
}
