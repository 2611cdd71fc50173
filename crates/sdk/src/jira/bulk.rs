//! Security Information in bulk: any number of vulnerabilities or workspace
//! ids, validated up front, sent in the service's batch sizes, with one report.

use std::collections::{BTreeMap, HashMap, HashSet};

use appsec_jira_security_info::types;

use super::JiraClient;
use crate::error::ErrorMessage;
use crate::{Error, SendExt};

/// Most vulnerabilities one submission may carry.
pub const MAX_VULNERABILITIES_PER_REQUEST: usize = 1000;
/// Most workspace ids one link or unlink request may carry.
pub const MAX_WORKSPACES_PER_REQUEST: usize = 100;
/// Most submission properties.
pub const MAX_PROPERTIES: usize = 5;
/// Longest property value.
pub const MAX_PROPERTY_VALUE_LEN: usize = 255;

/// Vulnerabilities to submit, with the properties that tag them (usable later
/// with [`JiraClient::delete_vulnerabilities_by_properties`]).
///
/// ```
/// use appsec_sdk::jira::Vulnerabilities;
///
/// let batch = Vulnerabilities::new(Vec::new())
///     .property("source", "qwiet")
///     .provider("Qwiet");
/// assert!(batch.validate().is_ok());
/// assert!(Vulnerabilities::new(Vec::new()).property("_hidden", "x").validate().is_err());
/// ```
#[derive(Debug, Clone, Default)]
pub struct Vulnerabilities {
    items: Vec<types::VulnerabilityDetails>,
    properties: BTreeMap<String, String>,
    product: Option<String>,
}

impl Vulnerabilities {
    /// A batch of any size.
    pub fn new(items: Vec<types::VulnerabilityDetails>) -> Self {
        Self {
            items,
            ..Self::default()
        }
    }

    /// Tags every vulnerability in the batch with `key = value`.
    pub fn property(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.properties.insert(key.into(), value.into());
        self
    }

    /// Names the tool that found the vulnerabilities.
    pub fn provider(mut self, product: impl Into<String>) -> Self {
        self.product = Some(product.into());
        self
    }

    /// Number of vulnerabilities.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// True when there is nothing to send.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Checks what the service would reject, without sending anything.
    pub fn validate(&self) -> Result<(), Error> {
        validate_properties(self.properties.iter())?;
        let mut seen = HashSet::new();
        for v in &self.items {
            let id = v.id.to_string();
            if !seen.insert(id.clone()) {
                return Err(Error::InvalidInput(format!(
                    "vulnerability id {id:?} appears twice in one batch"
                )));
            }
        }
        Ok(())
    }
}

/// Checks submission property keys and values as the service does.
fn validate_properties<'a>(
    properties: impl ExactSizeIterator<Item = (&'a String, &'a String)>,
) -> Result<(), Error> {
    if properties.len() > MAX_PROPERTIES {
        return Err(Error::InvalidInput(format!(
            "{} properties given; at most {MAX_PROPERTIES} are allowed",
            properties.len()
        )));
    }
    for (key, value) in properties {
        if key.is_empty() || key.contains(':') || key.starts_with('_') {
            return Err(Error::InvalidInput(format!(
                "property key {key:?} must be non-empty, contain no ':' and not start with '_'"
            )));
        }
        if value.chars().count() > MAX_PROPERTY_VALUE_LEN {
            return Err(Error::InvalidInput(format!(
                "property {key:?} is longer than {MAX_PROPERTY_VALUE_LEN} characters"
            )));
        }
    }
    Ok(())
}

/// The merged outcome of a bulk submission. Nothing is left out: every id is
/// either accepted or failed.
#[derive(Debug, Clone, Default)]
pub struct SubmitReport {
    /// Ids Jira accepted.
    pub accepted: Vec<String>,
    /// Ids Jira (or the transport) rejected, with the reasons.
    pub failed: BTreeMap<String, Vec<ErrorMessage>>,
    /// Associations Jira could not resolve (unknown issue keys).
    pub unknown_associations: Vec<types::SubmitVulnerabilitiesResponseUnknownAssociationsItem>,
    /// How many requests were sent.
    pub requests: usize,
}

impl SubmitReport {
    /// True when every vulnerability was accepted.
    pub fn all_accepted(&self) -> bool {
        self.failed.is_empty()
    }
}

impl JiraClient {
    /// Submits any number of vulnerabilities in requests of at most 1000.
    ///
    /// The whole batch is validated first; if anything is invalid nothing is
    /// sent. A request that fails as a whole marks each of its vulnerabilities
    /// as failed with the error, and the remaining requests still go out.
    pub async fn submit_vulnerabilities(
        &self,
        batch: Vulnerabilities,
    ) -> Result<SubmitReport, Error> {
        // Refused credentials are reported even for an empty batch.
        self.security_info()?;
        batch.validate()?;
        let properties: HashMap<String, types::SubmitVulnerabilitiesRequestPropertiesValue> = batch
            .properties
            .iter()
            .map(|(k, v)| {
                v.parse()
                    .map(|v| (k.clone(), v))
                    .map_err(|e| Error::InvalidInput(format!("property {k:?}: {e}")))
            })
            .collect::<Result<_, _>>()?;
        let provider_metadata = batch.product.map(|product| types::ProviderMetadata {
            product: Some(product),
        });

        let mut report = SubmitReport::default();
        let mut items = batch.items;
        while !items.is_empty() {
            let rest = items.split_off(items.len().min(MAX_VULNERABILITIES_PER_REQUEST));
            let chunk = std::mem::replace(&mut items, rest);
            let ids: Vec<String> = chunk.iter().map(|v| v.id.to_string()).collect();
            let body = types::SubmitVulnerabilitiesRequest {
                operation_type: None,
                properties: properties.clone(),
                provider_metadata: provider_metadata.clone(),
                vulnerabilities: chunk,
            };
            report.requests += 1;
            match self
                .security_info()?
                .submit_vulnerabilities()
                .body(body)
                .send()
                .value()
                .await
            {
                Ok(outcome) => merge(&mut report, ids, outcome),
                Err(e @ Error::InvalidInput(_)) => return Err(e),
                Err(e) => {
                    let message = e.to_string();
                    for id in ids {
                        report.failed.insert(
                            id,
                            vec![ErrorMessage {
                                message: message.clone(),
                                error_trace_id: None,
                            }],
                        );
                    }
                }
            }
        }
        Ok(report)
    }

    /// Links any number of security workspaces, 100 per request.
    /// Returns how many requests were sent.
    pub async fn link_workspaces<I, S>(&self, ids: I) -> Result<usize, Error>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        per_workspace_chunk(workspace_ids(ids)?, |chunk| async move {
            let body = types::SubmitSecurityWorkspacesRequest {
                workspace_ids: chunk,
            };
            self.security_info()?
                .submit_workspaces()
                .body(body)
                .send()
                .value()
                .await
                .map(drop)
        })
        .await
    }

    /// Unlinks any number of security workspaces, 100 per request.
    /// Returns how many requests were sent.
    pub async fn unlink_workspaces<I, S>(&self, ids: I) -> Result<usize, Error>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        per_workspace_chunk(workspace_ids(ids)?, |chunk| async move {
            let chunk: Vec<String> = chunk.into_iter().map(String::from).collect();
            self.security_info()?
                .delete_linked_workspaces()
                .workspace_ids(chunk)
                .send()
                .value()
                .await
                .map(drop)
        })
        .await
    }

    /// Deletes every vulnerability tagged with all the given properties.
    pub async fn delete_vulnerabilities_by_properties<I, K, V>(
        &self,
        properties: I,
    ) -> Result<(), Error>
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        let properties: BTreeMap<String, String> = properties
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        if properties.is_empty() {
            return Err(Error::InvalidInput(
                "deleting by properties needs at least one property".into(),
            ));
        }
        validate_properties(properties.iter())?;
        self.security_info()?
            .delete_vulnerabilities_by_property()
            .properties(properties.into_iter().collect::<HashMap<_, _>>())
            .send()
            .value()
            .await
    }
}

/// Sends one request per chunk of at most 100 workspace ids, in order,
/// stopping at the first failure; returns how many requests were sent.
async fn per_workspace_chunk<F, Fut>(
    ids: Vec<types::SecurityWorkspaceIDsItem>,
    mut send: F,
) -> Result<usize, Error>
where
    F: FnMut(Vec<types::SecurityWorkspaceIDsItem>) -> Fut,
    Fut: std::future::Future<Output = Result<(), Error>>,
{
    let mut requests = 0;
    for chunk in ids.chunks(MAX_WORKSPACES_PER_REQUEST) {
        requests += 1;
        send(chunk.to_vec()).await?;
    }
    Ok(requests)
}

fn workspace_ids<I, S>(ids: I) -> Result<Vec<types::SecurityWorkspaceIDsItem>, Error>
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    ids.into_iter()
        .map(|id| {
            let id = id.into();
            id.parse()
                .map_err(|e| Error::InvalidInput(format!("workspace id {id:?}: {e}")))
        })
        .collect()
}

fn merge(
    report: &mut SubmitReport,
    sent: Vec<String>,
    outcome: types::SubmitVulnerabilitiesResponse,
) {
    let mut answered: HashSet<String> = HashSet::new();
    for id in outcome.accepted_vulnerabilities {
        answered.insert(id.clone());
        report.accepted.push(id);
    }
    for (id, errors) in outcome.failed_vulnerabilities {
        answered.insert(id.clone());
        let messages = errors
            .into_iter()
            .map(|e| ErrorMessage {
                message: e.message,
                error_trace_id: e.error_trace_id,
            })
            .collect();
        report.failed.insert(id, messages);
    }
    report
        .unknown_associations
        .extend(outcome.unknown_associations);
    // An id the service neither accepted nor rejected is not silently dropped.
    for id in sent.into_iter().filter(|id| !answered.contains(id)) {
        report.failed.insert(
            id,
            vec![ErrorMessage {
                message: "the service did not report this vulnerability as accepted".into(),
                error_trace_id: None,
            }],
        );
    }
}
