//! Security Information in bulk: any number of vulnerabilities or workspace
//! ids, validated up front, sent in the service's batch sizes, with one report.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use appsec_jira_security_info::types;
use appsec_runtime::validate::Validate;

use super::JiraClient;
use crate::error::ErrorMessage;
use crate::{Error, SendExt};

/// Most vulnerabilities one submission may carry.
pub const MAX_VULNERABILITIES_PER_REQUEST: usize = 1000;
/// Most workspace ids one link or unlink request may carry.
pub const MAX_WORKSPACES_PER_REQUEST: usize = 100;
/// Most properties a deletion filter may carry (as for a submission).
pub const MAX_PROPERTIES: usize = 5;
/// Longest property value in a deletion filter.
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
    operation_type: Option<types::SubmitVulnerabilitiesRequestOperationType>,
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

    /// Says what kind of traffic the batch is. Jira ranks `NORMAL` (the
    /// default: a user waiting) first and limits it most strictly; a
    /// scheduled sync sends `SCAN`, a first import `BACKFILL`, and gets
    /// lower priority with looser rate limits in return.
    ///
    /// ```
    /// use appsec_sdk::jira::Vulnerabilities;
    /// use appsec_sdk::jira::security_info::types::SubmitVulnerabilitiesRequestOperationType as Traffic;
    ///
    /// let batch = Vulnerabilities::new(Vec::new()).operation_type(Traffic::Scan);
    /// assert!(batch.validate().is_ok());
    /// ```
    pub fn operation_type(
        mut self,
        kind: types::SubmitVulnerabilitiesRequestOperationType,
    ) -> Self {
        self.operation_type = Some(kind);
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

    /// Checks what the service would reject, without sending anything: every
    /// constraint the spec records for a vulnerability and for a submission
    /// (checked by the generated validation), the property key rules the
    /// service states only in prose, and ids repeated within the batch.
    pub fn validate(&self) -> Result<(), Error> {
        check_property_keys(self.properties.keys())?;
        let mut seen = HashSet::new();
        for (i, v) in self.items.iter().enumerate() {
            let id = v.id.as_str();
            if !seen.insert(id) {
                return Err(Error::InvalidInput(format!(
                    "vulnerability id {id:?} appears twice in one batch"
                )));
            }
            v.validate().map_err(|violation| {
                Error::InvalidInput(format!(
                    "vulnerability {id:?} (vulnerabilities[{i}]): {violation}"
                ))
            })?;
        }
        // What applies to a whole request (how many properties, how long
        // their values) is the same for every request of the batch.
        if let Some(first) = self.items.first() {
            self.request(vec![first.clone()])?
                .validate()
                .map_err(|violation| Error::InvalidInput(format!("request body: {violation}")))?;
        }
        Ok(())
    }

    /// One submission request carrying `chunk`, with the batch's properties
    /// and provider.
    fn request(
        &self,
        chunk: Vec<types::VulnerabilityDetails>,
    ) -> Result<types::SubmitVulnerabilitiesRequest, Error> {
        let invalid =
            |what: &str, e: &dyn std::fmt::Display| Error::InvalidInput(format!("{what}: {e}"));
        let properties: HashMap<String, types::SubmitVulnerabilitiesRequestPropertiesValue> = self
            .properties
            .iter()
            .map(|(k, v)| {
                v.parse()
                    .map(|v| (k.clone(), v))
                    .map_err(|e| invalid(&format!("property {k:?}"), &e))
            })
            .collect::<Result<_, _>>()?;
        let provider_metadata: Option<types::ProviderMetadata> = self
            .product
            .clone()
            .map(|product| {
                types::ProviderMetadata::builder()
                    .product(Some(product))
                    .try_into()
            })
            .transpose()
            .map_err(|e| invalid("provider", &e))?;
        types::SubmitVulnerabilitiesRequest::builder()
            .properties(properties)
            .provider_metadata(provider_metadata)
            .operation_type(self.operation_type.clone())
            .vulnerabilities(chunk)
            .try_into()
            .map_err(|e| invalid("submission", &e))
    }
}

/// The rules for property keys, which the service states only in prose.
fn check_property_keys<'a>(keys: impl Iterator<Item = &'a String>) -> Result<(), Error> {
    for key in keys {
        if key.is_empty() || key.contains(':') || key.starts_with('_') {
            return Err(Error::InvalidInput(format!(
                "property key {key:?} must be non-empty, contain no ':' and not start with '_'"
            )));
        }
    }
    Ok(())
}

/// Checks property filters for deletion. They travel as query parameters,
/// which the generated validation does not cover, so the submission limits
/// are checked here.
fn validate_property_filters(properties: &BTreeMap<String, String>) -> Result<(), Error> {
    if properties.len() > MAX_PROPERTIES {
        return Err(Error::InvalidInput(format!(
            "{} properties given; at most {MAX_PROPERTIES} are allowed",
            properties.len()
        )));
    }
    check_property_keys(properties.keys())?;
    for (key, value) in properties {
        if value.chars().count() > MAX_PROPERTY_VALUE_LEN {
            return Err(Error::InvalidInput(format!(
                "property {key:?} is longer than {MAX_PROPERTY_VALUE_LEN} characters"
            )));
        }
    }
    Ok(())
}

/// The merged outcome of a bulk submission.
///
/// Every submitted id appears exactly once: in `accepted` or in `failed`.
/// What the service says about ids the SDK never sent in that request goes to
/// `anomalies` and never counts as accepted.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct SubmitReport {
    /// Ids Jira accepted, in the order they were submitted.
    pub accepted: Vec<String>,
    /// Ids Jira (or the transport) rejected, or that the service's answer did
    /// not mention, with every reason given.
    pub failed: BTreeMap<String, Vec<ErrorMessage>>,
    /// Associations Jira could not resolve (unknown issue keys).
    pub unknown_associations: Vec<types::SubmitVulnerabilitiesResponseUnknownAssociationsItem>,
    /// Ids the service reported on although the request did not carry them.
    pub anomalies: Vec<ServiceAnomaly>,
    /// How many requests were sent.
    pub requests: usize,
}

impl SubmitReport {
    /// True when every vulnerability was accepted.
    pub fn all_accepted(&self) -> bool {
        self.failed.is_empty()
    }
}

/// An id a bulk answer listed although its request did not carry it: a
/// service fault the caller may want to log, never an outcome for that id.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServiceAnomaly {
    /// The id as the service wrote it.
    pub id: String,
    /// Which list the service put it in.
    pub listed_as: ListedAs,
}

/// Where a bulk answer listed an id.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ListedAs {
    /// Among the accepted ids.
    Accepted,
    /// Among the failed ids, with these messages (also when it was listed as
    /// accepted too).
    Failed(Vec<ErrorMessage>),
}

/// The failure recorded for a submitted id the service's answer left out.
pub const NOT_REPORTED: &str = "not reported by the service: neither accepted nor failed";

impl JiraClient {
    /// Submits any number of vulnerabilities in requests of at most 1000.
    ///
    /// The whole batch is validated first; if anything is invalid nothing is
    /// sent. A request that fails as a whole marks each of its vulnerabilities
    /// as failed with the error, and the remaining requests still go out.
    pub async fn submit_vulnerabilities(
        &self,
        mut batch: Vulnerabilities,
    ) -> Result<SubmitReport, Error> {
        // Refused credentials are reported even for an empty batch.
        self.security_info()?;
        batch.validate()?;
        let mut report = SubmitReport::default();
        let mut items = std::mem::take(&mut batch.items);
        while !items.is_empty() {
            let rest = items.split_off(items.len().min(MAX_VULNERABILITIES_PER_REQUEST));
            let chunk = std::mem::replace(&mut items, rest);
            let ids: Vec<String> = chunk.iter().map(|v| v.id.to_string()).collect();
            let body = batch.request(chunk)?;
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

    /// Links any number of security workspaces, 100 per request; an id given
    /// twice is sent once. Returns how many requests were sent.
    pub async fn link_workspaces<I, S>(&self, ids: I) -> Result<usize, Error>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        per_workspace_chunk(workspace_ids(ids)?, |chunk| async move {
            let body = types::SubmitSecurityWorkspacesRequest::builder().workspace_ids(chunk);
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

    /// Unlinks any number of security workspaces, 100 per request; an id
    /// given twice is sent once. Returns how many requests were sent.
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
        validate_property_filters(&properties)?;
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

/// Parses workspace ids, keeping the first of any repeated id so that each
/// is sent exactly once.
fn workspace_ids<I, S>(ids: I) -> Result<Vec<types::SecurityWorkspaceIDsItem>, Error>
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    let mut seen = HashSet::new();
    let mut parsed = Vec::new();
    for id in ids {
        let id: String = id.into();
        if seen.contains(&id) {
            continue;
        }
        let item = id
            .parse()
            .map_err(|e| Error::InvalidInput(format!("workspace id {id:?}: {e}")))?;
        seen.insert(id);
        parsed.push(item);
    }
    Ok(parsed)
}

/// Folds one request's answer into the report: each id of `sent` gets exactly
/// one outcome (a failure wins over an acceptance; all messages are kept), and
/// ids the request did not carry become anomalies.
fn merge(
    report: &mut SubmitReport,
    sent: Vec<String>,
    outcome: types::SubmitVulnerabilitiesResponse,
) {
    let carried: HashSet<&str> = sent.iter().map(String::as_str).collect();
    let mut failed: HashMap<String, Vec<ErrorMessage>> = HashMap::new();
    let mut unsent_failed: BTreeMap<String, Vec<ErrorMessage>> = BTreeMap::new();
    for (id, errors) in outcome.failed_vulnerabilities {
        let messages = errors
            .into_iter()
            .map(|e| ErrorMessage {
                message: e.message,
                error_trace_id: e.error_trace_id,
            })
            .collect();
        if carried.contains(id.as_str()) {
            failed.insert(id, messages);
        } else {
            unsent_failed.insert(id, messages);
        }
    }
    let mut accepted: HashSet<String> = HashSet::new();
    let mut unsent_accepted: BTreeSet<String> = BTreeSet::new();
    for id in outcome.accepted_vulnerabilities {
        if carried.contains(id.as_str()) {
            accepted.insert(id);
        } else if !unsent_failed.contains_key(&id) {
            unsent_accepted.insert(id);
        }
    }
    report
        .unknown_associations
        .extend(outcome.unknown_associations);
    report.anomalies.extend(
        unsent_accepted
            .into_iter()
            .map(|id| ServiceAnomaly {
                id,
                listed_as: ListedAs::Accepted,
            })
            .chain(
                unsent_failed
                    .into_iter()
                    .map(|(id, messages)| ServiceAnomaly {
                        id,
                        listed_as: ListedAs::Failed(messages),
                    }),
            ),
    );
    for id in sent {
        if let Some(messages) = failed.remove(&id) {
            report.failed.insert(id, messages);
        } else if accepted.contains(&id) {
            report.accepted.push(id);
        } else {
            report.failed.insert(
                id,
                vec![ErrorMessage {
                    message: NOT_REPORTED.into(),
                    error_trace_id: None,
                }],
            );
        }
    }
}
