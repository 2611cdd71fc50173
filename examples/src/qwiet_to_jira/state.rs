//! What the sync remembers between runs, in a small JSON file the user names
//! (`--state FILE`).
//!
//! Per vulnerability it keeps a fingerprint of what Jira last accepted, the
//! status sent and the app it belongs to: equal fingerprints mean nothing to
//! send, a known id that Qwiet no longer reports is closed. Per app it keeps a
//! signature of what Qwiet said about it (latest scan, finding counts per
//! status), so that an app whose signature has not moved is not read at all.
//! The file is bound to one Jira site and one Qwiet organization, and it is
//! replaced atomically: written to a temporary file beside it, then renamed.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Version of the file's layout.
const VERSION: u32 = 1;

/// The remembered state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SyncState {
    /// Layout version (1).
    pub version: u32,
    /// The Jira base URL the vulnerabilities were sent to.
    pub site: String,
    /// The Qwiet organization they came from.
    pub org_id: Uuid,
    /// Start of the last run in which everything was sent.
    pub last_success: Option<DateTime<Utc>>,
    /// App id → what Qwiet said about the app when it was last read in full.
    #[serde(default)]
    pub apps: BTreeMap<String, AppRecord>,
    /// Vulnerability id → what Jira last accepted for it.
    #[serde(default)]
    pub vulnerabilities: BTreeMap<String, Sent>,
}

/// What Qwiet said about an app when it was last read and every one of its
/// vulnerabilities was accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppRecord {
    /// Digest of the app's latest scan id and its finding counts per status.
    pub signature: String,
}

/// What Jira last accepted for one vulnerability.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sent {
    /// The Qwiet app of the finding.
    pub app: String,
    /// [`fingerprint`](super::map::fingerprint) of the vulnerability sent.
    pub fingerprint: String,
    /// The Security Information status sent (`open`, `closed`, ...).
    pub status: String,
}

impl SyncState {
    /// An empty state for `site` and `org_id`.
    pub fn new(site: impl Into<String>, org_id: Uuid) -> Self {
        Self {
            version: VERSION,
            site: site.into(),
            org_id,
            last_success: None,
            apps: BTreeMap::new(),
            vulnerabilities: BTreeMap::new(),
        }
    }
}

/// Why the state file cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StateError {
    /// Reading or replacing the file failed.
    #[error("cannot {action} the state file {path}")]
    Io {
        /// `read` or `write`.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// What the system said.
        #[source]
        source: io::Error,
    },
    /// The file is not a state file of this tool (truncated, edited, another
    /// tool's).
    #[error(
        "the state file {path} is corrupt; move it away to start over (the next run then sends every finding again)"
    )]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// Where parsing stopped.
        #[source]
        source: serde_json::Error,
    },
    /// A layout this version does not read.
    #[error("the state file {path} has layout version {found}; this tool reads version {VERSION}")]
    Version {
        /// The file.
        path: PathBuf,
        /// The version it states.
        found: u32,
    },
    /// The file belongs to another site or organization.
    #[error(
        "the state file {path} records {recorded}, not {wanted}; name another file with --state"
    )]
    OtherTarget {
        /// The file.
        path: PathBuf,
        /// Site and organization in the file.
        recorded: String,
        /// Site and organization of this run.
        wanted: String,
    },
}

/// Reads the state at `path` for `site` and `org_id`; an absent file is a
/// first run.
pub fn load(path: &Path, site: &str, org_id: Uuid) -> Result<SyncState, StateError> {
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(SyncState::new(site, org_id)),
        Err(source) => {
            return Err(StateError::Io {
                action: "read",
                path: path.to_owned(),
                source,
            });
        }
    };
    #[derive(Deserialize)]
    struct Versioned {
        version: u32,
    }
    let corrupt = |source| StateError::Corrupt {
        path: path.to_owned(),
        source,
    };
    let found = serde_json::from_slice::<Versioned>(&bytes)
        .map_err(corrupt)?
        .version;
    if found != VERSION {
        return Err(StateError::Version {
            path: path.to_owned(),
            found,
        });
    }
    let state: SyncState = serde_json::from_slice(&bytes).map_err(corrupt)?;
    if state.site != site || state.org_id != org_id {
        return Err(StateError::OtherTarget {
            path: path.to_owned(),
            recorded: format!("site {} and Qwiet org {}", state.site, state.org_id),
            wanted: format!("site {site} and Qwiet org {org_id}"),
        });
    }
    Ok(state)
}

/// Replaces the file at `path` with `state`: a temporary file in the same
/// directory, flushed to disk, then renamed over the old one, so that a crash
/// leaves either the old state or the new one.
pub fn save(path: &Path, state: &SyncState) -> Result<(), StateError> {
    let io_error = |source| StateError::Io {
        action: "write",
        path: path.to_owned(),
        source,
    };
    let name = path
        .file_name()
        .ok_or_else(|| io_error(io::Error::other("the path names no file")))?;
    let mut temp_name = name.to_owned();
    temp_name.push(format!(".tmp-{}", std::process::id()));
    let temp = path.with_file_name(temp_name);
    let json = serde_json::to_vec_pretty(state).expect("the state serializes");
    let written = (|| {
        let mut file = fs::File::create(&temp)?;
        file.write_all(&json)?;
        file.write_all(b"\n")?;
        file.sync_all()?;
        fs::rename(&temp, path)
    })();
    if let Err(e) = written {
        let _ = fs::remove_file(&temp);
        return Err(io_error(e));
    }
    Ok(())
}
