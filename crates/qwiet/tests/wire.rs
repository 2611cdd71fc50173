//! The generated Qwiet client against a loopback server: exact requests out,
//! realistic Qwiet v4 envelopes in.

use std::future::poll_fn;

use appsec_qwiet::{ByteStream, Client, Error, ResponseValue, types};
use appsec_runtime::ClientContext;
use appsec_runtime::Envelope;
use serde_json::{Value, json};
use uuid::Uuid;
use wiremock::matchers::{body_json, method, path};
use wiremock::{Mock, MockBuilder, MockServer, Request, ResponseTemplate};

const ORG: &str = "3fd2c5a8-6e1b-4f7d-9c2a-8b1e0d4f6a57";
const APP: &str = "shiftleft-java-demo";

fn org() -> Uuid {
    ORG.parse().unwrap()
}

fn client(server: &MockServer) -> Client {
    appsec_runtime::tls::install_crypto_provider();
    Client::new_with_client(&server.uri(), reqwest::Client::new(), ClientContext::new())
}

/// A mock for `verb` on the org-relative path `at` (`/orgs/{ORG}{at}`).
fn on(verb: &str, at: &str) -> MockBuilder {
    Mock::given(method(verb)).and(path(format!("/orgs/{ORG}{at}")))
}

/// The one request the server saw.
async fn sole_request(server: &MockServer) -> Request {
    let mut requests = server.received_requests().await.expect("recording is on");
    assert_eq!(requests.len(), 1, "exactly one request was sent");
    requests.remove(0)
}

fn header<'r>(request: &'r Request, name: &str) -> Vec<&'r str> {
    request
        .headers
        .get_all(name)
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect()
}

/// Headers every JSON operation sends.
fn assert_json_headers(request: &Request) {
    assert_eq!(header(request, "accept"), ["application/json"]);
    // Progenitor's version-negotiation header is not part of the API.
    assert!(header(request, "api-version").is_empty());
}

/// `{"ok": true, "response": ...}`
fn ok(response: Value) -> Value {
    json!({"ok": true, "response": response})
}

/// `{"ok": false, "code": ..., "message": ...}`
fn failure(code: &str, message: &str) -> Value {
    json!({"ok": false, "code": code, "message": message})
}

fn app_json(id: &str, name: &str, labels: &[&str]) -> Value {
    json!({
        "id": id,
        "name": name,
        "tags": [{"key": "language", "value": "java"}, {"key": "risk_score", "value": 7.5}],
        "is_demo": false,
        "potential_new_cves": 2,
        "team_id": "payments",
        "can_delete": true,
        "is_subscription_active": true,
        "latest_status_log": {"message_id": "scan_completed", "message": "Scan completed"},
        "avg_scan_duration_ms": 184_233,
        "labels": labels
    })
}

fn finding_json(id: &str, severity: &str, title: &str, category: &str) -> Value {
    json!({
        "id": id,
        "app": APP,
        "type": "vuln",
        "title": title,
        "description": "Attacker-controlled data reaches a sensitive sink.",
        "severity": severity,
        "owasp_category": "a03-2021-injection",
        "category": category,
        "status": "unset",
        "version_first_seen": "7d0c1e2f8b10",
        "details": {"file_locations": ["src/main/java/io/shiftleft/controller/SearchController.java:41"]},
        "internal_id": format!("{category}/7f3e1c2a{id}"),
        "tags": [
            {"key": "cvss_31_severity_rating", "value": severity},
            {"key": "cvss_score", "value": 9.8},
            {"key": "cwe_category", "value": "89"}
        ]
    })
}

fn scan_info_json(id: &str, version: &str, started: &str) -> Value {
    json!({
        "id": id,
        "app": APP,
        "version": version,
        "successful": true,
        "started_at": started,
        "completed_at": "2024-05-14T09:36:52Z",
        "language": "java",
        "number_of_expressions": 48_211,
        "tags": {"branch": "main"}
    })
}

fn tag_string<'t>(tags: &'t [types::Tag], key: &str) -> Option<&'t str> {
    tags.iter()
        .filter_map(|t| match t {
            types::Tag::String(tag) => Some(tag),
            _ => None,
        })
        .find(|t| t.key == key)
        .map(|t| t.value.as_str())
}

fn tag_number(tags: &[types::Tag], key: &str) -> Option<f64> {
    tags.iter()
        .filter_map(|t| match t {
            types::Tag::Number(tag) => Some(tag),
            _ => None,
        })
        .find(|t| t.key == key)
        .map(|t| t.value)
}

async fn read_all(download: ResponseValue<ByteStream>) -> Vec<u8> {
    let mut inner = download.into_inner().into_inner();
    let mut out = Vec::new();
    while let Some(chunk) = poll_fn(|cx| inner.as_mut().poll_next(cx)).await {
        out.extend_from_slice(&chunk.expect("body chunk"));
    }
    out
}

// 1. Apps of an org.
/// The error response a failed call hands over: its status and JSON body,
/// after checking it is marked with Qwiet's error format for the facade.
async fn error_body<E: std::fmt::Debug>(err: Error<E>) -> (u16, Value) {
    let Error::UnexpectedResponse(response) = err else {
        panic!("expected the response itself, got {err:?}");
    };
    assert_eq!(
        response.extensions().get::<appsec_runtime::ErrorFormat>(),
        Some(&appsec_runtime::ErrorFormat::QwietEnvelope)
    );
    let status = response.status().as_u16();
    (status, response.json().await.expect("a JSON error body"))
}

#[tokio::test]
async fn list_apps_gets_every_app_of_the_org() {
    let server = MockServer::start().await;
    on("GET", "/apps")
        .respond_with(ResponseTemplate::new(200).set_body_json(ok(json!([
            app_json(APP, "Java demo", &["pci", "tier-1"]),
            app_json("checkout-service", "Checkout", &[])
        ]))))
        .expect(1)
        .mount(&server)
        .await;

    let apps = client(&server)
        .list_apps()
        .org_id(org())
        .send()
        .await
        .expect("apps decode")
        .into_inner();

    let request = sole_request(&server).await;
    assert_eq!(request.url.query(), None);
    assert!(request.body.is_empty());
    assert_json_headers(&request);

    assert!(apps.ok);
    let ids: Vec<_> = apps
        .response
        .iter()
        .filter_map(|a| a.id.as_deref())
        .collect();
    assert_eq!(ids, [APP, "checkout-service"]);
    let demo = &apps.response[0];
    assert_eq!(demo.labels, ["pci", "tier-1"]);
    assert_eq!(demo.team_id.as_deref(), Some("payments"));
    assert_eq!(demo.avg_scan_duration_ms, Some(184_233));
    assert_eq!(tag_string(&demo.tags, "language"), Some("java"));
    assert_eq!(tag_number(&demo.tags, "risk_score"), Some(7.5));
    let log = demo.latest_status_log.as_ref().unwrap();
    assert_eq!(log.message_id.as_deref(), Some("scan_completed"));
    assert!(apps.response[1].labels.is_empty());
}

// 2. Org findings with filters, paging and repeated array parameters.
#[tokio::test]
async fn list_org_findings_sends_filters_and_repeated_tags() {
    let server = MockServer::start().await;
    let next = format!(
        "https://app.shiftleft.io/api/v4/orgs/{ORG}/findings?page=3&per_page=25&severity=critical"
    );
    on("GET", "/findings")
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "ok": true,
            "next_page": next,
            "response": {
                "has_more": true,
                "findings": [
                    finding_json("1021", "critical", "SQL Injection: HTTP data to SQL database in `SearchController.doGetSearch`", "SQL Injection"),
                    finding_json("1022", "critical", "Remote Code Execution: HTTP data to `Runtime.exec`", "Remote Code Execution")
                ],
                "counts": [
                    {"key": "severity", "value": "critical", "finding_type": "vuln", "count": 14},
                    {"key": "cvss_score", "value": 9.8, "finding_type": "vuln", "count": 3}
                ]
            }
        })))
        .expect(1)
        .mount(&server)
        .await;

    let page = client(&server)
        .list_org_findings()
        .org_id(org())
        .severity(types::Severity::Critical)
        .type_("vuln")
        .tags(vec![
            "branch=main".to_string(),
            "app=shiftleft-java-demo".to_string(),
        ])
        .finding_tags(vec![
            "cwe_category=89".to_string(),
            "cwe_category=78".to_string(),
        ])
        .status(types::Status::Unset)
        .assignment(types::Assignment::Unassigned)
        .order(types::ListOrgFindingsOrder::Asc)
        .sort("severity")
        .page(2)
        .per_page(25)
        .send()
        .await
        .expect("findings decode")
        .into_inner();

    let request = sole_request(&server).await;
    assert_eq!(
        request.url.query(),
        Some(
            "assignment=unassigned\
             &finding_tags=cwe_category%3D89&finding_tags=cwe_category%3D78\
             &order=asc&page=2&per_page=25&severity=critical&sort=severity&status=unset\
             &tags=branch%3Dmain&tags=app%3Dshiftleft-java-demo&type=vuln"
        )
    );
    assert_json_headers(&request);

    assert_eq!(
        page.next_page.as_ref().map(|n| n.0.as_str()),
        Some(next.as_str())
    );
    let response = page.response;
    assert_eq!(response.has_more, Some(true));
    assert_eq!(response.findings.len(), 2);
    let first = &response.findings[0];
    assert_eq!(first.id, "1021");
    assert_eq!(first.type_, "vuln");
    assert_eq!(first.severity, Some(types::Severity::Critical));
    assert_eq!(first.status, Some(types::Status::Unset));
    assert_eq!(first.category.as_deref(), Some("SQL Injection"));
    assert_eq!(tag_string(&first.tags, "cwe_category"), Some("89"));
    assert_eq!(tag_number(&first.tags, "cvss_score"), Some(9.8));
    assert!(first.details.contains_key("file_locations"));
    match &response.counts[..] {
        [
            types::TagCount::Variant0 {
                key, value, count, ..
            },
            types::TagCount::Variant1 {
                value: score,
                count: score_count,
                ..
            },
        ] => {
            assert_eq!(
                (key.as_str(), value.as_str(), *count),
                ("severity", "critical", Some(14))
            );
            assert_eq!((*score, *score_count), (9.8, Some(3)));
        }
        other => panic!("unexpected counts {other:?}"),
    }
}

// 2b. App findings: an enum array parameter and a diff against a source scan.
#[tokio::test]
async fn list_app_findings_diffs_against_a_source_scan() {
    let server = MockServer::start().await;
    on("GET", &format!("/apps/{APP}/findings"))
        .respond_with(ResponseTemplate::new(200).set_body_json(ok(json!({
            "has_more": false,
            "scan": {"id": "1042", "app": APP, "version": "c41b9e0", "successful": true},
            "findings": [finding_json("1107", "high", "Open Redirect: HTTP data to redirect in `LoginController.login`", "Open Redirect")]
        }))))
        .expect(1)
        .mount(&server)
        .await;

    let findings = client(&server)
        .list_app_findings()
        .org_id(org())
        .app_id(APP)
        .source("scan.1041")
        .scan("1042")
        .diff(types::Diff::New)
        .fields(vec![
            types::ListAppFindingsFieldsItem::Description,
            types::ListAppFindingsFieldsItem::Details,
        ])
        .details_tags(vec!["sink_method=sendRedirect".to_string()])
        .only_counts(false)
        .send()
        .await
        .expect("findings decode")
        .into_inner();

    let request = sole_request(&server).await;
    assert_eq!(
        request.url.query(),
        Some(
            "details_tags=sink_method%3DsendRedirect&diff=new\
             &fields=-description&fields=-details&only_counts=false&scan=1042&source=scan.1041"
        )
    );

    let response = findings.response;
    assert_eq!(
        response.scan.as_ref().map(|s| s.version.as_str()),
        Some("c41b9e0")
    );
    assert_eq!(response.findings[0].severity, Some(types::Severity::High));
    assert_eq!(response.has_more, Some(false));
}

// 3. Comparing two scans.
#[tokio::test]
async fn list_scans_compare_sends_source_and_target_scans() {
    let server = MockServer::start().await;
    let regression = {
        let mut f = finding_json(
            "1107",
            "high",
            "Open Redirect: HTTP data to redirect in `LoginController.login`",
            "Open Redirect",
        );
        f["regression"] = json!(true);
        f
    };
    on("GET", &format!("/apps/{APP}/scans/compare"))
        .respond_with(ResponseTemplate::new(200).set_body_json(ok(json!({
            "source": scan_info_json("1041", "7d0c1e2f8b10", "2024-05-13T17:02:11Z"),
            "target": scan_info_json("1042", "c41b9e0", "2024-05-14T09:31:07Z"),
            "new": [regression],
            "fixed": [finding_json("998", "medium", "Weak Hash: MD5 in `PasswordUtil.hash`", "Weak Hash")],
            "common": [finding_json("1021", "critical", "SQL Injection: HTTP data to SQL database", "SQL Injection")]
        }))))
        .expect(1)
        .mount(&server)
        .await;

    let diff = client(&server)
        .list_scans_compare()
        .org_id(org())
        .app_id(APP)
        .source("scan.1041")
        .target("scan.1042")
        .send()
        .await
        .expect("comparison decodes")
        .into_inner()
        .response;

    let request = sole_request(&server).await;
    assert_eq!(
        request.url.query(),
        Some("source=scan.1041&target=scan.1042")
    );
    assert_json_headers(&request);

    let source = diff.source.unwrap();
    let target = diff.target.unwrap();
    assert_eq!((source.id.as_str(), target.id.as_str()), ("1041", "1042"));
    assert_eq!(
        target.started_at.unwrap().to_rfc3339(),
        "2024-05-14T09:31:07+00:00"
    );
    assert_eq!(target.tags["branch"], "main");
    assert_eq!(diff.new[0].id.as_deref(), Some("1107"));
    assert_eq!(diff.new[0].regression, Some(true));
    assert_eq!(diff.fixed[0].severity, Some(types::Severity::Medium));
    assert_eq!(diff.common[0].type_.as_deref(), Some("vuln"));
}

#[tokio::test]
async fn scan_comparison_identifiers_are_validated_before_sending() {
    let server = MockServer::start().await;
    let err = client(&server)
        .list_scans_compare()
        .org_id(org())
        .app_id(APP)
        .source("latest")
        .target("scan.1042")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidRequest(_)), "{err:?}");
    assert!(server.received_requests().await.unwrap().is_empty());
}

// 4. RBAC teams.
#[tokio::test]
async fn create_team_posts_name_apps_and_members() {
    let server = MockServer::start().await;
    let body = json!({
        "name": "Payments",
        "applications": [APP, "checkout-service"],
        "members": [{"user_id_v2": "0b6f3c52-7d9e-4a1b-8c3d-5e2f1a0b9c84", "team_role": "TEAM_ADMIN"}]
    });
    on("POST", "/rbac/teams")
        .and(body_json(&body))
        .respond_with(ResponseTemplate::new(200).set_body_json(ok(json!({
            "team_id": "9a1d4e7c-3b2f-4c8a-b5d6-1e0f2a3b4c5d"
        }))))
        .expect(1)
        .mount(&server)
        .await;

    let request: types::CreateTeamRequest = serde_json::from_value(body).unwrap();
    let created = client(&server)
        .create_team()
        .org_id(org())
        .body(request)
        .send()
        .await
        .expect("the envelope decodes")
        .into_inner()
        .into_payload();
    assert_eq!(created.team_id, "9a1d4e7c-3b2f-4c8a-b5d6-1e0f2a3b4c5d");
    assert_json_headers(&sole_request(&server).await);
}

#[tokio::test]
async fn list_teams_filters_by_name_and_decodes_teams() {
    let server = MockServer::start().await;
    on("GET", "/rbac/teams")
        .respond_with(ResponseTemplate::new(200).set_body_json(ok(json!([{
            "team_name": "Payments",
            "team_id": "9a1d4e7c-3b2f-4c8a-b5d6-1e0f2a3b4c5d",
            "projects": [APP, "checkout-service"],
            "team_version": 4,
            "risk_score": 62.5
        }]))))
        .expect(1)
        .mount(&server)
        .await;

    let teams = client(&server)
        .list_teams()
        .org_id(org())
        .name("payments")
        .no_members(true)
        .page(1)
        .send()
        .await
        .expect("the envelope decodes")
        .into_inner()
        .into_payload();

    let request = sole_request(&server).await;
    assert_eq!(
        request.url.query(),
        Some("name=payments&no_members=true&page=1")
    );
    assert_eq!(teams[0].team_name.as_deref(), Some("Payments"));
    assert_eq!(teams[0].projects, [APP, "checkout-service"]);
    assert_eq!(teams[0].team_version, Some(4));
    assert!(teams[0].members.is_empty());
}

#[tokio::test]
async fn read_team_keeps_the_team_details() {
    let server = MockServer::start().await;
    let team = "9a1d4e7c-3b2f-4c8a-b5d6-1e0f2a3b4c5d";
    on("GET", &format!("/rbac/teams/{team}"))
        .respond_with(ResponseTemplate::new(200).set_body_json(ok(json!({
            "team_id": team,
            "risk_score": 62.5,
            "version": 4,
            "applications": [APP, "checkout-service"],
            "members": [{"user_id_v2": "0b6f3c52-7d9e-4a1b-8c3d-5e2f1a0b9c84", "team_role": "TEAM_ADMIN"}]
        }))))
        .expect(1)
        .mount(&server)
        .await;

    let read = client(&server)
        .read_team()
        .org_id(org())
        .rbac_team_id(team.parse::<Uuid>().unwrap())
        .send()
        .await
        .expect("the envelope decodes")
        .into_inner()
        .into_payload();

    assert_eq!(read.team_id.as_deref(), Some(team));
    assert_eq!(read.applications, [APP, "checkout-service"]);
    assert_eq!(read.members[0].team_role.as_deref(), Some("TEAM_ADMIN"));
}

#[tokio::test]
async fn list_teams_too_much_work_is_a_typed_server_error() {
    let server = MockServer::start().await;
    on("GET", "/rbac/teams")
        .respond_with(ResponseTemplate::new(507).set_body_json(failure(
            "TOO_MUCH_WORK",
            "too many team members to list at once; use page=1, no_members=true or a name filter",
        )))
        .expect(1)
        .mount(&server)
        .await;

    let err = client(&server)
        .list_teams()
        .org_id(org())
        .send()
        .await
        .unwrap_err();

    assert_eq!(sole_request(&server).await.url.query(), None);
    let (status, body) = error_body(err).await;
    assert_eq!(status, 507);
    assert_eq!(body["ok"], false);
    assert_eq!(body["code"], "TOO_MUCH_WORK");
}

// 5. Tokens.
#[tokio::test]
async fn create_token_posts_the_new_token_and_decodes_its_value() {
    let server = MockServer::start().await;
    let body = json!({
        "label": "ci-pipeline",
        "description": "Uploads scans from GitHub Actions",
        "role_id": "ci_scanner",
        "token_type": "integration",
        "valid_for_seconds": 7_776_000
    });
    on("POST", "/tokens")
        .and(body_json(&body))
        .respond_with(ResponseTemplate::new(200).set_body_json(ok(json!({
            "id": "5c2e8f1a-9b3d-4e6f-a7c8-0d1e2f3a4b5c",
            "label": "ci-pipeline",
            "description": "Uploads scans from GitHub Actions",
            "role_id": "ci_scanner",
            "token_type": "integration",
            "valid_for_seconds": 7_776_000,
            "expires_at": "2024-08-12T09:31:07Z",
            "value": "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJvcmdJRCI6IjNmZDIifQ.c2lnbmF0dXJl"
        }))))
        .expect(1)
        .mount(&server)
        .await;

    let created = client(&server)
        .create_token()
        .org_id(org())
        .body_map(|b| {
            b.label("ci-pipeline")
                .description(Some("Uploads scans from GitHub Actions".to_string()))
                .role_id("ci_scanner")
                .token_type(Some(types::TokenType::Integration))
                .valid_for_seconds(Some(7_776_000))
        })
        .send()
        .await
        .expect("token decodes")
        .into_inner();

    let request = sole_request(&server).await;
    assert_eq!(header(&request, "content-type"), ["application/json"]);
    assert_json_headers(&request);

    let token = created.response;
    assert_eq!(token.id.to_string(), "5c2e8f1a-9b3d-4e6f-a7c8-0d1e2f3a4b5c");
    assert_eq!(token.token_type, Some(types::TokenType::Integration));
    assert_eq!(token.expires_at.as_deref(), Some("2024-08-12T09:31:07Z"));
    assert!(token.value.starts_with("eyJhbGciOiJSUzI1NiIs"));
}

#[tokio::test]
async fn list_tokens_filters_by_type_and_expiry() {
    let server = MockServer::start().await;
    on("GET", "/tokens")
        .respond_with(ResponseTemplate::new(200).set_body_json(ok(json!([
            {"id": "5c2e8f1a-9b3d-4e6f-a7c8-0d1e2f3a4b5c", "label": "ci-pipeline", "role_id": "ci_scanner", "token_type": "integration", "expires_at": "2024-08-12T09:31:07Z"},
            {"id": "e7d6c5b4-a392-4817-8f6e-5d4c3b2a1908", "label": "jira-sync", "role_id": "4b9e2d1c-7a6f-4e3d-9c8b-1a2f3e4d5c6b", "token_type": "integration"}
        ]))))
        .expect(1)
        .mount(&server)
        .await;

    let tokens = client(&server)
        .list_tokens()
        .org_id(org())
        .token_type(types::TokenType::Integration)
        .show_expired(true)
        .send()
        .await
        .expect("tokens decode")
        .into_inner()
        .response;

    let request = sole_request(&server).await;
    assert_eq!(
        request.url.query(),
        Some("show_expired=true&token_type=integration")
    );
    let labels: Vec<_> = tokens.iter().map(|t| t.label.as_str()).collect();
    assert_eq!(labels, ["ci-pipeline", "jira-sync"]);
    assert_eq!(tokens[1].expires_at, None);
    assert_eq!(
        tokens[1].id.to_string(),
        "e7d6c5b4-a392-4817-8f6e-5d4c3b2a1908"
    );
}

// 6. Alerting webhooks.
#[tokio::test]
async fn set_up_webhook_puts_events_and_version() {
    let server = MockServer::start().await;
    let body = json!({
        "url": "https://hooks.example.com/qwiet/scan-finished",
        "events": [{"name": "scan.finished"}],
        "authType": "hmac",
        "enableEmailNotification": true
    });
    on("PUT", "/alerting/webhook")
        .and(body_json(&body))
        .respond_with(ResponseTemplate::new(200).set_body_json(ok(json!({
            "secret": "whsec_4f1c9e2b7a6d",
            "authType": "hmac",
            "url": "https://hooks.example.com/qwiet/scan-finished",
            "events": ["scan.finished"]
        }))))
        .expect(1)
        .mount(&server)
        .await;

    let registered = client(&server)
        .set_up_webhook()
        .org_id(org())
        .version(2_i64)
        .body_map(|b| {
            b.url("https://hooks.example.com/qwiet/scan-finished")
                .events(vec![
                    types::RegisterWebhookRequestEventsItem::builder()
                        .name(types::RegisterWebhookRequestEventsItemName::ScanFinished)
                        .try_into()
                        .unwrap(),
                ])
                .auth_type(Some(types::RegisterWebhookRequestAuthType::Hmac))
                .enable_email_notification(Some(true))
                .secret(None)
                .token(None)
        })
        .send()
        .await
        .expect("registration decodes")
        .into_inner();

    let request = sole_request(&server).await;
    assert_eq!(request.url.query(), Some("version=2"));
    assert_eq!(header(&request, "content-type"), ["application/json"]);

    assert_eq!(registered.ok, Some(true));
    let response = registered.response.unwrap();
    assert_eq!(
        response.auth_type,
        Some(types::RegisterWebhookResponseResponseAuthType::Hmac)
    );
    assert_eq!(response.secret.as_deref(), Some("whsec_4f1c9e2b7a6d"));
    assert_eq!(response.events, ["scan.finished"]);
}

#[tokio::test]
async fn get_webhook_reads_url_events_and_token_id() {
    let server = MockServer::start().await;
    on("GET", "/alerting/webhook")
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "url": "https://hooks.example.com/qwiet/scan-finished",
            "tokenID": "c0ffee00-1234-4abc-8def-0123456789ab",
            "events": ["scan.finished"]
        })))
        .expect(1)
        .mount(&server)
        .await;

    let webhook = client(&server)
        .get_webhook()
        .org_id(org())
        .version(1_i64)
        .send()
        .await
        .expect("webhook decodes")
        .into_inner();

    assert_eq!(sole_request(&server).await.url.query(), Some("version=1"));
    assert_eq!(
        webhook.url.as_deref(),
        Some("https://hooks.example.com/qwiet/scan-finished")
    );
    assert_eq!(
        webhook.token_id.map(|t| t.to_string()).as_deref(),
        Some("c0ffee00-1234-4abc-8def-0123456789ab")
    );
    assert_eq!(webhook.events, ["scan.finished"]);
}

// 7. Raw report downloads.
#[tokio::test]
async fn download_audit_log_streams_the_csv_with_its_content_type() {
    let server = MockServer::start().await;
    let csv = "timestamp,actor,action,resource\n\
               2024-05-02T08:14:09Z,alice@example.com,token.create,ci-pipeline\n\
               2024-05-03T16:40:51Z,bob@example.com,app.delete,legacy-portal\n";
    on("GET", "/audit/csv/2024/5")
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "text/csv; charset=utf-8")
                .insert_header(
                    "content-disposition",
                    "attachment; filename=\"audit-2024-05.csv\"",
                )
                .set_body_bytes(csv.as_bytes()),
        )
        .expect(1)
        .mount(&server)
        .await;

    let download = client(&server)
        .download_audit_log()
        .org_id(org())
        .audit_year(2024.0)
        .audit_month(5.0)
        .send()
        .await
        .expect("download starts");

    assert_eq!(download.status(), 200);
    assert_eq!(
        download.headers()["content-type"],
        "text/csv; charset=utf-8"
    );
    assert_eq!(
        download.headers()["content-disposition"],
        "attachment; filename=\"audit-2024-05.csv\""
    );
    let bytes = read_all(download).await;
    assert_eq!(bytes, csv.as_bytes());

    let request = sole_request(&server).await;
    assert_eq!(request.url.query(), None);
    assert!(header(&request, "api-version").is_empty());
}

#[tokio::test]
async fn pci_dss_html_report_exposes_its_content_type() {
    let server = MockServer::start().await;
    on(
        "GET",
        &format!("/apps/{APP}/scans/1042/reports/pci_dss/html"),
    )
    .respond_with(ResponseTemplate::new(200).set_body_raw(
        "<!DOCTYPE html><html><body><h1>PCI DSS</h1></body></html>",
        "text/html; charset=utf-8",
    ))
    .expect(1)
    .mount(&server)
    .await;

    let report = client(&server)
        .read_scan_pcidss_report()
        .org_id(org())
        .app_id(APP)
        .scan_id("1042")
        .ignore_info_findings(true)
        .send()
        .await
        .expect("report arrives");

    assert_eq!(
        sole_request(&server).await.url.query(),
        Some("ignore_info_findings=true")
    );
    assert_eq!(report.status(), 200);
    assert_eq!(report.headers()["content-type"], "text/html; charset=utf-8");
    assert_eq!(
        read_all(report).await,
        b"<!DOCTYPE html><html><body><h1>PCI DSS</h1></body></html>"
    );
}

// 8. YAML upload: the runtime relabels the body as application/yaml.
#[tokio::test]
async fn upsert_check_analysis_configuration_sends_yaml() {
    let server = MockServer::start().await;
    let yaml = "\
build_rules:
  - id: no-critical-vulns
    finding_types:
      - vuln
      - secret
    cvss_31_severity_ratings:
      - critical
    threshold: 0
  - id: few-high-oss
    finding_types:
      - oss_vuln
    cvss_31_severity_ratings:
      - high
    threshold: 5
    options:
      reachable: true
";
    on("PUT", "/checkanalysis/policies/release-gate")
        .respond_with(ResponseTemplate::new(200).set_body_json(ok(json!({
            "contentHash": "sha256:9f2b6c1e4d7a0b3c8e5f2a1d6c9b4e7f0a3d8c5b2e1f6a9d4c7b0e3f8a5d2c1b",
            "tags": ["v3", "latest"]
        }))))
        .expect(1)
        .mount(&server)
        .await;

    let stored = client(&server)
        .upsert_check_analysis_configuration()
        .org_id(org())
        .reference("release-gate")
        .tag("v3")
        .use_defaults(false)
        .body(yaml)
        .send()
        .await
        .expect("upload succeeds")
        .into_inner();

    let request = sole_request(&server).await;
    assert_eq!(header(&request, "content-type"), ["application/yaml"]);
    assert_eq!(request.body, yaml.as_bytes());
    assert_eq!(request.url.query(), Some("tag=v3&useDefaults=false"));
    assert_json_headers(&request);

    assert!(stored.ok);
    assert!(stored.response.content_hash.starts_with("sha256:9f2b6c1e"));
    assert_eq!(stored.response.tags, ["v3", "latest"]);
}

// 9. One app and one scan.
#[tokio::test]
async fn read_app_decodes_one_app() {
    let server = MockServer::start().await;
    on("GET", &format!("/apps/{APP}"))
        .respond_with(ResponseTemplate::new(200).set_body_json(ok(app_json(
            APP,
            "Java demo",
            &["pci"],
        ))))
        .expect(1)
        .mount(&server)
        .await;

    let app = client(&server)
        .read_app()
        .org_id(org())
        .app_id(APP)
        .send()
        .await
        .expect("app decodes")
        .into_inner()
        .response;

    assert_eq!(sole_request(&server).await.url.query(), None);
    assert_eq!(app.id.as_deref(), Some(APP));
    assert_eq!(app.name.as_deref(), Some("Java demo"));
    assert_eq!(app.is_demo, Some(false));
    assert_eq!(app.potential_new_cves, Some(2));
    assert_eq!(app.labels, ["pci"]);
}

#[tokio::test]
async fn numeric_tag_values_survive_decoding() {
    let server = MockServer::start().await;
    on("GET", &format!("/apps/{APP}/findings/1021"))
        .respond_with(ResponseTemplate::new(200).set_body_json(ok(finding_json(
            "1021",
            "critical",
            "SQL Injection: HTTP data to SQL database",
            "SQL Injection",
        ))))
        .expect(1)
        .mount(&server)
        .await;

    let finding = client(&server)
        .read_app_finding()
        .org_id(org())
        .app_id(APP)
        .finding_id("1021")
        .send()
        .await
        .expect("finding decodes")
        .into_inner()
        .response;

    assert_eq!(tag_string(&finding.tags, "cwe_category"), Some("89"));
    assert_eq!(tag_number(&finding.tags, "cvss_score"), Some(9.8));
    let round_trip = serde_json::to_value(&finding.tags).unwrap();
    assert_eq!(round_trip[1], json!({"key": "cvss_score", "value": 9.8}));
}

#[tokio::test]
async fn read_scan_decodes_counts_and_totals() {
    let server = MockServer::start().await;
    let mut scan = scan_info_json("1042", "c41b9e0", "2024-05-14T09:31:07Z");
    scan["is_default_branch"] = json!(true);
    scan["counts"] = json!([
        {"key": "severity", "value": "critical", "finding_type": "vuln", "count": 2},
        {"key": "severity", "value": "high", "finding_type": "oss_vuln", "count": 11}
    ]);
    scan["total"] = json!(13);
    scan["total_fixed"] = json!(4);
    scan["total_ignored"] = json!(1);
    on("GET", &format!("/apps/{APP}/scans/1042"))
        .respond_with(ResponseTemplate::new(200).set_body_json(ok(json!([scan]))))
        .expect(1)
        .mount(&server)
        .await;

    let scans = client(&server)
        .read_scan()
        .org_id(org())
        .app_id(APP)
        .scan_id("1042")
        .send()
        .await
        .expect("scan decodes")
        .into_inner()
        .response;

    assert_eq!(sole_request(&server).await.url.query(), None);
    let scan = &scans[0];
    assert_eq!(
        (scan.id.as_str(), scan.version.as_str()),
        ("1042", "c41b9e0")
    );
    assert!(scan.successful);
    assert_eq!(scan.is_default_branch, Some(true));
    assert_eq!(
        scan.completed_at.unwrap().to_rfc3339(),
        "2024-05-14T09:36:52+00:00"
    );
    assert_eq!(scan.number_of_expressions, Some(48_211));
    assert_eq!(
        (scan.total, scan.total_fixed, scan.total_ignored),
        (Some(13), Some(4), Some(1))
    );
    let counts: Vec<_> = scan
        .counts
        .iter()
        .map(|c| match c {
            types::TagCount::Variant0 { value, count, .. } => (value.as_str(), *count),
            other => panic!("unexpected count {other:?}"),
        })
        .collect();
    assert_eq!(counts, [("critical", Some(2)), ("high", Some(11))]);
}

// 10. App labels and saved searches.
#[tokio::test]
async fn update_app_labels_posts_additions_and_removals() {
    let server = MockServer::start().await;
    let body = json!({"add": ["pci", "internet-facing"], "remove": ["beta"]});
    on("POST", &format!("/apps/{APP}/labels"))
        .and(body_json(&body))
        .respond_with(ResponseTemplate::new(200).set_body_json(ok(json!([
            "internet-facing",
            "pci",
            "tier-1"
        ]))))
        .expect(1)
        .mount(&server)
        .await;

    let labels = client(&server)
        .update_app_labels()
        .org_id(org())
        .app_id(APP)
        .body_map(|b| {
            b.add(vec!["pci".to_string(), "internet-facing".to_string()])
                .remove(vec!["beta".to_string()])
        })
        .send()
        .await
        .expect("labels decode")
        .into_inner();

    assert_json_headers(&sole_request(&server).await);
    assert_eq!(labels.response, ["internet-facing", "pci", "tier-1"]);
}

#[tokio::test]
async fn saved_searches_are_listed_and_created() {
    let server = MockServer::start().await;
    let body = json!({
        "search_name": "Critical SQLi on main",
        "path_name": "/findings",
        "search_query": "severity=critical&category=SQL+Injection&tags=branch%3Dmain"
    });
    on("POST", "/saved_searches")
        .and(body_json(&body))
        .respond_with(ResponseTemplate::new(201))
        .expect(1)
        .mount(&server)
        .await;
    on("GET", "/saved_searches")
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([{
            "id": "ss_01HXZ3K8P4",
            "search_name": "Critical SQLi on main",
            "path_name": "/findings",
            "search_query": "severity=critical&category=SQL+Injection&tags=branch%3Dmain",
            "updated_at": "2024-05-14T10:02:45Z"
        }])))
        .expect(1)
        .mount(&server)
        .await;

    let c = client(&server);
    let created = c
        .create_saved_search()
        .org_id(ORG)
        .body(serde_json::from_value::<types::CreateSavedSearchBody>(body).unwrap())
        .send()
        .await
        .expect("search is stored");
    assert_eq!(created.status(), 201);

    let searches = c
        .list_saved_searches()
        .org_id(ORG)
        .send()
        .await
        .expect("searches decode")
        .into_inner();
    assert_eq!(searches.len(), 1);
    assert_eq!(searches[0].id.as_deref(), Some("ss_01HXZ3K8P4"));
    assert_eq!(
        searches[0].search_name.as_deref(),
        Some("Critical SQLi on main")
    );
    assert_eq!(
        searches[0].updated_at.unwrap().to_rfc3339(),
        "2024-05-14T10:02:45+00:00"
    );
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 2);
    assert!(requests.iter().all(|r| r.url.query().is_none()));
}

// 11. The error envelope is a typed error.
#[tokio::test]
async fn missing_app_is_a_typed_error() {
    let server = MockServer::start().await;
    on("GET", "/apps/legacy-portal")
        .respond_with(
            ResponseTemplate::new(404)
                .set_body_json(failure("NOT_FOUND", "app legacy-portal not found")),
        )
        .expect(1)
        .mount(&server)
        .await;

    let err = client(&server)
        .read_app()
        .org_id(org())
        .app_id("legacy-portal")
        .send()
        .await
        .unwrap_err();

    assert_eq!(err.status(), Some(reqwest::StatusCode::NOT_FOUND));
    let (status, body) = error_body(err).await;
    assert_eq!(status, 404);
    assert_eq!(body["code"], "NOT_FOUND");
    assert_eq!(body["message"], "app legacy-portal not found");
}

#[tokio::test]
async fn validation_errors_are_decoded() {
    let server = MockServer::start().await;
    let mut body = failure("VALIDATION_FAILED", "request body is invalid");
    body["validation_errors"] = json!([
        "label: must not be empty",
        "valid_for_seconds: must be at most 31536000"
    ]);
    on("POST", "/tokens")
        .respond_with(ResponseTemplate::new(400).set_body_json(body))
        .expect(1)
        .mount(&server)
        .await;

    let err = client(&server)
        .create_token()
        .org_id(org())
        .body_map(|b| {
            b.label("")
                .role_id("ci_scanner")
                .valid_for_seconds(Some(63_072_000))
        })
        .send()
        .await
        .unwrap_err();

    assert_eq!(
        sole_request(&server).await.body_json::<Value>().unwrap(),
        json!({"label": "", "role_id": "ci_scanner", "valid_for_seconds": 63_072_000})
    );
    let (status, body) = error_body(err).await;
    assert_eq!(status, 400);
    assert_eq!(body["code"], "VALIDATION_FAILED");
    assert_eq!(
        body["validation_errors"],
        json!([
            "label: must not be empty",
            "valid_for_seconds: must be at most 31536000"
        ])
    );
}

// 12. Operations that document several error shapes: every one arrives intact.
#[tokio::test]
async fn delete_org_user_conflict_arrives_intact() {
    let server = MockServer::start().await;
    let user = "0b6f3c52-7d9e-4a1b-8c3d-5e2f1a0b9c84";
    on("DELETE", &format!("/rbac/users/{user}"))
        .respond_with(ResponseTemplate::new(409).set_body_json(failure(
            "LAST_ORG_ADMIN",
            "the last organization admin cannot be removed",
        )))
        .expect(1)
        .mount(&server)
        .await;

    let err = client(&server)
        .delete_org_user()
        .org_id(org())
        .user_i_dv2(user.parse::<Uuid>().unwrap())
        .send()
        .await
        .unwrap_err();

    let request = sole_request(&server).await;
    assert!(request.body.is_empty());
    assert_json_headers(&request);
    let (status, body) = error_body(err).await;
    assert_eq!(status, 409);
    assert_eq!(body["code"], "LAST_ORG_ADMIN");
    assert_eq!(
        body["message"],
        "the last organization admin cannot be removed"
    );
}

#[tokio::test]
async fn delete_custom_rbac_role_hands_over_both_error_shapes() {
    let server = MockServer::start().await;
    let missing = "7e3a9c1d-5b2f-4e8a-9d6c-3f1b0a2e4c7d";
    let builtin = "00000000-0000-4000-8000-000000000001";
    on("DELETE", &format!("/rbac/roles/{missing}"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({
            "status": 404, "code": "ROLE_NOT_FOUND", "message": "no role with this ID exists"
        })))
        .expect(1)
        .mount(&server)
        .await;
    on("DELETE", &format!("/rbac/roles/{builtin}"))
        .respond_with(
            ResponseTemplate::new(403)
                .set_body_json(failure("FORBIDDEN", "built-in roles cannot be deleted")),
        )
        .expect(1)
        .mount(&server)
        .await;

    let c = client(&server);
    let delete = |role: &str| {
        c.delete_custom_rbac_role()
            .org_id(org())
            .rbac_role_id(role.parse::<Uuid>().unwrap())
            .send()
    };

    let (status, not_found) = error_body(delete(missing).await.unwrap_err()).await;
    assert_eq!(status, 404);
    assert_eq!(not_found["status"], 404);
    assert_eq!(not_found["code"], "ROLE_NOT_FOUND");

    let (status, forbidden) = error_body(delete(builtin).await.unwrap_err()).await;
    assert_eq!(status, 403);
    assert_eq!(forbidden["ok"], false);
    assert_eq!(forbidden["code"], "FORBIDDEN");
}

#[tokio::test]
async fn successful_role_deletion_decodes_the_bare_envelope() {
    let server = MockServer::start().await;
    let role = "7e3a9c1d-5b2f-4e8a-9d6c-3f1b0a2e4c7d";
    on("DELETE", &format!("/rbac/roles/{role}"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"ok": true})))
        .expect(1)
        .mount(&server)
        .await;
    let done = client(&server)
        .delete_custom_rbac_role()
        .org_id(org())
        .rbac_role_id(role.parse::<Uuid>().unwrap())
        .send()
        .await
        .expect("deletion decodes");
    assert_eq!(done.status(), 200);
    assert!(done.into_inner().ok);
}
