//! Operations Jira runs asynchronously: it answers `303 See Other` with the
//! task's progress in the body. Generated code sees a 303 as an undocumented
//! status; these methods return the task instead, and
//! [`JiraClient::wait_for_task`] polls it until it is over.

use std::time::Duration;

use appsec_jira_issue_security::{ByteStream, ResponseValue, types};
use types::TaskProgressBeanObjectStatus as Status;

use super::JiraClient;
use crate::{Error, SendExt};

/// How [`JiraClient::wait_for_task`] polls: the first pause, the longest
/// pause (pauses double up to it), and how long to wait in all.
///
/// ```
/// use std::time::Duration;
/// use appsec_sdk::jira::TaskWait;
/// let wait = TaskWait::default().timeout(Duration::from_secs(60));
/// assert_eq!(wait.timeout_after(), Duration::from_secs(60));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaskWait {
    first: Duration,
    longest: Duration,
    timeout: Duration,
}

impl Default for TaskWait {
    /// Polls after 500 ms, then at most every 10 s, for up to 10 minutes.
    fn default() -> Self {
        Self {
            first: Duration::from_millis(500),
            longest: Duration::from_secs(10),
            timeout: Duration::from_secs(600),
        }
    }
}

impl TaskWait {
    /// The first pause and the longest one.
    pub fn intervals(mut self, first: Duration, longest: Duration) -> Self {
        self.first = first;
        self.longest = longest.max(first);
        self
    }

    /// How long to wait in all before giving up.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The configured timeout.
    pub fn timeout_after(&self) -> Duration {
        self.timeout
    }
}

/// True once a task can no longer change.
fn is_over(status: &Status) -> bool {
    matches!(
        status,
        Status::Complete | Status::Failed | Status::Cancelled | Status::Dead
    )
}

type Generated = Result<ResponseValue<ByteStream>, progenitor_client::Error<()>>;

/// Reads the task out of a 303 (or a 2xx, should Jira answer directly).
async fn task(outcome: Generated) -> Result<types::TaskProgressBeanObject, Error> {
    let response = match outcome {
        Err(progenitor_client::Error::UnexpectedResponse(r))
            if r.status() == reqwest::StatusCode::SEE_OTHER =>
        {
            r
        }
        Err(e) => return Err(Error::from_generated_raw(e).await),
        Ok(value) => {
            use futures::TryStreamExt;
            let bytes: Vec<u8> = value
                .into_inner()
                .into_inner()
                .map_ok(|chunk| chunk.to_vec())
                .try_concat()
                .await
                .map_err(Error::from_transport)?;
            return decode(&bytes);
        }
    };
    // A task document is small; a body past this bound cannot be one.
    let bytes = crate::error::read_bounded(response, 1024 * 1024)
        .await
        .map_err(Error::from_transport)?;
    decode(&bytes)
}

fn decode(bytes: &[u8]) -> Result<types::TaskProgressBeanObject, Error> {
    serde_json::from_slice(bytes)
        .map_err(|e| crate::error::decode_error::<types::TaskProgressBeanObject>(bytes, &e))
}

impl JiraClient {
    /// Associates issue security schemes with projects and remaps existing
    /// issues' levels; returns the asynchronous task Jira started.
    pub async fn associate_schemes_to_projects(
        &self,
        body: types::AssociateSecuritySchemeWithProjectDetails,
    ) -> Result<types::TaskProgressBeanObject, Error> {
        task(
            self.issue_security
                .associate_schemes_to_projects()
                .body(body)
                .send()
                .await,
        )
        .await
    }

    /// Removes a level, moving its issues to `replace_with` (or no level);
    /// returns the asynchronous task Jira started.
    pub async fn remove_level(
        &self,
        scheme_id: &str,
        level_id: &str,
        replace_with: Option<&str>,
    ) -> Result<types::TaskProgressBeanObject, Error> {
        let request = self
            .issue_security
            .remove_level()
            .scheme_id(scheme_id)
            .level_id(level_id);
        let request = match replace_with {
            Some(level) => request.replace_with(level),
            None => request,
        };
        task(request.send().await).await
    }
}

impl JiraClient {
    /// The current state of an asynchronous task.
    pub async fn task(&self, task_id: &str) -> Result<types::TaskProgressBeanObject, Error> {
        self.issue_security
            .get_task()
            .task_id(task_id)
            .send()
            .value()
            .await
    }

    /// Asks Jira to cancel a task; poll it (or [`wait_for_task`](Self::wait_for_task))
    /// to see it end as `CANCELLED`.
    pub async fn cancel_task(&self, task_id: &str) -> Result<(), Error> {
        self.issue_security
            .cancel_task()
            .task_id(task_id)
            .send()
            .value()
            .await
            .map(drop)
    }

    /// Polls `task` until it is over and returns it once `COMPLETE`.
    ///
    /// A task that ends `FAILED`, `CANCELLED` or `DEAD` is
    /// [`Error::TaskEnded`]; one still running after the timeout is
    /// [`Error::Timeout`]. Pauses double from the first to the longest
    /// configured interval; a status Jira adds later counts as still running.
    ///
    /// ```no_run
    /// # async fn run(jira: appsec_sdk::JiraClient, body: appsec_sdk::jira::issue_security::types::AssociateSecuritySchemeWithProjectDetails) -> Result<(), appsec_sdk::Error> {
    /// use appsec_sdk::jira::TaskWait;
    /// let started = jira.associate_schemes_to_projects(body).await?;
    /// let done = jira.wait_for_task(&started, TaskWait::default()).await?;
    /// println!("finished in {} ms", done.elapsed_runtime);
    /// # Ok(()) }
    /// ```
    pub async fn wait_for_task(
        &self,
        task: &types::TaskProgressBeanObject,
        wait: TaskWait,
    ) -> Result<types::TaskProgressBeanObject, Error> {
        let deadline = tokio::time::Instant::now()
            .checked_add(wait.timeout)
            .unwrap_or_else(far_future);
        let mut pause = wait.first;
        let mut current = task.clone();
        loop {
            if is_over(&current.status) {
                return match current.status {
                    Status::Complete => Ok(current),
                    _ => Err(Error::TaskEnded {
                        id: current.id.clone(),
                        status: current.status.to_string(),
                        message: current.message.clone(),
                    }),
                };
            }
            let now = tokio::time::Instant::now();
            if now >= deadline {
                return Err(Error::Timeout(format!(
                    "task {} was still {} after {:?}",
                    current.id, current.status, wait.timeout
                )));
            }
            tokio::time::sleep(pause.min(deadline - now)).await;
            pause = pause.saturating_mul(2).min(wait.longest);
            current = self.task(&current.id).await?;
        }
    }
}

/// An instant no timeout reaches (about 30 years ahead).
fn far_future() -> tokio::time::Instant {
    tokio::time::Instant::now() + Duration::from_secs(86_400 * 365 * 30)
}
