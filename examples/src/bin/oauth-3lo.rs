//! OAuth 2.0 (3LO) from consent to a Jira call, with rotating refresh tokens.
//!
//! ```sh
//! cargo run -p appsec-examples --bin oauth-3lo
//! ```
//!
//! With no environment it runs the whole flow against the sandbox, which
//! plays `auth.atlassian.com` and `api.atlassian.com` and consents at once.
//! Set `JIRA_OAUTH_CLIENT_ID`, `JIRA_OAUTH_CLIENT_SECRET` and
//! `JIRA_OAUTH_REDIRECT_URI` (or pass `--client-id` and the others) to run it
//! against Atlassian: open the printed URL, consent, and paste the URL you
//! were sent back to.

use std::error::Error;
use std::process::ExitCode;

use appsec_examples::report::{self, Usage};
use appsec_sandbox::{
    SANDBOX_OAUTH_CLIENT_ID, SANDBOX_OAUTH_CLIENT_SECRET, Sandbox, SandboxConfig,
};
use appsec_sdk::oauth::{OAuthApp, RefreshingToken};
use appsec_sdk::{JiraClient, SendExt, TokenProvider};
use clap::Parser;

const SCOPES: &[&str] = &[
    "read:jira-work",
    "manage:jira-configuration",
    "offline_access",
];

/// OAuth 2.0 (3LO) from consent to a Jira call, showing the refresh token
/// rotate.
///
/// Without a client id it runs the whole flow against a sandbox started
/// in-process, which consents at once.
#[derive(Debug, Parser)]
#[command(name = "oauth-3lo", version)]
struct Args {
    /// The app's client id, from the developer console.
    #[arg(long, env = "JIRA_OAUTH_CLIENT_ID")]
    client_id: Option<String>,
    /// The app's client secret.
    #[arg(long, env = "JIRA_OAUTH_CLIENT_SECRET", hide_env_values = true)]
    client_secret: Option<String>,
    /// The callback URL registered for the app.
    #[arg(long, env = "JIRA_OAUTH_REDIRECT_URI")]
    redirect_uri: Option<String>,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    report::exit(run(args).await)
}

async fn run(args: Args) -> Result<(), Box<dyn Error>> {
    let mut _sandbox = None;
    let app = match args.client_id {
        Some(client_id) => {
            let missing = |name: &str| {
                Usage(format!(
                    "{name} is not set (needed with JIRA_OAUTH_CLIENT_ID)"
                ))
            };
            OAuthApp::new(
                client_id,
                args.client_secret
                    .ok_or_else(|| missing("JIRA_OAUTH_CLIENT_SECRET"))?,
                args.redirect_uri
                    .ok_or_else(|| missing("JIRA_OAUTH_REDIRECT_URI"))?,
            )
        }
        None => {
            let sandbox = Sandbox::start(SandboxConfig::default()).await?;
            println!(
                "Sandbox at {} plays Atlassian's OAuth servers\n",
                sandbox.url()
            );
            let app = OAuthApp::new(
                SANDBOX_OAUTH_CLIENT_ID,
                SANDBOX_OAUTH_CLIENT_SECRET,
                "http://127.0.0.1:9/callback",
            )
            .with_servers(sandbox.url(), sandbox.url());
            _sandbox = Some(sandbox);
            app
        }
    };

    // 1. Send the user to the consent page, with a fresh state.
    let (url, state) = app.authorize_url(SCOPES);
    let callback = if _sandbox.is_some() {
        // The sandbox consents at once and redirects; read where to.
        appsec_sdk::tls::install_crypto_provider();
        let browser = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        let answer = browser.get(url.clone()).send().await?;
        answer
            .headers()
            .get("location")
            .ok_or("the authorization server did not redirect")?
            .to_str()?
            .to_string()
    } else {
        println!("Open this URL, consent, then paste the URL you land on:\n{url}");
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
        line.trim().to_string()
    };
    println!(
        "Consent page: {}",
        url.as_str().split('?').next().unwrap_or_default()
    );

    // 2. The callback: check the state, swap the code for tokens.
    let callback = reqwest::Url::parse(&callback)?;
    let param = |name: &str| {
        callback
            .query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
            .ok_or(format!("the callback has no {name}"))
    };
    state.check(&param("state")?)?;
    let tokens = app.exchange_code(&param("code")?).await?;
    println!(
        "Code exchanged; access token {} expires in {} s",
        tokens.access_token, tokens.expires_in
    );

    // 3. Which sites may the app use?
    let sites = app.accessible_resources(&tokens.access_token).await?;
    let site = sites.first().ok_or("the user granted no site")?;
    println!("Site {} ({})", site.name, site.id);

    // 4. Call Jira through the gateway; new refresh tokens go to storage.
    let provider = RefreshingToken::new(app.clone(), tokens)?
        .on_rotate(|refresh_token| println!("  storing the new refresh token {refresh_token}"));
    let jira = JiraClient::builder(app.jira_base_url(&site.id))
        .token_provider(provider.clone())
        .build()?;
    let schemes = jira
        .issue_security()
        .get_issue_security_schemes()
        .send()
        .value()
        .await?;
    println!(
        "{} issue security schemes",
        schemes.issue_security_schemes.len()
    );

    // 5. When Jira refuses the access token (here: dropped on purpose, as
    //    after a 401), the provider refreshes; the refresh token rotates
    //    and the one it replaced stops working.
    let before = provider.current_refresh_token().await;
    let current = provider
        .token()
        .await
        .map_err(|e| -> Box<dyn Error> { e })?;
    provider.invalidate(&current);
    jira.issue_security()
        .get_issue_security_schemes()
        .send()
        .value()
        .await?;
    match app.refresh(&before).await {
        Ok(_) => println!("The replaced refresh token still works (unexpected)"),
        Err(e) => println!("The replaced refresh token is refused: {e}"),
    }
    Ok(())
}
