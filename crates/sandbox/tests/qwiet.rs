//! Qwiet: findings paging through `next_page`, filters, users and teams.

mod common;

use std::collections::HashSet;

use appsec_sandbox::{SANDBOX_ORG_ID, Sandbox, SandboxConfig};
use common::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn org(sandbox: &Sandbox, path: &str) -> String {
    format!("{}/orgs/{SANDBOX_ORG_ID}{path}", sandbox.qwiet_url())
}

/// Follows `next_page` from `first`; returns every item and the page count.
async fn follow(first: String, items: impl Fn(&Value) -> Vec<Value>) -> (Vec<Value>, usize) {
    let mut next = Some(first);
    let mut all = Vec::new();
    let mut pages = 0;
    while let Some(url) = next {
        let (status, page) = qwiet_get(&url).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert_eq!(page["ok"], true);
        pages += 1;
        all.extend(items(&page));
        next = page
            .get("next_page")
            .and_then(Value::as_str)
            .map(str::to_string);
        if let Some(next) = &next {
            assert!(next.starts_with("http://127.0.0.1:"), "{next}");
            assert_eq!(
                page["response"].get("has_more").unwrap_or(&json!(true)),
                true
            );
        }
    }
    (all, pages)
}

fn findings(page: &Value) -> Vec<Value> {
    page["response"]["findings"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[tokio::test]
async fn findings_pages_cover_every_finding_exactly_once() {
    let sandbox = start().await;
    let (all, pages) = follow(org(&sandbox, "/findings?status=any&per_page=250"), findings).await;
    assert_eq!(pages, 10);
    assert_eq!(all.len(), 2500);
    let ids: HashSet<&str> = all.iter().map(|f| f["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 2500);
    for f in &all {
        for field in ["id", "app", "type", "internal_id"] {
            assert!(f[field].is_string(), "{field} missing: {f}");
        }
        assert!(["critical", "high", "medium", "low"].contains(&f["severity"].as_str().unwrap()));
        assert!(["unset", "fixed", "ignored", "3rdparty"].contains(&f["status"].as_str().unwrap()));
        assert!(
            f["tags"]
                .as_array()
                .unwrap()
                .iter()
                .any(|t| t["key"] == "cwe_category")
        );
    }
    let types: HashSet<&str> = all.iter().map(|f| f["type"].as_str().unwrap()).collect();
    assert_eq!(types, HashSet::from(["vuln", "oss_vuln", "secret"]));

    // The last page says so and links nowhere.
    let (_, last) = qwiet_get(&org(&sandbox, "/findings?status=any&per_page=250&page=10")).await;
    assert_eq!(last["response"]["has_more"], false);
    assert!(last.get("next_page").is_none());
}

#[tokio::test]
async fn page_size_defaults_to_50_and_is_capped_at_250() {
    let sandbox = start().await;
    let (_, page) = qwiet_get(&org(&sandbox, "/findings?status=any")).await;
    assert_eq!(findings(&page).len(), 50);
    let next = page["next_page"].as_str().unwrap();
    assert!(
        next.contains("page=2") && next.contains("status=any"),
        "{next}"
    );
    let (_, page) = qwiet_get(&org(&sandbox, "/findings?status=any&per_page=1000")).await;
    assert_eq!(findings(&page).len(), 250);
    let (status, body) = qwiet_get(&org(&sandbox, "/findings?page=0")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["ok"], false);
}

#[tokio::test]
async fn filters_narrow_the_listing() {
    let sandbox = start_with(SandboxConfig {
        qwiet_findings: 600,
        ..SandboxConfig::default()
    })
    .await;
    let (every, _) = follow(org(&sandbox, "/findings?status=any&per_page=250"), findings).await;
    assert_eq!(every.len(), 600);

    // Without `status`, only unset findings, as in Qwiet.
    let (unset, _) = follow(org(&sandbox, "/findings?per_page=250"), findings).await;
    let expected = every.iter().filter(|f| f["status"] == "unset").count();
    assert_eq!(unset.len(), expected);
    assert!(expected < 600);

    let (severe, _) = follow(
        org(
            &sandbox,
            "/findings?status=any&severity=critical&severity=high&per_page=100",
        ),
        findings,
    )
    .await;
    let expected = every
        .iter()
        .filter(|f| f["severity"] == "critical" || f["severity"] == "high")
        .count();
    assert_eq!(severe.len(), expected);
    assert!(
        severe
            .iter()
            .all(|f| f["severity"] == "critical" || f["severity"] == "high")
    );

    let (secrets, _) = follow(org(&sandbox, "/findings?status=any&type=secret"), findings).await;
    assert!(!secrets.is_empty());
    assert!(secrets.iter().all(|f| f["type"] == "secret"));

    let (_, page) = qwiet_get(&org(
        &sandbox,
        "/apps/shop-api/findings?status=any&per_page=250",
    ))
    .await;
    assert_eq!(page["response"]["scan"]["app"], "shop-api");
    let (app_findings, _) = follow(
        org(&sandbox, "/apps/shop-api/findings?status=any&per_page=250"),
        findings,
    )
    .await;
    assert_eq!(
        app_findings.len(),
        every.iter().filter(|f| f["app"] == "shop-api").count()
    );

    let one = &app_findings[0];
    let (status, body) = qwiet_get(&org(
        &sandbox,
        &format!("/apps/shop-api/findings/{}", one["id"].as_str().unwrap()),
    ))
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(&body["response"], one);
}

#[tokio::test]
async fn apps_scans_and_errors() {
    let sandbox = start().await;
    let (_, apps) = qwiet_get(&org(&sandbox, "/apps")).await;
    let ids: Vec<&str> = apps["response"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["shop-api", "payments-service", "web-frontend"]);
    let (_, scans) = qwiet_get(&org(&sandbox, "/apps/web-frontend/scans")).await;
    let scans = scans["response"]["scans"].as_array().unwrap();
    assert!(scans.len() >= 3);
    for s in scans {
        for field in ["id", "app", "version"] {
            assert!(s[field].is_string());
        }
        assert_eq!(s["successful"], true);
    }
    let (status, body) = qwiet_get(&org(&sandbox, "/apps/nope")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["code"], "NOT_FOUND");
    let (status, _) = qwiet_get(&format!(
        "{}/orgs/00000000-0000-4000-8000-000000000000/apps",
        sandbox.qwiet_url()
    ))
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = qwiet_get(&format!("{}/nothing", sandbox.qwiet_url())).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["ok"], false);
}

#[tokio::test]
async fn users_and_teams_are_paged_by_next_page() {
    let sandbox = start().await;
    let (users, pages) = follow(org(&sandbox, "/rbac/users"), |p| {
        p["response"].as_array().unwrap().clone()
    })
    .await;
    assert_eq!(users.len(), 36);
    assert_eq!(pages, 4);
    let emails: Vec<&str> = users.iter().map(|u| u["email"].as_str().unwrap()).collect();
    let mut sorted = emails.clone();
    sorted.sort();
    assert_eq!(emails, sorted);
    assert_eq!(emails.iter().collect::<HashSet<_>>().len(), 36);

    let (status, created) = call(Method::POST, &org(&sandbox, "/rbac/teams"), &qwiet_bearer(),
        Some(&json!({ "name": "AppSec", "applications": ["shop-api"], "members": [{ "user_id_v2": users[0]["id_v2"], "team_role": "TEAM_ADMIN" }] }))).await;
    assert_eq!(status, StatusCode::OK, "{created}");
    let team_id = created["response"]["team_id"].as_str().unwrap();
    let (status, _) = call(
        Method::POST,
        &org(&sandbox, "/rbac/teams"),
        &qwiet_bearer(),
        Some(&json!({ "name": "appsec" })),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, body) = call(
        Method::POST,
        &org(&sandbox, "/rbac/teams"),
        &qwiet_bearer(),
        Some(&json!({})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["validation_errors"].is_array());

    let (teams, _) = follow(org(&sandbox, "/rbac/teams"), |p| {
        p["response"].as_array().unwrap().clone()
    })
    .await;
    assert_eq!(teams.len(), 5);
    let team = teams.iter().find(|t| t["team_id"] == team_id).unwrap();
    assert_eq!(team["projects"], json!(["shop-api"]));
    assert_eq!(team["members"][0]["team_role"], "TEAM_ADMIN");

    let (_, members) = qwiet_get(&org(&sandbox, &format!("/rbac/users?team={team_id}"))).await;
    assert_eq!(members["response"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn data_is_deterministic_for_a_seed() {
    let a = start_with(SandboxConfig {
        seed: 7,
        qwiet_findings: 100,
        ..SandboxConfig::default()
    })
    .await;
    let b = start_with(SandboxConfig {
        seed: 7,
        qwiet_findings: 100,
        ..SandboxConfig::default()
    })
    .await;
    let c = start_with(SandboxConfig {
        seed: 8,
        qwiet_findings: 100,
        ..SandboxConfig::default()
    })
    .await;
    let page = |s: &Sandbox| org(s, "/findings?status=any&per_page=100");
    let (_, pa) = qwiet_get(&page(&a)).await;
    let (_, pb) = qwiet_get(&page(&b)).await;
    let (_, pc) = qwiet_get(&page(&c)).await;
    assert_eq!(pa["response"], pb["response"]);
    assert_ne!(pa["response"], pc["response"]);
}
