//! Operations Jira runs asynchronously: it answers `303 See Other` with the
//! task's progress in the body. Generated code sees a 303 as an undocumented
//! status; these methods return the task instead.

use appsec_jira_issue_security::{ByteStream, ResponseValue, types};

use super::JiraClient;
use crate::Error;

type Generated =
    Result<ResponseValue<ByteStream>, progenitor_client::Error<types::ErrorCollection>>;

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
                .map_err(Error::Transport)?;
            return decode(&bytes);
        }
    };
    let bytes = response.bytes().await.map_err(Error::Transport)?;
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
