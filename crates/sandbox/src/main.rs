//! `appsec-sandbox`: runs the fake Jira and Qwiet services until Ctrl-C and
//! prints where they are and which credentials they accept.
//!
//! Every knob of [`SandboxConfig`] is a flag, so retries, rate limits and
//! paging can be tried by hand: `appsec-sandbox --unavailable 0.3 --delay-ms
//! 200`, `appsec-sandbox --quota 100 --burst-read 5`. `--help` lists them.

use std::process::ExitCode;
use std::time::Duration;

use appsec_sandbox::{Faults, RateLimiting, SANDBOX_ORG_ID, Sandbox, SandboxConfig};
use clap::{Args, Parser};

/// Stateful fakes of Jira issue security, Jira Security Information and the
/// Qwiet API v4 on a loopback port, with the demo credentials they accept.
#[derive(Debug, Parser)]
#[command(version)]
struct Cli {
    /// Loopback port to listen on; 0 picks a free one.
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Seed of the generated data and of every fault decision.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Qwiet findings spread across the three apps.
    #[arg(long, default_value_t = 2500)]
    findings: usize,
    /// Members of Jira security level 10021, so paging through them takes
    /// several pages.
    #[arg(long, default_value_t = 120)]
    level_members: usize,
    /// Scopes of the demo Connect app (comma-separated: READ, WRITE, DELETE,
    /// ADMIN); each operation needs the one its method implies.
    #[arg(long, value_delimiter = ',', default_values_t = ["READ".to_string(), "WRITE".to_string(), "DELETE".to_string()])]
    connect_scopes: Vec<String>,
    #[command(
        flatten,
        next_help_heading = "Faults (shares of requests, 0 to 1; decided per request with the seed)"
    )]
    faults: FaultArgs,
    #[command(
        flatten,
        next_help_heading = "Rate limits (Jira paths; off unless --quota is given)"
    )]
    limits: LimitArgs,
}

#[derive(Debug, Args)]
struct FaultArgs {
    /// Share answered 429.
    #[arg(long, default_value_t = 0.0, value_parser = share)]
    rate_limited: f64,
    /// Retry-After seconds sent with each 429.
    #[arg(long)]
    retry_after: Option<u64>,
    /// Send 429s without Retry-After, as some proxies do.
    #[arg(long)]
    omit_retry_after: bool,
    /// Share answered 503.
    #[arg(long, default_value_t = 0.0, value_parser = share)]
    unavailable: f64,
    /// Share whose connection is closed before the request is read.
    #[arg(long, default_value_t = 0.0, value_parser = share)]
    dropped: f64,
    /// Share processed and then closed before the answer is sent.
    #[arg(long, default_value_t = 0.0, value_parser = share)]
    dropped_after_processing: f64,
    /// Delay before every answer, in milliseconds.
    #[arg(long, default_value_t = 0)]
    delay_ms: u64,
}

#[derive(Debug, Args)]
struct LimitArgs {
    /// Points per window for app traffic; turns the limiter on.
    #[arg(long)]
    quota: Option<u64>,
    /// Length of a quota window, in seconds.
    #[arg(long, default_value_t = 3600, requires = "quota")]
    window: u64,
    /// Requests per second per endpoint for GET and POST.
    #[arg(long, default_value_t = 100, requires = "quota")]
    burst_read: u32,
    /// Requests per second per endpoint for PUT, PATCH and DELETE.
    #[arg(long, default_value_t = 50, requires = "quota")]
    burst_write: u32,
    /// Send the Beta- forms of the rate-limit headers.
    #[arg(long, requires = "quota")]
    beta_headers: bool,
}

/// A share of requests: a number from 0 to 1.
fn share(value: &str) -> Result<f64, String> {
    match value.parse::<f64>() {
        Ok(share) if (0.0..=1.0).contains(&share) => Ok(share),
        _ => Err(format!("{value:?} is not a number from 0 to 1")),
    }
}

impl Cli {
    fn config(self) -> Result<SandboxConfig, String> {
        let f = self.faults;
        let total = f.rate_limited + f.unavailable + f.dropped + f.dropped_after_processing;
        if total > 1.0 {
            return Err(format!(
                "the fault shares add up to {total}; together they can be at most 1"
            ));
        }
        let faults = Faults {
            rate_limited: f.rate_limited,
            retry_after_secs: f.retry_after,
            omit_retry_after: f.omit_retry_after,
            unavailable: f.unavailable,
            dropped: f.dropped,
            dropped_after_processing: f.dropped_after_processing,
            delay_ms: f.delay_ms,
        };
        let limits = self.limits;
        let rate_limiting = limits.quota.map(|quota_points| RateLimiting {
            quota_points,
            window: Duration::from_secs(limits.window),
            burst_read: limits.burst_read,
            burst_write: limits.burst_write,
            beta_headers: limits.beta_headers,
        });
        let config = SandboxConfig {
            port: self.port,
            seed: self.seed,
            qwiet_findings: self.findings,
            jira_level_members: self.level_members,
            connect_scopes: self.connect_scopes,
            faults,
            rate_limiting,
            ..SandboxConfig::default()
        };
        Ok(config)
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let config = match Cli::parse().config() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    match run(config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: the sandbox stopped: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(config: SandboxConfig) -> std::io::Result<()> {
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
    println!("Try the examples against it:");
    println!(
        "  JIRA_BASE_URL={} JIRA_APP_TOKEN={} QWIET_BASE_URL={} QWIET_TOKEN={} QWIET_ORG_ID={SANDBOX_ORG_ID} \\",
        sandbox.url(),
        creds.bearer_token,
        sandbox.qwiet_url(),
        creds.qwiet_token
    );
    println!("    cargo run -p appsec-examples --bin quickstart -- --write");
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
