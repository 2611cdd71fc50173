//! The generated Security Information client against a loopback server.

use appsec_jira_security_info::{Client, Error, types};
use appsec_runtime::ClientContext;
use serde_json::json;
use wiremock::matchers::{body_json, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn client(server: &MockServer) -> Client {
    appsec_runtime::tls::install_crypto_provider();
    Client::new_with_client(&server.uri(), reqwest::Client::new(), ClientContext::new())
}

fn vulnerability(id: &str) -> serde_json::Value {
    json!({
        "schemaVersion": "1.0",
        "id": id,
        "updateSequenceNumber": 1_700_000_000_000_i64,
        "containerId": "app-42",
        "displayName": "SQL injection in /login",
        "description": "User input reaches a SQL query unescaped.",
        "url": "https://scanner.example.com/findings/1",
        "type": "sast",
        "introducedDate": "2026-11-01T10:00:00Z",
        "lastUpdated": "2026-11-20T08:30:00Z",
        "severity": {"level": "high"},
        "identifiers": [{"displayName": "CWE-89", "url": "https://cwe.mitre.org/data/definitions/89.html"}],
        "status": "open",
        "addAssociations": [{"associationType": "issueIdOrKeys", "values": ["SEC-1"]}]
    })
}

#[tokio::test]
async fn submit_vulnerabilities_posts_the_payload_and_decodes_the_report() {
    let server = MockServer::start().await;
    let payload = json!({
        "vulnerabilities": [vulnerability("finding-1"), vulnerability("finding-2")],
        "properties": {"source": "qwiet"},
        "providerMetadata": {"product": "Qwiet 4"}
    });
    Mock::given(method("POST"))
        .and(path("/rest/security/1.0/bulk"))
        .and(body_json(&payload))
        .respond_with(ResponseTemplate::new(202).set_body_json(json!({
            "acceptedVulnerabilities": ["finding-1"],
            "failedVulnerabilities": {"finding-2": [{"message": "containerId is not linked"}]},
            "unknownAssociations": [{"associationType": "issueIdOrKeys", "values": ["SEC-404"]}]
        })))
        .expect(1)
        .mount(&server)
        .await;

    let request: types::SubmitVulnerabilitiesRequest = serde_json::from_value(payload).unwrap();
    let report = client(&server)
        .submit_vulnerabilities()
        .body(request)
        .send()
        .await
        .unwrap();
    assert_eq!(report.status(), 202);
    let report = report.into_inner();
    assert_eq!(report.accepted_vulnerabilities, ["finding-1"]);
    assert_eq!(
        report.failed_vulnerabilities["finding-2"][0].message,
        "containerId is not linked"
    );
    assert_eq!(report.unknown_associations.len(), 1);
}

#[tokio::test]
async fn workspaces_are_linked_listed_and_unlinked() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/rest/security/1.0/linkedWorkspaces/bulk"))
        .and(body_json(json!({"workspaceIds": ["org-1", "org-2"]})))
        .respond_with(ResponseTemplate::new(202))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/rest/security/1.0/linkedWorkspaces"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"workspaceIds": ["org-1", "org-2"]})),
        )
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/rest/security/1.0/linkedWorkspaces/bulk"))
        .respond_with(ResponseTemplate::new(202))
        .expect(1)
        .mount(&server)
        .await;

    let c = client(&server);
    let ids = vec!["org-1".to_string(), "org-2".to_string()];
    let body: types::SubmitSecurityWorkspacesRequest =
        serde_json::from_value(json!({"workspaceIds": ids})).unwrap();
    c.submit_workspaces().body(body).send().await.unwrap();
    let linked = c.get_linked_workspaces().send().await.unwrap().into_inner();
    let linked: Vec<String> = linked.workspace_ids.iter().map(|w| w.to_string()).collect();
    assert_eq!(linked, ids);
    c.delete_linked_workspaces()
        .workspace_ids(ids)
        .send()
        .await
        .unwrap();

    let requests = server.received_requests().await.unwrap();
    let delete = requests.iter().find(|r| r.method == "DELETE").unwrap();
    // The service takes one comma-separated value, not a repeated key.
    assert_eq!(delete.url.query(), Some("workspaceIds=org-1,org-2"));
}

#[tokio::test]
async fn delete_by_properties_sends_each_property_as_a_parameter() {
    let server = MockServer::start().await;
    Mock::given(method("DELETE"))
        .and(path("/rest/security/1.0/bulkByProperties"))
        .respond_with(ResponseTemplate::new(202))
        .expect(1)
        .mount(&server)
        .await;
    let properties = [("accountId".to_string(), "account-123".to_string())]
        .into_iter()
        .collect::<std::collections::HashMap<_, _>>();
    client(&server)
        .delete_vulnerabilities_by_property()
        .properties(properties)
        .send()
        .await
        .unwrap();
    let request = &server.received_requests().await.unwrap()[0];
    assert_eq!(request.url.query(), Some("accountId=account-123"));
}

#[tokio::test]
async fn get_vulnerability_decodes_the_stored_entity() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/rest/security/1.0/vulnerability/finding-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(vulnerability("finding-1")))
        .mount(&server)
        .await;
    let v = client(&server)
        .get_vulnerability_by_id()
        .vulnerability_id("finding-1")
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(v.id.to_string(), "finding-1");
    assert_eq!(v.update_sequence_number, 1_700_000_000_000);
    assert_eq!(v.identifiers[0].display_name.to_string(), "CWE-89");
}

#[tokio::test]
async fn delete_vulnerability_accepts_202() {
    let server = MockServer::start().await;
    Mock::given(method("DELETE"))
        .and(path("/rest/security/1.0/vulnerability/finding-1"))
        .respond_with(ResponseTemplate::new(202))
        .expect(1)
        .mount(&server)
        .await;
    let r = client(&server)
        .delete_vulnerability_by_id()
        .vulnerability_id("finding-1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
}

#[tokio::test]
async fn an_error_status_arrives_as_the_response_with_its_format() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/rest/security/1.0/bulk"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!([
            {"message": "vulnerabilities: size must be between 1 and 1000", "errorTraceId": "t-1"}
        ])))
        .mount(&server)
        .await;
    let request: types::SubmitVulnerabilitiesRequest =
        serde_json::from_value(json!({"vulnerabilities": [vulnerability("v")]})).unwrap();
    let err = client(&server)
        .submit_vulnerabilities()
        .body(request)
        .send()
        .await
        .unwrap_err();
    let Error::UnexpectedResponse(response) = err else {
        panic!("expected the response itself, got {err:?}");
    };
    assert_eq!(response.status(), 400);
    assert_eq!(
        response.extensions().get::<appsec_runtime::ErrorFormat>(),
        Some(&appsec_runtime::ErrorFormat::SecurityInfoMessages)
    );
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body[0]["errorTraceId"], "t-1");
}
