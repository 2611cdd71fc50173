//! Jira Security Information: limits, ordering, failures and deletion.

mod common;

use appsec_sandbox::Sandbox;
use common::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn url(sandbox: &Sandbox, path: &str) -> String {
    format!("{}/rest/security/1.0{path}", sandbox.url())
}

fn vulnerability(id: &str, usn: i64, container: &str, name: &str) -> Value {
    json!({
        "schemaVersion": "1.0",
        "id": id,
        "updateSequenceNumber": usn,
        "containerId": container,
        "displayName": name,
        "description": "Attacker-controlled data reaches a SQL query.",
        "url": "https://app.example.com/findings/1",
        "type": "sast",
        "introducedDate": "2026-01-10T10:00:00Z",
        "lastUpdated": "2026-01-11T10:00:00Z",
        "severity": { "level": "high" },
        "identifiers": [{ "displayName": "CWE-89", "url": "https://cwe.mitre.org/data/definitions/89.html" }],
        "status": "open",
        "addAssociations": [{ "associationType": "issueIdOrKeys", "values": ["APP-1"] }],
    })
}

async fn post(sandbox: &Sandbox, path: &str, body: &Value) -> (StatusCode, Value) {
    call(Method::POST, &url(sandbox, path), &app_token(), Some(body)).await
}

async fn link(sandbox: &Sandbox, ids: &[&str]) {
    let (status, body) = post(
        sandbox,
        "/linkedWorkspaces/bulk",
        &json!({ "workspaceIds": ids }),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
}

#[tokio::test]
async fn workspaces_link_list_and_unlink() {
    let sandbox = start().await;
    let too_many: Vec<String> = (0..101).map(|i| format!("ws-{i}")).collect();
    let (status, body) = post(
        &sandbox,
        "/linkedWorkspaces/bulk",
        &json!({ "workspaceIds": too_many }),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body[0]["message"].is_string(), "{body}");
    let (status, _) = post(
        &sandbox,
        "/linkedWorkspaces/bulk",
        &json!({ "workspaceIds": ["bad id"] }),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    link(&sandbox, &["ws-1", "ws-2", "group/ws-3"]).await;
    let (status, body) = call(
        Method::GET,
        &url(&sandbox, "/linkedWorkspaces"),
        &app_token(),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        json!({ "workspaceIds": ["group/ws-3", "ws-1", "ws-2"] })
    );
    let (status, one) = call(
        Method::GET,
        &url(&sandbox, "/linkedWorkspaces/ws-1"),
        &app_token(),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(one["workspaceId"], "ws-1");
    assert!(chrono::DateTime::parse_from_rfc3339(one["updatedAt"].as_str().unwrap()).is_ok());

    let (status, _) = call(
        Method::DELETE,
        &url(&sandbox, "/linkedWorkspaces/bulk?workspaceIds=ws-1,ws-2"),
        &app_token(),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let (_, body) = call(
        Method::GET,
        &url(&sandbox, "/linkedWorkspaces"),
        &app_token(),
        None,
    )
    .await;
    assert_eq!(body["workspaceIds"], json!(["group/ws-3"]));
    let (status, body) = call(
        Method::GET,
        &url(&sandbox, "/linkedWorkspaces/ws-1"),
        &app_token(),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body[0]["message"].is_string());
    let (status, _) = call(
        Method::DELETE,
        &url(&sandbox, "/linkedWorkspaces/bulk"),
        &app_token(),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn submission_limits_are_enforced() {
    let sandbox = start().await;
    link(&sandbox, &["ws-1"]).await;
    let one = vec![vulnerability("v-1", 1, "ws-1", "SQLi")];

    let six: serde_json::Map<String, Value> =
        (0..6).map(|i| (format!("k{i}"), json!("v"))).collect();
    let (status, body) = post(
        &sandbox,
        "/bulk",
        &json!({ "vulnerabilities": one, "properties": six }),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body[0]["message"].as_str().unwrap().contains("at most 5"),
        "{body}"
    );

    for key in ["account:id", "_private"] {
        let (status, body) = post(
            &sandbox,
            "/bulk",
            &json!({ "vulnerabilities": one, "properties": { key: "x" } }),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{key}: {body}");
    }

    let many: Vec<Value> = (0..1001)
        .map(|i| vulnerability(&format!("v-{i}"), 1, "ws-1", "x"))
        .collect();
    let (status, body) = post(&sandbox, "/bulk", &json!({ "vulnerabilities": many })).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(body[0]["message"].is_string());

    let (status, _) = post(&sandbox, "/bulk", &json!({ "vulnerabilities": [] })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let resp = client()
        .post(url(&sandbox, "/bulk"))
        .header("authorization", app_token())
        .header("content-type", "application/json")
        .body("[{")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);

    // Nothing was stored by the refused requests.
    let (status, _) = call(
        Method::GET,
        &url(&sandbox, "/vulnerability/v-1"),
        &app_token(),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn older_update_sequence_numbers_do_not_overwrite() {
    let sandbox = start().await;
    link(&sandbox, &["ws-1"]).await;
    let submit = |usn: i64, name: &'static str| {
        let body = json!({ "vulnerabilities": [vulnerability("v-1", usn, "ws-1", name)] });
        let sandbox = &sandbox;
        async move { post(sandbox, "/bulk", &body).await }
    };

    let (status, body) = submit(5, "fifth").await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(body["acceptedVulnerabilities"], json!(["v-1"]));
    assert_eq!(body["failedVulnerabilities"], json!({}));
    assert_eq!(body["unknownAssociations"], json!([]));

    // Older: accepted, as Jira does, but not stored.
    let (_, body) = submit(3, "third").await;
    assert_eq!(body["acceptedVulnerabilities"], json!(["v-1"]));
    let (_, stored) = call(
        Method::GET,
        &url(&sandbox, "/vulnerability/v-1"),
        &app_token(),
        None,
    )
    .await;
    assert_eq!(stored["displayName"], "fifth");
    assert_eq!(stored["updateSequenceNumber"], 5);

    let (_, _) = submit(7, "seventh").await;
    let (_, stored) = call(
        Method::GET,
        &url(&sandbox, "/vulnerability/v-1"),
        &app_token(),
        None,
    )
    .await;
    assert_eq!(
        stored,
        vulnerability("v-1", 7, "ws-1", "seventh"),
        "stored as submitted"
    );

    assert_eq!(
        sandbox.stats().vulnerability_deliveries["v-1"],
        vec![5, 3, 7]
    );

    let (status, _) = call(
        Method::DELETE,
        &url(&sandbox, "/vulnerability/v-1"),
        &app_token(),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let (status, _) = call(
        Method::GET,
        &url(&sandbox, "/vulnerability/v-1"),
        &app_token(),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn failed_and_unknown_associations_are_reported() {
    let sandbox = start().await;
    link(&sandbox, &["ws-1"]).await;
    let mut mixed = vulnerability("v-mixed", 1, "ws-1", "mixed");
    mixed["addAssociations"][0]["values"] = json!(["APP-1", "not-a-key"]);
    let mut only_unknown = vulnerability("v-unknown", 1, "ws-1", "unknown");
    only_unknown["addAssociations"][0]["values"] = json!(["app-2"]);
    let mut invalid = vulnerability("v-invalid", 1, "ws-1", "invalid");
    invalid["severity"]["level"] = json!("catastrophic");
    let body = json!({
        "vulnerabilities": [
            vulnerability("v-ok", 1, "ws-1", "ok"),
            vulnerability("v-unlinked", 1, "ws-9", "unlinked"),
            mixed,
            only_unknown,
            invalid,
        ],
        "providerMetadata": { "product": "Qwiet" },
        "operationType": "SCAN",
    });
    let (status, body) = post(&sandbox, "/bulk", &body).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body["acceptedVulnerabilities"], json!(["v-ok", "v-mixed"]));
    let failed = body["failedVulnerabilities"].as_object().unwrap();
    assert_eq!(failed.len(), 2, "{body}");
    assert!(
        failed["v-unlinked"][0]["message"]
            .as_str()
            .unwrap()
            .contains("ws-9")
    );
    assert!(failed["v-invalid"][0]["message"].is_string());
    assert_eq!(
        body["unknownAssociations"],
        json!([{ "associationType": "issueIdOrKeys", "values": ["app-2", "not-a-key"] }])
    );
    let (status, _) = call(
        Method::GET,
        &url(&sandbox, "/vulnerability/v-unknown"),
        &app_token(),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = call(
        Method::GET,
        &url(&sandbox, "/vulnerability/v-mixed"),
        &app_token(),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn delete_by_properties_matches_all_pairs() {
    let sandbox = start().await;
    link(&sandbox, &["ws-1"]).await;
    for (id, account, run) in [
        ("a", "acc-1", "r1"),
        ("b", "acc-1", "r2"),
        ("c", "acc-2", "r1"),
    ] {
        let body = json!({
            "vulnerabilities": [vulnerability(id, 1, "ws-1", id)],
            "properties": { "accountId": account, "run": run },
        });
        let (status, _) = post(&sandbox, "/bulk", &body).await;
        assert_eq!(status, StatusCode::ACCEPTED);
    }
    let (status, body) = call(
        Method::DELETE,
        &url(&sandbox, "/bulkByProperties"),
        &app_token(),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body[0]["message"].is_string());

    let (status, _) = call(
        Method::DELETE,
        &url(&sandbox, "/bulkByProperties?accountId=acc-1&run=r1"),
        &app_token(),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let mut left = Vec::new();
    for id in ["a", "b", "c"] {
        let (status, _) = call(
            Method::GET,
            &url(&sandbox, &format!("/vulnerability/{id}")),
            &app_token(),
            None,
        )
        .await;
        if status == StatusCode::OK {
            left.push(id);
        }
    }
    assert_eq!(left, ["b", "c"]);

    let (status, _) = call(
        Method::DELETE,
        &url(&sandbox, "/bulkByProperties?accountId=acc-1"),
        &app_token(),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let (status, _) = call(
        Method::GET,
        &url(&sandbox, "/vulnerability/b"),
        &app_token(),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = call(
        Method::GET,
        &url(&sandbox, "/vulnerability/c"),
        &app_token(),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn basic_auth_is_refused_by_security_information_only() {
    let sandbox = start().await;
    let (status, body) = call(
        Method::GET,
        &url(&sandbox, "/linkedWorkspaces"),
        &basic(),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert!(body.to_string().contains("app credentials"), "{body}");
    // The same credentials still work for the rest of Jira.
    let (status, _) = jira_get(&sandbox, "/rest/api/3/issuesecurityschemes").await;
    assert_eq!(status, StatusCode::OK);
}
