//! Fault injection: 429, 503, dropped connections, determinism, shutdown.

mod common;

use appsec_sandbox::{Faults, SandboxConfig};
use common::*;
use reqwest::StatusCode;

fn with_faults(faults: Faults, seed: u64) -> SandboxConfig {
    SandboxConfig {
        faults,
        seed,
        qwiet_findings: 50,
        ..SandboxConfig::default()
    }
}

#[tokio::test]
async fn rate_limited_requests_get_429_with_retry_after() {
    let sandbox = start_with(with_faults(
        Faults {
            rate_limited: 1.0,
            ..Faults::default()
        },
        1,
    ))
    .await;
    let resp = client()
        .get(format!("{}/rest/api/3/issuesecurityschemes", sandbox.url()))
        .header("authorization", basic())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(resp.headers()["retry-after"], "0");
    let body: serde_json::Value = resp.json().await.unwrap();
    assert!(body["errorMessages"][0].is_string());

    let sandbox = start_with(with_faults(
        Faults {
            rate_limited: 1.0,
            retry_after_secs: Some(7),
            ..Faults::default()
        },
        1,
    ))
    .await;
    let resp = client()
        .get(format!("{}/orgs/x/apps", sandbox.qwiet_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(resp.headers()["retry-after"], "7");
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["code"], "RATE_LIMITED");
    assert_eq!(sandbox.stats().faults_injected, 1);
}

#[tokio::test]
async fn unavailable_requests_get_503() {
    let sandbox = start_with(with_faults(
        Faults {
            unavailable: 1.0,
            ..Faults::default()
        },
        1,
    ))
    .await;
    let resp = client()
        .get(format!(
            "{}/rest/security/1.0/linkedWorkspaces",
            sandbox.url()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn dropped_requests_close_the_connection() {
    let sandbox = start_with(with_faults(
        Faults {
            dropped: 1.0,
            ..Faults::default()
        },
        1,
    ))
    .await;
    let err = client()
        .get(format!("{}/rest/api/3/issuesecurityschemes", sandbox.url()))
        .header("authorization", basic())
        .send()
        .await
        .expect_err("the connection is closed without an answer");
    assert!(!err.is_status(), "{err}");
    let stats = sandbox.stats();
    assert!(stats.requests >= 1);
    assert_eq!(stats.faults_injected, stats.requests);
}

#[tokio::test]
async fn faults_are_deterministic_for_a_seed() {
    async fn statuses(seed: u64) -> Vec<u16> {
        let sandbox = start_with(with_faults(
            Faults {
                rate_limited: 0.3,
                unavailable: 0.2,
                ..Faults::default()
            },
            seed,
        ))
        .await;
        let mut out = Vec::new();
        for _ in 0..40 {
            let (status, _) = jira_get(&sandbox, "/rest/api/3/securitylevel/10020").await;
            out.push(status.as_u16());
        }
        let stats = sandbox.stats();
        assert_eq!(stats.requests, 40);
        assert_eq!(
            stats.faults_injected as usize,
            out.iter().filter(|s| **s != 200).count()
        );
        out
    }
    let a = statuses(42).await;
    assert_eq!(a, statuses(42).await);
    assert!(
        a.contains(&200) && a.contains(&429) && a.contains(&503),
        "{a:?}"
    );
    assert_ne!(a, statuses(43).await);
}

#[tokio::test]
async fn delay_slows_every_answer() {
    let sandbox = start_with(with_faults(
        Faults {
            delay_ms: 150,
            ..Faults::default()
        },
        1,
    ))
    .await;
    let started = std::time::Instant::now();
    let (status, _) = jira_get(&sandbox, "/rest/api/3/securitylevel/10020").await;
    assert_eq!(status, StatusCode::OK);
    assert!(started.elapsed() >= std::time::Duration::from_millis(150));
}

#[tokio::test]
async fn shutdown_stops_the_server() {
    let sandbox = start().await;
    let url = format!("{}/rest/api/3/securitylevel/10020", sandbox.url());
    assert_eq!(
        client().get(&url).send().await.unwrap().status(),
        StatusCode::OK
    );
    sandbox.shutdown().await;
    // A fresh client, so no pooled connection is reused.
    assert!(client().get(&url).send().await.is_err());
}

#[tokio::test]
async fn rate_limited_requests_can_omit_retry_after() {
    let sandbox = start_with(with_faults(
        Faults {
            rate_limited: 1.0,
            retry_after_secs: Some(7),
            omit_retry_after: true,
            ..Faults::default()
        },
        1,
    ))
    .await;
    let resp = client()
        .get(format!("{}/rest/api/3/issuesecurityschemes", sandbox.url()))
        .header("authorization", basic())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(resp.headers().get("retry-after").is_none());
    assert_eq!(resp.headers()["x-ratelimit-remaining"], "0");
}

#[tokio::test]
async fn dropped_after_processing_keeps_the_effects_and_loses_the_answer() {
    let sandbox = start_with(with_faults(
        Faults {
            dropped_after_processing: 1.0,
            ..Faults::default()
        },
        1,
    ))
    .await;
    let err = client()
        .post(format!(
            "{}/rest/security/1.0/linkedWorkspaces/bulk",
            sandbox.url()
        ))
        .header("authorization", app_token())
        .json(&serde_json::json!({ "workspaceIds": ["ws-1"] }))
        .send()
        .await
        .expect_err("the answer is never sent");
    assert!(!err.is_status(), "{err}");
    let stats = sandbox.stats();
    assert_eq!(stats.faults_injected, stats.requests);
    // Every request is faulted, so no read can show the link; but a
    // submission to the workspace is processed, which needs the link.
    let vulnerability = serde_json::json!({
        "schemaVersion": "1.0",
        "id": "v-1",
        "updateSequenceNumber": 3,
        "containerId": "ws-1",
        "displayName": "V",
        "description": "D",
        "url": "https://scanner.example.com/v/1",
        "type": "sast",
        "introducedDate": "2026-01-01T00:00:00Z",
        "lastUpdated": "2026-01-01T00:00:00Z",
        "severity": { "level": "high" },
        "status": "open"
    });
    let _ = client()
        .post(format!("{}/rest/security/1.0/bulk", sandbox.url()))
        .header("authorization", app_token())
        .json(&serde_json::json!({ "vulnerabilities": [vulnerability] }))
        .send()
        .await
        .expect_err("the answer is never sent");
    assert_eq!(
        sandbox.stats().vulnerability_deliveries.get("v-1"),
        Some(&vec![3])
    );
}
