//! The layer under the facade: a Jira site's issue security schemes and the
//! levels of each, with the generated client and the runtime's context alone.
//!
//! ```sh
//! cargo run -p appsec-examples --bin list-security-schemes
//! ```
//!
//! Without `JIRA_BASE_URL` it starts the sandbox and uses its demo basic
//! credentials. With it, `JIRA_EMAIL` and `JIRA_API_TOKEN` of an account
//! with the *Administer Jira* global permission are needed.

use std::error::Error;
use std::process::ExitCode;

use appsec_examples::report;
use appsec_examples::setup::site_or_sandbox;
use appsec_jira_issue_security::Client;
use appsec_jira_issue_security::types::SecuritySchemes;
use appsec_runtime::{Auth, ClientContext, RetryPolicy};
use clap::Parser;

/// A Jira site's issue security schemes and their levels, through the
/// generated client and the runtime (no facade).
///
/// Without JIRA_BASE_URL it reads a sandbox started in-process. With it, it
/// reads that site with basic auth: JIRA_EMAIL and JIRA_API_TOKEN.
#[derive(Debug, Parser)]
#[command(name = "list-security-schemes", version)]
struct Args {}

#[tokio::main]
async fn main() -> ExitCode {
    let Args {} = Args::parse();
    report::exit(run().await)
}

async fn run() -> Result<(), Box<dyn Error>> {
    let (_sandbox, [base_url, email, api_token]) =
        site_or_sandbox(["JIRA_EMAIL", "JIRA_API_TOKEN"], |c| {
            [c.jira_email, c.jira_api_token]
        })
        .await?;
    let ctx = ClientContext::builder(&base_url)
        .auth(Auth::basic(email, api_token))
        .retry(RetryPolicy::default())
        .build()?;
    // The SDK's default TLS (rustls with ring) needs its provider installed first.
    appsec_runtime::tls::install_crypto_provider();
    let http = reqwest::Client::builder()
        // Jira answers some writes with 303 and a task body; keep it visible.
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let jira = Client::new_with_client(base_url.trim_end_matches('/'), http, ctx);
    let schemes = match jira.get_issue_security_schemes().send().await {
        Ok(response) => response.into_inner(),
        // The facade's reading of a failed call: status, Jira's messages.
        Err(e) => {
            return Err(appsec_sdk::Error::from_generated::<SecuritySchemes, _>(e)
                .await
                .into());
        }
    };
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
