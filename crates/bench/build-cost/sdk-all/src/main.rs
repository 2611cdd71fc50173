//! Reads one Jira security level with basic auth and one Qwiet app:
//! `cost-sdk-all [JIRA_BASE_URL [QWIET_BASE_URL]]`.

use appsec_sdk::{JiraClient, QwietClient, SendExt};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let jira_base = args.next().unwrap_or("https://your-domain.atlassian.net".into());
    let qwiet_base = args.next().unwrap_or(appsec_sdk::qwiet::DEFAULT_BASE_URL.into());
    let jira = JiraClient::builder(&jira_base)
        .basic_auth("you@example.com", "api-token")
        .build()?;
    let qwiet = QwietClient::builder()
        .base_url(&qwiet_base)
        .bearer_token("access-token")
        .build()?;
    let level = jira
        .issue_security()
        .get_issue_security_level()
        .id("10021")
        .send()
        .value()
        .await?;
    println!("{:?}", level.name);
    let org = uuid::Uuid::nil();
    let apps = qwiet.api().list_apps().org_id(org).send().value().await?;
    println!("{apps:?}");
    Ok(())
}
