//! Every issue security scheme, its levels and their members, and the
//! projects using each scheme, as a table.
//!
//! ```sh
//! cargo run -p appsec-examples --bin issue-security-report
//! ```
//!
//! Uses the site of `JIRA_BASE_URL` and its credentials when set (basic
//! auth is enough: `JIRA_EMAIL` and `JIRA_API_TOKEN` of an account with the
//! Administer Jira permission), the built-in sandbox otherwise. It reads
//! nothing from Qwiet.

use std::collections::BTreeMap;
use std::error::Error;
use std::process::ExitCode;

use appsec_examples::report;
use appsec_examples::setup::Jira;
use appsec_sdk::Paginate;
use clap::Parser;
use futures::TryStreamExt;

/// Every issue security scheme of a Jira site, its levels and their members,
/// and the projects using each scheme, as a table.
///
/// Without JIRA_BASE_URL it reads a sandbox started in-process. With it, it
/// reads that site with one set of Jira credentials: JIRA_EMAIL and
/// JIRA_API_TOKEN (an administrator's), or JIRA_APP_TOKEN, or a Connect or
/// OAuth app (see the README).
#[derive(Debug, Parser)]
#[command(name = "issue-security-report", version)]
struct Args {
    /// Members shown per level before the rest are counted.
    #[arg(long, default_value_t = 3)]
    members: usize,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    report::exit(run(args).await)
}

async fn run(args: Args) -> Result<(), Box<dyn Error>> {
    let site = Jira::from_env().await?;
    eprintln!("Reading {}", site.describe());
    let jira = &site.client;

    let schemes: Vec<_> = jira
        .issue_security()
        .search_security_schemes()
        .paginate()
        .items()
        .try_collect()
        .await?;
    let projects: Vec<_> = jira
        .issue_security()
        .search_projects_using_security_schemes()
        .paginate()
        .items()
        .try_collect()
        .await?;
    let mut projects_by_scheme: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for p in projects {
        if let (Some(scheme), Some(project)) = (p.issue_security_scheme_id, p.project_id) {
            projects_by_scheme.entry(scheme).or_default().push(project);
        }
    }

    println!(
        "{:<8} {:<32} {:<16} {:<9} members",
        "scheme", "name", "level", "projects"
    );
    for scheme in schemes {
        let scheme_id = scheme.id.to_string();
        let levels: Vec<_> = jira
            .issue_security()
            .get_security_levels()
            .scheme_id(vec![scheme_id.clone()])
            .paginate()
            .items()
            .try_collect()
            .await?;
        let members: Vec<_> = jira
            .issue_security()
            .get_security_level_members()
            .scheme_id(vec![scheme_id.clone()])
            .paginate()
            .items()
            .try_collect()
            .await?;
        let projects = projects_by_scheme
            .get(&scheme_id)
            .map(|p| p.join(","))
            .unwrap_or_default();
        for (i, level) in levels.iter().enumerate() {
            let level_id = level.id.clone().unwrap_or_default();
            let holders: Vec<String> = members
                .iter()
                .filter(|m| m.issue_security_level_id == level_id)
                .map(|m| match &m.holder.parameter {
                    Some(p) => format!("{}:{p}", m.holder.type_),
                    None => m.holder.type_.clone(),
                })
                .collect();
            let shown = if holders.len() > args.members {
                format!(
                    "{} (+{} more)",
                    holders[..args.members].join(", "),
                    holders.len() - args.members
                )
            } else {
                holders.join(", ")
            };
            let (id, name, projects) = if i == 0 {
                (scheme_id.as_str(), scheme.name.as_str(), projects.as_str())
            } else {
                ("", "", "")
            };
            println!(
                "{:<8} {:<32} {:<16} {:<9} {}",
                id,
                name,
                level.name.as_deref().unwrap_or(""),
                projects,
                shown
            );
        }
    }
    Ok(())
}
