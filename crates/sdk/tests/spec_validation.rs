//! Request bodies checked against the spec's own constraints: a violation is
//! `InvalidInput` naming the item and the field, and the server, which would
//! accept anything, receives nothing.

mod common;

use appsec_sdk::jira::Vulnerabilities;
use appsec_sdk::jira::security_info::types::{
    SubmitSecurityWorkspacesRequest, SubmitVulnerabilitiesRequest, VulnerabilityDetails,
};
use appsec_sdk::qwiet::api::types::RegisterWebhookRequest;
use appsec_sdk::{Error, JiraClient, QwietClient, RetryPolicy, SendExt};
use serde_json::{Value, json};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

use common::vulnerability_json;

const TOKEN: &str = "validation-suite-token-93aa";
const ORG: &str = "3fd2c5a8-6e1b-4f7d-9c2a-8b1e0d4f6a57";

/// A server that accepts anything, so a request that slips through is
/// counted rather than failing for another reason.
async fn server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(202).set_body_json(json!({
            "acceptedVulnerabilities": ["v-1"], "failedVulnerabilities": {}, "unknownAssociations": []
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

fn jira(server: &MockServer) -> JiraClient {
    common::jira(server, TOKEN)
}

fn qwiet(server: &MockServer) -> QwietClient {
    QwietClient::builder()
        .base_url(format!("{}/api/v4", server.uri()))
        .bearer_token(TOKEN)
        .retry(RetryPolicy::none())
        .build()
        .unwrap()
}

fn with(id: &str, field: &str, value: Value) -> VulnerabilityDetails {
    let mut v = vulnerability_json(id);
    v[field] = value;
    serde_json::from_value(v).unwrap_or_else(|e| panic!("{field}: {e}"))
}

fn identifiers(n: usize) -> Value {
    (0..n)
        .map(|i| json!({"displayName": format!("CWE-{i}"), "url": format!("https://cwe.mitre.org/data/definitions/{i}.html")}))
        .collect()
}

fn association(values: Vec<String>) -> Value {
    json!({"associationType": "issueIdOrKeys", "values": values})
}

fn keys(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("SEC-{i}")).collect()
}

fn invalid_input<T: std::fmt::Debug>(result: Result<T, Error>, what: &str) -> String {
    match result {
        Err(Error::InvalidInput(message)) => {
            assert!(!message.contains(TOKEN), "{what}: {message}");
            message
        }
        other => panic!("{what}: expected Error::InvalidInput, got {other:?}"),
    }
}

/// Each case: the bad vulnerability, and what the message must say.
fn bad_vulnerabilities() -> Vec<(&'static str, VulnerabilityDetails, &'static str)> {
    vec![
        (
            "101 identifiers",
            with("v-1", "identifiers", identifiers(101)),
            "identifiers: has 101 items; at most 100 are allowed",
        ),
        (
            "two associations",
            with(
                "v-1",
                "addAssociations",
                json!([association(keys(1)), association(keys(1))]),
            ),
            "addAssociations: has 2 items; at most 1 is allowed",
        ),
        (
            "two associations to remove",
            with(
                "v-1",
                "removeAssociations",
                json!([association(keys(1)), association(keys(2))]),
            ),
            "removeAssociations: has 2 items; at most 1 is allowed",
        ),
        (
            "501 association values",
            with("v-1", "addAssociations", json!([association(keys(501))])),
            "addAssociations[0].values: has 501 items; at most 500 are allowed",
        ),
        (
            "empty association values",
            with("v-1", "addAssociations", json!([association(vec![])])),
            "addAssociations[0].values: has 0 items; at least 1 is required",
        ),
        (
            "a url that is not a URI",
            with("v-1", "url", json!("scanner.example.com/findings 1")),
            "url: is not an absolute URI",
        ),
        (
            "an identifier url that is not a URI",
            with(
                "v-1",
                "identifiers",
                json!([{"displayName": "CVE", "url": "see the advisory"}]),
            ),
            "identifiers[0].url: is not an absolute URI",
        ),
        (
            "additional info url that is not a URI",
            with(
                "v-1",
                "additionalInfo",
                json!({"content": "more", "url": "/relative/only"}),
            ),
            "additionalInfo.url: is not an absolute URI",
        ),
    ]
}

#[tokio::test]
async fn the_bulk_helper_refuses_what_the_spec_forbids_and_names_item_and_field() {
    let server = server().await;
    let jira = jira(&server);
    for (what, bad, rule) in bad_vulnerabilities() {
        // The bad one is third, after two good ones, in a batch of 1,200 that
        // would go out in two requests: the first one is not sent either.
        let mut items: Vec<VulnerabilityDetails> = (0..1200)
            .map(|i| serde_json::from_value(vulnerability_json(&format!("ok-{i}"))).unwrap())
            .collect();
        items[2] = {
            let mut v = serde_json::to_value(&bad).unwrap();
            v["id"] = json!("bad-one");
            serde_json::from_value(v).unwrap()
        };
        let batch = Vulnerabilities::new(items);
        let message = invalid_input(batch.validate(), what);
        assert_eq!(
            message,
            format!("vulnerability \"bad-one\" (vulnerabilities[2]): {rule}"),
            "{what}"
        );
        let message = invalid_input(jira.submit_vulnerabilities(batch).await, what);
        assert!(message.contains(rule), "{what}: {message}");
    }
    assert_nothing_sent(&server, "bad vulnerabilities through the facade").await;
}

#[tokio::test]
async fn the_generated_operation_refuses_them_too() {
    let server = server().await;
    let jira = jira(&server);
    for (what, bad, rule) in bad_vulnerabilities() {
        let body: SubmitVulnerabilitiesRequest = serde_json::from_value(json!({
            "vulnerabilities": [vulnerability_json("ok-0"), bad],
        }))
        .unwrap();
        let result = jira
            .security_info()
            .expect("a bearer token is accepted")
            .submit_vulnerabilities()
            .body(body)
            .send()
            .value()
            .await;
        let message = invalid_input(result, what);
        assert_eq!(
            message,
            format!("request body: vulnerabilities[1].{rule}"),
            "{what}"
        );
    }
    // Limits on the request itself.
    let many_properties: SubmitVulnerabilitiesRequest = serde_json::from_value(json!({
        "vulnerabilities": [vulnerability_json("ok-0")],
        "properties": {"a": "1", "b": "2", "c": "3", "d": "4", "e": "5", "f": "6"},
    }))
    .unwrap();
    let none: SubmitVulnerabilitiesRequest =
        serde_json::from_value(json!({"vulnerabilities": []})).unwrap();
    let too_many_workspaces: SubmitSecurityWorkspacesRequest = serde_json::from_value(
        json!({"workspaceIds": (0..101).map(|i| format!("ws-{i}")).collect::<Vec<_>>()}),
    )
    .unwrap();
    let no_workspaces: SubmitSecurityWorkspacesRequest =
        serde_json::from_value(json!({"workspaceIds": []})).unwrap();
    let submit = |body| {
        jira.security_info()
            .expect("a bearer token is accepted")
            .submit_vulnerabilities()
            .body(body)
            .send()
            .value()
    };
    assert_eq!(
        invalid_input(submit(many_properties).await, "six properties"),
        "request body: properties: has 6 entries; at most 5 allowed"
    );
    assert_eq!(
        invalid_input(submit(none).await, "no vulnerabilities"),
        "request body: vulnerabilities: has 0 items; at least 1 is required"
    );
    let link = |body| {
        jira.security_info()
            .expect("a bearer token is accepted")
            .submit_workspaces()
            .body(body)
            .send()
            .value()
    };
    assert_eq!(
        invalid_input(link(too_many_workspaces).await, "101 workspaces"),
        "request body: workspaceIds: has 101 items; at most 100 are allowed"
    );
    assert_eq!(
        invalid_input(link(no_workspaces).await, "no workspaces"),
        "request body: workspaceIds: has 0 items; at least 1 is required"
    );
    assert_nothing_sent(&server, "bad bodies through the generated client").await;
}

#[tokio::test]
async fn a_qwiet_operation_no_facade_code_knows_is_checked_from_its_spec() {
    let server = server().await;
    let qwiet = qwiet(&server);
    let webhook = |url: &str| -> RegisterWebhookRequest {
        serde_json::from_value(json!({"url": url, "events": [{"name": "scan.finished"}]})).unwrap()
    };
    for url in [
        "hooks.example.com/qwiet",
        "https://hooks.example.com/a b",
        "",
    ] {
        let result = qwiet
            .api()
            .set_up_webhook()
            .org_id(ORG.parse::<uuid::Uuid>().unwrap())
            .body(webhook(url))
            .send()
            .value()
            .await;
        assert_eq!(
            invalid_input(result, url),
            "request body: url: is not an absolute URI"
        );
    }
    assert_nothing_sent(&server, "bad webhook").await;
    // A valid body goes out.
    let _ = qwiet
        .api()
        .set_up_webhook()
        .org_id(ORG.parse::<uuid::Uuid>().unwrap())
        .body(webhook("https://hooks.example.com/qwiet"))
        .send()
        .value()
        .await;
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn valid_bodies_at_every_limit_are_sent() {
    let server = server().await;
    let jira = jira(&server);
    let mut edge = vulnerability_json("v-1");
    edge["identifiers"] = identifiers(100);
    edge["addAssociations"] = json!([association(keys(500))]);
    edge["removeAssociations"] = json!([association(keys(1))]);
    let edge: VulnerabilityDetails = serde_json::from_value(edge).unwrap();
    let batch = (0..5).fold(Vulnerabilities::new(vec![edge]), |b, i| {
        b.property(format!("k{i}"), "v".repeat(255))
    });
    assert!(batch.validate().is_ok());
    let report = jira.submit_vulnerabilities(batch).await.unwrap();
    assert_eq!(report.accepted, ["v-1"]);
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

/// The generated string types bound characters, not bytes, at both ends.
#[test]
fn generated_string_types_count_characters() {
    // `search` of Qwiet's invitation list: 1 to 320 characters.
    use appsec_sdk::qwiet::api::types::ListOrgRbacInvitationsSearch as Search;
    let wide = ["é".repeat(320), "€".repeat(320), "𝄞".repeat(320)];
    for ok in ["a", "é", "𝄞"]
        .into_iter()
        .chain(wide.iter().map(String::as_str))
    {
        assert!(ok.parse::<Search>().is_ok(), "{ok}");
    }
    for long in ["a".repeat(321), "é".repeat(321), "𝄞".repeat(321)] {
        assert_eq!(
            long.parse::<Search>().unwrap_err().to_string(),
            "longer than 320 characters"
        );
    }
    assert_eq!(
        "".parse::<Search>().unwrap_err().to_string(),
        "shorter than 1 characters"
    );
}
