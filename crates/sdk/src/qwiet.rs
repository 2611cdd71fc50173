//! Qwiet API v4: apps, scans, findings and access control, with listings as
//! streams.

use std::num::NonZeroU64;
use std::sync::Arc;

use appsec_qwiet::{builder, types};
use appsec_runtime::ClientContext;
use uuid::Uuid;

use crate::SendExt;
use crate::builder::{ClientBuilder, FromParts};
use crate::paginate::{CursorPage, CursorPaginator};

/// The generated Qwiet client and its types.
pub use appsec_qwiet as api;

/// Where Qwiet's API lives.
pub const DEFAULT_BASE_URL: &str = "https://app.shiftleft.io/api/v4";

/// A Qwiet API client.
///
/// ```no_run
/// use appsec_sdk::{QwietClient, SendExt};
/// use futures::TryStreamExt;
///
/// # async fn run(org: uuid::Uuid) -> Result<(), appsec_sdk::Error> {
/// let qwiet = QwietClient::builder().bearer_token("access-token").build()?;
///
/// // Every critical finding in the organization, page after page.
/// let critical = appsec_sdk::qwiet::api::types::Severity::Critical;
/// let mut findings = qwiet
///     .org_findings(org, move |q| q.severity(critical.clone()).per_page(250))
///     .items();
/// while let Some(finding) = findings.try_next().await? {
///     println!("{} {}", finding.id, finding.title.as_deref().unwrap_or(""));
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct QwietClient {
    api: api::Client,
    base_url: reqwest::Url,
}

impl FromParts for QwietClient {
    fn from_parts(base_url: String, http: reqwest::Client, ctx: ClientContext) -> Self {
        let url = ctx.base_url().clone();
        Self {
            api: api::Client::new_with_client(&base_url, http, ctx),
            base_url: url,
        }
    }
}

/// Qwiet lists whose envelopes carry items plus `next_page`/`has_more`.
trait CursorEnvelope {
    type Item;
    fn into_page(self) -> CursorPage<Self::Item>;
}

macro_rules! cursor_envelope {
    ($($resp:ident => $item:ident: |$r:ident| ($items:expr, $next:expr, $more:expr)),* $(,)?) => {$(
        impl CursorEnvelope for types::$resp {
            type Item = types::$item;
            fn into_page(self) -> CursorPage<types::$item> {
                let $r = self;
                CursorPage {
                    next_page: $next,
                    has_more: $more,
                    items: $items,
                }
            }
        }
    )*};
}

fn link(next: Option<types::NextPage>) -> Option<String> {
    next.map(|n| n.0)
}

cursor_envelope! {
    ListOrgFindingsResponse => Finding: |r| (r.response.findings, link(r.next_page), r.response.has_more),
    ListAppFindingsResponse => Finding: |r| (r.response.findings, link(r.next_page), r.response.has_more),
    ListCompoundFindingsResponse => Finding: |r| (r.response.findings, link(r.next_page), r.response.has_more),
    ListOrgCompoundsResponse => Compound: |r| (r.response.compounds, link(r.next_page), None),
    ListOrgRbacUsersResponse => ListRbacUserInfo: |r| (r.response, link(r.next_page), None),
    ListOrgRbacInvitationsResponse => ListRbacInvitationInfo: |r| (r.response, link(r.next_page), None),
    ListHumanGroupsEnvelope => ReadHumanGroupResponse: |r| (r.response.groups, link(r.next_page), None),
    ListTeamsEnvelope => ListTeamsResponseItem: |r| (r.response.0, link(r.next_page), None),
    GetStreamlinedScansResponse => StreamlinedScan: |r| (r.response.scans, link(r.next_page), None),
    ReadAppScaPackagesResponse => ScaPackage: |r| (r.response.packages, None, Some(r.response.has_more)),
    ReadCompoundScaPackagesResponse => ScaPackage: |r| (r.response.packages, None, Some(r.response.has_more)),
}

fn page_i64(n: i64) -> i64 {
    n
}

fn page_nonzero(n: i64) -> NonZeroU64 {
    NonZeroU64::new(n.max(1) as u64).unwrap_or(NonZeroU64::MIN)
}

/// Defines a listing method. Path parameters are taken explicitly; filters
/// come from `configure`; the paginator sets `page`.
macro_rules! cursor_listing {
    ($(#[$doc:meta])* $method:ident($($arg:ident: $ty:ty),*) => $op:ident($builder:ident) -> $item:ident, $page:ident) => {
        cursor_listing! {
            $(#[$doc])* $method($($arg: $ty),*) => $op($builder) -> $item, page = $page
        }
    };
    ($(#[$doc:meta])* $method:ident($($arg:ident: $ty:ty),*) => $op:ident($builder:ident) -> $item:ident, $setter:ident = $conv:ident) => {
        $(#[$doc])*
        pub fn $method<F>(&self, $($arg: $ty,)* configure: F) -> CursorPaginator<types::$item>
        where
            F: for<'a> Fn(builder::$builder<'a>) -> builder::$builder<'a> + Send + Sync + 'static,
        {
            let client = self.api.clone();
            let configure = Arc::new(configure);
            $(let $arg = $arg.clone();)*
            CursorPaginator::new(
                Arc::new(move |page: Option<i64>| {
                    let client = client.clone();
                    let configure = configure.clone();
                    $(let $arg = $arg.clone();)*
                    Box::pin(async move {
                        let request = configure(client.$op()$(.$arg($arg))*);
                        let request = match page {
                            Some(n) => request.$setter($conv(n)),
                            None => request,
                        };
                        Ok(request.send().value().await?.into_page())
                    })
                }),
                self.base_url.clone(),
                stringify!($setter),
            )
        }
    };
}

impl QwietClient {
    /// Starts configuring a client for [`DEFAULT_BASE_URL`]; change it with
    /// [`ClientBuilder::base_url`].
    pub fn builder() -> ClientBuilder<QwietClient> {
        ClientBuilder::new(DEFAULT_BASE_URL)
    }

    /// The generated client (all 145 operations).
    pub fn api(&self) -> &api::Client {
        &self.api
    }

    cursor_listing! {
        /// Findings across the organization.
        org_findings(org_id: Uuid) => list_org_findings(ListOrgFindings) -> Finding, page_i64
    }
    cursor_listing! {
        /// Findings of one app.
        app_findings(org_id: Uuid, app_id: String) => list_app_findings(ListAppFindings) -> Finding, page_i64
    }
    cursor_listing! {
        /// Findings of a compound app.
        compound_findings(org_id: Uuid, compound_name: String) => list_compound_findings(ListCompoundFindings) -> Finding, page_nonzero
    }
    cursor_listing! {
        /// Compound apps of the organization.
        compounds(org_id: Uuid) => list_org_compounds(ListOrgCompounds) -> Compound, page_nonzero
    }
    cursor_listing! {
        /// Users of the organization.
        rbac_users(org_id: Uuid) => list_org_rbac_users(ListOrgRbacUsers) -> ListRbacUserInfo, page_i64
    }
    cursor_listing! {
        /// Pending invitations.
        invitations(org_id: Uuid) => list_org_rbac_invitations(ListOrgRbacInvitations) -> ListRbacInvitationInfo, page_i64
    }
    cursor_listing! {
        /// Groups of users.
        groups(org_id: Uuid) => list_human_groups(ListHumanGroups) -> ReadHumanGroupResponse, page_i64
    }
    cursor_listing! {
        /// Teams.
        teams(org_id: Uuid) => list_teams(ListTeams) -> ListTeamsResponseItem, page_i64
    }
    cursor_listing! {
        /// Scans of a compound app, newest first, in the streamlined form;
        /// pages are chained by the `upto` cursor in `next_page`.
        streamlined_scans(org_id: Uuid, compound_name: String) => get_streamlined_scans(GetStreamlinedScans) -> StreamlinedScan, upto = page_i64
    }
    cursor_listing! {
        /// Open-source packages an app depends on.
        app_sca_packages(org_id: Uuid, app_id: String) => read_app_sca_packages(ReadAppScaPackages) -> ScaPackage, page_i64
    }
    cursor_listing! {
        /// Open-source packages a compound app depends on.
        compound_sca_packages(org_id: Uuid, compound_name: String) => read_compound_sca_packages(ReadCompoundScaPackages) -> ScaPackage, page_nonzero
    }
}
