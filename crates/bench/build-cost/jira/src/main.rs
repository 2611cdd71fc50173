//! Reads one Jira security level with basic auth: `cost-jira [BASE_URL]`.

use jira::{Auth, Client};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let host = std::env::args().nth(1).unwrap_or("https://your-domain.atlassian.net".into());
    let client = Client::builder()
        .host(host)
        .auth(Auth::api_token("you@example.com", "api-token"))
        .build()?;
    let jira = jira::cloud::CloudClient::new(client);
    let level = jira
        .issue_security_level()
        .get_issue_security_level("10021")
        .send()
        .await?;
    println!("{:?}", level.name);
    Ok(())
}
