//! Sign a request as an Atlassian Connect app, send it, and verify the token
//! the way the app verifies requests Jira sends to it.
//!
//! ```sh
//! cargo run -p appsec-examples --bin connect-jwt
//! ```
//!
//! Without `JIRA_BASE_URL` it starts the sandbox, which checks Connect JWTs
//! down to their query string hash, and uses its demo app. With it, set
//! `JIRA_CONNECT_APP_KEY` and `JIRA_CONNECT_SHARED_SECRET` of an app
//! installed on that site. Connect reaches end of support on 31 January
//! 2027; new apps use Forge or OAuth 2.0.

use std::error::Error;
use std::process::ExitCode;

use appsec_examples::report;
use appsec_examples::setup::site_or_sandbox;
use appsec_runtime::Secret;
use appsec_runtime::connect_jwt::{Signer, Verifier, canonical_request};
use clap::Parser;
use reqwest::Url;

/// Signs a Jira request with a Connect app's shared secret, sends it, and
/// verifies the token as the receiving side would.
///
/// Without JIRA_BASE_URL it runs against a sandbox started in-process. With
/// it, JIRA_CONNECT_APP_KEY and JIRA_CONNECT_SHARED_SECRET are needed.
#[derive(Debug, Parser)]
#[command(name = "connect-jwt", version)]
struct Args {}

#[tokio::main]
async fn main() -> ExitCode {
    let Args {} = Args::parse();
    report::exit(run().await)
}

async fn run() -> Result<(), Box<dyn Error>> {
    let (_sandbox, [base, app_key, secret]) = site_or_sandbox(
        ["JIRA_CONNECT_APP_KEY", "JIRA_CONNECT_SHARED_SECRET"],
        |c| [c.connect_app_key, c.connect_shared_secret],
    )
    .await?;
    let secret = Secret::new(secret);
    let base = Url::parse(&base)?;
    let url = base.join("/rest/security/1.0/linkedWorkspaces?expand=details")?;

    let signer = Signer::new(&app_key, secret.clone());
    let token = signer.sign("GET", &url, &base);
    println!("request:   GET {url}");
    println!("canonical: {}", canonical_request("GET", &url, &base));
    println!(
        "header:    Authorization: JWT <{} bytes, not shown>",
        token.expose().len()
    );

    // Jira's side: the token answers this request.
    appsec_runtime::tls::install_crypto_provider();
    let http = reqwest::Client::new();
    let answer = http
        .get(url.clone())
        .header(
            "authorization",
            signer.authorization_header("GET", &url, &base).expose(),
        )
        .send()
        .await?;
    println!("sent:      {}", answer.status());
    if !answer.status().is_success() {
        return Err(format!("Jira refused the signed request: {}", answer.status()).into());
    }

    // The app's side, for requests Jira sends: signature, algorithm,
    // expiry and the query string hash.
    let claims = Verifier::new(secret.clone()).with_issuer(&app_key).verify(
        token.expose(),
        "GET",
        &url,
        &base,
    )?;
    println!(
        "verified:  iss={} exp-iat={}s qsh={}",
        claims.iss,
        claims.exp - claims.iat,
        claims.qsh
    );

    // The same token does not authorise a different request.
    let other = base.join("/rest/security/1.0/bulk")?;
    match Verifier::new(secret).verify(token.expose(), "POST", &other, &base) {
        Ok(_) => return Err("a token was accepted for the wrong request".into()),
        Err(e) => println!("rejected:  POST {other}: {e}"),
    }
    let replayed = http
        .post(other.clone())
        .header("authorization", format!("JWT {}", token.expose()))
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await?;
    println!("replayed:  POST {other}: {}", replayed.status());
    Ok(())
}
