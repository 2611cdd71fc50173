//! The example binaries as a user runs them: `--help` before anything else,
//! exit code 2 and the variable's name for configuration problems, errors as
//! one sentence, and quickstart's promise not to write to a real site
//! without `--write`.
//!
//! Every run starts from an empty environment, so a variable set on the
//! machine running the tests cannot change the outcome.

use std::process::{Command, Output};

use appsec_sandbox::{SANDBOX_ORG_ID, Sandbox, SandboxConfig};

/// Every example binary except qwiet-to-jira, whose command line its own
/// tests cover.
const BINARIES: &[(&str, &str)] = &[
    ("quickstart", env!("CARGO_BIN_EXE_quickstart")),
    (
        "issue-security-report",
        env!("CARGO_BIN_EXE_issue-security-report"),
    ),
    (
        "list-security-schemes",
        env!("CARGO_BIN_EXE_list-security-schemes"),
    ),
    ("connect-jwt", env!("CARGO_BIN_EXE_connect-jwt")),
    ("forge-remote", env!("CARGO_BIN_EXE_forge-remote")),
    ("oauth-3lo", env!("CARGO_BIN_EXE_oauth-3lo")),
];

fn binary(name: &str) -> &'static str {
    BINARIES.iter().find(|(n, _)| *n == name).unwrap().1
}

/// Runs `path` with `args` and exactly the variables `vars`.
fn run(path: &str, args: &[&str], vars: &[(&str, &str)]) -> Output {
    Command::new(path)
        .args(args)
        .env_clear()
        .envs(vars.iter().copied())
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// What a `Debug` dump of an error looks like, rather than a sentence.
fn assert_no_debug(stderr: &str) {
    for marker in ["Error(", "Error {", " { ", "kind:", "Some(", "\\\""] {
        assert!(!stderr.contains(marker), "{marker:?} in {stderr}");
    }
}

#[test]
fn help_prints_usage_and_exits_0_without_environment_or_network() {
    for (name, path) in BINARIES {
        for flag in ["--help", "-h"] {
            let out = run(path, &[flag], &[]);
            let stdout = text(&out.stdout);
            assert_eq!(out.status.code(), Some(0), "{name} {flag}: {stdout}");
            assert!(
                stdout.contains(&format!("Usage: {name}")),
                "{name} {flag}: {stdout}"
            );
            // Nothing ran: no sandbox was started, nothing was read.
            assert!(!stdout.contains("127.0.0.1"), "{name} {flag}: {stdout}");
            assert!(out.stderr.is_empty(), "{name}: {}", text(&out.stderr));
        }
        let out = run(path, &["--version"], &[]);
        assert_eq!(out.status.code(), Some(0), "{name} --version");
        assert!(text(&out.stdout).starts_with(name), "{name} --version");
    }
}

#[test]
fn an_unknown_argument_is_a_usage_error() {
    for (name, path) in BINARIES {
        let out = run(path, &["--no-such-flag"], &[]);
        assert_eq!(out.status.code(), Some(2), "{name}");
        assert!(text(&out.stderr).contains("--no-such-flag"), "{name}");
    }
}

/// The variables of one run.
type Vars<'a> = &'a [(&'a str, &'a str)];

/// Each example, given a real site without the rest of what it needs,
/// names the missing variable and exits 2 before sending anything.
#[test]
fn a_missing_variable_is_named_and_exits_2() {
    let site = ("JIRA_BASE_URL", "https://your-site.atlassian.net");
    let cases: &[(&str, Vars, &str)] = &[
        ("issue-security-report", &[site], "JIRA_APP_TOKEN"),
        (
            "issue-security-report",
            &[site, ("JIRA_EMAIL", "me@example.com")],
            "JIRA_API_TOKEN",
        ),
        (
            "quickstart",
            &[site, ("JIRA_APP_TOKEN", "t")],
            "QWIET_TOKEN",
        ),
        (
            "quickstart",
            &[site, ("JIRA_APP_TOKEN", "t"), ("QWIET_TOKEN", "q")],
            "QWIET_ORG_ID",
        ),
        ("list-security-schemes", &[site], "JIRA_EMAIL"),
        ("connect-jwt", &[site], "JIRA_CONNECT_APP_KEY"),
        (
            "oauth-3lo",
            &[("JIRA_OAUTH_CLIENT_ID", "id")],
            "JIRA_OAUTH_CLIENT_SECRET",
        ),
    ];
    for (name, vars, missing) in cases {
        let out = run(binary(name), &[], vars);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {stderr}");
        assert!(stderr.starts_with("error: "), "{name}: {stderr}");
        assert!(stderr.contains(missing), "{name}: {missing} in {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{name}: {stderr}");
        assert_no_debug(&stderr);
    }
}

#[test]
fn a_bad_value_names_its_variable() {
    let out = run(
        binary("issue-security-report"),
        &[],
        &[
            ("JIRA_BASE_URL", "http://your-site.atlassian.net"),
            ("JIRA_APP_TOKEN", "t"),
        ],
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("JIRA_BASE_URL: "), "{stderr}");
    assert!(stderr.contains("https"), "{stderr}");
    let out = run(
        binary("quickstart"),
        &[],
        &[
            ("JIRA_BASE_URL", "https://your-site.atlassian.net"),
            ("JIRA_APP_TOKEN", "t"),
            ("QWIET_TOKEN", "q"),
            ("QWIET_ORG_ID", "not-a-uuid"),
        ],
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("QWIET_ORG_ID is not a UUID"), "{stderr}");
    assert_no_debug(&stderr);
}

async fn sandbox() -> Sandbox {
    Sandbox::start(SandboxConfig {
        qwiet_findings: 40,
        jira_level_members: 3,
        ..SandboxConfig::default()
    })
    .await
    .unwrap()
}

/// Runs a binary from a test that also serves the sandbox it talks to.
async fn run_async(path: &'static str, args: &[&str], vars: Vec<(&'static str, String)>) -> Output {
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        Command::new(path)
            .args(args)
            .env_clear()
            .envs(vars)
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_call_prints_one_sentence_and_exits_1() {
    let sandbox = sandbox().await;
    let out = run_async(
        binary("issue-security-report"),
        &[],
        vec![
            ("JIRA_BASE_URL", sandbox.url()),
            ("JIRA_APP_TOKEN", "not-the-sandbox-token".into()),
        ],
    )
    .await;
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let error = stderr.lines().last().unwrap();
    assert!(
        error.starts_with("error: the service did not authorize the call: 401"),
        "{stderr}"
    );
    assert!(!stderr.contains("not-the-sandbox-token"), "{stderr}");
    assert_no_debug(&stderr);

    // Nothing listens on the port: the transport failure and its cause, once.
    drop(sandbox);
    let out = run(
        binary("issue-security-report"),
        &[],
        &[
            ("JIRA_BASE_URL", "http://127.0.0.1:9"),
            ("JIRA_APP_TOKEN", "t"),
        ],
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let error = stderr.lines().last().unwrap();
    assert!(
        error.starts_with("error: the request failed before a complete answer arrived"),
        "{stderr}"
    );
    assert_eq!(error.matches("Connection refused").count(), 1, "{stderr}");
    assert_no_debug(&stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn quickstart_writes_to_a_site_only_with_write() {
    let sandbox = sandbox().await;
    let c = SandboxConfig::default().credentials;
    let vars = vec![
        ("JIRA_BASE_URL", sandbox.url()),
        ("JIRA_APP_TOKEN", c.bearer_token),
        ("QWIET_BASE_URL", sandbox.qwiet_url()),
        ("QWIET_TOKEN", c.qwiet_token),
        ("QWIET_ORG_ID", SANDBOX_ORG_ID.to_string()),
    ];
    let out = run_async(binary("quickstart"), &[], vars.clone()).await;
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("run again with --write"), "{stdout}");
    assert!(sandbox.stats().vulnerability_deliveries.is_empty());
    // What it counted, and how many pages that took.
    assert!(stdout.contains("with status `unset`"), "{stdout}");
    assert!(stdout.contains("pages of up to 250"), "{stdout}");
    assert!(stdout.contains("Next:"), "{stdout}");

    let out = run_async(binary("quickstart"), &["--write"], vars).await;
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert_eq!(
        sandbox.stats().vulnerability_deliveries.len(),
        3,
        "{stdout}"
    );
    assert!(stdout.contains("accepted 3, failed 0"), "{stdout}");
}

#[test]
fn quickstart_lists_severities_from_the_worst_down() {
    let out = run(binary("quickstart"), &["--status", "any"], &[]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("with status `any`"), "{stdout}");
    let order: Vec<usize> = ["critical", "high", "medium", "low"]
        .iter()
        .map(|s| {
            stdout
                .find(&format!("\n  {s} "))
                .unwrap_or_else(|| panic!("{s} in {stdout}"))
        })
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{stdout}");
}
