//! Jira issue security: paging like Jira, and the stateful operations.

mod common;

use std::collections::HashSet;

use appsec_sandbox::{JIRA_MAX_RESULTS, SandboxConfig};
use common::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const API: &str = "/rest/api/3";

#[tokio::test]
async fn paging_caps_max_results_and_reports_total_and_is_last() {
    let sandbox = start().await;
    let first = format!(
        "{}{API}/issuesecurityschemes/level/member?levelId=10021&maxResults=100",
        sandbox.url()
    );
    let mut next = Some(first);
    let mut seen = HashSet::new();
    let mut pages = Vec::new();
    while let Some(url) = next {
        let (status, page) = call(Method::GET, &url, &basic(), None).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert_eq!(page["maxResults"], JIRA_MAX_RESULTS);
        assert_eq!(page["total"], 120);
        assert_eq!(page["self"], url.as_str());
        for member in page["values"].as_array().unwrap() {
            assert_eq!(member["issueSecurityLevelId"], "10021");
            assert_eq!(member["issueSecuritySchemeId"], "10000");
            assert!(member["holder"]["type"].is_string());
            assert!(seen.insert(member["id"].as_str().unwrap().to_string()));
        }
        let is_last = page["isLast"].as_bool().unwrap();
        assert_eq!(is_last, page.get("nextPage").is_none(), "{page}");
        next = page
            .get("nextPage")
            .and_then(Value::as_str)
            .map(str::to_string);
        pages.push((
            page["startAt"].as_u64().unwrap(),
            page["values"].as_array().unwrap().len(),
            is_last,
        ));
    }
    assert_eq!(
        pages,
        vec![(0, 50, false), (50, 50, false), (100, 20, true)]
    );
    assert_eq!(seen.len(), 120);

    // Past the end: an empty last page.
    let (_, page) = jira_get(
        &sandbox,
        "/rest/api/3/issuesecurityschemes/level/member?levelId=10021&startAt=500",
    )
    .await;
    assert_eq!(page["values"], json!([]));
    assert_eq!(page["isLast"], true);

    // Bad numbers are a 400 in Jira's error shape.
    let (status, body) = jira_get(
        &sandbox,
        "/rest/api/3/issuesecurityschemes/level?startAt=-1",
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["errorMessages"][0].is_string());
}

#[tokio::test]
async fn level_member_count_follows_the_config() {
    let sandbox = start_with(SandboxConfig {
        jira_level_members: 7,
        ..SandboxConfig::default()
    })
    .await;
    let (_, page) = jira_get(
        &sandbox,
        "/rest/api/3/issuesecurityschemes/10000/members?issueSecurityLevelId=10021",
    )
    .await;
    assert_eq!(page["total"], 7);
    assert_eq!(page["isLast"], true);
    // Integer IDs in this listing.
    assert!(page["values"][0]["id"].is_i64());
    assert_eq!(page["values"][0]["issueSecurityLevelId"], 10021);
}

#[tokio::test]
async fn repeated_filters_are_lists_and_combine_inclusively() {
    let sandbox = start().await;
    let (_, page) = jira_get(
        &sandbox,
        "/rest/api/3/issuesecurityschemes/level?schemeId=10001",
    )
    .await;
    assert_eq!(page["total"], 2);
    let (_, page) = jira_get(
        &sandbox,
        "/rest/api/3/issuesecurityschemes/level?schemeId=10001&id=10020",
    )
    .await;
    assert_eq!(page["total"], 3);
    let (_, page) = jira_get(
        &sandbox,
        "/rest/api/3/issuesecurityschemes/level?schemeId=10000&schemeId=10001",
    )
    .await;
    assert_eq!(page["total"], 5);
    let (_, page) = jira_get(
        &sandbox,
        "/rest/api/3/issuesecurityschemes/level?onlyDefault=true",
    )
    .await;
    assert_eq!(page["total"], 1);
    assert_eq!(page["values"][0]["id"], "10020");
    assert_eq!(page["values"][0]["isDefault"], true);

    let (_, page) = jira_get(
        &sandbox,
        "/rest/api/3/issuesecurityschemes/search?projectId=10001",
    )
    .await;
    assert_eq!(page["total"], 1);
    assert_eq!(page["values"][0]["id"], 10001);
    assert_eq!(page["values"][0]["projectIds"], json!([10001]));

    let (_, page) = jira_get(
        &sandbox,
        "/rest/api/3/issuesecurityschemes/project?issueSecuritySchemeId=10000",
    )
    .await;
    assert_eq!(
        page["values"],
        json!([{ "issueSecuritySchemeId": "10000", "projectId": "10000" }])
    );
}

#[tokio::test]
async fn schemes_levels_and_members_are_stateful() {
    let sandbox = start().await;
    let base = format!("{}{API}/issuesecurityschemes", sandbox.url());

    let (status, created) = call(
        Method::POST,
        &base,
        &basic(),
        Some(&json!({
            "name": "Vendor scheme",
            "description": "Issues shared with vendors",
            "levels": [{ "name": "Vendors", "isDefault": true, "members": [{ "type": "group", "parameter": "vendors" }] }],
        })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().unwrap().to_string();

    // Same name again, any case: 400 with a field error.
    let (status, body) = call(
        Method::POST,
        &base,
        &basic(),
        Some(&json!({ "name": "VENDOR SCHEME" })),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["errors"]["name"].is_string(), "{body}");

    let (status, scheme) = jira_get(&sandbox, &format!("{API}/issuesecurityschemes/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(scheme["name"], "Vendor scheme");
    assert_eq!(scheme["id"].as_i64().unwrap().to_string(), id);
    let vendors = scheme["levels"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(
        scheme["defaultSecurityLevelId"]
            .as_i64()
            .unwrap()
            .to_string(),
        vendors
    );

    // Add a level, make it the default, rename it.
    let (status, _) = call(
        Method::PUT,
        &format!("{base}/{id}/level"),
        &basic(),
        Some(&json!({ "levels": [{ "name": "Vendor admins", "description": "Admins" }] })),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, levels) = jira_get(
        &sandbox,
        &format!("{API}/issuesecurityschemes/level?schemeId={id}"),
    )
    .await;
    assert_eq!(levels["total"], 2);
    let admins = levels["values"][1]["id"].as_str().unwrap().to_string();
    let (status, _) = call(Method::PUT, &format!("{base}/level/default"), &basic(),
        Some(&json!({ "defaultValues": [{ "issueSecuritySchemeId": id, "defaultLevelId": admins }] }))).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = call(
        Method::PUT,
        &format!("{base}/{id}/level/{admins}"),
        &basic(),
        Some(&json!({ "name": "Vendor administrators" })),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, level) = jira_get(&sandbox, &format!("{API}/securitylevel/{admins}")).await;
    assert_eq!(level["name"], "Vendor administrators");
    assert_eq!(level["isDefault"], true);

    // Members: add, reject a duplicate, list, remove.
    let members_url = format!("{base}/{id}/level/{admins}/member");
    let (status, _) = call(Method::PUT, &members_url, &basic(),
        Some(&json!({ "members": [{ "type": "reporter" }, { "type": "user", "parameter": "712020:abc" }] }))).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = call(
        Method::PUT,
        &members_url,
        &basic(),
        Some(&json!({ "members": [{ "type": "reporter" }] })),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = call(
        Method::PUT,
        &members_url,
        &basic(),
        Some(&json!({ "members": [{ "type": "user" }] })),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "a user member needs a parameter"
    );
    let (_, members) = jira_get(
        &sandbox,
        &format!("{API}/issuesecurityschemes/{id}/members?issueSecurityLevelId={admins}"),
    )
    .await;
    assert_eq!(members["total"], 2);
    let member = members["values"][0]["id"].as_i64().unwrap();
    let (status, _) = call(
        Method::DELETE,
        &format!("{members_url}/{member}"),
        &basic(),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = call(
        Method::DELETE,
        &format!("{members_url}/{member}"),
        &basic(),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Removing a level is a task: 303, Location, TaskProgressBeanObject.
    let resp = client()
        .delete(format!("{base}/{id}/level/{admins}?replaceWith={vendors}"))
        .header("authorization", basic())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let location = resp.headers()["location"].to_str().unwrap().to_string();
    let task: Value = resp.json().await.unwrap();
    for field in [
        "elapsedRuntime",
        "id",
        "lastUpdate",
        "progress",
        "self",
        "status",
        "submitted",
        "submittedBy",
    ] {
        assert!(task.get(field).is_some(), "task lacks {field}: {task}");
    }
    assert_eq!(task["self"], location.as_str());
    let (status, done) = call(Method::GET, &location, &basic(), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(done["status"], "COMPLETE");
    let (status, _) = jira_get(&sandbox, &format!("{API}/securitylevel/{admins}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Update, then delete the scheme.
    let (status, _) = call(
        Method::PUT,
        &format!("{base}/{id}"),
        &basic(),
        Some(&json!({ "description": "New" })),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = call(Method::DELETE, &format!("{base}/{id}"), &basic(), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = jira_get(&sandbox, &format!("{API}/issuesecurityschemes/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body["errorMessages"][0].is_string());
    assert_eq!(body["errors"], json!({}));
}

#[tokio::test]
async fn associating_a_project_is_an_asynchronous_task() {
    let sandbox = start().await;
    let url = format!("{}{API}/issuesecurityschemes/project", sandbox.url());
    let resp = client()
        .put(&url)
        .header("authorization", basic())
        .json(&json!({ "projectId": "10002", "schemeId": "10001", "oldToNewSecurityLevelMappings": [{ "oldLevelId": null, "newLevelId": "10030" }] }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert!(
        resp.headers()["location"]
            .to_str()
            .unwrap()
            .contains("/rest/api/3/task/")
    );
    let task: Value = resp.json().await.unwrap();
    assert_eq!(task["status"], "ENQUEUED");

    let (_, scheme) = jira_get(&sandbox, "/rest/api/3/project/WEB/issuesecuritylevelscheme").await;
    assert_eq!(scheme["id"], 10001);
    assert_eq!(scheme["levels"].as_array().unwrap().len(), 2);

    // A scheme in use cannot be deleted.
    let (status, _) = call(
        Method::DELETE,
        &format!("{}{API}/issuesecurityschemes/10001", sandbox.url()),
        &basic(),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // Unknown scheme or project: 404.
    let (status, _) = call(
        Method::PUT,
        &url,
        &basic(),
        Some(&json!({ "projectId": "10002", "schemeId": "999" })),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = call(
        Method::PUT,
        &url,
        &basic(),
        Some(&json!({ "projectId": "NOPE", "schemeId": "10000" })),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn unknown_paths_and_bad_json_answer_in_jira_shape() {
    let sandbox = start().await;
    let (status, body) = jira_get(&sandbox, "/rest/api/3/nothing-here").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body["errorMessages"].is_array());

    let resp = client()
        .post(format!("{}{API}/issuesecurityschemes", sandbox.url()))
        .header("authorization", basic())
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let body: Value = resp.json().await.unwrap();
    assert!(body["errorMessages"][0].as_str().unwrap().contains("JSON"));
}
