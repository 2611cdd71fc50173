//! Reads one Jira security level with basic auth: `cost-gouqi [BASE_URL]`.

use gouqi::Credentials;
use gouqi::r#async::Jira;
use serde::Deserialize;

/// gouqi has no security-level type; a user declares the fields they read.
#[derive(Debug, Deserialize)]
struct SecurityLevel {
    name: Option<String>,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let host = std::env::args().nth(1).unwrap_or("https://your-domain.atlassian.net".into());
    let credentials = Credentials::Basic("you@example.com".into(), "api-token".into());
    let jira = Jira::new(host, credentials)?;
    let level: SecurityLevel = jira
        .get_versioned("api", Some("3"), "/securitylevel/10021")
        .await?;
    println!("{:?}", level.name);
    Ok(())
}
