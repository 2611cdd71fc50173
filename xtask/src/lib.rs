//! Code generation for the client crates.
//!
//! Each spec under `specs/` is the source of truth for one crate's
//! `src/generated.rs`. The pipeline is: read YAML into the one [`spec`] model,
//! [`normalize`] the facts into what progenitor accepts (learning what the
//! runtime needs per operation), [`validate`] what is left, [`render`] with
//! progenitor, then [`rewrite`] progenitor's output so the crate is complete
//! (request facts, forward-compatible types, hooks) and print it with
//! prettyplease.

pub mod normalize;
pub mod pagination;
pub mod render;
pub mod rewrite;
pub mod spec;
pub mod validate;
pub mod validation;

use std::fmt;
use std::path::{Path, PathBuf};

/// One spec and the crate generated from it.
#[derive(Debug, Clone, Copy)]
pub struct Target {
    /// Spec file, relative to the workspace root.
    pub spec: &'static str,
    /// Crate directory, relative to the workspace root.
    pub crate_dir: &'static str,
}

/// Every generated crate in the workspace.
pub const TARGETS: &[Target] = &[
    Target {
        spec: "specs/jira-issue-security.yaml",
        crate_dir: "crates/jira-issue-security",
    },
    Target {
        spec: "specs/jira-security-info.yaml",
        crate_dir: "crates/jira-security-info",
    },
    Target {
        spec: "specs/qwiet.yaml",
        crate_dir: "crates/qwiet",
    },
];

/// Whether to write generated files or only compare them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Overwrite `src/generated.rs` when it differs.
    Write,
    /// Compare only; report drift.
    Check,
}

/// A generation failure, naming the spec it came from.
#[derive(Debug)]
pub struct Error {
    spec: String,
    message: String,
}

impl Error {
    pub(crate) fn new(spec: &str, message: impl Into<String>) -> Self {
        Self {
            spec: spec.to_string(),
            message: message.into(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.spec, self.message)
    }
}

impl std::error::Error for Error {}

/// The outcome for one target.
#[derive(Debug)]
pub enum Outcome {
    /// The committed file already matches.
    UpToDate,
    /// The file was (re)written.
    Written,
    /// Check mode: the committed file differs; holds a short diff.
    Drift(String),
}

/// What `generate_all` did, target by target.
#[derive(Debug, Default)]
pub struct Report {
    /// Generated file path and outcome.
    pub outcomes: Vec<(PathBuf, Outcome)>,
}

impl Report {
    /// True when no committed file drifted from its spec.
    pub fn is_clean(&self) -> bool {
        !self
            .outcomes
            .iter()
            .any(|(_, o)| matches!(o, Outcome::Drift(_)))
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (path, outcome) in &self.outcomes {
            match outcome {
                Outcome::UpToDate => writeln!(f, "up to date: {}", path.display())?,
                Outcome::Written => writeln!(f, "wrote:      {}", path.display())?,
                Outcome::Drift(diff) => {
                    writeln!(f, "DRIFT:      {} differs from its spec", path.display())?;
                    writeln!(f, "{diff}")?;
                    writeln!(f, "run `cargo xtask generate` and commit the result")?;
                }
            }
        }
        Ok(())
    }
}

/// Generates (or checks) every target below `root`.
pub fn generate_all(root: &Path, mode: Mode) -> Result<Report, Error> {
    let mut report = Report::default();
    for target in TARGETS {
        let spec_path = root.join(target.spec);
        let text = std::fs::read_to_string(&spec_path)
            .map_err(|e| Error::new(target.spec, format!("cannot read: {e}")))?;
        let code = render::render_spec(target.spec, &text)?;
        let out = root.join(target.crate_dir).join("src/generated.rs");
        let current = std::fs::read_to_string(&out).unwrap_or_default();
        let outcome = if current == code {
            Outcome::UpToDate
        } else if mode == Mode::Check {
            Outcome::Drift(short_diff(&current, &code, 40))
        } else {
            std::fs::write(&out, &code).map_err(|e| {
                Error::new(target.spec, format!("cannot write {}: {e}", out.display()))
            })?;
            Outcome::Written
        };
        report.outcomes.push((
            PathBuf::from(target.crate_dir).join("src/generated.rs"),
            outcome,
        ));
    }
    Ok(report)
}

/// A unified diff of `old` against `new`, cut after `max_lines` lines.
fn short_diff(old: &str, new: &str, max_lines: usize) -> String {
    let diff = similar::TextDiff::from_lines(old, new);
    let text = diff
        .unified_diff()
        .context_radius(2)
        .header("committed", "generated")
        .to_string();
    let mut lines: Vec<&str> = text.lines().collect();
    let total = lines.len();
    lines.truncate(max_lines);
    let mut out = lines.join("\n");
    if total > max_lines {
        out.push_str(&format!("\n... ({} more diff lines)", total - max_lines));
    }
    out
}
