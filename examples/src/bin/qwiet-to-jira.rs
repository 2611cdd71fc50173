//! Publish Qwiet findings to Jira's Security tab, idempotently.
//!
//! ```sh
//! cargo run -p appsec-examples --bin qwiet-to-jira -- [--app APP_ID] [--dry-run] [--no-progress]
//! ```
//!
//! Uses real services when `JIRA_BASE_URL` (and the other variables listed in
//! `setup.rs`) are set, the built-in sandbox otherwise. Re-running updates
//! the same vulnerabilities instead of adding new ones.

use appsec_examples::qwiet_to_jira::{Options, run};
use appsec_examples::setup::Setup;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let setup = Setup::from_env().await?;
    let mut options = Options::new(setup.org_id);
    options.progress = true;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--dry-run" => options.dry_run = true,
            "--no-progress" => options.progress = false,
            "--app" => options.app = Some(args.next().ok_or("--app needs an app id")?),
            "--help" | "-h" => {
                println!("usage: qwiet-to-jira [--app APP_ID] [--dry-run] [--no-progress]");
                return Ok(());
            }
            other => return Err(format!("unknown argument {other:?} (try --help)").into()),
        }
    }
    eprintln!(
        "Publishing Qwiet findings of org {} to {}",
        options.org_id,
        setup.describe()
    );
    let summary = run(&setup.jira, &setup.qwiet, &options).await?;
    if options.dry_run {
        println!("dry run: nothing was sent to Jira");
    }
    println!("{summary}");
    if !summary.failed.is_empty() {
        std::process::exit(1);
    }
    Ok(())
}
