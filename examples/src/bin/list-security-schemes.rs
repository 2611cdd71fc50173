//! List a Jira site's issue security schemes and the levels of each.
//!
//! ```sh
//! JIRA_BASE_URL=https://your-site.atlassian.net \
//! JIRA_EMAIL=you@example.com JIRA_API_TOKEN=... \
//! cargo run -p appsec-examples --bin list-security-schemes
//! ```
//!
//! Needs the *Administer Jira* global permission.

use appsec_jira_issue_security::Client;
use appsec_runtime::{Auth, ClientContext, RetryPolicy};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let env = |name: &str| std::env::var(name).map_err(|_| format!("set {name}"));
    let base_url = env("JIRA_BASE_URL")?;
    let ctx = ClientContext::builder(&base_url)
        .auth(Auth::basic(env("JIRA_EMAIL")?, env("JIRA_API_TOKEN")?))
        .retry(RetryPolicy::default())
        .build()?;
    // The SDK's default TLS (rustls with ring) needs its provider installed first.
    appsec_runtime::tls::install_crypto_provider();
    let http = reqwest::Client::builder()
        // Jira answers some writes with 303 and a task body; keep it visible.
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let jira = Client::new_with_client(base_url.trim_end_matches('/'), http, ctx);

    let schemes = jira.get_issue_security_schemes().send().await?.into_inner();
    for scheme in schemes.issue_security_schemes {
        let id = scheme.id.map(|id| id.to_string()).unwrap_or_default();
        println!("{id} {}", scheme.name.as_deref().unwrap_or("(unnamed)"));
        for level in scheme.levels {
            let default = if level.is_default == Some(true) {
                " (default)"
            } else {
                ""
            };
            println!(
                "    {}{default}",
                level.name.as_deref().unwrap_or("(unnamed)")
            );
        }
    }
    Ok(())
}
