//! Memory while streaming Qwiet findings: resident set size of this process
//! at a few points of one long `org_findings` stream.
//!
//! The sandbox holding the findings runs in a child process (this binary
//! started again with `--serve-sandbox`), so its memory is not counted.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use appsec_sandbox::{DEMO_QWIET_TOKEN, SANDBOX_ORG_ID, Sandbox, SandboxConfig};
use appsec_sdk::qwiet::api::types::Status;
use appsec_sdk::{Paginate, QwietClient};
use futures::TryStreamExt;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The flag that turns this binary into the sandbox process.
pub const SERVE_FLAG: &str = "--serve-sandbox";
/// The line prefix the sandbox process announces its Qwiet URL with.
const URL_PREFIX: &str = "QWIET_URL ";

/// Resident memory, in bytes, from `/proc/<pid>/status`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Rss {
    /// `VmRSS`: resident now.
    pub current: u64,
    /// `VmHWM`: the peak so far.
    pub peak: u64,
}

impl Rss {
    /// This process's figures; zero where `/proc` is not available.
    pub fn of_self() -> Rss {
        Rss::read("/proc/self/status")
    }

    fn of_pid(pid: u32) -> Rss {
        Rss::read(&format!("/proc/{pid}/status"))
    }

    fn read(path: &str) -> Rss {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let field = |name: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|kb| kb.parse::<u64>().ok())
                .map_or(0, |kb| kb * 1024)
        };
        Rss {
            current: field("VmRSS:"),
            peak: field("VmHWM:"),
        }
    }
}

/// Memory at one point of the stream.
#[derive(Debug, Clone, Copy)]
pub struct Checkpoint {
    /// Items received so far.
    pub items: usize,
    /// This process's memory then.
    pub rss: Rss,
}

/// The whole run.
#[derive(Debug, Clone)]
pub struct MemoryResult {
    /// Findings streamed.
    pub items: usize,
    /// Page size asked for.
    pub per_page: i64,
    /// Before the first request (client built, sandbox running elsewhere).
    pub before: Rss,
    /// At each checkpoint.
    pub checkpoints: Vec<Checkpoint>,
    /// The sandbox process's memory at the end (not included above).
    pub sandbox: Rss,
    /// Wall time of the stream.
    pub elapsed: Duration,
}

/// Entry point of the child process: serves `findings` Qwiet findings until
/// its standard input closes.
pub fn serve_sandbox(findings: usize) -> Result<(), BoxError> {
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let sandbox = Sandbox::start(SandboxConfig {
            qwiet_findings: findings,
            ..SandboxConfig::default()
        })
        .await?;
        println!("{URL_PREFIX}{}", sandbox.qwiet_url());
        // The parent closes our stdin (or dies) when it is done.
        tokio::task::spawn_blocking(|| {
            let _ = std::io::stdin().read_to_end(&mut Vec::new());
        })
        .await?;
        sandbox.shutdown().await;
        Ok(())
    })
}

/// The sandbox child process; stopped when dropped.
struct SandboxProcess {
    child: Child,
    qwiet_url: String,
}

impl SandboxProcess {
    fn spawn(findings: usize) -> Result<SandboxProcess, BoxError> {
        let mut child = Command::new(std::env::current_exe()?)
            .args([SERVE_FLAG, &findings.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let qwiet_url = loop {
            match lines.next() {
                Some(line) => {
                    if let Some(url) = line?.strip_prefix(URL_PREFIX) {
                        break url.to_string();
                    }
                }
                None => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err("the sandbox process exited before printing its URL".into());
                }
            }
        };
        Ok(SandboxProcess { child, qwiet_url })
    }
}

impl Drop for SandboxProcess {
    fn drop(&mut self) {
        // Closing stdin asks it to stop; kill it if it does not soon.
        drop(self.child.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Streams `items` findings, 250 per page, reading memory at
/// `checkpoints` (item counts, ascending).
pub async fn run(items: usize, checkpoints: &[usize]) -> Result<MemoryResult, BoxError> {
    const PER_PAGE: i64 = 250;
    let sandbox = SandboxProcess::spawn(items)?;
    let qwiet = QwietClient::builder()
        .base_url(sandbox.qwiet_url.clone())
        .bearer_token(DEMO_QWIET_TOKEN)
        .build()?;
    let org: uuid::Uuid = SANDBOX_ORG_ID.parse()?;

    let before = Rss::of_self();
    let start = Instant::now();
    let mut stream = qwiet
        .api()
        .list_org_findings()
        .org_id(org)
        .per_page(PER_PAGE)
        .status(Status::Any)
        .paginate()
        .items();
    let mut seen = 0usize;
    let mut id_bytes = 0usize;
    let mut taken = Vec::new();
    let mut next = checkpoints.iter().copied().peekable();
    while let Some(finding) = stream.try_next().await? {
        seen += 1;
        id_bytes += finding.id.len();
        if next.peek() == Some(&seen) {
            next.next();
            taken.push(Checkpoint {
                items: seen,
                rss: Rss::of_self(),
            });
        }
    }
    let elapsed = start.elapsed();
    std::hint::black_box(id_bytes);
    if seen != items {
        return Err(format!("streamed {seen} findings, expected {items}").into());
    }
    let sandbox_rss = Rss::of_pid(sandbox.child.id());
    drop(sandbox);
    Ok(MemoryResult {
        items,
        per_page: PER_PAGE,
        before,
        checkpoints: taken,
        sandbox: sandbox_rss,
        elapsed,
    })
}
