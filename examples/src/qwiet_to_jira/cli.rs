//! The command line: flags with environment fallbacks, the choice of Jira
//! authentication, exit codes.
//!
//! Exit codes: 0 when everything was sent (or, in a dry run, read), 1 when
//! some vulnerabilities failed or a service stopped the run, 2 for usage and
//! configuration errors (nothing is sent then).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use appsec_runtime::Secret;
use appsec_sdk::oauth::{AUTH_BASE_URL, OAuthApp, RefreshingToken};
use appsec_sdk::{JiraClient, QwietClient, RetryPolicy};
use clap::builder::BoolishValueParser;
use clap::{Args, Parser, Subcommand, ValueEnum};
use uuid::Uuid;

use super::serve::{ServeConfig, Server};
use super::sync::{Options, run};
use crate::report::{Usage, sentence};
use crate::setup::Setup;

/// Publish Qwiet findings to Jira's Security tab and keep them current.
///
/// Every finding becomes a Jira vulnerability (`qwiet-<app>-<finding>`);
/// findings fixed or ignored in Qwiet, or no longer reported, change the
/// vulnerability's status. With `--state FILE`, a run reads only the apps
/// that changed since the last run and sends only what differs.
///
/// Every setting can also come from the environment variable shown with it.
/// Without JIRA_BASE_URL the tool runs against an in-process sandbox (no
/// network, no credentials), unless --no-sandbox is given.
#[derive(Debug, Parser)]
#[command(name = "qwiet-to-jira", version, after_help = AFTER_HELP)]
pub struct Cli {
    /// What to do; `sync` when left out.
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub jira: JiraArgs,
    #[command(flatten)]
    pub qwiet: QwietArgs,
    #[command(flatten)]
    pub sync: SyncArgs,
}

const AFTER_HELP: &str = "\
Jira authentication, exactly one of:
  JIRA_APP_TOKEN                     a Forge app system token or an OAuth 2.0 access token
  JIRA_CONNECT_APP_KEY and
  JIRA_CONNECT_SHARED_SECRET         an Atlassian Connect app (until 31 January 2027)
  JIRA_OAUTH_CLIENT_ID,
  JIRA_OAUTH_CLIENT_SECRET and
  JIRA_OAUTH_REFRESH_TOKEN_FILE      OAuth 2.0 refresh (JIRA_OAUTH_REFRESH_TOKEN seeds the file)

Basic auth (JIRA_EMAIL + JIRA_API_TOKEN) is refused: Security Information answers apps only.

serve needs QWIET_WEBHOOK_SECRET; see `qwiet-to-jira serve --help` for its address and path.

Exit codes: 0 all sent, 1 some failed or a service stopped the run, 2 usage or configuration.";

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Sync once and exit (the default).
    Sync,
    /// Receive Qwiet webhooks and sync the app each `scan.finished` names.
    Serve(ServeArgs),
}

/// Where Jira is and how to sign in.
// The doc comments are `--help` text, where URLs are written bare.
#[allow(rustdoc::bare_urls)]
#[derive(Debug, Args)]
#[command(next_help_heading = "Jira")]
pub struct JiraArgs {
    /// Jira site, e.g. https://your-site.atlassian.net (OAuth 2.0:
    /// https://api.atlassian.com/ex/jira/CLOUD_ID).
    #[arg(long, env = "JIRA_BASE_URL", global = true, hide_env_values = true)]
    pub jira_base_url: Option<String>,
    /// Bearer token: a Forge app system token or an OAuth 2.0 access token.
    #[arg(long, env = "JIRA_APP_TOKEN", global = true, hide_env_values = true, value_parser = secret)]
    pub jira_app_token: Option<Secret>,
    /// Account email for basic auth (refused: see below).
    #[arg(long, env = "JIRA_EMAIL", global = true, hide_env_values = true)]
    pub jira_email: Option<String>,
    /// API token for basic auth (refused: see below).
    #[arg(long, env = "JIRA_API_TOKEN", global = true, hide_env_values = true, value_parser = secret)]
    pub jira_api_token: Option<Secret>,
    /// Atlassian Connect app key.
    #[arg(
        long,
        env = "JIRA_CONNECT_APP_KEY",
        global = true,
        hide_env_values = true
    )]
    pub jira_connect_app_key: Option<String>,
    /// Atlassian Connect shared secret, from the app's install callback.
    #[arg(long, env = "JIRA_CONNECT_SHARED_SECRET", global = true, hide_env_values = true, value_parser = secret)]
    pub jira_connect_shared_secret: Option<Secret>,
    /// OAuth 2.0 (3LO) client id.
    #[arg(
        long,
        env = "JIRA_OAUTH_CLIENT_ID",
        global = true,
        hide_env_values = true
    )]
    pub jira_oauth_client_id: Option<String>,
    /// OAuth 2.0 (3LO) client secret.
    #[arg(long, env = "JIRA_OAUTH_CLIENT_SECRET", global = true, hide_env_values = true, value_parser = secret)]
    pub jira_oauth_client_secret: Option<Secret>,
    /// OAuth 2.0 refresh token; used when the refresh token file does not
    /// exist yet.
    #[arg(long, env = "JIRA_OAUTH_REFRESH_TOKEN", global = true, hide_env_values = true, value_parser = secret)]
    pub jira_oauth_refresh_token: Option<Secret>,
    /// File holding the OAuth 2.0 refresh token. Atlassian replaces the
    /// refresh token on every use; the new one is written here.
    #[arg(
        long,
        env = "JIRA_OAUTH_REFRESH_TOKEN_FILE",
        global = true,
        hide_env_values = true,
        value_name = "FILE"
    )]
    pub jira_oauth_refresh_token_file: Option<PathBuf>,
    /// OAuth 2.0 authorization server.
    #[arg(long, env = "JIRA_OAUTH_AUTH_URL", global = true, hide_env_values = true, default_value = AUTH_BASE_URL)]
    pub jira_oauth_auth_url: String,
    /// Refuse to fall back to the in-process sandbox when JIRA_BASE_URL is
    /// not set.
    #[arg(long, env = "QWIET_TO_JIRA_NO_SANDBOX", global = true, hide_env_values = true, value_parser = BoolishValueParser::new())]
    pub no_sandbox: bool,
}

/// Where Qwiet is.
#[derive(Debug, Args)]
#[command(next_help_heading = "Qwiet")]
pub struct QwietArgs {
    /// Qwiet access token.
    #[arg(long, env = "QWIET_TOKEN", global = true, hide_env_values = true, value_parser = secret)]
    pub qwiet_token: Option<Secret>,
    /// Qwiet organization id (a UUID); also the Jira workspace id.
    #[arg(long, env = "QWIET_ORG_ID", global = true, hide_env_values = true)]
    pub qwiet_org_id: Option<String>,
    /// Qwiet API base URL.
    #[arg(long, env = "QWIET_BASE_URL", global = true, hide_env_values = true)]
    pub qwiet_base_url: Option<String>,
    /// Base of the links from Jira back to Qwiet's web UI.
    #[arg(
        long,
        env = "QWIET_WEB_URL",
        global = true,
        hide_env_values = true,
        default_value = "https://app.shiftleft.io"
    )]
    pub qwiet_web_url: String,
}

/// How to sync.
#[derive(Debug, Args)]
#[command(next_help_heading = "Sync")]
pub struct SyncArgs {
    /// State file: what was sent, so that the next run sends only changes.
    /// Created when missing, replaced atomically.
    #[arg(
        long,
        env = "QWIET_TO_JIRA_STATE",
        global = true,
        hide_env_values = true,
        value_name = "FILE"
    )]
    pub state: Option<PathBuf>,
    /// Read every app, even those that did not change since the last run.
    #[arg(long, env = "QWIET_TO_JIRA_FULL", global = true, hide_env_values = true, value_parser = BoolishValueParser::new())]
    pub full: bool,
    /// Only this Qwiet app.
    #[arg(
        long,
        env = "QWIET_TO_JIRA_APP",
        global = true,
        hide_env_values = true,
        value_name = "APP_ID"
    )]
    pub app: Option<String>,
    /// Print what would be created, updated and closed; send nothing.
    #[arg(long, env = "QWIET_TO_JIRA_DRY_RUN", global = true, hide_env_values = true, value_parser = BoolishValueParser::new())]
    pub dry_run: bool,
    /// Summary format on stdout.
    #[arg(long, env = "QWIET_TO_JIRA_OUTPUT", global = true, hide_env_values = true, value_enum, default_value_t = Output::Text)]
    pub output: Output,
    /// No progress bar (it is drawn only when stderr is a terminal anyway).
    #[arg(long, env = "QWIET_TO_JIRA_NO_PROGRESS", global = true, hide_env_values = true, value_parser = BoolishValueParser::new())]
    pub no_progress: bool,
}

/// `serve` settings.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(
        long,
        env = "QWIET_TO_JIRA_LISTEN",
        hide_env_values = true,
        default_value = "127.0.0.1:8080"
    )]
    pub listen: SocketAddr,
    /// The secret Qwiet signs webhooks with (set when registering the
    /// webhook in Qwiet).
    #[arg(long, env = "QWIET_WEBHOOK_SECRET", hide_env_values = true, value_parser = secret)]
    pub webhook_secret: Option<Secret>,
    /// Path webhooks are posted to.
    #[arg(
        long,
        env = "QWIET_TO_JIRA_WEBHOOK_PATH",
        hide_env_values = true,
        default_value = "/webhooks/qwiet"
    )]
    pub webhook_path: String,
}

/// Summary formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    /// Lines for people.
    Text,
    /// One JSON object.
    Json,
}

fn secret(value: &str) -> Result<Secret, std::convert::Infallible> {
    Ok(Secret::new(value))
}

/// How the tool signs in to Jira.
#[derive(Debug)]
pub enum JiraAuth {
    /// A Forge app system token or an OAuth 2.0 access token.
    AppToken(Secret),
    /// An Atlassian Connect app.
    Connect {
        /// The app key (`iss`).
        app_key: String,
        /// The shared secret.
        shared_secret: Secret,
    },
    /// OAuth 2.0 with a rotating refresh token kept in a file.
    OAuth {
        /// The OAuth app (client id, secret, authorization server).
        app: OAuthApp,
        /// The refresh token to start from.
        refresh_token: Secret,
        /// Where every new refresh token is written.
        file: PathBuf,
    },
}

/// Names a setting by its variable and flag.
fn name(var: &str) -> String {
    format!("{var} (--{})", var.to_lowercase().replace('_', "-"))
}

/// The Jira authentication the settings choose, `None` when none is set.
pub fn jira_auth(args: &JiraArgs) -> Result<Option<JiraAuth>, Usage> {
    fn set(present: &[(bool, &'static str)]) -> Option<Vec<&'static str>> {
        present.iter().any(|(p, _)| *p).then(|| {
            present
                .iter()
                .filter(|(p, _)| *p)
                .map(|(_, n)| *n)
                .collect()
        })
    }
    let candidates: Vec<(&str, Vec<&str>)> = [
        (
            "an app token",
            set(&[(args.jira_app_token.is_some(), "JIRA_APP_TOKEN")]),
        ),
        (
            "basic auth",
            set(&[
                (args.jira_email.is_some(), "JIRA_EMAIL"),
                (args.jira_api_token.is_some(), "JIRA_API_TOKEN"),
            ]),
        ),
        (
            "a Connect app",
            set(&[
                (args.jira_connect_app_key.is_some(), "JIRA_CONNECT_APP_KEY"),
                (
                    args.jira_connect_shared_secret.is_some(),
                    "JIRA_CONNECT_SHARED_SECRET",
                ),
            ]),
        ),
        (
            "OAuth 2.0 refresh",
            set(&[
                (args.jira_oauth_client_id.is_some(), "JIRA_OAUTH_CLIENT_ID"),
                (
                    args.jira_oauth_client_secret.is_some(),
                    "JIRA_OAUTH_CLIENT_SECRET",
                ),
                (
                    args.jira_oauth_refresh_token.is_some(),
                    "JIRA_OAUTH_REFRESH_TOKEN",
                ),
                (
                    args.jira_oauth_refresh_token_file.is_some(),
                    "JIRA_OAUTH_REFRESH_TOKEN_FILE",
                ),
            ]),
        ),
    ]
    .into_iter()
    .filter_map(|(what, vars)| vars.map(|v| (what, v)))
    .collect();
    if candidates.len() > 1 {
        let named: Vec<String> = candidates
            .iter()
            .map(|(what, vars)| format!("{what} ({})", vars.join(", ")))
            .collect();
        return Err(Usage(format!(
            "more than one Jira authentication is set: {}; set exactly one",
            named.join(" and ")
        )));
    }
    let Some((what, _)) = candidates.first() else {
        return Ok(None);
    };
    let missing = |var: &str| Usage(format!("{} must be set for {what}", name(var)));
    match *what {
        "an app token" => Ok(args.jira_app_token.clone().map(JiraAuth::AppToken)),
        "basic auth" => Err(Usage(
            "basic auth (JIRA_EMAIL, JIRA_API_TOKEN) cannot sync: Jira Security Information \
             answers apps only, never basic auth; set JIRA_APP_TOKEN, the JIRA_CONNECT_* pair \
             or the JIRA_OAUTH_* settings instead"
                .into(),
        )),
        "a Connect app" => Ok(Some(JiraAuth::Connect {
            app_key: args
                .jira_connect_app_key
                .clone()
                .ok_or_else(|| missing("JIRA_CONNECT_APP_KEY"))?,
            shared_secret: args
                .jira_connect_shared_secret
                .clone()
                .ok_or_else(|| missing("JIRA_CONNECT_SHARED_SECRET"))?,
        })),
        _ => {
            let client_id = args
                .jira_oauth_client_id
                .clone()
                .ok_or_else(|| missing("JIRA_OAUTH_CLIENT_ID"))?;
            let client_secret = args
                .jira_oauth_client_secret
                .clone()
                .ok_or_else(|| missing("JIRA_OAUTH_CLIENT_SECRET"))?;
            let file = args.jira_oauth_refresh_token_file.clone().ok_or_else(|| {
                Usage(format!(
                    "{} must be set for OAuth 2.0 refresh: Atlassian replaces the refresh token \
                     on every use, and the tool keeps the new one there",
                    name("JIRA_OAUTH_REFRESH_TOKEN_FILE")
                ))
            })?;
            let refresh_token = match std::fs::read_to_string(&file) {
                Ok(text) if !text.trim().is_empty() => Secret::new(text.trim()),
                Ok(_) | Err(_) => args.jira_oauth_refresh_token.clone().ok_or_else(|| {
                    Usage(format!(
                        "{} does not exist or is empty, and {} is not set to start from",
                        file.display(),
                        name("JIRA_OAUTH_REFRESH_TOKEN")
                    ))
                })?,
            };
            // Refreshing sends no redirect URI; the API server is not used.
            let app = OAuthApp::new(client_id, client_secret, "")
                .with_servers(&args.jira_oauth_auth_url, appsec_sdk::oauth::API_BASE_URL);
            Ok(Some(JiraAuth::OAuth {
                app,
                refresh_token,
                file,
            }))
        }
    }
}

/// Keeps a rotated refresh token: temporary file, then rename, readable by
/// the owner only.
fn store_refresh_token(file: &Path, token: &Secret) -> std::io::Result<()> {
    use std::io::Write;
    let mut temp_name = file.file_name().unwrap_or_default().to_owned();
    temp_name.push(format!(".tmp-{}", std::process::id()));
    let temp = file.with_file_name(temp_name);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut out = options.open(&temp)?;
    out.write_all(token.expose().as_bytes())?;
    out.sync_all()?;
    std::fs::rename(&temp, file)
}

/// The clients of one run and where they point.
#[derive(Debug)]
pub struct Target {
    /// The Jira site.
    pub jira: JiraClient,
    /// The Qwiet API.
    pub qwiet: QwietClient,
    /// The Qwiet organization.
    pub org_id: Uuid,
    /// The Jira base URL (recorded in the state file).
    pub site: String,
    /// Kept alive for the run when no real site is configured.
    pub setup: Option<Setup>,
}

impl Target {
    /// Real services from the settings, or the in-process sandbox when
    /// `JIRA_BASE_URL` is not set.
    pub async fn from_args(cli: &Cli) -> Result<Target, Usage> {
        let auth = jira_auth(&cli.jira)?;
        // Every vulnerability links back with it; Jira refuses links that are
        // not absolute URLs.
        if let Err(e) = reqwest::Url::parse(&cli.qwiet.qwiet_web_url) {
            return Err(Usage(format!(
                "{} is not an absolute URL: {e}",
                name("QWIET_WEB_URL")
            )));
        }
        let Some(base) = cli.jira.jira_base_url.clone() else {
            if cli.jira.no_sandbox {
                return Err(Usage(format!(
                    "{} is not set, and --no-sandbox forbids the in-process sandbox",
                    name("JIRA_BASE_URL")
                )));
            }
            if auth.is_some() {
                return Err(Usage(format!(
                    "Jira credentials are set but {} is not; set it to the site they belong to",
                    name("JIRA_BASE_URL")
                )));
            }
            let setup = Setup::sandbox()
                .await
                .map_err(|e| Usage(format!("cannot start the sandbox: {e}")))?;
            let site = setup.sandbox.as_ref().map(|s| s.url()).unwrap_or_default();
            return Ok(Target {
                jira: setup.jira.clone(),
                qwiet: setup.qwiet.clone(),
                org_id: setup.org_id,
                site,
                setup: Some(setup),
            });
        };
        let auth = auth.ok_or_else(|| {
            Usage(format!(
                "{} is set but no Jira authentication is: set JIRA_APP_TOKEN, the \
                 JIRA_CONNECT_* pair or the JIRA_OAUTH_* settings",
                name("JIRA_BASE_URL")
            ))
        })?;
        let builder = JiraClient::builder(base.clone()).retry(RetryPolicy::default());
        let builder = match auth {
            JiraAuth::AppToken(token) => builder.bearer_token(token),
            JiraAuth::Connect {
                app_key,
                shared_secret,
            } => builder.connect_jwt(app_key, shared_secret),
            JiraAuth::OAuth {
                app,
                refresh_token,
                file,
            } => builder.token_provider(
                RefreshingToken::from_refresh_token(app, refresh_token).on_rotate(move |token| {
                    if let Err(e) = store_refresh_token(&file, token) {
                        eprintln!(
                            "qwiet-to-jira: cannot keep the new OAuth refresh token in {}: {}",
                            file.display(),
                            sentence(&e)
                        );
                    }
                }),
            ),
        };
        let jira = builder
            .build()
            .map_err(|e| Usage(format!("{}: {}", name("JIRA_BASE_URL"), sentence(&e))))?;
        let token = cli.qwiet.qwiet_token.clone().ok_or_else(|| {
            Usage(format!(
                "{} must be set with JIRA_BASE_URL",
                name("QWIET_TOKEN")
            ))
        })?;
        let org = cli.qwiet.qwiet_org_id.as_deref().ok_or_else(|| {
            Usage(format!(
                "{} must be set with JIRA_BASE_URL",
                name("QWIET_ORG_ID")
            ))
        })?;
        let org_id = org
            .parse::<Uuid>()
            .map_err(|e| Usage(format!("{} is not a UUID: {e}", name("QWIET_ORG_ID"))))?;
        let mut qwiet = QwietClient::builder()
            .bearer_token(token)
            .retry(RetryPolicy::default());
        if let Some(url) = &cli.qwiet.qwiet_base_url {
            qwiet = qwiet.base_url(url.clone());
        }
        let qwiet = qwiet
            .build()
            .map_err(|e| Usage(format!("{}: {}", name("QWIET_BASE_URL"), sentence(&e))))?;
        Ok(Target {
            jira,
            qwiet,
            org_id,
            // One site, however its URL is written, has one state.
            site: base.trim_end_matches('/').to_string(),
            setup: None,
        })
    }

    /// Where the run goes, for the first line on stderr.
    pub fn describe(&self) -> String {
        match &self.setup {
            Some(_) => format!(
                "the in-process sandbox at {} (JIRA_BASE_URL is not set; nothing leaves this machine)",
                self.site
            ),
            None => self.site.clone(),
        }
    }

    /// The sync options the settings ask for.
    pub fn options(&self, cli: &Cli) -> Options {
        Options {
            org_id: self.org_id,
            app: cli.sync.app.clone(),
            dry_run: cli.sync.dry_run,
            full: cli.sync.full,
            state: cli.sync.state.clone(),
            site: self.site.clone(),
            progress: !cli.sync.no_progress && cli.sync.output == Output::Text,
            web_url: cli.qwiet.qwiet_web_url.clone(),
        }
    }
}

/// The binary's `main`: parse, run, exit with 0, 1 or 2.
pub fn main() -> ExitCode {
    // `--help` and `--version` print and end here, before anything else.
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("qwiet-to-jira: cannot start: {}", sentence(&e));
            return ExitCode::from(1);
        }
    };
    runtime.block_on(execute(cli))
}

async fn execute(cli: Cli) -> ExitCode {
    let target = match Target::from_args(&cli).await {
        Ok(target) => target,
        Err(e) => {
            eprintln!("qwiet-to-jira: {e}");
            return ExitCode::from(2);
        }
    };
    let options = target.options(&cli);
    match &cli.command {
        None | Some(Command::Sync) => sync_once(&target, &options, cli.sync.output).await,
        Some(Command::Serve(args)) => serve(&target, options, args).await,
    }
}

async fn sync_once(target: &Target, options: &Options, output: Output) -> ExitCode {
    eprintln!(
        "Syncing the findings of Qwiet org {} to {}",
        target.org_id,
        target.describe()
    );
    match run(&target.jira, &target.qwiet, options).await {
        Ok(summary) => {
            match output {
                Output::Text => println!("{summary}"),
                Output::Json => println!(
                    "{}",
                    serde_json::to_string_pretty(&summary).expect("the summary serializes")
                ),
            }
            if summary.all_sent() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(e) => {
            eprintln!("qwiet-to-jira: cannot sync: {}", sentence(&e));
            ExitCode::from(if e.is_config() { 2 } else { 1 })
        }
    }
}

async fn serve(target: &Target, options: Options, args: &ServeArgs) -> ExitCode {
    let Some(secret) = args.webhook_secret.clone() else {
        eprintln!(
            "qwiet-to-jira: {} must be set for serve: unsigned webhooks are refused",
            name("QWIET_WEBHOOK_SECRET")
        );
        return ExitCode::from(2);
    };
    let listener = match tokio::net::TcpListener::bind(args.listen).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!(
                "qwiet-to-jira: cannot listen on {}: {}",
                args.listen,
                sentence(&e)
            );
            return ExitCode::from(2);
        }
    };
    let config = ServeConfig {
        secret,
        path: args.webhook_path.clone(),
    };
    let server = match Server::start(
        listener,
        config,
        target.jira.clone(),
        target.qwiet.clone(),
        options,
    ) {
        Ok(server) => server,
        Err(e) => {
            eprintln!("qwiet-to-jira: cannot serve: {}", sentence(&e));
            return ExitCode::from(2);
        }
    };
    eprintln!(
        "Receiving Qwiet webhooks at http://{}{} for org {}, syncing to {}; Ctrl-C stops",
        server.addr(),
        args.webhook_path,
        target.org_id,
        target.describe()
    );
    let _ = tokio::signal::ctrl_c().await;
    server.shutdown().await;
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_given_as_flags_stay_out_of_debug() {
        let cli = Cli::try_parse_from([
            "qwiet-to-jira",
            "--jira-app-token=app-token-123",
            "--qwiet-token=qwiet-token-456",
            "serve",
            "--webhook-secret=hook-secret-789",
        ])
        .unwrap();
        let shown = format!("{cli:?} {:?}", jira_auth(&cli.jira));
        for secret in ["app-token-123", "qwiet-token-456", "hook-secret-789"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
    }
}
