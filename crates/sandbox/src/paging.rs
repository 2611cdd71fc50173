//! Paging the way each service pages: Jira's offset `PageBean` and Qwiet's
//! numbered pages with a `next_page` link.

use serde_json::{Value, json};

use crate::http::Req;

/// Jira never returns more than this many items per page, whatever
/// `maxResults` asks for.
pub const JIRA_MAX_RESULTS: usize = 50;

/// Largest Qwiet `per_page` honoured.
pub const QWIET_MAX_PER_PAGE: usize = 250;

/// Reads Jira's `startAt` (default 0) and `maxResults` (default 50, capped
/// at 50); `Err` names the bad parameter.
pub(crate) fn jira_window(req: &Req) -> Result<(usize, usize), String> {
    let start_at = match req.param("startAt") {
        None | Some("") => 0,
        Some(v) => v
            .parse::<usize>()
            .map_err(|_| format!("startAt must be a non-negative integer, not {v:?}."))?,
    };
    let max_results = match req.param("maxResults") {
        None | Some("") => JIRA_MAX_RESULTS,
        Some(v) => v
            .parse::<usize>()
            .map_err(|_| format!("maxResults must be a non-negative integer, not {v:?}."))?,
    };
    Ok((start_at, max_results.min(JIRA_MAX_RESULTS)))
}

/// A Jira `PageBean` over `items` (already filtered): `self`, `nextPage`
/// only when more follow, `maxResults`, `startAt`, `total`, `isLast`,
/// `values`.
pub(crate) fn jira_page(req: &Req, items: Vec<Value>) -> Result<Value, String> {
    jira_page_with(req, items, |v| v)
}

/// [`jira_page`] over items that are turned into JSON only when they are on
/// the page, so that a long listing costs one page's work per request.
pub(crate) fn jira_page_with<T>(
    req: &Req,
    items: Vec<T>,
    to_json: impl Fn(T) -> Value,
) -> Result<Value, String> {
    let (start_at, max_results) = jira_window(req)?;
    let total = items.len();
    let values: Vec<Value> = items
        .into_iter()
        .skip(start_at)
        .take(max_results)
        .map(to_json)
        .collect();
    let end = start_at.saturating_add(values.len());
    let is_last = end >= total;
    let mut page = json!({
        "self": req.url(),
        "maxResults": max_results,
        "startAt": start_at,
        "total": total,
        "isLast": is_last,
        "values": values,
    });
    if !is_last && max_results > 0 {
        page["nextPage"] = Value::String(req.url_with(&[
            ("startAt", end.to_string()),
            ("maxResults", max_results.to_string()),
        ]));
    }
    Ok(page)
}

/// A Qwiet page request: 1-based `page` and `per_page`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct QwietPage {
    pub page: usize,
    pub per_page: usize,
}

impl QwietPage {
    /// Reads `page` (default 1) and `per_page` (default `default_per_page`,
    /// capped at 250); when `fixed` is set `per_page` is ignored.
    pub fn read(req: &Req, default_per_page: usize, fixed: bool) -> Result<Self, String> {
        let page = match req.param("page") {
            None | Some("") => 1,
            Some(v) => match v.parse::<usize>() {
                Ok(n) if n >= 1 => n,
                _ => return Err(format!("page must be an integer of at least 1, not {v:?}")),
            },
        };
        let per_page = match req.param("per_page") {
            Some(v) if !fixed && !v.is_empty() => match v.parse::<usize>() {
                Ok(n) if n >= 1 => n.min(QWIET_MAX_PER_PAGE),
                _ => {
                    return Err(format!(
                        "per_page must be an integer of at least 1, not {v:?}"
                    ));
                }
            },
            _ => default_per_page,
        };
        Ok(Self { page, per_page })
    }

    /// This page's slice of `items`, whether more follow, and the absolute
    /// `next_page` link when they do.
    pub fn slice<T: Clone>(&self, req: &Req, items: &[T]) -> (Vec<T>, bool, Option<String>) {
        let start = (self.page - 1).saturating_mul(self.per_page);
        let page: Vec<T> = items
            .iter()
            .skip(start)
            .take(self.per_page)
            .cloned()
            .collect();
        let has_more = start.saturating_add(page.len()) < items.len();
        let next = has_more.then(|| req.url_with(&[("page", (self.page + 1).to_string())]));
        (page, has_more, next)
    }
}
