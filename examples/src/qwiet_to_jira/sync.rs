//! One sync run: read what changed in Qwiet, send what differs from what
//! Jira holds, close what Qwiet no longer reports.
//!
//! The order of a run: list the apps; for each app in scope ask Qwiet for its
//! signature (latest scan and finding counts per status, four small
//! requests) and read its findings only when the signature moved since the
//! last run, or with `--full`; map each finding and compare its fingerprint
//! with the state; fetch from Jira the vulnerabilities to close (they are
//! re-sent whole, with status `closed`); send everything in batches of 1000;
//! record what Jira accepted. Nothing is sent before everything is read.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use appsec_runtime::validate::Validate;
use appsec_sdk::jira::Vulnerabilities;
use appsec_sdk::jira::security_info::types::{
    SubmitVulnerabilitiesRequestOperationType, VulnerabilityDetails, VulnerabilityStatus,
};
use appsec_sdk::qwiet::api::types::{Status, TagCount};
use appsec_sdk::{Error, JiraClient, Paginate, QwietClient, SendExt};
use chrono::{DateTime, Utc};
use futures::{StreamExt, TryStreamExt};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::map::{fingerprint, jira_status, to_vulnerability, vulnerability_id};
use super::state::{self, AppRecord, Sent, StateError, SyncState};

/// Vulnerabilities per submission (the service's limit).
const BATCH: usize = 1000;
/// Findings per Qwiet page.
const PER_PAGE: i64 = 250;
/// Vulnerabilities to close fetched from Jira at a time.
const CLOSE_FETCHES: usize = 8;
/// The statuses whose counts make up an app's signature.
const SIGNATURE_STATUSES: [Status; 4] = [
    Status::Unset,
    Status::Fixed,
    Status::Ignored,
    Status::X3rdparty,
];

/// What to sync, and how.
#[derive(Debug, Clone)]
pub struct Options {
    /// The Qwiet organization; also the Jira workspace id.
    pub org_id: Uuid,
    /// Only this app, when set.
    pub app: Option<String>,
    /// Read and compare, but send nothing and keep the state file as it is.
    pub dry_run: bool,
    /// Read every app in scope, even those whose signature has not moved.
    pub full: bool,
    /// The state file; without one every run is a first run.
    pub state: Option<PathBuf>,
    /// The Jira site, recorded in the state file so that it is never used
    /// against another one.
    pub site: String,
    /// Draw a progress bar on stderr (only when it is a terminal).
    pub progress: bool,
    /// Base of the links back to Qwiet's web UI.
    pub web_url: String,
}

impl Options {
    /// Syncs every app of `org_id`, without a state file.
    pub fn new(org_id: Uuid) -> Self {
        Self {
            org_id,
            app: None,
            dry_run: false,
            full: false,
            state: None,
            site: String::new(),
            progress: false,
            web_url: "https://app.shiftleft.io".into(),
        }
    }
}

/// What a change does to Jira.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// A vulnerability the state does not know.
    Create,
    /// A known vulnerability whose content or status changed.
    Update,
    /// A known vulnerability that becomes `closed`: fixed in Qwiet, or no
    /// longer reported.
    Close,
}

/// One vulnerability sent (or, in a dry run, that would be sent).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// The Jira vulnerability id.
    pub id: String,
    /// What it does.
    pub action: Action,
    /// The Security Information status it carries.
    pub status: String,
}

/// What a run did. In a dry run the counts say what would have been done.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// True when nothing was sent.
    pub dry_run: bool,
    /// Vulnerabilities created (accepted by Jira, or planned in a dry run).
    pub created: usize,
    /// Vulnerabilities updated.
    pub updated: usize,
    /// Vulnerabilities closed (including any found already deleted in Jira,
    /// which need no request).
    pub closed: usize,
    /// Vulnerabilities left alone: what Jira holds is current.
    pub unchanged: usize,
    /// Vulnerabilities not sent or refused, with the reasons.
    pub failed: BTreeMap<String, Vec<String>>,
    /// Findings read from Qwiet.
    pub findings_read: usize,
    /// Apps whose findings were read.
    pub apps_read: usize,
    /// Apps not read: nothing changed since the last run.
    pub apps_unchanged: usize,
    /// Qwiet statuses this SDK does not know, with how many findings carry
    /// each; those findings were sent with status `unknown`.
    pub unknown_statuses: BTreeMap<String, usize>,
    /// Issue keys Jira could not resolve.
    pub unknown_associations: usize,
    /// Submissions sent to Jira.
    pub requests: usize,
    /// Every vulnerability sent, or planned in a dry run.
    pub changes: Vec<Change>,
}

impl Summary {
    /// True when every vulnerability was sent and accepted.
    pub fn all_sent(&self) -> bool {
        self.failed.is_empty()
    }

    fn count(&mut self, change: Change) {
        match change.action {
            Action::Create => self.created += 1,
            Action::Update => self.updated += 1,
            Action::Close => self.closed += 1,
        }
        self.changes.push(change);
    }
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.dry_run {
            writeln!(f, "dry run: nothing was sent to Jira")?;
            for change in &self.changes {
                let verb = match change.action {
                    Action::Create => "would create",
                    Action::Update => "would update",
                    Action::Close => "would close ",
                };
                writeln!(f, "  {verb} {} ({})", change.id, change.status)?;
            }
        }
        let (created, updated, closed) = if self.dry_run {
            ("to create", "to update", "to close")
        } else {
            ("created", "updated", "closed")
        };
        writeln!(f, "{created:<10} {:>7}", self.created)?;
        writeln!(f, "{updated:<10} {:>7}", self.updated)?;
        writeln!(f, "{closed:<10} {:>7}", self.closed)?;
        writeln!(f, "{:<10} {:>7}", "unchanged", self.unchanged)?;
        writeln!(f, "{:<10} {:>7}", "failed", self.failed.len())?;
        write!(
            f,
            "read {} findings of {} apps ({} apps unchanged since the last run, not read); {} submissions",
            self.findings_read, self.apps_read, self.apps_unchanged, self.requests
        )?;
        if self.unknown_associations > 0 {
            write!(
                f,
                "\n{} issue keys unknown to Jira",
                self.unknown_associations
            )?;
        }
        for (status, n) in &self.unknown_statuses {
            write!(
                f,
                "\n{n} findings have the Qwiet status {status:?}, which this tool does not know: sent as unknown"
            )?;
        }
        for (id, reasons) in self.failed.iter().take(10) {
            write!(f, "\n  {id}: {}", reasons.join("; "))?;
        }
        if self.failed.len() > 10 {
            write!(f, "\n  … and {} more", self.failed.len() - 10)?;
        }
        Ok(())
    }
}

/// Why a run stopped before its end. Vulnerabilities Jira refuses do not
/// stop a run; they are counted as failed in the [`Summary`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RunError {
    /// The state file cannot be used.
    #[error(transparent)]
    State(#[from] StateError),
    /// The app to sync does not exist.
    #[error("the Qwiet organization has no app {0:?}")]
    UnknownApp(String),
    /// Qwiet or Jira could not be read or written.
    #[error(transparent)]
    Service(#[from] Error),
}

impl RunError {
    /// True when the run's configuration is at fault (exit code 2), rather
    /// than a service.
    pub fn is_config(&self) -> bool {
        matches!(self, Self::State(_) | Self::UnknownApp(_))
    }
}

/// A vulnerability to send and what it does.
struct Planned {
    vulnerability: VulnerabilityDetails,
    action: Action,
    app: String,
}

/// Runs one sync.
pub async fn run(
    jira: &JiraClient,
    qwiet: &QwietClient,
    options: &Options,
) -> Result<Summary, RunError> {
    let started = Utc::now();
    let mut state = match &options.state {
        Some(path) => state::load(path, &options.site, options.org_id)?,
        None => SyncState::new(&options.site, options.org_id),
    };
    let progress = Progress::new(options.progress);
    let mut run = Run {
        jira,
        qwiet,
        options,
        started,
        sequence: started.timestamp_millis(),
        workspace: options.org_id.to_string(),
        progress: &progress,
        summary: Summary {
            dry_run: options.dry_run,
            ..Summary::default()
        },
        failed_apps: BTreeSet::new(),
    };
    let outcome = run.sync(&mut state).await;
    progress.0.finish_and_clear();
    outcome?;
    let summary = run.summary;
    if summary.all_sent() {
        state.last_success = Some(started);
    }
    if let (Some(path), false) = (&options.state, options.dry_run) {
        state::save(path, &state)?;
    }
    Ok(summary)
}

struct Run<'a> {
    jira: &'a JiraClient,
    qwiet: &'a QwietClient,
    options: &'a Options,
    started: DateTime<Utc>,
    sequence: i64,
    workspace: String,
    progress: &'a Progress,
    summary: Summary,
    failed_apps: BTreeSet<String>,
}

impl Run<'_> {
    async fn sync(&mut self, state: &mut SyncState) -> Result<(), RunError> {
        self.progress.phase("apps", None);
        let apps = self.list_apps().await?;
        let scope: Vec<String> = match &self.options.app {
            Some(app) if apps.contains(app) => vec![app.clone()],
            Some(app) => return Err(RunError::UnknownApp(app.clone())),
            None => apps.iter().cloned().collect(),
        };

        let mut plan = Vec::new();
        let mut gone = Vec::new();
        let mut signatures = Vec::new();
        for app in &scope {
            let (signature, total) = self.signature(app).await?;
            let unmoved = state
                .apps
                .get(app)
                .is_some_and(|r| r.signature == signature);
            if unmoved && !self.options.full {
                self.summary.apps_unchanged += 1;
                self.summary.unchanged += state
                    .vulnerabilities
                    .values()
                    .filter(|s| &s.app == app)
                    .count();
                continue;
            }
            let seen = self.read_app(app, total, state, &mut plan).await?;
            gone.extend(
                state
                    .vulnerabilities
                    .iter()
                    .filter(|(id, s)| &s.app == app && !seen.contains(*id))
                    .map(|(id, _)| id.clone()),
            );
            signatures.push((app.clone(), signature));
        }
        // Apps Qwiet no longer lists: all their findings are gone.
        let mut gone_apps = Vec::new();
        if self.options.app.is_none() {
            gone.extend(
                state
                    .vulnerabilities
                    .iter()
                    .filter(|(_, s)| !apps.contains(&s.app))
                    .map(|(id, _)| id.clone()),
            );
            gone_apps.extend(state.apps.keys().filter(|a| !apps.contains(*a)).cloned());
        }
        self.close_gone(gone, state, &mut plan).await;
        self.send(plan, state).await?;

        // An app's signature is kept only when all of its vulnerabilities
        // went through, so that the next run reads it again otherwise.
        for (app, signature) in signatures {
            if !self.failed_apps.contains(&app) {
                state.apps.insert(app, AppRecord { signature });
            }
        }
        for app in gone_apps {
            if !self.failed_apps.contains(&app) {
                state.apps.remove(&app);
            }
        }
        Ok(())
    }

    async fn list_apps(&self) -> Result<BTreeSet<String>, Error> {
        let apps = self
            .qwiet
            .api()
            .list_apps()
            .org_id(self.options.org_id)
            .send()
            .value()
            .await?;
        Ok(apps.response.into_iter().filter_map(|a| a.id).collect())
    }

    /// The app's latest scan and its finding counts per status, as a digest,
    /// and how many findings those counts add up to.
    async fn signature(&self, app: &str) -> Result<(String, u64), Error> {
        let mut digest = Sha256::new();
        let mut total = 0u64;
        for status in SIGNATURE_STATUSES {
            let answer = self
                .qwiet
                .api()
                .list_app_findings()
                .org_id(self.options.org_id)
                .app_id(app)
                .status(status.clone())
                .only_counts(true)
                .send()
                .value()
                .await?
                .response;
            if let Some(scan) = &answer.scan {
                digest.update(scan.id.as_bytes());
            }
            digest.update(status.to_string().as_bytes());
            digest.update(serde_json::to_vec(&answer.counts).expect("counts serialize"));
            total = answer.counts.iter().fold(total, |sum, c| {
                let count = match c {
                    TagCount::Variant0 { count, .. } | TagCount::Variant1 { count, .. } => *count,
                    _ => None,
                };
                sum.saturating_add(count.and_then(|n| u64::try_from(n).ok()).unwrap_or(0))
            });
        }
        let signature = digest.finalize()[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Ok((signature, total))
    }

    /// Reads every finding of `app` (all statuses) and plans what differs
    /// from the state; returns the vulnerability ids Qwiet reported.
    async fn read_app(
        &mut self,
        app: &str,
        total: u64,
        state: &SyncState,
        plan: &mut Vec<Planned>,
    ) -> Result<HashSet<String>, Error> {
        self.summary.apps_read += 1;
        self.progress.phase(&format!("reading {app}"), Some(total));
        let mut seen = HashSet::new();
        let mut findings = self
            .qwiet
            .api()
            .list_app_findings()
            .org_id(self.options.org_id)
            .app_id(app)
            .status(Status::Any)
            .per_page(PER_PAGE)
            .paginate()
            .items();
        while let Some(finding) = findings.try_next().await? {
            self.summary.findings_read += 1;
            self.progress.0.inc(1);
            let id = vulnerability_id(&finding.app, &finding.id);
            if !seen.insert(id.clone()) {
                continue;
            }
            if let (_, Some(raw)) = jira_status(finding.status.as_ref()) {
                *self.summary.unknown_statuses.entry(raw).or_default() += 1;
            }
            let vulnerability = match to_vulnerability(
                &finding,
                &self.workspace,
                self.sequence,
                self.started,
                &self.options.web_url,
            ) {
                Ok(v) => v,
                Err(reason) => {
                    self.fail(app, id, reason);
                    continue;
                }
            };
            let previous = state.vulnerabilities.get(&id);
            if previous.is_some_and(|p| p.fingerprint == fingerprint(&vulnerability)) {
                self.summary.unchanged += 1;
                continue;
            }
            let closes = vulnerability.status == VulnerabilityStatus::Closed;
            let action = match previous {
                None => Action::Create,
                Some(p) if closes && p.status != "closed" => Action::Close,
                Some(_) => Action::Update,
            };
            plan.push(Planned {
                vulnerability,
                action,
                app: app.to_string(),
            });
        }
        Ok(seen)
    }

    /// Plans the closing of vulnerabilities Qwiet no longer reports. Jira's
    /// copy is fetched and re-sent with status `closed`, so the state needs
    /// no copy of what was sent.
    async fn close_gone(
        &mut self,
        gone: Vec<String>,
        state: &mut SyncState,
        plan: &mut Vec<Planned>,
    ) {
        let mut to_close = Vec::new();
        for id in gone {
            let Some(sent) = state.vulnerabilities.get(&id) else {
                continue;
            };
            if sent.status == "closed" {
                // Already closed in Jira: nothing to send, nothing to keep.
                state.vulnerabilities.remove(&id);
            } else {
                to_close.push((id, sent.app.clone()));
            }
        }
        if to_close.is_empty() {
            return;
        }
        self.progress.phase("closing", Some(to_close.len() as u64));
        if self.options.dry_run {
            for (id, _) in to_close {
                self.summary.count(Change {
                    id,
                    action: Action::Close,
                    status: VulnerabilityStatus::Closed.to_string(),
                });
            }
            return;
        }
        let jira = self.jira;
        let mut fetched = futures::stream::iter(to_close)
            .map(|(id, app)| async move {
                let stored = match jira.security_info() {
                    Ok(api) => {
                        api.get_vulnerability_by_id()
                            .vulnerability_id(id.as_str())
                            .send()
                            .value()
                            .await
                    }
                    Err(e) => Err(e),
                };
                (id, app, stored)
            })
            .buffer_unordered(CLOSE_FETCHES);
        while let Some((id, app, stored)) = fetched.next().await {
            self.progress.0.inc(1);
            match stored {
                Ok(mut vulnerability) => {
                    vulnerability.status = VulnerabilityStatus::Closed;
                    vulnerability.update_sequence_number = self.sequence;
                    vulnerability.last_updated = self.started;
                    plan.push(Planned {
                        vulnerability,
                        action: Action::Close,
                        app,
                    });
                }
                // Deleted in Jira meanwhile: it shows nowhere as open, and
                // there is nothing to send.
                Err(e) if e.is_not_found() => {
                    state.vulnerabilities.remove(&id);
                    self.summary.count(Change {
                        id,
                        action: Action::Close,
                        status: VulnerabilityStatus::Closed.to_string(),
                    });
                }
                Err(e) => self.fail(&app, id, crate::report::sentence(&e)),
            }
        }
    }

    /// Sends the plan (or, in a dry run, counts it) and records what Jira
    /// accepted.
    async fn send(&mut self, plan: Vec<Planned>, state: &mut SyncState) -> Result<(), Error> {
        // What the service would refuse is set aside, so that the rest goes.
        let mut valid = Vec::with_capacity(plan.len());
        for planned in plan {
            match planned.vulnerability.validate() {
                Ok(()) => valid.push(planned),
                Err(violation) => {
                    let id = planned.vulnerability.id.to_string();
                    self.fail(&planned.app, id, violation.to_string());
                }
            }
        }
        if self.options.dry_run {
            for planned in valid {
                self.summary.count(change_of(&planned));
            }
            return Ok(());
        }
        if valid.is_empty() {
            return Ok(());
        }
        self.jira.link_workspaces([self.workspace.clone()]).await?;
        self.progress.phase("sending", Some(valid.len() as u64));
        let mut rest = valid;
        while !rest.is_empty() {
            let tail = rest.split_off(rest.len().min(BATCH));
            let chunk = std::mem::replace(&mut rest, tail);
            self.send_chunk(chunk, state).await?;
        }
        Ok(())
    }

    async fn send_chunk(
        &mut self,
        chunk: Vec<Planned>,
        state: &mut SyncState,
    ) -> Result<(), Error> {
        let n = chunk.len() as u64;
        let batch = Vulnerabilities::new(chunk.iter().map(|p| p.vulnerability.clone()).collect())
            .property("source", "qwiet")
            .property("qwietOrg", self.workspace.clone())
            .provider("Qwiet")
            // Automated traffic: Jira gives it lower priority and looser limits.
            .operation_type(SubmitVulnerabilitiesRequestOperationType::Scan);
        let report = self.jira.submit_vulnerabilities(batch).await?;
        self.summary.requests += report.requests;
        self.summary.unknown_associations += report.unknown_associations.len();
        let accepted: HashSet<&str> = report.accepted.iter().map(String::as_str).collect();
        for planned in chunk {
            let id = planned.vulnerability.id.to_string();
            if let Some(messages) = report.failed.get(&id) {
                let reasons = messages.iter().map(|m| m.message.clone()).collect();
                self.failed_apps.insert(planned.app.clone());
                self.summary.failed.insert(id, reasons);
            } else if accepted.contains(id.as_str()) {
                state.vulnerabilities.insert(
                    id,
                    Sent {
                        app: planned.app.clone(),
                        fingerprint: fingerprint(&planned.vulnerability),
                        status: planned.vulnerability.status.to_string(),
                    },
                );
                self.summary.count(change_of(&planned));
            } else {
                // Jira drops a vulnerability whose only associations it does
                // not know; it is neither accepted nor failed.
                self.fail(
                    &planned.app,
                    id,
                    "Jira discarded it: none of its issue associations exist".into(),
                );
            }
        }
        self.progress.0.inc(n);
        self.progress.0.set_message(format!(
            "created {} updated {} closed {}",
            self.summary.created, self.summary.updated, self.summary.closed
        ));
        Ok(())
    }

    fn fail(&mut self, app: &str, id: String, reason: String) {
        self.failed_apps.insert(app.to_string());
        self.summary.failed.entry(id).or_default().push(reason);
    }
}

fn change_of(planned: &Planned) -> Change {
    Change {
        id: planned.vulnerability.id.to_string(),
        action: planned.action,
        status: planned.vulnerability.status.to_string(),
    }
}

/// The progress bar: phase, counts, rate, elapsed time and the running
/// totals; hidden unless asked for and stderr is a terminal.
struct Progress(ProgressBar);

impl Progress {
    fn new(enabled: bool) -> Self {
        if !enabled || !std::io::stderr().is_terminal() {
            return Self(ProgressBar::hidden());
        }
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template(
            "{spinner} {prefix:<18} {bar:20} {pos}/{len} {per_sec} [{elapsed}] {wide_msg}",
        )
        .expect("the template is valid");
        bar.set_style(style);
        bar.enable_steady_tick(Duration::from_millis(120));
        Self(bar)
    }

    fn phase(&self, name: &str, len: Option<u64>) {
        // Counts, rate and elapsed time are per phase.
        self.0.reset();
        self.0.set_prefix(name.to_string());
        match len {
            Some(len) => self.0.set_length(len),
            None => self.0.unset_length(),
        }
    }
}
