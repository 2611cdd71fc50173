//! The Jira Security Information fake (`/rest/security/1.0/...`): linked
//! workspaces and vulnerabilities with `updateSequenceNumber` ordering.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, SecondsFormat, Utc};
use hyper::{Method, StatusCode};
use serde_json::{Map, Value, json};

use crate::http::{Req, Resp, empty, json, security_info_error};

/// An answer, or an early error answer (boxed: responses are large).
type Handled = Result<Resp, Box<Resp>>;

/// Most workspace IDs per link or unlink request.
const MAX_WORKSPACES: usize = 100;
/// Most vulnerabilities per submission.
const MAX_VULNERABILITIES: usize = 1000;
/// Most submission properties.
const MAX_PROPERTIES: usize = 5;

/// A stored vulnerability: the entity as submitted and the submission's
/// properties.
#[derive(Debug, Clone)]
pub(crate) struct StoredVulnerability {
    pub entity: Value,
    pub update_sequence_number: i64,
    pub properties: BTreeMap<String, String>,
}

/// Linked workspaces and stored vulnerabilities.
#[derive(Debug, Default)]
pub(crate) struct SecurityInfoState {
    pub workspaces: BTreeMap<String, DateTime<Utc>>,
    pub vulnerabilities: BTreeMap<String, StoredVulnerability>,
}

/// Answers one `/rest/security/1.0` request; accepted deliveries are
/// appended to `deliveries` (ID → every accepted `updateSequenceNumber`).
pub(crate) fn handle(
    st: &mut SecurityInfoState,
    req: &Req,
    deliveries: &mut HashMap<String, Vec<i64>>,
    now: DateTime<Utc>,
) -> Resp {
    route(st, req, deliveries, now).unwrap_or_else(|e| *e)
}

fn route(
    st: &mut SecurityInfoState,
    req: &Req,
    deliveries: &mut HashMap<String, Vec<i64>>,
    now: DateTime<Utc>,
) -> Handled {
    let segs = req.segs();
    let Some(rest) = segs.strip_prefix(&["rest", "security", "1.0"][..]) else {
        return Err(not_found("No Security Information resource at this path."));
    };
    let m = &req.method;
    match rest {
        ["linkedWorkspaces", "bulk"] if m == Method::POST => link(st, req, now),
        ["linkedWorkspaces", "bulk"] if m == Method::DELETE => unlink(st, req),
        ["linkedWorkspaces"] if m == Method::GET => {
            let ids: Vec<&String> = st.workspaces.keys().collect();
            Ok(json(StatusCode::OK, &json!({ "workspaceIds": ids })))
        }
        ["linkedWorkspaces", id] if m == Method::GET => {
            let updated = st
                .workspaces
                .get(*id)
                .ok_or_else(|| not_found(&format!("No workspace with ID {id} is linked.")))?;
            Ok(json(
                StatusCode::OK,
                &json!({ "workspaceId": id, "updatedAt": rfc3339(*updated) }),
            ))
        }
        ["bulk"] if m == Method::POST => submit(st, req, deliveries),
        ["bulkByProperties"] if m == Method::DELETE => delete_by_properties(st, req),
        ["vulnerability", id] if m == Method::GET => st
            .vulnerabilities
            .get(*id)
            .map(|v| json(StatusCode::OK, &v.entity))
            .ok_or_else(|| not_found(&format!("No vulnerability with ID {id} is stored."))),
        ["vulnerability", id] if m == Method::DELETE => {
            st.vulnerabilities.remove(*id);
            Ok(empty(StatusCode::ACCEPTED))
        }
        _ => Err(not_found("No Security Information resource at this path.")),
    }
}

fn link(st: &mut SecurityInfoState, req: &Req, now: DateTime<Utc>) -> Handled {
    let body: Value = req.json().map_err(|e| bad(&e))?;
    let ids = body
        .get("workspaceIds")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("workspaceIds is required and must be an array of strings."))?;
    if ids.is_empty() {
        return Err(bad("workspaceIds must hold at least one workspace ID."));
    }
    if ids.len() > MAX_WORKSPACES {
        return Err(bad(&format!(
            "workspaceIds holds {} IDs; at most {MAX_WORKSPACES} are allowed per request.",
            ids.len()
        )));
    }
    let mut valid = Vec::with_capacity(ids.len());
    for id in ids {
        match id.as_str() {
            Some(s) if is_workspace_id(s) => valid.push(s.to_string()),
            _ => return Err(bad(&format!("{id} is not a valid workspace ID."))),
        }
    }
    for id in valid {
        st.workspaces.entry(id).or_insert(now);
    }
    Ok(empty(StatusCode::ACCEPTED))
}

fn unlink(st: &mut SecurityInfoState, req: &Req) -> Handled {
    let ids = req.params("workspaceIds");
    if ids.is_empty() {
        return Err(bad(
            "The workspaceIds query parameter is required, e.g. ?workspaceIds=ws-1,ws-2.",
        ));
    }
    if ids.len() > MAX_WORKSPACES {
        return Err(bad(&format!(
            "At most {MAX_WORKSPACES} workspace IDs can be unlinked per request."
        )));
    }
    let ids: BTreeSet<String> = ids.into_iter().collect();
    st.workspaces.retain(|id, _| !ids.contains(id));
    st.vulnerabilities.retain(|_, v| {
        v.entity
            .get("containerId")
            .and_then(Value::as_str)
            .is_none_or(|c| !ids.contains(c))
    });
    Ok(empty(StatusCode::ACCEPTED))
}

fn delete_by_properties(st: &mut SecurityInfoState, req: &Req) -> Handled {
    let wanted: Vec<&(String, String)> = req.query.iter().filter(|(k, _)| k != "jwt").collect();
    if wanted.is_empty() {
        return Err(bad(
            "At least one property must be given as a query parameter, e.g. ?accountId=a1.",
        ));
    }
    st.vulnerabilities.retain(|_, v| {
        !wanted
            .iter()
            .all(|(k, val)| v.properties.get(k) == Some(val))
    });
    Ok(empty(StatusCode::ACCEPTED))
}

// ------------------------------------------------------------ submissions

fn submit(
    st: &mut SecurityInfoState,
    req: &Req,
    deliveries: &mut HashMap<String, Vec<i64>>,
) -> Handled {
    let body: Value = req.json().map_err(|e| bad(&e))?;
    let body = body
        .as_object()
        .ok_or_else(|| bad("The request body must be a JSON object."))?;
    let vulnerabilities = body
        .get("vulnerabilities")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("vulnerabilities is required and must be an array."))?;
    if vulnerabilities.is_empty() {
        return Err(bad("vulnerabilities must hold at least one vulnerability."));
    }
    if vulnerabilities.len() > MAX_VULNERABILITIES {
        return Err(Box::new(security_info_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            &[&format!(
                "{} vulnerabilities were sent; at most {MAX_VULNERABILITIES} are accepted per request.",
                vulnerabilities.len()
            )],
        )));
    }
    let properties = properties(body.get("properties"))?;
    match body.get("operationType") {
        None | Some(Value::Null) => {}
        Some(Value::String(s)) if ["NORMAL", "SCAN", "BACKFILL"].contains(&s.as_str()) => {}
        Some(other) => {
            return Err(bad(&format!(
                "operationType must be NORMAL, SCAN or BACKFILL, not {other}."
            )));
        }
    }
    match body.get("providerMetadata") {
        None | Some(Value::Null) => {}
        Some(Value::Object(m))
            if m.get("product")
                .is_none_or(|p| p.is_string() || p.is_null()) => {}
        Some(_) => {
            return Err(bad(
                "providerMetadata must be an object whose product is a string.",
            ));
        }
    }

    let mut accepted = Vec::new();
    let mut failed = Map::new();
    let mut unknown: BTreeSet<String> = BTreeSet::new();
    for (index, v) in vulnerabilities.iter().enumerate() {
        let key = v
            .get("id")
            .and_then(Value::as_str)
            .map_or_else(|| format!("vulnerabilities[{index}]"), str::to_string);
        let checked = match validate(v) {
            Ok(c) => c,
            Err(errors) => {
                failed.insert(key, messages(&errors));
                continue;
            }
        };
        if !st.workspaces.contains_key(&checked.container_id) {
            failed.insert(
                key,
                messages(&[format!(
                    "Workspace ID {:?} is not linked to this Jira site; link it first.",
                    checked.container_id
                )]),
            );
            continue;
        }
        let bad_keys: Vec<&String> = checked
            .issue_keys
            .iter()
            .filter(|k| !is_issue_key(k))
            .collect();
        unknown.extend(bad_keys.iter().map(|k| (*k).clone()));
        if !checked.issue_keys.is_empty() && bad_keys.len() == checked.issue_keys.len() {
            // Only unknown associations: discarded, as Jira does.
            continue;
        }
        accepted.push(checked.id.clone());
        deliveries
            .entry(checked.id.clone())
            .or_default()
            .push(checked.update_sequence_number);
        let newer = st
            .vulnerabilities
            .get(&checked.id)
            .is_none_or(|s| checked.update_sequence_number > s.update_sequence_number);
        if newer {
            st.vulnerabilities.insert(
                checked.id,
                StoredVulnerability {
                    entity: without_nulls(v),
                    update_sequence_number: checked.update_sequence_number,
                    properties: properties.clone(),
                },
            );
        }
    }
    let unknown: Vec<Value> = if unknown.is_empty() {
        Vec::new()
    } else {
        vec![json!({ "associationType": "issueIdOrKeys", "values": unknown })]
    };
    Ok(json(
        StatusCode::ACCEPTED,
        &json!({
            "acceptedVulnerabilities": accepted,
            "failedVulnerabilities": failed,
            "unknownAssociations": unknown,
        }),
    ))
}

fn properties(value: Option<&Value>) -> Result<BTreeMap<String, String>, Box<Resp>> {
    let map = match value {
        None | Some(Value::Null) => return Ok(BTreeMap::new()),
        Some(Value::Object(m)) => m,
        Some(_) => return Err(bad("properties must be an object of string values.")),
    };
    if map.len() > MAX_PROPERTIES {
        return Err(bad(&format!(
            "{} properties were sent; at most {MAX_PROPERTIES} are allowed.",
            map.len()
        )));
    }
    let mut out = BTreeMap::new();
    for (k, v) in map {
        if k.contains(':') || k.starts_with('_') {
            return Err(bad(&format!(
                "Property key {k:?} is invalid: keys may not contain ':' or start with '_'."
            )));
        }
        match v.as_str() {
            Some(s) if s.chars().count() <= 255 => {
                out.insert(k.clone(), s.to_string());
            }
            _ => {
                return Err(bad(&format!(
                    "Property {k:?} must be a string of at most 255 characters."
                )));
            }
        }
    }
    Ok(out)
}

/// The parts of a valid vulnerability the fake acts on.
struct Checked {
    id: String,
    update_sequence_number: i64,
    container_id: String,
    /// Every `issueIdOrKeys` value in `addAssociations`.
    issue_keys: Vec<String>,
}

const FIELDS: &[&str] = &[
    "schemaVersion",
    "id",
    "updateSequenceNumber",
    "containerId",
    "displayName",
    "description",
    "url",
    "type",
    "introducedDate",
    "lastUpdated",
    "severity",
    "identifiers",
    "status",
    "additionalInfo",
    "addAssociations",
    "removeAssociations",
    "associationsLastUpdated",
    "associationsUpdateSequenceNumber",
];

/// Checks one vulnerability against the spec's schema; every problem found
/// is reported.
fn validate(v: &Value) -> Result<Checked, Vec<String>> {
    let Some(obj) = v.as_object() else {
        return Err(vec!["A vulnerability must be a JSON object.".into()]);
    };
    let mut errors = Vec::new();
    for key in obj.keys() {
        if !FIELDS.contains(&key.as_str()) {
            errors.push(format!("Unknown property {key:?}."));
        }
    }
    let field = |name: &str| obj.get(name).filter(|v| !v.is_null());
    let string = |name: &str, max: usize, required: bool, errors: &mut Vec<String>| {
        match field(name) {
            None if required => errors.push(format!("{name} is required.")),
            None => {}
            Some(Value::String(s)) if s.chars().count() <= max => return Some(s.clone()),
            Some(_) => errors.push(format!(
                "{name} must be a string of at most {max} characters."
            )),
        }
        None
    };
    if field("schemaVersion").and_then(Value::as_str) != Some("1.0") {
        errors.push("schemaVersion is required and must be \"1.0\".".into());
    }
    let id = string("id", 255, true, &mut errors);
    if id.as_deref() == Some("") {
        errors.push("id must not be empty.".into());
    }
    let container_id = string("containerId", 255, true, &mut errors);
    if let Some(c) = &container_id
        && !is_workspace_id(c)
    {
        errors.push(format!(
            "containerId {c:?} has characters that are not allowed."
        ));
    }
    string("displayName", 255, true, &mut errors);
    string("description", 5000, true, &mut errors);
    if let Some(url) = string("url", 2000, true, &mut errors) {
        check_uri("url", &url, &mut errors);
    }
    for (name, allowed) in [
        ("type", &["sca", "sast", "dast", "unknown"][..]),
        ("status", &["open", "closed", "ignored", "unknown"][..]),
    ] {
        if let Some(s) = string(name, 64, true, &mut errors)
            && !allowed.contains(&s.as_str())
        {
            errors.push(format!("{name} must be one of {}.", allowed.join(", ")));
        }
    }
    for (name, required) in [
        ("introducedDate", true),
        ("lastUpdated", true),
        ("associationsLastUpdated", false),
    ] {
        if let Some(s) = string(name, 64, required, &mut errors)
            && DateTime::parse_from_rfc3339(&s).is_err()
        {
            errors.push(format!("{name} must be an RFC 3339 date-time."));
        }
    }
    let usn = field("updateSequenceNumber").and_then(Value::as_i64);
    if usn.is_none() {
        errors.push("updateSequenceNumber is required and must be an integer.".into());
    }
    if field("associationsUpdateSequenceNumber").is_some_and(|v| v.as_i64().is_none()) {
        errors.push("associationsUpdateSequenceNumber must be an integer.".into());
    }
    let level = field("severity")
        .and_then(|s| s.get("level"))
        .and_then(Value::as_str);
    if !level.is_some_and(|l| ["critical", "high", "medium", "low", "unknown"].contains(&l)) {
        errors.push(
            "severity.level is required and must be critical, high, medium, low or unknown.".into(),
        );
    }
    if let Some(ids) = field("identifiers") {
        match ids.as_array() {
            Some(list) if (1..=100).contains(&list.len()) => {
                for i in list {
                    let name = i.get("displayName").and_then(Value::as_str);
                    let url = i.get("url").and_then(Value::as_str);
                    match (name, url) {
                        (Some(n), Some(u)) if n.chars().count() <= 255 => {
                            check_uri("identifiers.url", u, &mut errors);
                        }
                        _ => errors.push(
                            "Each identifier needs a displayName (at most 255 characters) and a url."
                                .into(),
                        ),
                    }
                }
            }
            _ => errors.push("identifiers must hold between 1 and 100 identifiers.".into()),
        }
    }
    if let Some(info) = field("additionalInfo") {
        match info.get("content").and_then(Value::as_str) {
            Some(c) if c.chars().count() <= 255 => {}
            _ => errors.push("additionalInfo.content is required, at most 255 characters.".into()),
        }
    }
    let mut issue_keys = Vec::new();
    let mut total_values = 0;
    for name in ["addAssociations", "removeAssociations"] {
        let Some(list) = field(name) else { continue };
        let Some(list) = list.as_array().filter(|l| l.len() <= 1) else {
            errors.push(format!(
                "{name} must be an array of at most one association."
            ));
            continue;
        };
        for assoc in list {
            let kind = assoc.get("associationType").and_then(Value::as_str);
            let values = assoc.get("values").and_then(Value::as_array);
            match (kind, values) {
                (Some("issueIdOrKeys"), Some(values)) if !values.is_empty() => {
                    total_values += values.len();
                    for value in values {
                        match value.as_str() {
                            Some(s) if name == "addAssociations" => issue_keys.push(s.to_string()),
                            Some(_) => {}
                            None => errors.push(format!("{name} values must be strings.")),
                        }
                    }
                }
                _ => errors.push(format!(
                    "{name} entries need associationType \"issueIdOrKeys\" and at least one value."
                )),
            }
        }
    }
    if total_values > 500 {
        errors.push("At most 500 association values are allowed in total.".into());
    }
    match (errors.is_empty(), id, usn, container_id) {
        (true, Some(id), Some(usn), Some(container_id)) => Ok(Checked {
            id,
            update_sequence_number: usn,
            container_id,
            issue_keys,
        }),
        _ => Err(errors),
    }
}

/// The entity with `null` members dropped, so that a stored vulnerability
/// reads back with only the fields that carry values.
fn without_nulls(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn check_uri(name: &str, value: &str, errors: &mut Vec<String>) {
    if url::Url::parse(value).is_err() {
        errors.push(format!("{name} must be an absolute URI."));
    }
}

/// Jira issue keys the sandbox knows: `PROJECT-123`.
fn is_issue_key(value: &str) -> bool {
    let Some((project, number)) = value.split_once('-') else {
        return false;
    };
    !project.is_empty()
        && project.bytes().all(|b| b.is_ascii_uppercase())
        && !number.is_empty()
        && number.bytes().all(|b| b.is_ascii_digit())
}

/// `[a-zA-Z0-9\-_.~@:{}=]+(/[a-zA-Z0-9\-_.~@:{}=]+)*`, at most 255 long.
fn is_workspace_id(value: &str) -> bool {
    value.len() <= 255
        && value.split('/').all(|seg| {
            !seg.is_empty()
                && seg
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.~@:{}=".contains(&b))
        })
}

fn messages(errors: &[String]) -> Value {
    errors.iter().map(|m| json!({ "message": m })).collect()
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn bad(message: &str) -> Box<Resp> {
    Box::new(security_info_error(StatusCode::BAD_REQUEST, &[message]))
}

fn not_found(message: &str) -> Box<Resp> {
    Box::new(security_info_error(StatusCode::NOT_FOUND, &[message]))
}
