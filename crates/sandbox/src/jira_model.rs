//! Issue security data: schemes, levels, members and projects, their seed
//! and their JSON forms.

use std::collections::BTreeMap;

use rand::Rng;
use rand::rngs::StdRng;
use serde_json::{Value, json};

/// An issue security scheme.
#[derive(Debug, Clone)]
pub(crate) struct Scheme {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub default_level: Option<i64>,
}

/// A security level of a scheme.
#[derive(Debug, Clone)]
pub(crate) struct Level {
    pub id: i64,
    pub scheme_id: i64,
    pub name: String,
    pub description: String,
}

/// A member (grant) of a security level.
#[derive(Debug, Clone)]
pub(crate) struct Member {
    pub id: i64,
    pub level_id: i64,
    pub holder_type: String,
    pub parameter: Option<String>,
}

/// A classic project, possibly using a scheme.
#[derive(Debug, Clone)]
pub(crate) struct Project {
    pub id: i64,
    pub key: String,
    pub scheme_id: Option<i64>,
}

/// Everything the issue security fake knows.
#[derive(Debug, Default)]
pub(crate) struct JiraState {
    pub schemes: BTreeMap<i64, Scheme>,
    pub levels: BTreeMap<i64, Level>,
    pub members: BTreeMap<i64, Member>,
    pub projects: Vec<Project>,
    /// Finished asynchronous tasks by ID (`TaskProgressBeanObject`).
    pub tasks: BTreeMap<String, Value>,
    next_scheme: i64,
    next_level: i64,
    next_member: i64,
    next_task: i64,
}

/// Member types Jira accepts, and whether each needs a `parameter`.
pub(crate) const MEMBER_TYPES: &[(&str, bool)] = &[
    ("reporter", false),
    ("assignee", false),
    ("lead", false),
    ("group", true),
    ("user", true),
    ("projectrole", true),
    ("applicationRole", false),
    ("userCustomField", true),
    ("groupCustomField", true),
];

impl JiraState {
    /// Two schemes with levels and members; level 10021 of scheme 10000
    /// has `big_level_members` members. Projects APP and SEC use the
    /// schemes; WEB uses none.
    pub fn seed(rng: &mut StdRng, big_level_members: usize) -> Self {
        let mut s = Self {
            next_scheme: 10000,
            next_level: 10020,
            next_member: 10100,
            next_task: 10000,
            ..Self::default()
        };
        let main = s.add_scheme(
            "Default issue security scheme",
            "Who may see issues of the AppSec platform projects.",
        );
        let internal = s.add_level(main, "Internal", "Staff only.");
        let team = s.add_level(main, "Security team", "Security engineers and responders.");
        let embargo = s.add_level(main, "Embargoed", "Undisclosed vulnerabilities.");
        s.schemes.get_mut(&main).expect("just added").default_level = Some(internal);
        s.add_member(internal, "group", Some("jira-software-users"));
        s.add_member(internal, "reporter", None);
        for i in 0..big_level_members {
            if i % 10 == 9 {
                s.add_member(
                    team,
                    "group",
                    Some(&format!("security-responders-{}", i / 10)),
                );
            } else {
                let account = account_id(rng);
                s.add_member(team, "user", Some(&account));
            }
        }
        s.add_member(embargo, "projectrole", Some("10002"));
        s.add_member(embargo, "user", Some(&account_id(rng)));

        s.next_level = 10030;
        let partner = s.add_scheme(
            "Partner issue security scheme",
            "Visibility of issues shared with partners.",
        );
        let partners = s.add_level(partner, "Partners", "Partner organisations.");
        let confidential = s.add_level(partner, "Confidential", "Named people only.");
        s.add_member(partners, "group", Some("partners"));
        s.add_member(partners, "applicationRole", None);
        s.add_member(confidential, "user", Some(&account_id(rng)));
        s.add_member(confidential, "reporter", None);
        s.add_member(confidential, "assignee", None);

        s.projects = vec![
            project(10000, "APP", Some(main)),
            project(10001, "SEC", Some(partner)),
            project(10002, "WEB", None),
        ];
        s
    }

    pub fn add_scheme(&mut self, name: &str, description: &str) -> i64 {
        let id = self.next_scheme;
        self.next_scheme += 1;
        self.schemes.insert(
            id,
            Scheme {
                id,
                name: name.into(),
                description: description.into(),
                default_level: None,
            },
        );
        id
    }

    pub fn add_level(&mut self, scheme_id: i64, name: &str, description: &str) -> i64 {
        let id = self.next_level;
        self.next_level += 1;
        self.levels.insert(
            id,
            Level {
                id,
                scheme_id,
                name: name.into(),
                description: description.into(),
            },
        );
        id
    }

    pub fn add_member(&mut self, level_id: i64, holder_type: &str, parameter: Option<&str>) -> i64 {
        let id = self.next_member;
        self.next_member += 1;
        self.members.insert(
            id,
            Member {
                id,
                level_id,
                holder_type: holder_type.into(),
                parameter: parameter.map(str::to_string),
            },
        );
        id
    }

    /// A new task ID.
    pub fn task_id(&mut self) -> String {
        self.next_task += 1;
        self.next_task.to_string()
    }

    /// Levels of a scheme, by ID.
    pub fn levels_of(&self, scheme_id: i64) -> impl Iterator<Item = &Level> {
        self.levels
            .values()
            .filter(move |l| l.scheme_id == scheme_id)
    }

    /// Members of a level, by ID.
    pub fn members_of(&self, level_id: i64) -> impl Iterator<Item = &Member> {
        self.members
            .values()
            .filter(move |m| m.level_id == level_id)
    }

    /// Removes a level and its members; clears the default if it was one.
    pub fn remove_level(&mut self, level_id: i64) {
        if let Some(level) = self.levels.remove(&level_id) {
            self.members.retain(|_, m| m.level_id != level_id);
            if let Some(scheme) = self.schemes.get_mut(&level.scheme_id)
                && scheme.default_level == Some(level_id)
            {
                scheme.default_level = None;
            }
        }
    }

    /// A project by key or ID.
    pub fn project(&self, key_or_id: &str) -> Option<&Project> {
        self.projects
            .iter()
            .find(|p| p.key == key_or_id || p.id.to_string() == key_or_id)
    }

    /// `SecurityScheme`, with its levels when `with_levels`.
    pub fn scheme_json(&self, base: &str, scheme: &Scheme, with_levels: bool) -> Value {
        let mut v = json!({
            "self": format!("{base}/rest/api/3/issuesecurityschemes/{}", scheme.id),
            "id": scheme.id,
            "name": scheme.name,
            "description": scheme.description,
        });
        if let Some(default) = scheme.default_level {
            v["defaultSecurityLevelId"] = json!(default);
        }
        if with_levels {
            v["levels"] = self
                .levels_of(scheme.id)
                .map(|l| self.level_json(base, l))
                .collect();
        }
        v
    }

    /// `SecurityLevel`.
    pub fn level_json(&self, base: &str, level: &Level) -> Value {
        let is_default = self
            .schemes
            .get(&level.scheme_id)
            .is_some_and(|s| s.default_level == Some(level.id));
        json!({
            "self": format!("{base}/rest/api/3/securitylevel/{}", level.id),
            "id": level.id.to_string(),
            "name": level.name,
            "description": level.description,
            "isDefault": is_default,
            "issueSecuritySchemeId": level.scheme_id.to_string(),
        })
    }

    /// `SecurityLevelMember` (string IDs, with the scheme).
    pub fn member_json(&self, member: &Member) -> Value {
        let scheme_id = self.levels.get(&member.level_id).map_or(0, |l| l.scheme_id);
        json!({
            "id": member.id.to_string(),
            "issueSecurityLevelId": member.level_id.to_string(),
            "issueSecuritySchemeId": scheme_id.to_string(),
            "holder": holder_json(member),
        })
    }

    /// `IssueSecurityLevelMember` (integer IDs).
    pub fn level_member_json(member: &Member) -> Value {
        json!({
            "id": member.id,
            "issueSecurityLevelId": member.level_id,
            "holder": holder_json(member),
        })
    }
}

/// `PermissionHolder`.
fn holder_json(member: &Member) -> Value {
    let expand = match member.holder_type.as_str() {
        "user" => Some("user"),
        "group" => Some("group"),
        "projectrole" => Some("projectRole"),
        "userCustomField" | "groupCustomField" => Some("field"),
        _ => None,
    };
    let mut v = json!({ "type": member.holder_type });
    if let Some(p) = &member.parameter {
        v["parameter"] = json!(p);
        v["value"] = json!(p);
    }
    if let Some(e) = expand {
        v["expand"] = json!(e);
    }
    v
}

fn project(id: i64, key: &str, scheme_id: Option<i64>) -> Project {
    Project {
        id,
        key: key.into(),
        scheme_id,
    }
}

/// An Atlassian-style account ID.
fn account_id(rng: &mut StdRng) -> String {
    let bytes: [u8; 12] = rng.random();
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("712020:{hex}")
}
