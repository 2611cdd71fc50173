//! Seeded Qwiet data: one organization's apps, scans, findings, users and
//! teams, all derived from the sandbox seed.

use chrono::{DateTime, Duration, SecondsFormat, TimeZone, Utc};
use rand::Rng;
use rand::rngs::StdRng;
use serde_json::{Value, json};

/// An app with its scans, newest last.
#[derive(Debug, Clone)]
pub(crate) struct App {
    pub id: String,
    pub name: String,
    pub language: String,
    pub team_id: String,
    pub labels: Vec<String>,
    pub scans: Vec<Value>,
}

/// A finding with the fields the filters use kept alongside its JSON.
#[derive(Debug, Clone)]
pub(crate) struct Finding {
    pub number: u64,
    pub app: String,
    pub kind: String,
    pub severity: String,
    pub category: String,
    pub status: String,
    pub tags: Vec<(String, String)>,
    pub json: Value,
}

/// A user of the organization.
#[derive(Debug, Clone)]
pub(crate) struct User {
    pub id: String,
    pub name: String,
    pub email: String,
    pub joined_ns: i64,
    pub last_login_ns: i64,
    /// (team ID, team role name).
    pub teams: Vec<(String, String)>,
}

/// A team.
#[derive(Debug, Clone)]
pub(crate) struct Team {
    pub id: String,
    pub name: String,
    pub version: i64,
    pub risk_score: f64,
    pub apps: Vec<String>,
    /// (user ID, team role).
    pub members: Vec<(String, String)>,
}

/// Everything the Qwiet fake knows.
#[derive(Debug, Default)]
pub(crate) struct QwietState {
    pub apps: Vec<App>,
    pub findings: Vec<Finding>,
    pub users: Vec<User>,
    pub teams: Vec<Team>,
}

const SEVERITIES: &[(&str, u32)] = &[("critical", 8), ("high", 22), ("medium", 40), ("low", 30)];
const STATUSES: &[(&str, u32)] = &[
    ("unset", 85),
    ("fixed", 10),
    ("ignored", 4),
    ("3rdparty", 1),
];
const TYPES: &[(&str, u32)] = &[("vuln", 62), ("oss_vuln", 28), ("secret", 10)];

/// (category, CWE, OWASP 2021 category, title template).
const VULN_CATEGORIES: &[(&str, &str, &str, &str)] = &[
    (
        "SQL Injection",
        "89",
        "a03-injection",
        "SQL Injection: Attacker-controlled data used in SQL query via `{param}` in `{method}`",
    ),
    (
        "Cross-Site Scripting",
        "79",
        "a03-injection",
        "XSS: Attacker-controlled data rendered in HTML via `{param}` in `{method}`",
    ),
    (
        "Remote Code Execution",
        "94",
        "a03-injection",
        "Remote Code Execution: Attacker-controlled data evaluated via `{param}` in `{method}`",
    ),
    (
        "Directory Traversal",
        "22",
        "a01-broken-access-control",
        "Directory Traversal: Attacker-controlled file path via `{param}` in `{method}`",
    ),
    (
        "Open Redirect",
        "601",
        "a01-broken-access-control",
        "Open Redirect: Attacker-controlled redirect target via `{param}` in `{method}`",
    ),
    (
        "Deserialization",
        "502",
        "a08-software-and-data-integrity-failures",
        "Deserialization: Attacker-controlled data deserialized via `{param}` in `{method}`",
    ),
    (
        "XML External Entities",
        "611",
        "a05-security-misconfiguration",
        "XXE: Attacker-controlled XML parsed with external entities via `{param}` in `{method}`",
    ),
    (
        "Sensitive Data Leak",
        "200",
        "a04-insecure-design",
        "Sensitive Data Leak: `{param}` written to logs in `{method}`",
    ),
    (
        "Weak Hash",
        "328",
        "a02-cryptographic-failures",
        "Weak Hash: `{param}` hashed with MD5 in `{method}`",
    ),
    (
        "Server-Side Request Forgery",
        "918",
        "a10-server-side-request-forgery",
        "SSRF: Attacker-controlled URL fetched via `{param}` in `{method}`",
    ),
    (
        "LDAP Injection",
        "90",
        "a03-injection",
        "LDAP Injection: Attacker-controlled data in LDAP filter via `{param}` in `{method}`",
    ),
    (
        "Log Forging",
        "117",
        "a09-security-logging-and-monitoring-failures",
        "Log Forging: Attacker-controlled data written to log via `{param}` in `{method}`",
    ),
];

/// (package, version, fixed in, CVE, CWE, CVSS).
const PACKAGES: &[(&str, &str, &str, &str, &str, f64)] = &[
    (
        "org.apache.logging.log4j:log4j-core",
        "2.14.1",
        "2.17.1",
        "CVE-2021-44228",
        "502",
        10.0,
    ),
    (
        "com.fasterxml.jackson.core:jackson-databind",
        "2.9.10",
        "2.9.10.8",
        "CVE-2020-36518",
        "787",
        7.5,
    ),
    (
        "org.springframework:spring-beans",
        "5.3.17",
        "5.3.18",
        "CVE-2022-22965",
        "94",
        9.8,
    ),
    ("lodash", "4.17.15", "4.17.21", "CVE-2021-23337", "94", 7.2),
    ("minimist", "1.2.5", "1.2.6", "CVE-2021-44906", "1321", 9.8),
    ("requests", "2.25.1", "2.31.0", "CVE-2023-32681", "200", 6.1),
    ("urllib3", "1.26.4", "1.26.18", "CVE-2023-45803", "200", 4.2),
    (
        "golang.org/x/net",
        "0.7.0",
        "0.17.0",
        "CVE-2023-44487",
        "400",
        7.5,
    ),
    (
        "commons-text:commons-text",
        "1.9",
        "1.10.0",
        "CVE-2022-42889",
        "94",
        9.8,
    ),
    ("axios", "0.21.1", "0.21.2", "CVE-2021-3749", "1333", 7.5),
];

/// (secret kind, title).
const SECRETS: &[(&str, &str)] = &[
    ("aws_access_key", "Hardcoded AWS access key"),
    ("github_token", "Hardcoded GitHub token"),
    ("private_key", "Hardcoded RSA private key"),
    ("slack_webhook", "Hardcoded Slack webhook URL"),
    ("generic_password", "Hardcoded password"),
];

const APPS: &[(&str, &str, &str, &str)] = &[
    ("shop-api", "Shop API", "java", "OrderController"),
    (
        "payments-service",
        "Payments service",
        "go",
        "ChargeHandler",
    ),
    ("web-frontend", "Web frontend", "javascript", "CheckoutPage"),
];

const PARAMS: &[&str] = &[
    "id", "q", "redirect", "file", "amount", "email", "token", "xml",
];
const METHODS: &[&str] = &[
    "find", "search", "update", "render", "handle", "load", "export",
];

const FIRST: &[&str] = &[
    "Ada", "Ben", "Chloe", "Dmitri", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Kemi",
    "Lars",
];
const LAST: &[&str] = &["Okafor", "Novak", "Silva", "Tanaka", "Meyer", "Haddad"];
const TEAMS: &[&str] = &["Frontend", "Payments", "Platform", "Security"];

/// All seeded timestamps count back from here, so data does not depend on
/// the clock.
fn epoch() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 15, 9, 0, 0)
        .single()
        .expect("a valid fixed date")
}

impl QwietState {
    pub fn seed(rng: &mut StdRng, findings: usize) -> Self {
        let mut s = Self::default();
        for name in TEAMS {
            let id = uuid(rng);
            s.teams.push(Team {
                id,
                name: (*name).into(),
                version: 1,
                risk_score: (rng.random_range(10..95) as f64) / 10.0,
                apps: Vec::new(),
                members: Vec::new(),
            });
        }
        let mut scan_number = 0u64;
        for (i, (id, name, language, _)) in APPS.iter().enumerate() {
            let team = i % s.teams.len();
            s.teams[team].apps.push((*id).into());
            let mut app = App {
                id: (*id).into(),
                name: (*name).into(),
                language: (*language).into(),
                team_id: s.teams[team].id.clone(),
                labels: vec!["production".into(), format!("tier-{}", i + 1)],
                scans: Vec::new(),
            };
            let count = rng.random_range(3..=5);
            for n in 0..count {
                scan_number += 1;
                let started = epoch() - Duration::days(7 * (count - n) as i64)
                    + Duration::minutes(rng.random_range(0..600));
                let took = Duration::seconds(rng.random_range(60..900));
                app.scans.push(json!({
                    "id": scan_number.to_string(),
                    "app": id,
                    "version": hex(rng, 20),
                    "successful": true,
                    "is_default_branch": true,
                    "started_at": ts(started),
                    "completed_at": ts(started + took),
                    "language": language,
                    "number_of_expressions": rng.random_range(20_000..400_000),
                    "tags": { "branch": "main" },
                }));
            }
            s.apps.push(app);
        }
        for first in FIRST {
            for last in LAST.iter().take(3) {
                let id = uuid(rng);
                let joined = epoch() - Duration::days(rng.random_range(30..900));
                let login = epoch() - Duration::hours(rng.random_range(1..2000));
                let team = rng.random_range(0..s.teams.len());
                let role = if rng.random_range(0..5) == 0 {
                    "TEAM_ADMIN"
                } else {
                    "TEAM_MEMBER"
                };
                s.teams[team].members.push((id.clone(), role.into()));
                s.users.push(User {
                    id: id.clone(),
                    name: format!("{first} {last}"),
                    email: format!(
                        "{}.{}@example.com",
                        first.to_lowercase(),
                        last.to_lowercase()
                    ),
                    joined_ns: nanos(joined),
                    last_login_ns: nanos(login),
                    teams: vec![(s.teams[team].id.clone(), role.into())],
                });
            }
        }
        for number in 1..=findings as u64 {
            let app = &s.apps[rng.random_range(0..s.apps.len())];
            let f = finding(rng, number, app, &s.users);
            s.findings.push(f);
        }
        s
    }

    pub fn app(&self, id: &str) -> Option<&App> {
        self.apps.iter().find(|a| a.id == id)
    }

    /// `App`.
    pub fn app_json(&self, app: &App) -> Value {
        json!({
            "id": app.id,
            "name": app.name,
            "tags": [{ "key": "language", "value": app.language }],
            "is_demo": false,
            "team_id": app.team_id,
            "can_delete": true,
            "is_subscription_active": true,
            "avg_scan_duration_ms": 312_000,
            "labels": app.labels,
        })
    }

    /// `ListTeamsResponse` item.
    pub fn team_json(team: &Team, with_members: bool) -> Value {
        let mut v = json!({
            "team_name": team.name,
            "team_id": team.id,
            "projects": team.apps,
            "team_version": team.version,
            "risk_score": team.risk_score,
        });
        if with_members {
            v["members"] = team
                .members
                .iter()
                .map(|(u, r)| json!({ "user_id_v2": u, "team_role": r }))
                .collect();
        }
        v
    }

    /// `ListRBACUserInfo`.
    pub fn user_json(&self, user: &User) -> Value {
        let membership: Vec<Value> = user
            .teams
            .iter()
            .map(|(team_id, role)| {
                let name = self
                    .teams
                    .iter()
                    .find(|t| &t.id == team_id)
                    .map_or("", |t| t.name.as_str());
                json!({
                    "team_name": name,
                    "team_id": team_id,
                    "resource_type": "team",
                    "role": role_id(role),
                    "role_aliases": [role],
                    "role_name": role,
                })
            })
            .collect();
        json!({
            "name": user.name,
            "email": user.email,
            "id_v2": user.id,
            "team_membership": membership,
            "last_login_utc_timestamp_history": [user.last_login_ns, user.last_login_ns - 86_400_000_000_000],
            "last_activity_utc_timestamp": user.last_login_ns,
            "joined_utc_timestamp": user.joined_ns,
        })
    }
}

/// Stable role IDs for the two built-in team roles.
fn role_id(role: &str) -> &'static str {
    if role == "TEAM_ADMIN" {
        "7a1c56f0-5b1e-4c8e-9a51-2f0d8f7b6a01"
    } else {
        "7a1c56f0-5b1e-4c8e-9a51-2f0d8f7b6a02"
    }
}

fn finding(rng: &mut StdRng, number: u64, app: &App, users: &[User]) -> Finding {
    let kind = pick(rng, TYPES);
    let severity = pick(rng, SEVERITIES);
    let status = pick(rng, STATUSES);
    let scan = &app.scans[rng.random_range(0..app.scans.len())];
    let version = scan["version"].as_str().unwrap_or_default().to_string();
    let created = epoch() - Duration::minutes(rng.random_range(0..60 * 24 * 90));
    let (_, _, _, class) = APPS
        .iter()
        .find(|(id, ..)| *id == app.id)
        .copied()
        .unwrap_or(("", "", "", "Main"));
    let method = format!("{class}.{}", METHODS[rng.random_range(0..METHODS.len())]);
    let file = format!(
        "src/{}/{class}.{}",
        app.id.replace('-', "_"),
        ext(&app.language)
    );
    let line = rng.random_range(12..480);
    let mut tags: Vec<(String, String)> = Vec::new();
    let mut numeric_tags: Vec<(String, f64)> = Vec::new();
    let (category, title, description, owasp, details) = match kind {
        "oss_vuln" => {
            let (package, version_used, fixed, cve, cwe, cvss) =
                PACKAGES[rng.random_range(0..PACKAGES.len())];
            tags.push(("cve".into(), cve.into()));
            tags.push(("package".into(), package.into()));
            tags.push(("cwe_category".into(), cwe.into()));
            numeric_tags.push(("cvss_score".into(), cvss));
            (
                "Vulnerable Dependency".to_string(),
                format!("{cve}: {package} {version_used} is vulnerable"),
                format!(
                    "{package} {version_used} is affected by {cve}. Upgrade to {fixed} or later."
                ),
                "a06-vulnerable-and-outdated-components",
                json!({ "package": package, "version": version_used, "fix_version": fixed, "cve": cve }),
            )
        }
        "secret" => {
            let (secret, title) = SECRETS[rng.random_range(0..SECRETS.len())];
            tags.push(("cwe_category".into(), "798".into()));
            tags.push(("secret_type".into(), secret.into()));
            (
                "Hardcoded Credentials".to_string(),
                format!("{title} in `{file}`"),
                format!(
                    "A {secret} credential is committed at {file}:{line}. Rotate it and load it from a secret store."
                ),
                "a07-identification-and-authentication-failures",
                json!({ "file_locations": [format!("{file}:{line}")], "secret_type": secret }),
            )
        }
        _ => {
            let (category, cwe, owasp, template) =
                VULN_CATEGORIES[rng.random_range(0..VULN_CATEGORIES.len())];
            let param = PARAMS[rng.random_range(0..PARAMS.len())];
            tags.push(("cwe_category".into(), cwe.into()));
            (
                category.to_string(),
                template
                    .replace("{param}", param)
                    .replace("{method}", &method),
                format!(
                    "Data from the HTTP parameter `{param}` reaches a sensitive sink in `{method}` ({file}:{line}) without sanitisation."
                ),
                owasp,
                json!({
                    "file_locations": [format!("{file}:{line}")],
                    "source_method": format!("{class}.{param}"),
                    "sink_method": method,
                }),
            )
        }
    };
    tags.push(("category".into(), category.clone()));
    tags.push(("language".into(), app.language.clone()));
    tags.push(("owasp_category".into(), owasp.into()));
    let mut details = details;
    details["created_at"] = json!(ts(created));
    details["last_seen_at"] = json!(ts(created + Duration::days(rng.random_range(0..30))));
    let mut json_tags: Vec<Value> = tags
        .iter()
        .map(|(k, v)| json!({ "key": k, "value": v }))
        .collect();
    json_tags.extend(
        numeric_tags
            .iter()
            .map(|(k, v)| json!({ "key": k, "value": v })),
    );
    let mut json = json!({
        "id": number.to_string(),
        "app": app.id,
        "type": kind,
        "title": title,
        "description": description,
        "severity": severity,
        "owasp_category": owasp,
        "category": category,
        "status": status,
        "version_first_seen": version,
        "internal_id": format!("{}/{}", slug(&category), hex(rng, 16)),
        "details": details,
        "tags": json_tags,
    });
    if rng.random_range(0..6) == 0 {
        json["assignee"] = json!(users[rng.random_range(0..users.len())].email);
    }
    Finding {
        number,
        app: app.id.clone(),
        kind: kind.into(),
        severity: severity.into(),
        category,
        status: status.into(),
        tags,
        json,
    }
}

fn pick(rng: &mut StdRng, weighted: &[(&'static str, u32)]) -> &'static str {
    let total: u32 = weighted.iter().map(|(_, w)| w).sum();
    let mut draw = rng.random_range(0..total);
    for (value, weight) in weighted {
        if draw < *weight {
            return value;
        }
        draw -= weight;
    }
    weighted[0].0
}

fn ext(language: &str) -> &'static str {
    match language {
        "java" => "java",
        "go" => "go",
        _ => "js",
    }
}

fn slug(s: &str) -> String {
    s.to_lowercase().replace(' ', "-")
}

fn hex(rng: &mut StdRng, bytes: usize) -> String {
    (0..bytes)
        .map(|_| format!("{:02x}", rng.random::<u8>()))
        .collect()
}

/// A random (version 4) UUID drawn from the seeded generator.
pub(crate) fn uuid(rng: &mut StdRng) -> String {
    uuid::Builder::from_random_bytes(rng.random())
        .into_uuid()
        .to_string()
}

pub(crate) fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn nanos(t: DateTime<Utc>) -> i64 {
    t.timestamp() * 1_000_000_000
}
