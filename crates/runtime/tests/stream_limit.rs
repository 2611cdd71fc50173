//! `max_stream_size`: a streamed download (a success whose request did not
//! ask for JSON) is passed through as a stream, cut off with the typed
//! too-large error once it passes the limit, and delivered whole below it.

use appsec_runtime::hooks::{exec, pre};
use appsec_runtime::{ClientContext, ErrorFormat, OperationMeta, OperationTable, ResponseTooLarge};
use progenitor_client::OperationInfo;
use reqwest::header::{ACCEPT, HeaderValue};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TABLE: OperationTable = OperationTable {
    operations: &[OperationMeta {
        id: "download_report",
        spec_id: "downloadReport",
        method: "GET",
        path: "/reports/{id}",
        idempotent: true,
    }],
    error_format: ErrorFormat::QwietEnvelope,
};

const LIMIT: u64 = 4096;

/// A server whose report `id` is `len` bytes of a repeating pattern.
async fn server(reports: &[(&str, usize)]) -> MockServer {
    let server = MockServer::start().await;
    for (id, len) in reports {
        Mock::given(method("GET"))
            .and(path(format!("/reports/{id}")))
            .respond_with(
                ResponseTemplate::new(200)
                    .insert_header("content-type", "application/octet-stream")
                    .set_body_bytes(body(*len)),
            )
            .mount(&server)
            .await;
    }
    server
}

fn body(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

/// Downloads report `id` through the runtime's hooks, as a generated
/// client's download operation does.
async fn download(ctx: &ClientContext, base: &str, id: &str) -> reqwest::Result<bytes::Bytes> {
    let info = OperationInfo {
        operation_id: "download_report",
    };
    let mut request = reqwest::Request::new(
        reqwest::Method::GET,
        format!("{base}/reports/{id}").parse().expect("a valid URL"),
    );
    request
        .headers_mut()
        .insert(ACCEPT, HeaderValue::from_static("application/octet-stream"));
    pre(ctx, &TABLE, &mut request, &info)
        .await
        .expect("the request is in the table and inside the base URL");
    appsec_runtime::tls::install_crypto_provider();
    let response = exec(&reqwest::Client::new(), ctx, &TABLE, request, &info).await?;
    assert!(response.status().is_success());
    response.bytes().await
}

fn context(base: &str, stream_limit: Option<u64>) -> ClientContext {
    let builder = ClientContext::builder(base).max_response_size(16);
    match stream_limit {
        Some(limit) => builder.max_stream_size(limit),
        None => builder,
    }
    .build()
    .expect("a loopback base URL")
}

#[tokio::test]
async fn a_streamed_body_above_the_limit_fails_with_the_typed_error() {
    let server = server(&[("big", LIMIT as usize + 1)]).await;
    let ctx = context(&server.uri(), Some(LIMIT));
    let err = download(&ctx, &server.uri(), "big")
        .await
        .expect_err("one byte over the limit");
    assert_eq!(
        ResponseTooLarge::find(&err),
        Some(&ResponseTooLarge::new(LIMIT, None)),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_streamed_body_within_the_limit_arrives_whole() {
    let len = LIMIT as usize;
    let server = server(&[("fits", len)]).await;
    let ctx = context(&server.uri(), Some(LIMIT));
    let bytes = download(&ctx, &server.uri(), "fits")
        .await
        .expect("exactly at the limit");
    assert_eq!(bytes.as_ref(), body(len).as_slice());
}

#[tokio::test]
async fn without_a_stream_limit_downloads_are_not_bounded_by_the_response_limit() {
    // The 16-byte `max_response_size` applies to bodies read whole only.
    let len = 3 * LIMIT as usize;
    let server = server(&[("large", len)]).await;
    let ctx = context(&server.uri(), None);
    let bytes = download(&ctx, &server.uri(), "large")
        .await
        .expect("streams are unlimited by default");
    assert_eq!(bytes.len(), len);
}
