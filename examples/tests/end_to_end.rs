//! The examples, run end to end against the sandbox.

use std::collections::HashSet;

use appsec_examples::qwiet_to_jira::{Options, run};
use appsec_examples::setup::Setup;
use appsec_sandbox::{Credentials, Sandbox, SandboxConfig};
use appsec_sdk::{Error, JiraClient, SendExt};

fn small() -> SandboxConfig {
    SandboxConfig {
        qwiet_findings: 600,
        ..SandboxConfig::default()
    }
}

#[tokio::test]
async fn qwiet_to_jira_publishes_everything_and_a_rerun_adds_nothing() {
    let setup = Setup::sandbox_with(small()).await.unwrap();
    let sandbox = setup.sandbox.as_ref().unwrap();
    let options = Options::new(setup.org_id);

    let first = run(&setup.jira, &setup.qwiet, &options).await.unwrap();
    assert!(first.findings_read > 0);
    assert_eq!(first.created, first.findings_read);
    assert!(first.failed.is_empty(), "{first}");

    // The org is linked as a workspace, and every finding is stored once.
    let linked = setup
        .jira
        .security_info()
        .unwrap()
        .get_linked_workspaces()
        .send()
        .value()
        .await
        .unwrap();
    let linked: Vec<String> = linked.workspace_ids.iter().map(|w| w.to_string()).collect();
    assert_eq!(linked, [setup.org_id.to_string()]);
    let after_first = sandbox.stats().vulnerability_deliveries;
    assert_eq!(after_first.len(), first.findings_read);
    assert!(after_first.values().all(|usns| usns.len() == 1));

    // Without a state file every run sends everything again.
    let second = run(&setup.jira, &setup.qwiet, &options).await.unwrap();
    assert_eq!(second.findings_read, first.findings_read);
    assert_eq!(second.created, first.created);
    let after_second = sandbox.stats().vulnerability_deliveries;
    let ids: HashSet<_> = after_second.keys().collect();
    assert_eq!(
        ids,
        after_first.keys().collect(),
        "same ids: nothing new was created"
    );
    // Each was updated once more, with a newer sequence number.
    for usns in after_second.values() {
        assert_eq!(usns.len(), 2);
        assert!(usns[1] >= usns[0]);
    }

    // A stored vulnerability reads back with the mapped fields.
    let id = after_second.keys().next().unwrap().clone();
    let stored = setup
        .jira
        .security_info()
        .unwrap()
        .get_vulnerability_by_id()
        .vulnerability_id(id.as_str())
        .send()
        .value()
        .await
        .unwrap();
    assert_eq!(stored.container_id.to_string(), setup.org_id.to_string());
    assert!(stored.id.to_string().starts_with("qwiet-"));
}

#[tokio::test]
async fn dry_run_sends_nothing_to_jira() {
    let setup = Setup::sandbox_with(small()).await.unwrap();
    let mut options = Options::new(setup.org_id);
    options.dry_run = true;
    let summary = run(&setup.jira, &setup.qwiet, &options).await.unwrap();
    assert!(summary.findings_read > 0);
    assert_eq!(summary.created, summary.findings_read);
    assert_eq!(summary.requests, 0);
    assert!(
        setup
            .sandbox
            .as_ref()
            .unwrap()
            .stats()
            .vulnerability_deliveries
            .is_empty()
    );
}

#[test]
fn quickstart_runs_against_the_sandbox() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_quickstart"))
        .env_remove("JIRA_BASE_URL")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("Issue security schemes"), "{stdout}");
    assert!(stdout.contains("accepted 3, failed 0"), "{stdout}");
    assert!(stdout.contains("Read back from Jira"), "{stdout}");
}

#[tokio::test]
async fn the_sandbox_rejects_a_wrongly_signed_connect_jwt() {
    let sandbox = Sandbox::start(small()).await.unwrap();
    let credentials = Credentials::default();
    let signed = |secret: &str| {
        JiraClient::builder(sandbox.url())
            .connect_jwt(credentials.connect_app_key.clone(), secret.to_string())
            .build()
            .unwrap()
    };
    let good = signed(&credentials.connect_shared_secret);
    good.security_info()
        .unwrap()
        .get_linked_workspaces()
        .send()
        .value()
        .await
        .unwrap();

    let bad = signed("not-the-shared-secret");
    let err = bad
        .security_info()
        .unwrap()
        .get_linked_workspaces()
        .send()
        .value()
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Auth(ref e) if e.status == 401),
        "{err:?}"
    );
}
