//! `appsec-sandbox`: runs the fake Jira and Qwiet services until Ctrl-C and
//! prints where they are and which credentials they accept.
//!
//! Usage: `appsec-sandbox [--port N] [--seed N] [--findings N] [RATE LIMITS]`
//!
//! Rate limits (Jira paths only; off unless `--quota` is given):
//! `--quota POINTS` points per window for app traffic, `--window SECONDS`
//! (default 3600), `--burst-read N` and `--burst-write N` requests per
//! second per endpoint (default 100 and 50), `--beta-headers`.

use std::time::Duration;

use appsec_sandbox::{RateLimiting, SANDBOX_ORG_ID, Sandbox, SandboxConfig};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let config = parse_args(std::env::args().skip(1))?;
    let creds = config.credentials.clone();
    let sandbox = Sandbox::start(config).await?;
    println!("appsec-sandbox listening");
    println!();
    println!("Jira base URL:   {}", sandbox.url());
    println!(
        "  Basic:         {} / {}",
        creds.jira_email, creds.jira_api_token
    );
    println!("  Bearer:        {}", creds.bearer_token);
    println!(
        "  Connect JWT:   app key {} / shared secret {}",
        creds.connect_app_key, creds.connect_shared_secret
    );
    println!("Qwiet base URL:  {}", sandbox.qwiet_url());
    println!("  Bearer:        {}", creds.qwiet_token);
    println!("  Org ID:        {SANDBOX_ORG_ID}");
    println!();
    println!("Press Ctrl-C to stop.");
    tokio::signal::ctrl_c().await?;
    let stats = sandbox.stats();
    sandbox.shutdown().await;
    println!(
        "stopped after {} requests ({} faults injected, {} rejected for auth)",
        stats.requests, stats.faults_injected, stats.rejected_auth
    );
    Ok(())
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<SandboxConfig, String> {
    let mut config = SandboxConfig::default();
    let mut limits = RateLimiting::default();
    let mut limited = false;
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--port" => config.port = parse(&value("--port")?)?,
            "--seed" => config.seed = parse(&value("--seed")?)?,
            "--findings" => config.qwiet_findings = parse(&value("--findings")?)?,
            "--quota" => {
                limits.quota_points = parse(&value("--quota")?)?;
                limited = true;
            }
            "--window" => limits.window = Duration::from_secs(parse(&value("--window")?)?),
            "--burst-read" => limits.burst_read = parse(&value("--burst-read")?)?,
            "--burst-write" => limits.burst_write = parse(&value("--burst-write")?)?,
            "--beta-headers" => limits.beta_headers = true,
            "-h" | "--help" => {
                println!(
                    "usage: appsec-sandbox [--port N] [--seed N] [--findings N] \
                     [--quota POINTS [--window SECONDS] [--burst-read N] [--burst-write N] [--beta-headers]]"
                );
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument {other:?}; try --help")),
        }
    }
    if limited {
        config.rate_limiting = Some(limits);
    }
    Ok(config)
}

fn parse<T: std::str::FromStr>(value: &str) -> Result<T, String> {
    value
        .parse()
        .map_err(|_| format!("{value:?} is not a valid number"))
}
