//! The generated client against a loopback server: exact requests out,
//! realistic responses in.

use appsec_jira_issue_security::{Client, Error, types};
use appsec_runtime::ClientContext;
use serde_json::json;
use wiremock::matchers::{body_json, method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

fn client(server: &MockServer) -> Client {
    appsec_runtime::tls::install_crypto_provider();
    Client::new_with_client(&server.uri(), reqwest::Client::new(), ClientContext::new())
}

fn level(id: &str, name: &str) -> serde_json::Value {
    json!({
        "id": id, "name": name, "description": "Visible to the security team",
        "isDefault": false, "issueSecuritySchemeId": "10000",
        "self": format!("https://example.atlassian.net/rest/api/3/securitylevel/{id}")
    })
}

#[tokio::test]
async fn get_security_levels_sends_repeated_ids_and_decodes_a_page() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/rest/api/3/issuesecurityschemes/level"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "isLast": false, "maxResults": 2, "startAt": 0, "total": 3,
            "nextPage": "https://example.atlassian.net/rest/api/3/issuesecurityschemes/level?startAt=2",
            "self": "https://example.atlassian.net/rest/api/3/issuesecurityschemes/level",
            "values": [level("10021", "Staff"), level("10022", "Security team")]
        })))
        .expect(1)
        .mount(&server)
        .await;

    let page = client(&server)
        .get_security_levels()
        .scheme_id(vec!["10000".to_string(), "10001".to_string()])
        .start_at("0")
        .max_results("2")
        .send()
        .await
        .expect("page decodes")
        .into_inner();

    assert_eq!(page.total, Some(3));
    assert_eq!(page.is_last, Some(false));
    let names: Vec<_> = page
        .values
        .iter()
        .filter_map(|l| l.name.as_deref())
        .collect();
    assert_eq!(names, ["Staff", "Security team"]);

    let request = &server.received_requests().await.unwrap()[0];
    assert_eq!(
        request.url.query(),
        Some("maxResults=2&schemeId=10000&schemeId=10001&startAt=0")
    );
}

#[tokio::test]
async fn create_scheme_posts_json_and_decodes_the_new_id() {
    let server = MockServer::start().await;
    let body = json!({
        "name": "Sensitive issues",
        "description": "Who may see security bugs",
        "levels": [{
            "name": "Security team", "description": "Only responders", "isDefault": true,
            "members": [{"type": "group", "parameter": "security-responders"}]
        }]
    });
    Mock::given(method("POST"))
        .and(path("/rest/api/3/issuesecurityschemes"))
        .and(body_json(&body))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"id": "10005"})))
        .expect(1)
        .mount(&server)
        .await;

    let details: types::CreateIssueSecuritySchemeDetails = serde_json::from_value(body).unwrap();
    let created = client(&server)
        .create_issue_security_scheme()
        .body(details)
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    assert_eq!(created.into_inner().id, "10005");
}

#[tokio::test]
async fn delete_scheme_accepts_204_without_body() {
    let server = MockServer::start().await;
    Mock::given(method("DELETE"))
        .and(path("/rest/api/3/issuesecurityschemes/10005"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let response = client(&server)
        .delete_security_scheme()
        .scheme_id("10005")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
}

#[tokio::test]
async fn add_level_members_puts_the_member_list() {
    let server = MockServer::start().await;
    let body = json!({"members": [
        {"type": "user", "parameter": "5b10ac8d82e05b22cc7d4ef5"},
        {"type": "reporter"}
    ]});
    Mock::given(method("PUT"))
        .and(path(
            "/rest/api/3/issuesecurityschemes/10000/level/10021/member",
        ))
        .and(body_json(&body))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let members: types::SecuritySchemeMembersRequest = serde_json::from_value(body).unwrap();
    client(&server)
        .add_security_level_members()
        .scheme_id("10000")
        .level_id("10021")
        .body(members)
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn get_level_by_id_decodes_and_ignores_unknown_fields() {
    let server = MockServer::start().await;
    let mut body = level("10021", "Staff");
    body["addedByJiraNextYear"] = json!({"nested": true});
    Mock::given(method("GET"))
        .and(path("/rest/api/3/securitylevel/10021"))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(&server)
        .await;
    let level = client(&server)
        .get_issue_security_level()
        .id("10021")
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(level.name.as_deref(), Some("Staff"));
    assert_eq!(level.issue_security_scheme_id.as_deref(), Some("10000"));
}

#[tokio::test]
async fn an_error_status_arrives_as_the_response_with_its_body_and_format() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/rest/api/3/issuesecurityschemes"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "errorMessages": ["A scheme with this name already exists."],
            "errors": {"name": "Name must be unique."}
        })))
        .mount(&server)
        .await;
    let details: types::CreateIssueSecuritySchemeDetails =
        serde_json::from_value(json!({"name": "Duplicate"})).unwrap();
    let err = client(&server)
        .create_issue_security_scheme()
        .body(details)
        .send()
        .await
        .unwrap_err();
    let Error::UnexpectedResponse(response) = err else {
        panic!("expected the response itself, got {err:?}");
    };
    assert_eq!(response.status(), 400);
    assert_eq!(
        response.extensions().get::<appsec_runtime::ErrorFormat>(),
        Some(&appsec_runtime::ErrorFormat::JiraErrorCollection)
    );
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["errors"]["name"], "Name must be unique.");
}

#[tokio::test]
async fn names_over_the_documented_limit_are_rejected_before_sending() {
    let server = MockServer::start().await;
    let too_long = "x".repeat(61);
    let parsed: Result<types::CreateIssueSecuritySchemeDetails, _> =
        serde_json::from_value(json!({"name": too_long}));
    assert!(parsed.is_err(), "the 60-character limit is enforced");
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn project_lookups_use_the_key_in_the_path() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/rest/api/3/project/SEC/securitylevel"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "levels": [level("10021", "Staff")]
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/rest/api/3/issuesecurityschemes/project"))
        .and(query_param("projectId", "10010"))
        .respond_with(|_: &Request| {
            ResponseTemplate::new(200).set_body_json(json!({
                "isLast": true, "maxResults": 50, "startAt": 0, "total": 1,
                "values": [{"issueSecuritySchemeId": "10000", "projectId": "10010"}]
            }))
        })
        .mount(&server)
        .await;
    let c = client(&server);
    let levels = c
        .get_security_levels_for_project()
        .project_key_or_id("SEC")
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(levels.levels.len(), 1);
    let page = c
        .search_projects_using_security_schemes()
        .project_id(vec!["10010".to_string()])
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(page.values[0].project_id.as_deref(), Some("10010"));
}
