//! The Qwiet API v4 fake (`/api/v4/...`): one organization with apps, scans,
//! findings, users and teams.

use std::collections::BTreeMap;

use hyper::{Method, StatusCode};
use rand::rngs::StdRng;
use serde_json::{Value, json};

use crate::http::{Req, Resp, json, qwiet_error};
use crate::paging::QwietPage;
use crate::qwiet_seed::{Finding, QwietState, Team, uuid};

/// The ID of the sandbox's only Qwiet organization.
pub const SANDBOX_ORG_ID: &str = "0c8f3e2a-6a51-4b7e-9d3c-5f1e2a7b9c40";

/// Users and teams come 10 to a page, so a few dozen take several pages.
const RBAC_PAGE_SIZE: usize = 10;
/// Findings per page when `per_page` is not given.
const DEFAULT_PER_PAGE: usize = 50;

/// An answer, or an early error answer (boxed: responses are large).
type Handled = Result<Resp, Box<Resp>>;

/// Answers one `/api/v4` request.
pub(crate) fn handle(st: &mut QwietState, req: &Req, rng: &mut StdRng) -> Resp {
    route(st, req, rng).unwrap_or_else(|e| *e)
}

fn route(st: &mut QwietState, req: &Req, rng: &mut StdRng) -> Handled {
    let segs = req.segs();
    let Some(rest) = segs.strip_prefix(&["api", "v4"][..]) else {
        return Err(not_found("no such route"));
    };
    let m = &req.method;
    let ["orgs", org, rest @ ..] = rest else {
        return Err(not_found("no such route"));
    };
    if *org != SANDBOX_ORG_ID {
        return Err(not_found(&format!("organization {org} not found")));
    }
    match rest {
        ["apps"] if m == Method::GET => {
            let apps: Vec<Value> = st.apps.iter().map(|a| st.app_json(a)).collect();
            Ok(ok(json!(apps)))
        }
        ["apps", app] if m == Method::GET => {
            let app = find_app(st, app)?;
            Ok(ok(st.app_json(app)))
        }
        ["apps", app, "scans"] if m == Method::GET => {
            let app = find_app(st, app)?;
            let limit = match req.param("limit") {
                None | Some("") => 10,
                Some(v) => v
                    .parse::<usize>()
                    .ok()
                    .filter(|n| (1..=50).contains(n))
                    .ok_or_else(|| bad(&format!("limit must be between 1 and 50, not {v:?}")))?,
            };
            let scans: Vec<&Value> = app.scans.iter().rev().take(limit).collect();
            Ok(ok(json!({ "scans": scans })))
        }
        ["apps", app, "scans", scan] if m == Method::GET => {
            let app = find_app(st, app)?;
            let scan = app
                .scans
                .iter()
                .find(|s| s["id"] == *scan)
                .ok_or_else(|| not_found(&format!("scan {scan} not found")))?;
            Ok(ok(json!([scan])))
        }
        ["findings"] if m == Method::GET => findings(st, req, None),
        ["apps", app, "findings"] if m == Method::GET => {
            let app = find_app(st, app)?.id.clone();
            findings(st, req, Some(&app))
        }
        ["apps", app, "findings", id] if m == Method::GET => {
            let app = find_app(st, app)?;
            let finding = st
                .findings
                .iter()
                .find(|f| f.app == app.id && f.number.to_string() == *id)
                .ok_or_else(|| not_found(&format!("finding {id} not found")))?;
            Ok(ok(finding.json.clone()))
        }
        ["rbac", "users"] if m == Method::GET => users(st, req),
        ["rbac", "teams"] if m == Method::GET => teams(st, req),
        ["rbac", "teams"] if m == Method::POST => create_team(st, req, rng),
        _ => Err(not_found("no such route")),
    }
}

// ---------------------------------------------------------------- findings

fn findings(st: &QwietState, req: &Req, app: Option<&str>) -> Handled {
    let page = QwietPage::read(req, DEFAULT_PER_PAGE, false).map_err(|e| bad(&e))?;
    let severities = req.params("severity");
    for s in &severities {
        if !["critical", "high", "medium", "low"].contains(&s.as_str()) {
            return Err(bad(&format!(
                "severity must be critical, high, medium or low, not {s:?}"
            )));
        }
    }
    let types = req.params("type");
    let category = req.param("category").filter(|c| !c.is_empty());
    let status = req
        .param("status")
        .filter(|s| !s.is_empty())
        .unwrap_or("unset");
    if !["unset", "fixed", "ignored", "3rdparty", "any"].contains(&status) {
        return Err(bad(&format!("unknown status {status:?}")));
    }
    let finding_tags: Vec<(String, String)> = req
        .params("finding_tags")
        .iter()
        .map(|t| match t.split_once('=') {
            Some((k, v)) => (k.to_string(), v.to_string()),
            None => (t.clone(), String::new()),
        })
        .collect();
    let mut matching: Vec<&Finding> = st
        .findings
        .iter()
        .filter(|f| app.is_none_or(|a| f.app == a))
        .filter(|f| severities.is_empty() || severities.contains(&f.severity))
        .filter(|f| types.is_empty() || types.contains(&f.kind))
        .filter(|f| category.is_none_or(|c| f.category.eq_ignore_ascii_case(c)))
        .filter(|f| status == "any" || f.status == status)
        .filter(|f| {
            finding_tags.iter().all(|(k, v)| {
                f.tags
                    .iter()
                    .any(|(tk, tv)| tk == k && (v.is_empty() || tv == v))
            })
        })
        .collect();
    let descending = match req.param("order") {
        None | Some("") | Some("desc") => true,
        Some("asc") => false,
        Some(o) => return Err(bad(&format!("order must be asc or desc, not {o:?}"))),
    };
    match req.param("sort") {
        None | Some("") | Some("id") => matching.sort_by_key(|f| f.number),
        Some("severity") => matching.sort_by_key(|f| (severity_rank(&f.severity), f.number)),
        Some(s) => return Err(bad(&format!("cannot sort findings by {s:?}"))),
    }
    if descending {
        matching.reverse();
    }
    let counts = counts(&matching);
    let only_counts = req.param("only_counts") == Some("true");
    let (items, has_more, next) = if only_counts {
        (Vec::new(), false, None)
    } else {
        page.slice(req, &matching)
    };
    // Both lists are left out when empty, as Qwiet does.
    let mut response = json!({ "has_more": has_more });
    if !items.is_empty() {
        response["findings"] = items.iter().map(|f| f.json.clone()).collect();
    }
    if !counts.is_empty() {
        response["counts"] = json!(counts);
    }
    if let Some(app) = app.and_then(|a| st.app(a)) {
        let scan = match req.param("scan").filter(|s| !s.is_empty()) {
            Some(id) => app
                .scans
                .iter()
                .find(|s| s["id"] == id)
                .ok_or_else(|| not_found(&format!("scan {id} not found")))?,
            None => app.scans.last().expect("apps have scans"),
        };
        response["scan"] = scan.clone();
    }
    let mut body = json!({ "ok": true, "response": response });
    if let Some(next) = next {
        body["next_page"] = json!(next);
    }
    Ok(json(StatusCode::OK, &body))
}

/// Per type and severity counts of the matching findings.
fn counts(findings: &[&Finding]) -> Vec<Value> {
    let mut by: BTreeMap<(&str, &str), u64> = BTreeMap::new();
    for f in findings {
        *by.entry((f.kind.as_str(), f.severity.as_str()))
            .or_default() += 1;
    }
    by.into_iter()
        .map(|((kind, sev), n)| {
            json!({ "key": "severity", "value": sev, "finding_type": kind, "count": n })
        })
        .collect()
}

fn severity_rank(s: &str) -> u8 {
    match s {
        "low" => 0,
        "medium" => 1,
        "high" => 2,
        _ => 3,
    }
}

// ---------------------------------------------------------------- rbac

fn users(st: &QwietState, req: &Req) -> Handled {
    let page = QwietPage::read(req, RBAC_PAGE_SIZE, true).map_err(|e| bad(&e))?;
    let emails = req.params("email");
    let search = req.param("search").filter(|s| !s.is_empty());
    if !emails.is_empty() && search.is_some() {
        return Err(bad("email and search cannot be combined"));
    }
    let search = search.map(str::to_lowercase);
    let team = req.param("team").filter(|t| !t.is_empty());
    let mut users: Vec<_> = st
        .users
        .iter()
        .filter(|u| emails.is_empty() || emails.iter().any(|e| e.eq_ignore_ascii_case(&u.email)))
        .filter(|u| {
            search.as_deref().is_none_or(|s| {
                u.name.to_lowercase().contains(s) || u.email.to_lowercase().contains(s)
            })
        })
        .filter(|u| team.is_none_or(|t| u.teams.iter().any(|(id, _)| id == t)))
        .collect();
    match req.param("sort") {
        None | Some("") | Some("email") => users.sort_by(|a, b| a.email.cmp(&b.email)),
        Some("name") => users.sort_by(|a, b| a.name.cmp(&b.name)),
        Some("joined") => users.sort_by_key(|u| u.joined_ns),
        Some("role") => users.sort_by(|a, b| {
            let role = |u: &crate::qwiet_seed::User| u.teams.first().map(|t| t.1.clone());
            role(a).cmp(&role(b)).then(a.email.cmp(&b.email))
        }),
        Some(s) => return Err(bad(&format!("cannot sort users by {s:?}"))),
    }
    match req.param("order") {
        None | Some("") | Some("asc") => {}
        Some("desc") => users.reverse(),
        Some(o) => return Err(bad(&format!("order must be asc or desc, not {o:?}"))),
    }
    let (items, _, next) = page.slice(req, &users);
    let values: Vec<Value> = items.iter().map(|u| st.user_json(u)).collect();
    Ok(paged(json!(values), next))
}

fn teams(st: &QwietState, req: &Req) -> Handled {
    let page = QwietPage::read(req, RBAC_PAGE_SIZE, true).map_err(|e| bad(&e))?;
    let name = req
        .param("name")
        .or_else(|| req.param("teamName"))
        .filter(|n| !n.is_empty());
    let with_members = req.param("no_members") != Some("true");
    let mut teams: Vec<&Team> = st
        .teams
        .iter()
        .filter(|t| name.is_none_or(|n| t.name.eq_ignore_ascii_case(n)))
        .collect();
    teams.sort_by_key(|t| t.name.to_lowercase());
    let (items, _, next) = page.slice(req, &teams);
    let values: Vec<Value> = items
        .iter()
        .map(|t| QwietState::team_json(t, with_members))
        .collect();
    Ok(paged(json!(values), next))
}

fn create_team(st: &mut QwietState, req: &Req, rng: &mut StdRng) -> Handled {
    let body: Value = req.json().map_err(|e| bad(&e))?;
    let name = body
        .get("name")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .ok_or_else(|| validation("name is required"))?;
    if st.teams.iter().any(|t| t.name.eq_ignore_ascii_case(name)) {
        return Err(Box::new(qwiet_error(
            StatusCode::CONFLICT,
            "ALREADY_EXISTS",
            &format!("a team named {name:?} already exists"),
        )));
    }
    let mut apps = Vec::new();
    for app in body
        .get("applications")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let app = app
            .as_str()
            .filter(|a| st.app(a).is_some())
            .ok_or_else(|| validation(&format!("application {app} does not exist")))?;
        apps.push(app.to_string());
    }
    let mut members = Vec::new();
    for m in body
        .get("members")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let user = m
            .get("user_id_v2")
            .and_then(Value::as_str)
            .filter(|u| st.users.iter().any(|x| x.id == *u))
            .ok_or_else(|| validation(&format!("member {m} is not a user of the organization")))?;
        let role = m
            .get("team_role")
            .and_then(Value::as_str)
            .unwrap_or("TEAM_MEMBER");
        members.push((user.to_string(), role.to_string()));
    }
    let id = uuid(rng);
    for (user, role) in &members {
        if let Some(u) = st.users.iter_mut().find(|u| &u.id == user) {
            u.teams.push((id.clone(), role.clone()));
        }
    }
    st.teams.push(Team {
        id: id.clone(),
        name: name.to_string(),
        version: 1,
        risk_score: 0.0,
        apps,
        members,
    });
    Ok(ok(json!({ "team_id": id })))
}

// ---------------------------------------------------------------- helpers

fn find_app<'a>(st: &'a QwietState, id: &str) -> Result<&'a crate::qwiet_seed::App, Box<Resp>> {
    st.app(id)
        .ok_or_else(|| not_found(&format!("app {id} not found")))
}

fn ok(response: Value) -> Resp {
    json(StatusCode::OK, &json!({ "ok": true, "response": response }))
}

fn paged(response: Value, next: Option<String>) -> Resp {
    let mut body = json!({ "ok": true, "response": response });
    if let Some(next) = next {
        body["next_page"] = json!(next);
    }
    json(StatusCode::OK, &body)
}

fn bad(message: &str) -> Box<Resp> {
    Box::new(qwiet_error(StatusCode::BAD_REQUEST, "BAD_REQUEST", message))
}

fn validation(message: &str) -> Box<Resp> {
    Box::new(json(
        StatusCode::BAD_REQUEST,
        &json!({
            "ok": false,
            "code": "VALIDATION_ERROR",
            "message": "the request is invalid",
            "validation_errors": [message],
        }),
    ))
}

fn not_found(message: &str) -> Box<Resp> {
    Box::new(qwiet_error(StatusCode::NOT_FOUND, "NOT_FOUND", message))
}

// ---------------------------------------------------------------- test hooks

/// Gives a finding a new status, as triage in Qwiet's UI or a later scan
/// would; any string is taken, so that statuses Qwiet may add can be tried.
/// False when the app has no such finding.
pub(crate) fn set_finding_status(st: &mut QwietState, app: &str, id: &str, status: &str) -> bool {
    let Some(finding) = st
        .findings
        .iter_mut()
        .find(|f| f.app == app && f.number.to_string() == id)
    else {
        return false;
    };
    finding.status = status.to_string();
    finding.json["status"] = json!(status);
    true
}

/// Drops a finding, as when Qwiet stops reporting it. False when the app has
/// no such finding.
pub(crate) fn remove_finding(st: &mut QwietState, app: &str, id: &str) -> bool {
    let before = st.findings.len();
    st.findings
        .retain(|f| !(f.app == app && f.number.to_string() == id));
    st.findings.len() != before
}

/// Records a new, completed scan of `app` (numbered after every scan of the
/// organization) and returns it; `None` when there is no such app.
pub(crate) fn record_scan(st: &mut QwietState, app: &str) -> Option<Value> {
    let next = st
        .apps
        .iter()
        .flat_map(|a| a.scans.iter())
        .filter_map(|s| s["id"].as_str()?.parse::<u64>().ok())
        .max()
        .unwrap_or(0)
        + 1;
    let app = st.apps.iter_mut().find(|a| a.id == app)?;
    let mut scan = app.scans.last().cloned().unwrap_or_else(|| json!({}));
    let now = crate::qwiet_seed::ts(chrono::Utc::now());
    scan["id"] = json!(next.to_string());
    scan["app"] = json!(app.id);
    scan["started_at"] = json!(now);
    scan["completed_at"] = json!(now);
    app.scans.push(scan.clone());
    Some(scan)
}
