//! The `gzip` feature: compressed answers are asked for and decoded, and the
//! response size limit applies to what they expand to.

use std::io::Write;

use appsec_sdk::{Error, JiraClient, SendExt};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

async fn serve(body: Vec<u8>) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/rest/api/3/issuesecurityschemes"))
        .and(header("accept-encoding", "gzip"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-encoding", "gzip")
                .set_body_raw(body, "application/json"),
        )
        .mount(&server)
        .await;
    server
}

fn jira(server: &MockServer, limit: u64) -> JiraClient {
    JiraClient::builder(server.uri())
        .basic_auth("me@example.com", "api-token")
        .max_response_size(limit)
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_compressed_answer_is_asked_for_and_decoded() {
    let body = br#"{"issueSecuritySchemes":[{"id":10000,"name":"Default","levels":[]}]}"#;
    let server = serve(gzip(body)).await;
    let schemes = jira(&server, 1 << 20)
        .issue_security()
        .get_issue_security_schemes()
        .send()
        .value()
        .await
        .unwrap();
    assert_eq!(
        schemes.issue_security_schemes[0].name.as_deref(),
        Some("Default")
    );
}

#[tokio::test]
async fn the_size_limit_counts_decompressed_bytes() {
    // 16 MiB of JSON that compresses to a few KiB.
    let mut body = br#"{"issueSecuritySchemes":[],"padding":""#.to_vec();
    body.extend(std::iter::repeat_n(b'a', 16 << 20));
    body.extend(br#""}"#);
    let compressed = gzip(&body);
    assert!(compressed.len() < 64 << 10, "{} bytes", compressed.len());
    let server = serve(compressed).await;
    let err = jira(&server, 1 << 20)
        .issue_security()
        .get_issue_security_schemes()
        .send()
        .value()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::TooLarge(_)), "{err}");
}
