//! Paginated issue security listings as streams.

use std::sync::Arc;

use appsec_jira_issue_security::{builder, types};

use super::JiraClient;
use crate::SendExt;
use crate::paginate::{OffsetPage, OffsetPaginator};

/// The fields every Jira `PageBean*` shares.
trait PageBean {
    type Item;
    fn into_page(self) -> OffsetPage<Self::Item>;
}

macro_rules! page_bean {
    ($($bean:ident => $item:ident),* $(,)?) => {$(
        impl PageBean for types::$bean {
            type Item = types::$item;
            fn into_page(self) -> OffsetPage<types::$item> {
                OffsetPage {
                    items: self.values,
                    start_at: self.start_at.unwrap_or_default(),
                    total: self.total,
                    is_last: self.is_last,
                    reported_start: self.start_at,
                }
            }
        }
    )*};
}

page_bean! {
    PageBeanSecurityLevel => SecurityLevel,
    PageBeanSecurityLevelMember => SecurityLevelMember,
    PageBeanIssueSecurityLevelMember => IssueSecurityLevelMember,
    PageBeanSecuritySchemeWithProjects => SecuritySchemeWithProjects,
    PageBeanIssueSecuritySchemeToProjectMapping => IssueSecuritySchemeToProjectMapping,
}

/// Defines a method returning an [`OffsetPaginator`] over one operation.
/// `configure` sets the operation's filters; the paginator sets `startAt`
/// and `maxResults` (written as the spec types them).
macro_rules! listing {
    ($(#[$doc:meta])* $method:ident => $op:ident($builder:ident) -> $item:ident, $offset:expr, $limit:expr) => {
        $(#[$doc])*
        pub fn $method<F>(&self, configure: F) -> OffsetPaginator<types::$item>
        where
            F: for<'a> Fn(builder::$builder<'a>) -> builder::$builder<'a> + Send + Sync + 'static,
        {
            let client = self.issue_security.clone();
            let configure = Arc::new(configure);
            OffsetPaginator::new(Arc::new(move |start: i64, max: i64| {
                let client = client.clone();
                let configure = configure.clone();
                Box::pin(async move {
                    let request = configure(client.$op())
                        .start_at(($offset)(start))
                        .max_results(($limit)(max));
                    Ok(request.send().value().await?.into_page())
                })
            }))
        }
    };
}

fn text(n: i64) -> String {
    n.to_string()
}

fn int32(n: i64) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

impl JiraClient {
    listing! {
        /// Issue security levels, optionally filtered by scheme or level ids.
        security_levels => get_security_levels(GetSecurityLevels) -> SecurityLevel, text, text
    }

    listing! {
        /// Members of issue security levels, filtered by scheme, level or member ids.
        security_level_members => get_security_level_members(GetSecurityLevelMembers) -> SecurityLevelMember, text, text
    }

    listing! {
        /// Members of one scheme's levels (set the scheme with
        /// `.issue_security_scheme_id(..)`).
        scheme_members => get_issue_security_level_members(GetIssueSecurityLevelMembers) -> IssueSecurityLevelMember, |n| n, int32
    }

    listing! {
        /// Issue security schemes with the projects that use them.
        search_schemes => search_security_schemes(SearchSecuritySchemes) -> SecuritySchemeWithProjects, text, text
    }

    listing! {
        /// Which projects use which issue security schemes.
        project_associations => search_projects_using_security_schemes(SearchProjectsUsingSecuritySchemes) -> IssueSecuritySchemeToProjectMapping, text, text
    }
}
