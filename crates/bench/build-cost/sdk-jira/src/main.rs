//! Reads one Jira security level with basic auth: `cost-sdk-jira [BASE_URL]`.

use appsec_sdk::{JiraClient, SendExt};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let base = std::env::args().nth(1).unwrap_or("https://your-domain.atlassian.net".into());
    let jira = JiraClient::builder(&base)
        .basic_auth("you@example.com", "api-token")
        .build()?;
    let level = jira
        .issue_security()
        .get_issue_security_level()
        .id("10021")
        .send()
        .value()
        .await?;
    println!("{:?}", level.name);
    Ok(())
}
