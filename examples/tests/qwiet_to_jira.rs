//! `qwiet-to-jira` end to end against the sandbox: the lifecycle of a
//! finding, incremental runs, the state file, webhooks and the command line.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use appsec_examples::qwiet_to_jira::serve::{ServeConfig, Server};
use appsec_examples::qwiet_to_jira::state::StateError;
use appsec_examples::qwiet_to_jira::{Action, Options, RunError, Summary, run};
use appsec_examples::setup::Setup;
use appsec_runtime::Secret;
use appsec_sandbox::{Credentials, Sandbox, SandboxConfig, Webhook};
use appsec_sdk::jira::security_info::types::VulnerabilityStatus;
use appsec_sdk::{Paginate, SendExt};
use futures::TryStreamExt;

const BIN: &str = env!("CARGO_BIN_EXE_qwiet-to-jira");
const APP: &str = "shop-api";

fn small() -> SandboxConfig {
    SandboxConfig {
        qwiet_findings: 300,
        ..SandboxConfig::default()
    }
}

/// A state file path of its own for each test, removed when dropped.
struct TempFile(PathBuf);

impl TempFile {
    fn new(name: &str) -> Self {
        let path = std::env::temp_dir().join(format!(
            "qwiet-to-jira-test-{}-{name}.json",
            std::process::id()
        ));
        let _ = std::fs::remove_file(&path);
        Self(path)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// A sandbox, its clients and sync options with a state file.
struct Fixture {
    setup: Setup,
    options: Options,
    _state: TempFile,
}

impl Fixture {
    async fn new(name: &str) -> Self {
        let setup = Setup::sandbox_with(small()).await.unwrap();
        let state = TempFile::new(name);
        let mut options = Options::new(setup.org_id);
        options.state = Some(state.0.clone());
        options.site = setup.sandbox.as_ref().unwrap().url();
        Self {
            setup,
            options,
            _state: state,
        }
    }

    fn sandbox(&self) -> &Sandbox {
        self.setup.sandbox.as_ref().unwrap()
    }

    async fn run(&self) -> Summary {
        let summary = run(&self.setup.jira, &self.setup.qwiet, &self.options)
            .await
            .unwrap();
        assert!(summary.failed.is_empty(), "{summary}");
        summary
    }

    /// Vulnerabilities the sandbox's Security Information accepted, counted
    /// once per delivery.
    fn deliveries(&self) -> usize {
        self.sandbox()
            .stats()
            .vulnerability_deliveries
            .values()
            .map(Vec::len)
            .sum()
    }

    /// The id of an open (`unset`) finding of `APP`, as Qwiet lists it.
    async fn open_finding(&self, skip: usize) -> String {
        let findings: Vec<_> = self
            .setup
            .qwiet
            .api()
            .list_app_findings()
            .org_id(self.setup.org_id)
            .app_id(APP)
            .paginate()
            .items()
            .try_collect()
            .await
            .unwrap();
        findings[skip].id.clone()
    }

    async fn jira_status(&self, finding: &str) -> VulnerabilityStatus {
        self.setup
            .jira
            .security_info()
            .unwrap()
            .get_vulnerability_by_id()
            .vulnerability_id(format!("qwiet-{APP}-{finding}").as_str())
            .send()
            .value()
            .await
            .unwrap()
            .status
    }
}

#[tokio::test]
async fn the_first_run_creates_and_a_second_run_without_change_sends_nothing() {
    let f = Fixture::new("rerun").await;
    let first = f.run().await;
    assert!(first.findings_read > 0);
    assert_eq!(first.created, first.findings_read);
    assert_eq!((first.updated, first.closed, first.unchanged), (0, 0, 0));
    assert_eq!(f.deliveries(), first.created);
    let requests = f.sandbox().stats().requests;

    let second = f.run().await;
    assert_eq!(
        (second.created, second.updated, second.closed),
        (0, 0, 0),
        "{second}"
    );
    assert_eq!(second.unchanged, first.created);
    // No app changed, so none was read and nothing was sent.
    assert_eq!((second.apps_read, second.apps_unchanged), (0, 3));
    assert_eq!(second.findings_read, 0);
    assert_eq!(second.requests, 0);
    assert_eq!(f.deliveries(), first.created);
    // Listing the apps and their signatures: 1 + 3 apps x 4 statuses.
    assert_eq!(f.sandbox().stats().requests - requests, 13);
}

#[tokio::test]
async fn a_fixed_finding_closes_and_the_incremental_run_sends_only_it() {
    let f = Fixture::new("fixed").await;
    f.run().await;
    let finding = f.open_finding(0).await;
    assert_eq!(f.jira_status(&finding).await, VulnerabilityStatus::Open);
    let before = f.deliveries();
    let requests = f.sandbox().stats().requests;

    assert!(f.sandbox().set_qwiet_finding_status(APP, &finding, "fixed"));
    let summary = f.run().await;
    // At the sandbox: the apps, 3 x 4 signatures, the changed app's pages,
    // then one workspace link and one submission.
    let pages = summary.findings_read.div_ceil(250) as u64;
    assert_eq!(
        f.sandbox().stats().requests - requests,
        1 + 12 + pages + 1 + 1
    );
    assert_eq!(summary.requests, 1);
    assert_eq!(summary.closed, 1, "{summary}");
    assert_eq!((summary.created, summary.updated), (0, 0));
    assert_eq!(summary.apps_read, 1, "only the changed app is read");
    assert_eq!(f.deliveries() - before, 1, "exactly one vulnerability sent");
    let id = format!("qwiet-{APP}-{finding}");
    assert_eq!(f.sandbox().stats().vulnerability_deliveries[&id].len(), 2);
    assert_eq!(f.jira_status(&finding).await, VulnerabilityStatus::Closed);
    assert_eq!(summary.changes.len(), 1);
    assert_eq!(summary.changes[0].id, id);
    assert_eq!(summary.changes[0].action, Action::Close);
}

#[tokio::test]
async fn an_ignored_finding_is_updated_to_ignored() {
    let f = Fixture::new("ignored").await;
    f.run().await;
    let finding = f.open_finding(1).await;
    let before = f.deliveries();
    assert!(
        f.sandbox()
            .set_qwiet_finding_status(APP, &finding, "ignored")
    );
    let summary = f.run().await;
    assert_eq!((summary.updated, summary.closed), (1, 0), "{summary}");
    assert_eq!(f.deliveries() - before, 1);
    assert_eq!(f.jira_status(&finding).await, VulnerabilityStatus::Ignored);
}

#[tokio::test]
async fn a_finding_no_longer_reported_is_closed_once() {
    let f = Fixture::new("removed").await;
    f.run().await;
    let finding = f.open_finding(2).await;
    assert!(f.sandbox().remove_qwiet_finding(APP, &finding));
    let before = f.deliveries();
    let summary = f.run().await;
    assert_eq!(summary.closed, 1, "{summary}");
    assert_eq!(f.deliveries() - before, 1);
    assert_eq!(f.jira_status(&finding).await, VulnerabilityStatus::Closed);

    // Closed and forgotten: a full pass sends nothing more.
    let mut full = f.options.clone();
    full.full = true;
    let again = run(&f.setup.jira, &f.setup.qwiet, &full).await.unwrap();
    assert_eq!((again.created, again.updated, again.closed), (0, 0, 0));
    assert_eq!(f.deliveries() - before, 1);
}

#[tokio::test]
async fn an_unknown_qwiet_status_is_sent_as_unknown_and_counted() {
    let f = Fixture::new("unknown").await;
    f.run().await;
    let finding = f.open_finding(3).await;
    assert!(
        f.sandbox()
            .set_qwiet_finding_status(APP, &finding, "triaged")
    );
    let summary = f.run().await;
    assert_eq!(summary.updated, 1, "{summary}");
    assert_eq!(summary.unknown_statuses.get("triaged"), Some(&1));
    assert!(summary.to_string().contains("\"triaged\""), "{summary}");
    assert_eq!(f.jira_status(&finding).await, VulnerabilityStatus::Unknown);
}

#[tokio::test]
async fn full_reads_every_app_but_sends_only_what_differs() {
    let f = Fixture::new("full").await;
    let first = f.run().await;
    let mut full = f.options.clone();
    full.full = true;
    let summary = run(&f.setup.jira, &f.setup.qwiet, &full).await.unwrap();
    assert_eq!(summary.apps_read, 3);
    assert_eq!(summary.findings_read, first.findings_read);
    assert_eq!(summary.unchanged, first.created);
    assert_eq!(summary.requests, 0);
}

#[tokio::test]
async fn a_dry_run_lists_the_changes_and_sends_and_records_nothing() {
    let f = Fixture::new("dry").await;
    f.run().await;
    let finding = f.open_finding(4).await;
    f.sandbox().set_qwiet_finding_status(APP, &finding, "fixed");
    let before = f.deliveries();
    let mut dry = f.options.clone();
    dry.dry_run = true;
    let summary = run(&f.setup.jira, &f.setup.qwiet, &dry).await.unwrap();
    assert_eq!(summary.closed, 1);
    let text = summary.to_string();
    assert!(
        text.contains(&format!("would close  qwiet-{APP}-{finding}")),
        "{text}"
    );
    assert!(!text.to_lowercase().contains("accepted"), "{text}");
    assert_eq!(f.deliveries(), before);
    // The state was not touched: the real run still has the change to send.
    assert_eq!(f.run().await.closed, 1);
}

#[tokio::test]
async fn a_corrupt_state_file_is_a_configuration_error() {
    let f = Fixture::new("corrupt").await;
    std::fs::write(f.options.state.as_ref().unwrap(), "{ not json").unwrap();
    let err = run(&f.setup.jira, &f.setup.qwiet, &f.options)
        .await
        .unwrap_err();
    assert!(
        matches!(err, RunError::State(StateError::Corrupt { .. })),
        "{err:?}"
    );
    assert!(err.is_config());
    // JSON of the right version but the wrong shape is no better.
    std::fs::write(
        f.options.state.as_ref().unwrap(),
        r#"{"version": 1, "site": 3}"#,
    )
    .unwrap();
    let err = run(&f.setup.jira, &f.setup.qwiet, &f.options)
        .await
        .unwrap_err();
    assert!(
        matches!(err, RunError::State(StateError::Corrupt { .. })),
        "{err:?}"
    );
    assert_eq!(f.deliveries(), 0);
}

#[tokio::test]
async fn the_state_file_is_replaced_whole_and_records_the_site() {
    let f = Fixture::new("atomic").await;
    f.run().await;
    let path = f.options.state.as_ref().unwrap();
    let state: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    assert_eq!(state["site"], f.sandbox().url());
    assert!(state["last_success"].is_string());
    // No temporary file is left beside it.
    let dir = path.parent().unwrap();
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    let leftovers = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| {
            let n = e.file_name().to_string_lossy().into_owned();
            n.starts_with(&name) && n != name
        })
        .count();
    assert_eq!(leftovers, 0);
}

// ------------------------------------------------------------- webhooks

const SECRET: &str = "webhook-test-secret";

async fn receiver(f: &Fixture) -> (Server, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server = Server::start(
        listener,
        ServeConfig {
            secret: Secret::new(SECRET),
            path: "/webhooks/qwiet".into(),
        },
        f.setup.jira.clone(),
        f.setup.qwiet.clone(),
        f.options.clone(),
    )
    .unwrap();
    let url = format!("http://{}/webhooks/qwiet", server.addr());
    (server, url)
}

#[tokio::test]
async fn a_webhook_with_a_bad_or_no_signature_is_refused_with_401() {
    let f = Fixture::new("hook-bad").await;
    let (server, url) = receiver(&f).await;
    let mut synced = server.subscribe();
    for webhook in [
        Webhook::signed(&url, "not-the-secret"),
        Webhook::unsigned(&url),
    ] {
        let delivery = f.sandbox().send_scan_finished(&webhook, APP).await.unwrap();
        assert_eq!(delivery.status, 401, "{webhook:?}: {}", delivery.body);
    }
    // Nothing was queued: no sync finishes and nothing reaches Jira.
    let waited = tokio::time::timeout(Duration::from_millis(500), synced.recv()).await;
    assert!(waited.is_err(), "a sync ran: {waited:?}");
    assert_eq!(f.deliveries(), 0);
    server.shutdown().await;
}

#[tokio::test]
async fn a_signed_scan_finished_webhook_syncs_the_app_it_names() {
    let f = Fixture::new("hook-good").await;
    let (server, url) = receiver(&f).await;
    let mut synced = server.subscribe();
    let delivery = f
        .sandbox()
        .send_scan_finished(&Webhook::signed(&url, SECRET), APP)
        .await
        .unwrap();
    assert_eq!(delivery.status, 202, "{}", delivery.body);
    let done = tokio::time::timeout(Duration::from_secs(60), synced.recv())
        .await
        .expect("the sync finishes")
        .unwrap();
    assert_eq!(done.app, APP);
    let summary = done.outcome.unwrap();
    assert!(summary.created > 0, "{summary}");
    assert_eq!(summary.apps_read, 1);
    let delivered = f.sandbox().stats().vulnerability_deliveries;
    assert_eq!(delivered.len(), summary.created);
    assert!(delivered.keys().all(|id| id.starts_with("qwiet-shop-api-")));
    server.shutdown().await;
}

// ------------------------------------------------------------- the binary

fn cli(args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(BIN)
        .env_clear()
        .args(args)
        .envs(env.iter().copied())
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn help_and_version_print_and_exit_0_with_an_empty_environment() {
    let out = cli(&["--help"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let help = text(&out.stdout);
    for needle in [
        "--state",
        "--full",
        "--dry-run",
        "--output",
        "JIRA_BASE_URL",
        "JIRA_APP_TOKEN",
        "JIRA_CONNECT_SHARED_SECRET",
        "JIRA_OAUTH_REFRESH_TOKEN_FILE",
        "QWIET_TOKEN",
        "serve",
        "Exit codes",
    ] {
        assert!(
            help.contains(needle),
            "{needle} missing from --help:\n{help}"
        );
    }
    // Nothing ran: no sandbox started, no sync line.
    assert!(!text(&out.stderr).contains("Syncing"));

    let serve = cli(&["serve", "--help"], &[]);
    assert_eq!(serve.status.code(), Some(0));
    assert!(text(&serve.stdout).contains("QWIET_WEBHOOK_SECRET"));

    let version = cli(&["--version"], &[]);
    assert_eq!(version.status.code(), Some(0));
    assert!(text(&version.stdout).starts_with("qwiet-to-jira "));
}

#[test]
fn configuration_errors_exit_2_with_one_sentence() {
    let basic = cli(
        &[],
        &[
            ("JIRA_BASE_URL", "http://127.0.0.1:9"),
            ("JIRA_EMAIL", "a@example.com"),
            ("JIRA_API_TOKEN", "token-value"),
        ],
    );
    assert_eq!(basic.status.code(), Some(2));
    let err = text(&basic.stderr);
    assert!(
        err.contains("basic auth") && err.contains("Security Information"),
        "{err}"
    );
    assert!(!err.contains("token-value"), "{err}");

    let two = cli(
        &["--jira-app-token=app-token-value"],
        &[
            ("JIRA_CONNECT_APP_KEY", "key"),
            ("JIRA_CONNECT_SHARED_SECRET", "shared-secret-value"),
        ],
    );
    assert_eq!(two.status.code(), Some(2));
    let err = text(&two.stderr);
    assert!(
        err.contains("JIRA_APP_TOKEN") && err.contains("JIRA_CONNECT_APP_KEY"),
        "{err}"
    );
    assert!(!err.contains("secret-value") && !err.contains("app-token-value"));

    let no_sandbox = cli(&["--no-sandbox"], &[]);
    assert_eq!(no_sandbox.status.code(), Some(2));
    assert!(text(&no_sandbox.stderr).contains("JIRA_BASE_URL"));

    let bad_org = cli(
        &[],
        &[
            ("JIRA_BASE_URL", "http://127.0.0.1:9"),
            ("JIRA_APP_TOKEN", "t"),
            ("QWIET_TOKEN", "q"),
            ("QWIET_ORG_ID", "not-a-uuid"),
        ],
    );
    assert_eq!(bad_org.status.code(), Some(2));
    assert!(text(&bad_org.stderr).contains("QWIET_ORG_ID"));

    let bad_url = cli(&["--qwiet-web-url", "app.shiftleft.io"], &[]);
    assert_eq!(bad_url.status.code(), Some(2));
    assert!(text(&bad_url.stderr).contains("QWIET_WEB_URL"));

    let unknown_flag = cli(&["--no-such-flag"], &[]);
    assert_eq!(unknown_flag.status.code(), Some(2));
}

/// The binary against a sandbox named by the environment, as against a real
/// site: JSON summaries, a state file, and one of the app auth methods.
fn run_binary_twice(sandbox: &Sandbox, auth: &[(&str, &str)], state: &Path) {
    run_binary_twice_at(sandbox, &sandbox.url(), auth, state);
}

fn run_binary_twice_at(sandbox: &Sandbox, site: &str, auth: &[(&str, &str)], state: &Path) {
    let credentials = Credentials::default();
    let qwiet_url = sandbox.qwiet_url();
    let mut env = vec![
        ("JIRA_BASE_URL", site.to_string()),
        ("QWIET_TOKEN", credentials.qwiet_token.clone()),
        ("QWIET_ORG_ID", appsec_sandbox::SANDBOX_ORG_ID.to_string()),
        ("QWIET_BASE_URL", qwiet_url),
    ];
    env.extend(auth.iter().map(|(k, v)| (*k, v.to_string())));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let state_flag = format!("--state={}", state.display());
    let args = [state_flag.as_str(), "--output=json"];
    let summaries: Vec<serde_json::Value> = (0..2)
        .map(|_| {
            let out = cli(&args, &env);
            assert_eq!(
                out.status.code(),
                Some(0),
                "{}\n{}",
                text(&out.stdout),
                text(&out.stderr)
            );
            serde_json::from_slice(&out.stdout).unwrap()
        })
        .collect();
    let created = summaries[0]["created"].as_u64().unwrap();
    assert!(created > 0);
    assert_eq!(summaries[1]["created"], 0);
    assert_eq!(summaries[1]["unchanged"], created);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_binary_syncs_a_site_with_a_connect_app() {
    let sandbox = Sandbox::start(small()).await.unwrap();
    let credentials = Credentials::default();
    let state = TempFile::new("bin-connect");
    run_binary_twice(
        &sandbox,
        &[
            ("JIRA_CONNECT_APP_KEY", &credentials.connect_app_key),
            (
                "JIRA_CONNECT_SHARED_SECRET",
                &credentials.connect_shared_secret,
            ),
        ],
        &state.0,
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_binary_syncs_a_site_with_an_app_token() {
    let sandbox = Sandbox::start(small()).await.unwrap();
    let state = TempFile::new("bin-token");
    let token = Credentials::default().bearer_token;
    run_binary_twice(&sandbox, &[("JIRA_APP_TOKEN", &token)], &state.0);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_binary_syncs_with_oauth_and_keeps_each_rotated_refresh_token() {
    use appsec_sandbox::{SANDBOX_OAUTH_CLIENT_ID, SANDBOX_OAUTH_CLIENT_SECRET};
    use appsec_sdk::oauth::OAuthApp;

    let sandbox = Sandbox::start(small()).await.unwrap();
    // A refresh token, as a user's consent gives it (the sandbox consents at
    // once).
    let app = OAuthApp::new(
        SANDBOX_OAUTH_CLIENT_ID,
        SANDBOX_OAUTH_CLIENT_SECRET,
        "http://127.0.0.1:9/callback",
    )
    .with_servers(sandbox.url(), sandbox.url());
    let (url, _) = app.authorize_url(&["read:jira-work", "offline_access"]);
    appsec_sdk::tls::install_crypto_provider();
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let callback = browser.get(url).send().await.unwrap();
    let callback = reqwest::Url::parse(callback.headers()["location"].to_str().unwrap()).unwrap();
    let code = callback
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .into_owned();
    let first = app
        .exchange_code(&code)
        .await
        .unwrap()
        .refresh_token
        .unwrap();

    let token_file = TempFile::new("bin-oauth-token");
    let state = TempFile::new("bin-oauth-state");
    let auth = [
        ("JIRA_OAUTH_CLIENT_ID", SANDBOX_OAUTH_CLIENT_ID),
        ("JIRA_OAUTH_CLIENT_SECRET", SANDBOX_OAUTH_CLIENT_SECRET),
        ("JIRA_OAUTH_REFRESH_TOKEN", first.expose()),
        ("JIRA_OAUTH_AUTH_URL", &sandbox.url()),
    ];
    let gateway = sandbox.gateway_url();
    let path = token_file.0.display().to_string();
    let env: Vec<(&str, &str)> = auth
        .iter()
        .copied()
        .chain([("JIRA_OAUTH_REFRESH_TOKEN_FILE", path.as_str())])
        .collect();
    // Two runs: the second works only if the first kept the rotated token
    // (the one in JIRA_OAUTH_REFRESH_TOKEN no longer does).
    run_binary_twice_at(&sandbox, &gateway, &env, &state.0);
    let kept = std::fs::read_to_string(&token_file.0).unwrap();
    assert!(!kept.is_empty());
    assert_ne!(kept, first.expose());
}

#[tokio::test]
async fn many_findings_no_longer_reported_are_closed_in_one_run() {
    let f = Fixture::new("removed-many").await;
    f.run().await;
    let mut removed = Vec::new();
    for skip in 0..12 {
        let finding = f.open_finding(skip).await;
        removed.push(finding);
    }
    for finding in &removed {
        assert!(f.sandbox().remove_qwiet_finding(APP, finding));
    }
    let before = f.deliveries();
    let summary = f.run().await;
    assert_eq!(summary.closed, removed.len(), "{summary}");
    assert_eq!(f.deliveries() - before, removed.len());
    for finding in &removed {
        assert_eq!(f.jira_status(finding).await, VulnerabilityStatus::Closed);
    }
}

#[tokio::test]
async fn refused_vulnerabilities_are_reported_and_sent_again_by_the_next_run() {
    let f = Fixture::new("refused").await;
    // Jira refuses links that are not absolute URLs.
    let mut broken = f.options.clone();
    broken.web_url = "not a url".into();
    let failed = run(&f.setup.jira, &f.setup.qwiet, &broken).await.unwrap();
    assert!(failed.findings_read > 0);
    assert_eq!(failed.failed.len(), failed.findings_read, "{failed}");
    assert_eq!(failed.created, 0);
    assert!(!failed.all_sent());

    // Nothing was recorded as sent, so the next run reads and sends it all.
    let retried = f.run().await;
    assert_eq!(retried.apps_read, 3);
    assert_eq!(retried.created, failed.findings_read);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_the_service_stops_exits_1_with_one_sentence() {
    // A Connect app that may read but not write.
    let sandbox = Sandbox::start(SandboxConfig {
        connect_scopes: vec!["READ".into()],
        ..small()
    })
    .await
    .unwrap();
    let credentials = Credentials::default();
    let url = sandbox.url();
    let qwiet_url = sandbox.qwiet_url();
    let out = cli(
        &[],
        &[
            ("JIRA_BASE_URL", url.as_str()),
            ("JIRA_CONNECT_APP_KEY", credentials.connect_app_key.as_str()),
            (
                "JIRA_CONNECT_SHARED_SECRET",
                credentials.connect_shared_secret.as_str(),
            ),
            ("QWIET_TOKEN", credentials.qwiet_token.as_str()),
            ("QWIET_ORG_ID", appsec_sandbox::SANDBOX_ORG_ID),
            ("QWIET_BASE_URL", qwiet_url.as_str()),
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    let last = err.lines().last().unwrap_or_default();
    assert!(last.starts_with("qwiet-to-jira: cannot sync: "), "{err}");
    assert!(
        last.contains("403") && last.contains("WRITE scope"),
        "{err}"
    );
    assert!(
        !err.contains("Error {") && !err.contains("Some("),
        "Debug output: {err}"
    );
    assert!(!err.contains(&credentials.connect_shared_secret));
}
