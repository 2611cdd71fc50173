//! Bad input (issue 8, part 4): each is a clear typed error, and nothing is
//! sent — every test points its client at a wiremock server that answers
//! anything and asserts it received zero requests.

use appsec_runtime::{ConfigError, Secret, StaticToken, TokenFuture, TokenProvider};
use appsec_sdk::jira::Vulnerabilities;
use appsec_sdk::jira::security_info::types::VulnerabilityDetails;
use appsec_sdk::{Error, JiraClient, Paginate, QwietClient, RetryPolicy, SendExt};
use futures::TryStreamExt;
use serde_json::{Value, json};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

const ORG: &str = "3fd2c5a8-6e1b-4f7d-9c2a-8b1e0d4f6a57";
const TOKEN: &str = "input-suite-token-e41d";

/// A server that would accept anything, so that a request that slips
/// through is counted rather than failing for another reason.
async fn server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(202).set_body_json(json!({
            "acceptedVulnerabilities": [], "failedVulnerabilities": {}, "unknownAssociations": []
        })))
        .mount(&server)
        .await;
    server
}

async fn assert_nothing_sent(server: &MockServer, what: &str) {
    let requests = server.received_requests().await.unwrap();
    assert!(
        requests.is_empty(),
        "{what}: sent {} {}",
        requests[0].method,
        requests[0].url
    );
}

/// An app token: the bulk tests reach Security Information, which refuses basic auth.
fn jira(server: &MockServer) -> JiraClient {
    JiraClient::builder(server.uri())
        .bearer_token(TOKEN)
        .retry(RetryPolicy::none())
        .build()
        .unwrap()
}

fn qwiet(server: &MockServer) -> QwietClient {
    QwietClient::builder()
        .base_url(format!("{}/api/v4", server.uri()))
        .bearer_token(TOKEN)
        .retry(RetryPolicy::none())
        .build()
        .unwrap()
}

fn invalid_input(result: Result<impl std::fmt::Debug, Error>, what: &str) -> String {
    match result {
        Err(Error::InvalidInput(message)) => {
            assert!(!message.is_empty(), "{what}");
            assert!(!message.contains(TOKEN), "{what}: {message}");
            message
        }
        other => panic!("{what}: expected Error::InvalidInput, got {other:?}"),
    }
}

// ------------------------------------------------------------ base URLs

fn jira_at(base: &str) -> Result<JiraClient, Error> {
    JiraClient::builder(base)
        .basic_auth("me@example.com", TOKEN)
        .build()
}

fn qwiet_at(base: &str) -> Result<QwietClient, Error> {
    QwietClient::builder()
        .base_url(base)
        .bearer_token(TOKEN)
        .build()
}

fn config_error<T: std::fmt::Debug>(result: Result<T, Error>, what: &str) -> ConfigError {
    match result {
        Err(Error::Config(e)) => {
            let text = format!("{e} {e:?}");
            assert!(!text.contains(TOKEN), "{what}: {text}");
            e
        }
        other => panic!("{what}: expected Error::Config, got {other:?}"),
    }
}

#[tokio::test]
async fn empty_and_malformed_base_urls_are_config_errors() {
    let server = server().await;
    let uri = server.uri();
    let host = uri.trim_start_matches("http://").to_string();
    let malformed = [
        String::new(),
        "   ".into(),
        "\n".into(),
        "not a url".into(),
        host.clone(),
        "https://".into(),
        "://example.atlassian.net".into(),
        format!("ftp://{host}"),
        format!("file:///{host}"),
        format!("ws://{host}"),
        "mailto:me@example.com".into(),
        "javascript:alert(1)".into(),
        format!("{uri}/?x=1"),
        format!("{uri}/#top"),
        format!("http://me:{TOKEN}@{host}"),
        format!("http://me@{host}"),
        "https://exa mple.atlassian.net".into(),
        "https://[::1".into(),
        "https://example.atlassian.net:99999".into(),
    ];
    for base in &malformed {
        for err in [
            config_error(jira_at(base), base),
            config_error(qwiet_at(base), base),
        ] {
            assert!(
                matches!(err, ConfigError::InvalidBaseUrl { .. }),
                "{base:?}: {err:?}"
            );
            assert!(err.to_string().starts_with("invalid base URL"), "{err}");
        }
    }
    assert_nothing_sent(&server, "malformed base URLs").await;
}

#[test]
fn plain_http_is_refused_for_every_host_that_is_not_loopback() {
    for base in [
        "http://example.atlassian.net",
        "http://app.shiftleft.io/api/v4",
        "http://10.0.0.1",
        "http://192.168.1.10:8080",
        "http://0.0.0.0:8080",
        "http://localhost.example.com",
        "http://127.0.0.1.nip.io",
        "http://[::ffff:7f00:1]",
        "http://[::2]",
        "HTTP://EXAMPLE.COM",
    ] {
        for err in [
            config_error(jira_at(base), base),
            config_error(qwiet_at(base), base),
        ] {
            assert!(
                matches!(err, ConfigError::InsecureBaseUrl { .. }),
                "{base:?}: {err:?}"
            );
            assert!(err.to_string().contains("must use https"), "{err}");
        }
    }
    // Loopback in all its spellings is allowed, as is https anywhere.
    for base in [
        "http://127.0.0.1:9",
        "http://127.1.2.3:9",
        "http://localhost:9",
        "http://LOCALHOST:9",
        "http://[::1]:9",
        "http://0x7f.1:9",
        "https://example.atlassian.net",
        "https://10.0.0.1",
    ] {
        assert!(jira_at(base).is_ok(), "{base}");
        assert!(qwiet_at(base).is_ok(), "{base}");
    }
}

// ------------------------------------------------------------ credentials

#[tokio::test]
async fn empty_credentials_are_config_errors() {
    let server = server().await;
    let uri = server.uri();
    let cases: Vec<(&str, Result<JiraClient, Error>)> = vec![
        (
            "empty API token",
            JiraClient::builder(&uri)
                .basic_auth("me@example.com", "")
                .build(),
        ),
        (
            "empty email",
            JiraClient::builder(&uri).basic_auth("", TOKEN).build(),
        ),
        (
            "blank email",
            JiraClient::builder(&uri).basic_auth("  ", TOKEN).build(),
        ),
        (
            "empty bearer token",
            JiraClient::builder(&uri).bearer_token("").build(),
        ),
        (
            "empty shared secret",
            JiraClient::builder(&uri)
                .connect_jwt("com.example.app", "")
                .build(),
        ),
    ];
    for (what, result) in cases {
        let err = config_error(result, what);
        assert!(
            matches!(err, ConfigError::InvalidCredentials(_)),
            "{what}: {err:?}"
        );
    }
    let err = config_error(
        QwietClient::builder()
            .base_url(format!("{uri}/api/v4"))
            .bearer_token("")
            .build(),
        "empty Qwiet token",
    );
    assert!(matches!(err, ConfigError::InvalidCredentials(_)), "{err:?}");
    assert_nothing_sent(&server, "empty credentials").await;
}

/// A bearer token goes into the header as it is, so one with a line break
/// (read from a file with its newline, or an injection attempt) is refused
/// before anything is sent: a fixed token when the client is built, a token
/// from a refreshing provider when the request is prepared. (Basic
/// credentials are base64-encoded and cannot break the header; the service
/// rejects a wrong token with a 401.)
#[tokio::test]
async fn bearer_tokens_that_cannot_be_a_header_are_refused_before_sending() {
    /// Hands out the same token on every call, like a provider that
    /// refreshes; the runtime cannot encode its header in advance.
    #[derive(Debug)]
    struct Refreshing(&'static str);

    impl TokenProvider for Refreshing {
        fn token(&self) -> TokenFuture<'_> {
            Box::pin(async move { Ok(Secret::new(self.0)) })
        }
    }

    let server = server().await;
    let uri = server.uri();
    for token in [
        "token\n",
        "token\r\nX-Injected: 1",
        "tok\0en",
        "tok\u{7f}en",
    ] {
        for built in [
            JiraClient::builder(&uri).bearer_token(token).build(),
            JiraClient::builder(&uri)
                .token_provider(StaticToken(token.into()))
                .build(),
        ] {
            let err = built.unwrap_err();
            let Error::Config(ConfigError::InvalidCredentials(message)) = &err else {
                panic!("{token:?}: expected a configuration error, got {err:?}");
            };
            assert!(message.contains("not allowed in a header"), "{message}");
            assert!(!format!("{err} {err:?}").contains(token), "{err:?}");
        }
        let jira = JiraClient::builder(&uri)
            .token_provider(Refreshing(token))
            .build()
            .unwrap();
        let err = jira
            .issue_security()
            .get_issue_security_schemes()
            .send()
            .value()
            .await
            .unwrap_err();
        let Error::Refused(message) = &err else {
            panic!("{token:?}: expected Error::Refused, got {err:?}");
        };
        assert!(message.contains("not allowed in a header"), "{message}");
        assert!(!format!("{err} {err:?}").contains(token), "{err:?}");
    }
    assert_nothing_sent(&server, "header-breaking credentials").await;
}

// ------------------------------------------------------------ vulnerabilities

fn vulnerability_json(id: &str) -> Value {
    json!({
        "schemaVersion": "1.0",
        "id": id,
        "updateSequenceNumber": 1,
        "containerId": "ws-1",
        "displayName": "SQL injection",
        "description": "Found by a scan.",
        "url": "https://scanner.example.com/findings/1",
        "type": "sast",
        "introducedDate": "2026-01-10T10:00:00Z",
        "lastUpdated": "2026-01-12T08:30:00Z",
        "severity": {"level": "high"},
        "status": "open"
    })
}

fn vulnerability(id: &str) -> VulnerabilityDetails {
    serde_json::from_value(vulnerability_json(id)).unwrap()
}

#[test]
fn vulnerability_ids_over_255_characters_cannot_be_constructed() {
    // 255 characters is the limit, counted as characters, not bytes.
    for ok in ["x".repeat(255), "é".repeat(255), "🔒".repeat(255)] {
        let v: VulnerabilityDetails = serde_json::from_value(vulnerability_json(&ok))
            .unwrap_or_else(|e| panic!("{} chars: {e}", ok.chars().count()));
        assert_eq!(v.id.as_str(), ok);
    }
    for long in ["x".repeat(256), "é".repeat(256), "x".repeat(100_000)] {
        let err = serde_json::from_value::<VulnerabilityDetails>(vulnerability_json(&long))
            .expect_err("an over-long id is refused while decoding");
        assert!(
            err.to_string().contains("longer than 255 characters"),
            "{err}"
        );
        // The builder refuses it too.
        let built: Result<VulnerabilityDetails, _> =
            VulnerabilityDetails::builder().id(long.as_str()).try_into();
        assert!(built.is_err());
    }
    // The other documented limits are enforced the same way.
    let mut v = vulnerability_json("v-1");
    v["displayName"] = json!("d".repeat(256));
    assert!(serde_json::from_value::<VulnerabilityDetails>(v).is_err());
    let mut v = vulnerability_json("v-1");
    v["description"] = json!("d".repeat(5001));
    assert!(serde_json::from_value::<VulnerabilityDetails>(v).is_err());
    // Enumerated values are open: one the spec does not list yet is kept as
    // sent (the service, not the SDK, decides whether it accepts it).
    let mut v = vulnerability_json("v-1");
    v["type"] = json!("rce");
    let decoded = serde_json::from_value::<VulnerabilityDetails>(v).unwrap();
    assert_eq!(decoded.type_.as_str(), "rce");
    assert_eq!(serde_json::to_value(&decoded).unwrap()["type"], "rce");
}

#[tokio::test]
async fn bad_submission_properties_are_invalid_input_and_send_nothing() {
    let server = server().await;
    let jira = jira(&server);
    let base = || Vulnerabilities::new(vec![vulnerability("v-1")]);
    let cases: Vec<(&str, Vulnerabilities)> = vec![
        ("key with ':'", base().property("repo:name", "payments")),
        ("key with a leading '_'", base().property("_internal", "1")),
        ("empty key", base().property("", "1")),
        ("value over 255", base().property("source", "v".repeat(256))),
        (
            "six properties",
            (0..6).fold(base(), |b, i| b.property(format!("k{i}"), "v")),
        ),
        (
            "the same id twice",
            Vulnerabilities::new(vec![vulnerability("v-1"), vulnerability("v-1")]),
        ),
    ];
    for (what, batch) in cases {
        assert!(batch.validate().is_err(), "{what}");
        let message = invalid_input(jira.submit_vulnerabilities(batch).await, what);
        assert!(message.len() < 300, "{what}: {message}");
    }
    // Five properties and a 255-character value are fine.
    let five = (0..5).fold(base(), |b, i| b.property(format!("k{i}"), "v".repeat(255)));
    assert!(five.validate().is_ok());
    assert_nothing_sent(&server, "bad properties").await;
}

#[tokio::test]
async fn an_empty_batch_sends_nothing() {
    let server = server().await;
    let report = jira(&server)
        .submit_vulnerabilities(Vulnerabilities::new(Vec::new()))
        .await
        .unwrap();
    assert_eq!(report.requests, 0);
    assert!(report.accepted.is_empty() && report.failed.is_empty());
    assert_eq!(
        jira(&server)
            .link_workspaces(Vec::<String>::new())
            .await
            .unwrap(),
        0
    );
    assert_nothing_sent(&server, "empty batch").await;
}

#[tokio::test]
async fn bad_property_filters_for_deletion_send_nothing() {
    let server = server().await;
    let jira = jira(&server);
    for (what, properties) in [
        ("none", vec![]),
        ("':' in a key", vec![("a:b", "c")]),
        ("leading '_'", vec![("_a", "c")]),
    ] {
        invalid_input(
            jira.delete_vulnerabilities_by_properties(properties).await,
            what,
        );
    }
    assert_nothing_sent(&server, "bad property filters").await;
}

#[tokio::test]
async fn empty_workspace_ids_send_nothing() {
    let server = server().await;
    let jira = jira(&server);
    invalid_input(jira.link_workspaces([""]).await, "empty id");
    invalid_input(jira.link_workspaces(["ws-1", ""]).await, "one empty id");
    invalid_input(jira.unlink_workspaces([""]).await, "empty id to unlink");
    assert_nothing_sent(&server, "empty workspace ids").await;
}

#[tokio::test]
async fn workspace_ids_with_forbidden_characters_send_nothing() {
    let server = server().await;
    let jira = jira(&server);
    for id in [
        "bad id", "ws/", "/ws", "ws//1", "ws#1", "ws?x=1", "wś", "ws\n",
    ] {
        invalid_input(jira.link_workspaces([id]).await, id);
        let mut v = vulnerability_json("v-1");
        v["containerId"] = json!(id);
        assert!(
            serde_json::from_value::<VulnerabilityDetails>(v).is_err(),
            "containerId {id:?} accepted"
        );
    }
    assert_nothing_sent(&server, "forbidden workspace ids").await;
}

// ------------------------------------------------------------ Qwiet ids

#[tokio::test]
async fn invalid_org_uuids_are_invalid_input_naming_the_parameter() {
    let server = server().await;
    let qwiet = qwiet(&server);
    for bad in [
        "not-a-uuid",
        "",
        " ",
        "3fd2c5a8-6e1b-4f7d-9c2a-8b1e0d4f6a5",
        "3fd2c5a8-6e1b-4f7d-9c2a-8b1e0d4f6a577",
        "3fd2c5a8-6e1b-4f7d-9c2a-8b1e0d4f6a5g",
        "../3fd2c5a8-6e1b-4f7d-9c2a-8b1e0d4f6a57",
        "3fd2c5a8-6e1b-4f7d-9c2a-8b1e0d4f6a57/apps",
    ] {
        let message = invalid_input(
            qwiet.api().list_apps().org_id(bad).send().value().await,
            bad,
        );
        assert!(message.contains("org_id"), "{bad:?}: {message}");
        let message = invalid_input(
            qwiet
                .api()
                .list_org_findings()
                .org_id(bad)
                .send()
                .value()
                .await,
            bad,
        );
        assert!(message.contains("org_id"), "{bad:?}: {message}");
    }
    // A required parameter left out is named too.
    let message = invalid_input(qwiet.api().list_apps().send().value().await, "no org");
    assert!(message.contains("org_id"), "{message}");
    assert_nothing_sent(&server, "bad org ids").await;
}

#[tokio::test]
async fn out_of_range_numbers_are_invalid_input() {
    let server = server().await;
    let qwiet = qwiet(&server);
    let org: uuid::Uuid = ORG.parse().unwrap();
    let err = qwiet
        .api()
        .list_org_findings()
        .org_id(org)
        .per_page(u64::MAX)
        .paginate()
        .items()
        .try_collect::<Vec<_>>()
        .await;
    assert!(invalid_input(err, "per_page").contains("per_page"));
    assert_nothing_sent(&server, "out-of-range numbers").await;
}

// ------------------------------------------------------------ path parameters

/// Path parameters must stay inside their own segment: `/`, `?`, `#` and
/// `%` are escaped by the generated code.
#[tokio::test]
async fn reserved_characters_in_path_parameters_stay_in_their_segment() {
    let server = server().await;
    let jira = jira(&server);
    for id in ["a/b", "a?b=c", "a#b", "%2e%2e", "%2f", "a b", "ü"] {
        let _ = jira.remove_level("10000", id, None).await;
    }
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 7);
    for r in &requests {
        let segments: Vec<&str> = r.url.path_segments().unwrap().collect();
        assert_eq!(
            segments[..6],
            ["rest", "api", "3", "issuesecurityschemes", "10000", "level"],
            "{}",
            r.url
        );
        assert_eq!(segments.len(), 7, "{}", r.url);
        assert_eq!(r.url.query(), None, "{}", r.url);
    }
}

#[tokio::test]
async fn dot_segments_and_backslashes_in_path_parameters_cannot_reach_another_resource() {
    let server = server().await;
    let jira = jira(&server);
    let qwiet = qwiet(&server);
    let hostile = [
        "..",
        ".",
        "..\\..\\..\\..\\..\\..\\rest\\api\\3\\project\\APP",
        "a\\b",
    ];
    for id in hostile {
        let _ = jira.remove_level("10000", id, None).await;
        let _ = qwiet
            .api()
            .delete_app()
            .org_id(ORG)
            .app_id(id)
            .send()
            .value()
            .await;
    }
    // Either refused (nothing sent) or sent to the operation's own path,
    // with the parameter as one segment.
    for r in server.received_requests().await.unwrap() {
        let segments: Vec<&str> = r.url.path_segments().unwrap().collect();
        let jira_shape = segments.len() == 7
            && segments[..6] == ["rest", "api", "3", "issuesecurityschemes", "10000", "level"];
        let qwiet_shape =
            segments.len() == 6 && segments[..5] == ["api", "v4", "orgs", ORG, "apps"];
        assert!(
            jira_shape || qwiet_shape,
            "{} {} reached another resource",
            r.method,
            r.url
        );
    }
}
