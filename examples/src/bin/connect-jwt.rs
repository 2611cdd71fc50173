//! Sign a request as an Atlassian Connect app, then verify it the way the
//! app verifies requests Jira sends to it.
//!
//! ```sh
//! cargo run -p appsec-examples --bin connect-jwt
//! ```
//!
//! Set `CONNECT_APP_KEY` and `CONNECT_SHARED_SECRET` to use your app's values;
//! without them a demo key and secret are used.

use appsec_runtime::Secret;
use appsec_runtime::connect_jwt::{Signer, Verifier, canonical_request};
use reqwest::Url;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let app_key = std::env::var("CONNECT_APP_KEY").unwrap_or_else(|_| "com.example.scanner".into());
    let secret = Secret::new(
        std::env::var("CONNECT_SHARED_SECRET").unwrap_or_else(|_| "demo-shared-secret".into()),
    );
    let base = Url::parse("https://your-site.atlassian.net")?;
    let url = base.join("/rest/security/1.0/linkedWorkspaces?expand=details")?;

    let signer = Signer::new(&app_key, secret.clone());
    let token = signer.sign("GET", &url, &base);
    println!("request:   GET {url}");
    println!("canonical: {}", canonical_request("GET", &url, &base));
    println!(
        "header:    Authorization: JWT <{} bytes, not shown>",
        token.expose().len()
    );

    // The receiving side: check signature, algorithm, expiry and qsh.
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
    Ok(())
}
