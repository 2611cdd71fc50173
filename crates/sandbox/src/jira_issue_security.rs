//! The Jira issue security fake (`/rest/api/3/...`): schemes, levels,
//! members, project associations and the asynchronous tasks they start.

use std::collections::BTreeSet;

use hyper::{Method, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::Caller;
use crate::http::{Req, Resp, empty, jira_error, jira_field_error, json, with_header};
use crate::jira_model::{JiraState, MEMBER_TYPES};
use crate::paging::{jira_page, jira_page_with};

/// An answer, or an early error answer (boxed: responses are large).
type Handled = Result<Resp, Box<Resp>>;

/// Whether this request may be made without credentials (Jira lets anyone
/// read a security level and a project's usable levels).
pub(crate) fn allows_anonymous(req: &Req) -> bool {
    let segs = req.segs();
    req.method == Method::GET
        && matches!(
            segs.as_slice(),
            ["rest", "api", "3", "securitylevel", _]
                | ["rest", "api", "3", "project", _, "securitylevel"]
        )
}

/// Answers one `/rest/api/3` request.
pub(crate) fn handle(st: &mut JiraState, req: &Req, caller: Caller, now_ms: i64) -> Resp {
    route(st, req, caller, now_ms).unwrap_or_else(|e| *e)
}

fn route(st: &mut JiraState, req: &Req, caller: Caller, now_ms: i64) -> Handled {
    let segs = req.segs();
    let Some(rest) = segs.strip_prefix(&["rest", "api", "3"][..]) else {
        return Err(not_found("No Jira resource at this path."));
    };
    let m = &req.method;
    match rest {
        ["issuesecurityschemes"] if m == Method::GET => list_schemes(st, req),
        ["issuesecurityschemes"] if m == Method::POST => create_scheme(st, req),
        ["issuesecurityschemes", "level"] if m == Method::GET => levels_page(st, req),
        ["issuesecurityschemes", "level", "default"] if m == Method::PUT => set_defaults(st, req),
        ["issuesecurityschemes", "level", "member"] if m == Method::GET => members_page(st, req),
        ["issuesecurityschemes", "search"] if m == Method::GET => search_schemes(st, req),
        ["issuesecurityschemes", "project"] if m == Method::GET => project_mappings(st, req),
        ["issuesecurityschemes", "project"] if m == Method::PUT => associate(st, req, now_ms),
        ["issuesecurityschemes", id] if m == Method::GET => get_scheme(st, req, id),
        ["issuesecurityschemes", id] if m == Method::PUT => update_scheme(st, req, id),
        ["issuesecurityschemes", id] if m == Method::DELETE => delete_scheme(st, id),
        ["issuesecurityschemes", id, "members"] if m == Method::GET => scheme_members(st, req, id),
        ["issuesecurityschemes", id, "level"] if m == Method::PUT => add_levels(st, req, id),
        ["issuesecurityschemes", id, "level", level] if m == Method::PUT => {
            update_level(st, req, id, level)
        }
        ["issuesecurityschemes", id, "level", level] if m == Method::DELETE => {
            remove_level(st, req, id, level, now_ms)
        }
        ["issuesecurityschemes", id, "level", level, "member"] if m == Method::PUT => {
            add_members(st, req, id, level)
        }
        ["issuesecurityschemes", id, "level", level, "member", member] if m == Method::DELETE => {
            remove_member(st, id, level, member)
        }
        ["securitylevel", id] if m == Method::GET => {
            let level = find_level(st, id)?;
            Ok(json(StatusCode::OK, &st.level_json(&req.base, level)))
        }
        ["project", key, "issuesecuritylevelscheme"] if m == Method::GET => {
            let project = find_project(st, key)?;
            let scheme = project
                .scheme_id
                .and_then(|id| st.schemes.get(&id))
                .ok_or_else(|| not_found("The project has no issue security scheme."))?;
            Ok(json(
                StatusCode::OK,
                &st.scheme_json(&req.base, scheme, true),
            ))
        }
        ["project", key, "securitylevel"] if m == Method::GET => {
            let project = find_project(st, key)?;
            let levels: Vec<Value> = match (caller, project.scheme_id) {
                (Caller::Authenticated, Some(id)) => st
                    .levels_of(id)
                    .map(|l| st.level_json(&req.base, l))
                    .collect(),
                _ => Vec::new(),
            };
            Ok(json(StatusCode::OK, &json!({ "levels": levels })))
        }
        ["task", id] if m == Method::GET => st
            .tasks
            .get(*id)
            .map(|t| json(StatusCode::OK, t))
            .ok_or_else(|| not_found(&format!("Task {id} does not exist."))),
        _ => Err(not_found("No Jira resource at this path.")),
    }
}

// ---------------------------------------------------------------- schemes

fn list_schemes(st: &JiraState, req: &Req) -> Handled {
    let schemes: Vec<Value> = st
        .schemes
        .values()
        .map(|s| st.scheme_json(&req.base, s, false))
        .collect();
    Ok(json(
        StatusCode::OK,
        &json!({ "issueSecuritySchemes": schemes }),
    ))
}

fn get_scheme(st: &JiraState, req: &Req, id: &str) -> Handled {
    let scheme = find_scheme(st, id)?;
    Ok(json(
        StatusCode::OK,
        &st.scheme_json(&req.base, scheme, true),
    ))
}

#[derive(Deserialize)]
struct CreateScheme {
    name: Option<String>,
    description: Option<String>,
    #[serde(default)]
    levels: Vec<LevelBean>,
}

#[derive(Deserialize)]
struct LevelBean {
    name: Option<String>,
    description: Option<String>,
    #[serde(rename = "isDefault")]
    is_default: Option<bool>,
    #[serde(default)]
    members: Vec<MemberBean>,
}

#[derive(Deserialize)]
struct MemberBean {
    #[serde(rename = "type")]
    kind: Option<String>,
    parameter: Option<String>,
}

#[derive(Deserialize)]
struct NameAndDescription {
    name: Option<String>,
    description: Option<String>,
}

fn create_scheme(st: &mut JiraState, req: &Req) -> Handled {
    let body: CreateScheme = body(req)?;
    let name = body.name.as_deref().map(str::trim).unwrap_or_default();
    if name.is_empty() {
        return Err(field_error("name", "The scheme name is required."));
    }
    check_scheme_name(st, name, None)?;
    let description = body.description.unwrap_or_default();
    check_len("description", &description, 255)?;
    let combined: usize = body.levels.iter().map(|l| 1 + l.members.len()).sum();
    if combined > 100 {
        return Err(bad(
            "At most 100 levels and members combined can be created in one request.",
        ));
    }
    check_levels(&body.levels, &[])?;
    let id = st.add_scheme(name, &description);
    insert_levels(st, id, body.levels);
    Ok(json(StatusCode::CREATED, &json!({ "id": id.to_string() })))
}

fn update_scheme(st: &mut JiraState, req: &Req, id: &str) -> Handled {
    let scheme_id = find_scheme(st, id)?.id;
    let body: NameAndDescription = body(req)?;
    if let Some(name) = &body.name {
        let name = name.trim();
        if name.is_empty() {
            return Err(field_error("name", "The scheme name can't be empty."));
        }
        check_scheme_name(st, name, Some(scheme_id))?;
    }
    if let Some(d) = &body.description {
        check_len("description", d, 255)?;
    }
    let scheme = st.schemes.get_mut(&scheme_id).expect("found above");
    if let Some(name) = body.name {
        scheme.name = name.trim().to_string();
    }
    if let Some(d) = body.description {
        scheme.description = d;
    }
    Ok(empty(StatusCode::NO_CONTENT))
}

fn delete_scheme(st: &mut JiraState, id: &str) -> Handled {
    let scheme_id = find_scheme(st, id)?.id;
    let users: Vec<&str> = st
        .projects
        .iter()
        .filter(|p| p.scheme_id == Some(scheme_id))
        .map(|p| p.key.as_str())
        .collect();
    if !users.is_empty() {
        return Err(bad(&format!(
            "The issue security scheme is used by projects {}; associate them with another scheme first.",
            users.join(", ")
        )));
    }
    let levels: Vec<i64> = st.levels_of(scheme_id).map(|l| l.id).collect();
    for level in levels {
        st.remove_level(level);
    }
    st.schemes.remove(&scheme_id);
    Ok(empty(StatusCode::NO_CONTENT))
}

fn search_schemes(st: &JiraState, req: &Req) -> Handled {
    let ids = id_filter(req, "id")?;
    let project_ids = id_filter(req, "projectId")?;
    let values: Vec<Value> = st
        .schemes
        .values()
        .filter(|s| ids.is_empty() || ids.contains(&s.id))
        .filter_map(|s| {
            let projects: Vec<i64> = st
                .projects
                .iter()
                .filter(|p| p.scheme_id == Some(s.id))
                .filter(|p| project_ids.is_empty() || project_ids.contains(&p.id))
                .map(|p| p.id)
                .collect();
            if !project_ids.is_empty() && projects.is_empty() {
                return None;
            }
            let mut v = json!({
                "id": s.id,
                "self": format!("{}/rest/api/3/issuesecurityschemes/{}", req.base, s.id),
                "name": s.name,
                "description": s.description,
                "projectIds": projects,
            });
            if let Some(d) = s.default_level {
                v["defaultLevel"] = json!(d);
            }
            Some(v)
        })
        .collect();
    page(req, values)
}

// ---------------------------------------------------------------- levels

fn levels_page(st: &JiraState, req: &Req) -> Handled {
    let ids = id_filter(req, "id")?;
    let scheme_ids = id_filter(req, "schemeId")?;
    let only_default = bool_param(req, "onlyDefault")?;
    let values: Vec<Value> = st
        .levels
        .values()
        .filter(|l| {
            (ids.is_empty() && scheme_ids.is_empty())
                || ids.contains(&l.id)
                || scheme_ids.contains(&l.scheme_id)
        })
        .filter(|l| {
            !only_default
                || st
                    .schemes
                    .get(&l.scheme_id)
                    .is_some_and(|s| s.default_level == Some(l.id))
        })
        .map(|l| st.level_json(&req.base, l))
        .collect();
    page(req, values)
}

#[derive(Deserialize)]
struct SetDefaults {
    #[serde(rename = "defaultValues")]
    default_values: Option<Vec<DefaultValue>>,
}

#[derive(Deserialize)]
struct DefaultValue {
    #[serde(rename = "issueSecuritySchemeId")]
    scheme_id: Option<String>,
    #[serde(rename = "defaultLevelId")]
    level_id: Option<String>,
}

fn set_defaults(st: &mut JiraState, req: &Req) -> Handled {
    let body: SetDefaults = body(req)?;
    let values = body
        .default_values
        .ok_or_else(|| field_error("defaultValues", "defaultValues is required."))?;
    let mut changes = Vec::new();
    for v in &values {
        let scheme_id = v
            .scheme_id
            .as_deref()
            .ok_or_else(|| bad("issueSecuritySchemeId is required."))?;
        let scheme = find_scheme(st, scheme_id)?.id;
        let level = match v.level_id.as_deref() {
            None => None,
            Some(l) => {
                let level = find_level(st, l)?;
                if level.scheme_id != scheme {
                    return Err(bad(&format!(
                        "Issue security level {l} does not belong to scheme {scheme}."
                    )));
                }
                Some(level.id)
            }
        };
        changes.push((scheme, level));
    }
    for (scheme, level) in changes {
        st.schemes.get_mut(&scheme).expect("checked").default_level = level;
    }
    Ok(empty(StatusCode::NO_CONTENT))
}

#[derive(Deserialize)]
struct AddLevels {
    #[serde(default)]
    levels: Vec<LevelBean>,
}

fn add_levels(st: &mut JiraState, req: &Req, id: &str) -> Handled {
    let scheme_id = find_scheme(st, id)?.id;
    let body: AddLevels = body(req)?;
    if body.levels.len() > 100 {
        return Err(bad("At most 100 levels can be added in one request."));
    }
    let existing: Vec<String> = st.levels_of(scheme_id).map(|l| l.name.clone()).collect();
    check_levels(&body.levels, &existing)?;
    insert_levels(st, scheme_id, body.levels);
    Ok(empty(StatusCode::NO_CONTENT))
}

fn update_level(st: &mut JiraState, req: &Req, id: &str, level: &str) -> Handled {
    let (scheme_id, level_id) = scheme_level(st, id, level)?;
    let body: NameAndDescription = body(req)?;
    if let Some(name) = &body.name {
        let name = name.trim();
        if name.is_empty() {
            return Err(field_error("name", "The level name can't be empty."));
        }
        check_len("name", name, 60)?;
        let taken = st
            .levels_of(scheme_id)
            .any(|l| l.id != level_id && l.name.eq_ignore_ascii_case(name));
        if taken {
            return Err(field_error(
                "name",
                "A security level with this name already exists in the scheme.",
            ));
        }
    }
    if let Some(d) = &body.description {
        check_len("description", d, 255)?;
    }
    let level = st.levels.get_mut(&level_id).expect("found above");
    if let Some(name) = body.name {
        level.name = name.trim().to_string();
    }
    if let Some(d) = body.description {
        level.description = d;
    }
    Ok(empty(StatusCode::NO_CONTENT))
}

fn remove_level(st: &mut JiraState, req: &Req, id: &str, level: &str, now_ms: i64) -> Handled {
    let (scheme_id, level_id) = scheme_level(st, id, level)?;
    if let Some(replacement) = req.param("replaceWith").filter(|r| !r.is_empty()) {
        let ok = replacement
            .parse::<i64>()
            .ok()
            .and_then(|r| st.levels.get(&r))
            .is_some_and(|r| r.scheme_id == scheme_id && r.id != level_id);
        if !ok {
            return Err(bad(&format!(
                "replaceWith {replacement} is not another level of scheme {scheme_id}."
            )));
        }
    }
    st.remove_level(level_id);
    Ok(task(
        st,
        req,
        &format!("Removing issue security level {level_id} from scheme {scheme_id}"),
        now_ms,
    ))
}

// ---------------------------------------------------------------- members

fn members_page(st: &JiraState, req: &Req) -> Handled {
    let ids = id_filter(req, "id")?;
    let scheme_ids = id_filter(req, "schemeId")?;
    let level_ids = id_filter(req, "levelId")?;
    let unfiltered = ids.is_empty() && scheme_ids.is_empty() && level_ids.is_empty();
    let members: Vec<_> = st
        .members
        .values()
        .filter(|m| {
            let scheme = st.levels.get(&m.level_id).map_or(0, |l| l.scheme_id);
            unfiltered
                || ids.contains(&m.id)
                || level_ids.contains(&m.level_id)
                || scheme_ids.contains(&scheme)
        })
        .collect();
    // Only the members on the page become JSON: the big level has thousands.
    jira_page_with(req, members, |m| st.member_json(m))
        .map(|p| json(StatusCode::OK, &p))
        .map_err(|e| bad(&e))
}

fn scheme_members(st: &JiraState, req: &Req, id: &str) -> Handled {
    let scheme_id = find_scheme(st, id)?.id;
    let level_ids = id_filter(req, "issueSecurityLevelId")?;
    let members: Vec<_> = st
        .levels_of(scheme_id)
        .filter(|l| level_ids.is_empty() || level_ids.contains(&l.id))
        .flat_map(|l| st.members_of(l.id))
        .collect();
    // As for level members: only the page's members become JSON.
    jira_page_with(req, members, JiraState::level_member_json)
        .map(|p| json(StatusCode::OK, &p))
        .map_err(|e| bad(&e))
}

#[derive(Deserialize)]
struct AddMembers {
    members: Option<Vec<MemberBean>>,
}

fn add_members(st: &mut JiraState, req: &Req, id: &str, level: &str) -> Handled {
    let (_, level_id) = scheme_level(st, id, level)?;
    let body: AddMembers = body(req)?;
    let members = body
        .members
        .ok_or_else(|| field_error("members", "members is required."))?;
    if members.len() > 100 {
        return Err(bad("At most 100 members can be added in one request."));
    }
    for m in &members {
        check_member(m)?;
        let kind = m.kind.as_deref().unwrap_or_default();
        let duplicate = st
            .members_of(level_id)
            .any(|e| e.holder_type == kind && e.parameter == m.parameter);
        if duplicate {
            return Err(bad(&format!(
                "The level already has a member of type {kind} with that parameter."
            )));
        }
    }
    for m in members {
        st.add_member(
            level_id,
            m.kind.as_deref().unwrap_or_default(),
            m.parameter.as_deref(),
        );
    }
    Ok(empty(StatusCode::NO_CONTENT))
}

fn remove_member(st: &mut JiraState, id: &str, level: &str, member: &str) -> Handled {
    let (_, level_id) = scheme_level(st, id, level)?;
    let member_id = member
        .parse::<i64>()
        .ok()
        .filter(|m| st.members.get(m).is_some_and(|m| m.level_id == level_id))
        .ok_or_else(|| not_found(&format!("Security level member {member} not found.")))?;
    st.members.remove(&member_id);
    Ok(empty(StatusCode::NO_CONTENT))
}

// ---------------------------------------------------------------- projects

fn project_mappings(st: &JiraState, req: &Req) -> Handled {
    let scheme_ids = id_filter(req, "issueSecuritySchemeId")?;
    let project_ids = id_filter(req, "projectId")?;
    let values: Vec<Value> = st
        .projects
        .iter()
        .filter_map(|p| p.scheme_id.map(|s| (p, s)))
        .filter(|(p, s)| {
            (scheme_ids.is_empty() || scheme_ids.contains(s))
                && (project_ids.is_empty() || project_ids.contains(&p.id))
        })
        .map(|(p, s)| json!({ "issueSecuritySchemeId": s.to_string(), "projectId": p.id.to_string() }))
        .collect();
    page(req, values)
}

#[derive(Deserialize)]
struct Associate {
    #[serde(rename = "projectId")]
    project_id: Option<String>,
    #[serde(rename = "schemeId")]
    scheme_id: Option<String>,
    #[serde(rename = "oldToNewSecurityLevelMappings", default)]
    mappings: Vec<LevelMapping>,
}

#[derive(Deserialize)]
struct LevelMapping {
    #[serde(rename = "oldLevelId")]
    old: Option<String>,
    #[serde(rename = "newLevelId")]
    new: Option<String>,
}

fn associate(st: &mut JiraState, req: &Req, now_ms: i64) -> Handled {
    let body: Associate = body(req)?;
    let project_key = body
        .project_id
        .as_deref()
        .ok_or_else(|| field_error("projectId", "projectId is required."))?;
    let project = find_project(st, project_key)?;
    let (project_id, old_scheme) = (project.id, project.scheme_id);
    let new_scheme = match body.scheme_id.as_deref() {
        None => None,
        Some(s) => Some(find_scheme(st, s)?.id),
    };
    for m in &body.mappings {
        check_mapping_side(st, m.old.as_deref(), old_scheme, "oldLevelId")?;
        check_mapping_side(st, m.new.as_deref(), new_scheme, "newLevelId")?;
    }
    if let Some(p) = st.projects.iter_mut().find(|p| p.id == project_id) {
        p.scheme_id = new_scheme;
    }
    let what = match new_scheme {
        Some(s) => format!("Associating issue security scheme {s} with project {project_id}"),
        None => format!("Removing the issue security scheme of project {project_id}"),
    };
    Ok(task(st, req, &what, now_ms))
}

fn check_mapping_side(
    st: &JiraState,
    level: Option<&str>,
    scheme: Option<i64>,
    field: &str,
) -> Result<(), Box<Resp>> {
    let Some(level) = level else { return Ok(()) };
    let belongs = level
        .parse::<i64>()
        .ok()
        .and_then(|l| st.levels.get(&l))
        .is_some_and(|l| Some(l.scheme_id) == scheme);
    if belongs {
        Ok(())
    } else {
        Err(field_error(
            field,
            &format!("Level {level} does not belong to the expected scheme."),
        ))
    }
}

/// Records a finished task and answers `303 See Other` pointing at it, with
/// the task as it was when enqueued.
fn task(st: &mut JiraState, req: &Req, description: &str, now_ms: i64) -> Resp {
    let id = st.task_id();
    let location = format!("{}/rest/api/3/task/{id}", req.base);
    let enqueued = json!({
        "self": location,
        "id": id,
        "description": description,
        "status": "ENQUEUED",
        "message": "The task is enqueued.",
        "progress": 0,
        "elapsedRuntime": 0,
        "submitted": now_ms,
        "lastUpdate": now_ms,
        "submittedBy": 10000,
    });
    let mut complete = enqueued.clone();
    complete["status"] = json!("COMPLETE");
    complete["message"] = json!("The task is complete.");
    complete["progress"] = json!(100);
    complete["elapsedRuntime"] = json!(25);
    complete["started"] = json!(now_ms);
    complete["finished"] = json!(now_ms + 25);
    complete["lastUpdate"] = json!(now_ms + 25);
    st.tasks.insert(id, complete);
    with_header(
        json(StatusCode::SEE_OTHER, &enqueued),
        "location",
        &location,
    )
}

// ---------------------------------------------------------------- helpers

fn insert_levels(st: &mut JiraState, scheme_id: i64, levels: Vec<LevelBean>) {
    for l in levels {
        let level = st.add_level(
            scheme_id,
            l.name.as_deref().unwrap_or_default().trim(),
            l.description.as_deref().unwrap_or_default(),
        );
        if l.is_default == Some(true)
            && let Some(s) = st.schemes.get_mut(&scheme_id)
        {
            s.default_level = Some(level);
        }
        for m in l.members {
            st.add_member(
                level,
                m.kind.as_deref().unwrap_or_default(),
                m.parameter.as_deref(),
            );
        }
    }
}

fn check_levels(levels: &[LevelBean], existing: &[String]) -> Result<(), Box<Resp>> {
    let mut names: BTreeSet<String> = existing.iter().map(|n| n.to_lowercase()).collect();
    if levels.iter().filter(|l| l.is_default == Some(true)).count() > 1 {
        return Err(bad("Only one level can be the default."));
    }
    for l in levels {
        let name = l.name.as_deref().map(str::trim).unwrap_or_default();
        if name.is_empty() {
            return Err(field_error("name", "Every level needs a name."));
        }
        check_len("name", name, 255)?;
        if !names.insert(name.to_lowercase()) {
            return Err(field_error(
                "name",
                &format!("A security level named {name:?} already exists in the scheme."),
            ));
        }
        check_len(
            "description",
            l.description.as_deref().unwrap_or_default(),
            4000,
        )?;
        for m in &l.members {
            check_member(m)?;
        }
    }
    Ok(())
}

fn check_member(m: &MemberBean) -> Result<(), Box<Resp>> {
    let kind = m
        .kind
        .as_deref()
        .ok_or_else(|| field_error("type", "Every member needs a type."))?;
    match MEMBER_TYPES.iter().find(|(t, _)| *t == kind) {
        None => Err(field_error(
            "type",
            &format!("{kind:?} is not a valid security level member type."),
        )),
        Some((_, true)) if m.parameter.as_deref().is_none_or(str::is_empty) => Err(field_error(
            "parameter",
            &format!("Members of type {kind} need a parameter."),
        )),
        Some(_) => Ok(()),
    }
}

fn check_scheme_name(st: &JiraState, name: &str, except: Option<i64>) -> Result<(), Box<Resp>> {
    check_len("name", name, 60)?;
    let taken = st
        .schemes
        .values()
        .any(|s| Some(s.id) != except && s.name.eq_ignore_ascii_case(name));
    if taken {
        return Err(field_error(
            "name",
            "An issue security scheme with this name already exists.",
        ));
    }
    Ok(())
}

fn check_len(field: &str, value: &str, max: usize) -> Result<(), Box<Resp>> {
    if value.chars().count() > max {
        return Err(field_error(
            field,
            &format!("{field} must be at most {max} characters."),
        ));
    }
    Ok(())
}

fn find_scheme<'a>(
    st: &'a JiraState,
    id: &str,
) -> Result<&'a crate::jira_model::Scheme, Box<Resp>> {
    id.parse::<i64>()
        .ok()
        .and_then(|i| st.schemes.get(&i))
        .ok_or_else(|| not_found(&format!("Issue security scheme with ID {id} not found.")))
}

fn find_level<'a>(st: &'a JiraState, id: &str) -> Result<&'a crate::jira_model::Level, Box<Resp>> {
    id.parse::<i64>()
        .ok()
        .and_then(|i| st.levels.get(&i))
        .ok_or_else(|| not_found(&format!("Issue security level with ID {id} not found.")))
}

fn find_project<'a>(
    st: &'a JiraState,
    key: &str,
) -> Result<&'a crate::jira_model::Project, Box<Resp>> {
    st.project(key).ok_or_else(|| {
        not_found(&format!(
            "No project could be found with key or ID '{key}'."
        ))
    })
}

/// The scheme and one of its levels, both checked.
fn scheme_level(st: &JiraState, scheme: &str, level: &str) -> Result<(i64, i64), Box<Resp>> {
    let scheme_id = find_scheme(st, scheme)?.id;
    let level = find_level(st, level)?;
    if level.scheme_id != scheme_id {
        return Err(not_found(&format!(
            "Issue security level with ID {} not found in scheme {scheme_id}.",
            level.id
        )));
    }
    Ok((scheme_id, level.id))
}

/// A repeatable numeric ID filter; a non-numeric value is a 400.
fn id_filter(req: &Req, name: &str) -> Result<BTreeSet<i64>, Box<Resp>> {
    req.params(name)
        .iter()
        .map(|v| {
            v.parse::<i64>()
                .map_err(|_| bad(&format!("{name} must hold numeric IDs, not {v:?}.")))
        })
        .collect()
}

fn bool_param(req: &Req, name: &str) -> Result<bool, Box<Resp>> {
    match req.param(name) {
        None | Some("") | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(v) => Err(bad(&format!("{name} must be true or false, not {v:?}."))),
    }
}

fn page(req: &Req, values: Vec<Value>) -> Handled {
    jira_page(req, values)
        .map(|p| json(StatusCode::OK, &p))
        .map_err(|e| bad(&e))
}

fn body<T: serde::de::DeserializeOwned>(req: &Req) -> Result<T, Box<Resp>> {
    req.json().map_err(|e| bad(&e))
}

fn bad(message: &str) -> Box<Resp> {
    Box::new(jira_error(StatusCode::BAD_REQUEST, message))
}

fn field_error(field: &str, message: &str) -> Box<Resp> {
    Box::new(jira_field_error(StatusCode::BAD_REQUEST, field, message))
}

fn not_found(message: &str) -> Box<Resp> {
    Box::new(jira_error(StatusCode::NOT_FOUND, message))
}
