//! Publish Qwiet findings to Jira's Security tab and keep them current.
//!
//! ```sh
//! cargo run -p appsec-examples --bin qwiet-to-jira -- --help
//! cargo run -p appsec-examples --bin qwiet-to-jira -- --state qwiet-to-jira.json
//! cargo run -p appsec-examples --bin qwiet-to-jira -- serve --webhook-secret ...
//! ```
//!
//! Without `JIRA_BASE_URL` it runs against an in-process sandbox. The flags,
//! their environment variables and the exit codes are in `--help` and in
//! `appsec_examples::qwiet_to_jira::cli`.

use std::process::ExitCode;

fn main() -> ExitCode {
    appsec_examples::qwiet_to_jira::cli::main()
}
