//! Lazy streams over paginated listings.
//!
//! Two shapes exist: offset pages (Jira's `startAt`/`maxResults`/`total`/
//! `isLast`) and cursor pages (Qwiet's `next_page`/`has_more`). Both hold at
//! most one page, or the concurrency window, in memory, yield every item
//! exactly once and in order, and stop with [`Error::Pagination`] instead of
//! looping when the server makes no progress.

use std::sync::Arc;

use futures::future::BoxFuture;
use futures::stream::{self, BoxStream, StreamExt, TryStreamExt};

use crate::Error;

/// One page of an offset listing.
#[derive(Debug, Clone, PartialEq)]
pub struct OffsetPage<T> {
    /// Items on this page.
    pub items: Vec<T>,
    /// Index of the first item.
    pub start_at: i64,
    /// Total number of items, when the server says.
    pub total: Option<i64>,
    /// Whether the server marked this page as the last.
    pub is_last: Option<bool>,
    /// The `startAt` the server reported, checked against the one asked for.
    pub(crate) reported_start: Option<i64>,
}

pub(crate) type FetchOffset<T> =
    Arc<dyn Fn(i64, i64) -> BoxFuture<'static, Result<OffsetPage<T>, Error>> + Send + Sync>;

/// Pages through an offset listing. Build one from a client method such as
/// [`JiraClient::security_levels`](crate::JiraClient::security_levels).
pub struct OffsetPaginator<T> {
    fetch: FetchOffset<T>,
    page_size: i64,
    concurrency: usize,
}

impl<T> std::fmt::Debug for OffsetPaginator<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OffsetPaginator")
            .field("page_size", &self.page_size)
            .field("concurrency", &self.concurrency)
            .finish_non_exhaustive()
    }
}

impl<T: Send + 'static> OffsetPaginator<T> {
    #[cfg_attr(not(feature = "jira"), allow(dead_code))]
    pub(crate) fn new(fetch: FetchOffset<T>) -> Self {
        Self {
            fetch,
            page_size: 50,
            concurrency: 1,
        }
    }

    /// Items to ask for per page (the server may cap it). Default 50.
    pub fn page_size(mut self, page_size: u32) -> Self {
        self.page_size = i64::from(page_size.max(1));
        self
    }

    /// After the first page, fetch up to `n` pages at once when the server
    /// reports a total. Items still arrive in order, each exactly once.
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
        self
    }

    /// Every page, in order.
    pub fn pages(self) -> BoxStream<'static, Result<OffsetPage<T>, Error>> {
        let Self {
            fetch,
            page_size,
            concurrency,
        } = self;
        let first = {
            let fetch = fetch.clone();
            async move { fetch(0, page_size).await }
        };
        stream::once(first)
            .flat_map(
                move |first| -> BoxStream<'static, Result<OffsetPage<T>, Error>> {
                    let page = match first.and_then(|page| advance(page, 0)) {
                        Ok(page) => page,
                        Err(e) => return stream::iter([Err(e)]).boxed(),
                    };
                    let rest = match (page.1, page.0.total) {
                        (None, _) => stream::empty().boxed(),
                        (Some(next), Some(total)) if concurrency > 1 => {
                            let step = page.0.items.len() as i64;
                            windows(fetch.clone(), next, step, total, concurrency)
                        }
                        (Some(next), _) => sequential(fetch.clone(), next, page_size),
                    };
                    stream::iter([Ok(page.0)]).chain(rest).boxed()
                },
            )
            .boxed()
    }

    /// Every item, in order.
    pub fn items(self) -> BoxStream<'static, Result<T, Error>> {
        items_of(self.pages(), |page| page.items)
    }
}

/// The items of a stream of pages, in order; the stream ends at the first
/// error, like the pages it reads.
fn items_of<P, T>(
    pages: BoxStream<'static, Result<P, Error>>,
    items: fn(P) -> Vec<T>,
) -> BoxStream<'static, Result<T, Error>>
where
    P: Send + 'static,
    T: Send + 'static,
{
    pages
        .map_ok(move |page| stream::iter(items(page).into_iter().map(Ok)))
        .try_flatten()
        .boxed()
}

/// Checks a page fetched at `start` and works out where the next one starts
/// (`None` when this was the last). Every server-supplied number is checked,
/// so a hostile or broken server gets a [`Error::Pagination`], never a loop
/// or an arithmetic overflow.
fn advance<T>(mut page: OffsetPage<T>, start: i64) -> Result<(OffsetPage<T>, Option<i64>), Error> {
    let fail = |message: String| Err(Error::Pagination(message));
    if let Some(reported) = page.reported_start.filter(|r| *r != start) {
        return fail(format!(
            "asked for startAt={start} but the server answered startAt={reported}; it would repeat pages"
        ));
    }
    if let Some(total) = page.total.filter(|t| *t < 0) {
        return fail(format!("the server reported a negative total ({total})"));
    }
    page.start_at = start;
    let n = page.items.len() as i64;
    let Some(next) = start.checked_add(n) else {
        return fail(format!("startAt={start} plus {n} items overflows"));
    };
    let more_promised = page.is_last == Some(false)
        || (page.is_last != Some(true) && page.total.is_some_and(|total| start < total));
    if n == 0 && more_promised {
        return fail(format!(
            "page at startAt={start} returned no items although {} remain",
            page.total
                .map(|t| (t - start).to_string())
                .unwrap_or_else(|| "more".into())
        ));
    }
    let finished =
        page.is_last == Some(true) || n == 0 || page.total.is_some_and(|total| next >= total);
    Ok((page, (!finished).then_some(next)))
}

fn sequential<T: Send + 'static>(
    fetch: FetchOffset<T>,
    start: i64,
    page_size: i64,
) -> BoxStream<'static, Result<OffsetPage<T>, Error>> {
    stream::unfold(Some(start), move |state| {
        let fetch = fetch.clone();
        async move {
            let start = state?;
            match fetch(start, page_size)
                .await
                .and_then(|page| advance(page, start))
            {
                Err(e) => Some((Err(e), None)),
                Ok((page, next)) => Some((Ok(page), next)),
            }
        }
    })
    .boxed()
}

/// Fetches `[start, total)` in windows of `step` items, `concurrency` at a
/// time. Each window keeps asking until its whole range has arrived, so a
/// server that returns short pages cannot open gaps. The stream ends at the
/// first error.
fn windows<T: Send + 'static>(
    fetch: FetchOffset<T>,
    start: i64,
    step: i64,
    total: i64,
    concurrency: usize,
) -> BoxStream<'static, Result<OffsetPage<T>, Error>> {
    let step = step.max(1);
    let offsets = (0..)
        .map_while(move |i: i64| i.checked_mul(step).and_then(|o| o.checked_add(start)))
        .take_while(move |o| *o < total);
    stream::iter(offsets)
        .map(move |offset| {
            let fetch = fetch.clone();
            async move {
                let end = offset.saturating_add(step).min(total);
                let mut items = Vec::new();
                let mut is_last = None;
                while offset + (items.len() as i64) < end {
                    let at = offset + items.len() as i64;
                    let page = fetch(at, end - at).await?;
                    if let Some(reported) = page.reported_start.filter(|r| *r != at) {
                        return Err(Error::Pagination(format!(
                            "asked for startAt={at} but the server answered startAt={reported}"
                        )));
                    }
                    if page.items.is_empty() {
                        return Err(Error::Pagination(format!(
                            "page at startAt={at} returned no items although the listing reported {total}; \
                             the listing changed while it was read"
                        )));
                    }
                    is_last = page.is_last;
                    let room = (end - at) as usize;
                    items.extend(page.items.into_iter().take(room));
                }
                Ok(OffsetPage {
                    items,
                    start_at: offset,
                    total: Some(total),
                    is_last,
                    reported_start: Some(offset),
                })
            }
        })
        .buffered(concurrency)
        .scan(false, |failed, page| {
            let emit = (!*failed).then(|| {
                *failed = page.is_err();
                page
            });
            futures::future::ready(emit)
        })
        .boxed()
}

/// One page of a cursor listing.
#[derive(Debug, Clone, PartialEq)]
pub struct CursorPage<T> {
    /// Items on this page.
    pub items: Vec<T>,
    /// The server's link to the following page, if any.
    pub next_page: Option<String>,
    /// Whether the server says more items follow.
    pub has_more: Option<bool>,
}

pub(crate) type FetchCursor<T> =
    Arc<dyn Fn(Option<i64>) -> BoxFuture<'static, Result<CursorPage<T>, Error>> + Send + Sync>;

/// Pages through a cursor listing by following `next_page`, but only by
/// re-issuing the request to the configured base URL with the position it
/// carries (the `page` number, or a cursor such as `upto`): the credentials
/// never go to a host a response names.
pub struct CursorPaginator<T> {
    fetch: FetchCursor<T>,
    base_url: reqwest::Url,
    param: &'static str,
}

impl<T> std::fmt::Debug for CursorPaginator<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CursorPaginator")
            .field("base_url", &self.base_url.as_str())
            .finish_non_exhaustive()
    }
}

impl<T: Send + 'static> CursorPaginator<T> {
    #[cfg_attr(not(feature = "qwiet"), allow(dead_code))]
    pub(crate) fn new(fetch: FetchCursor<T>, base_url: reqwest::Url, param: &'static str) -> Self {
        Self {
            fetch,
            base_url,
            param,
        }
    }

    /// Every page, in order. When a page's `next_page` cannot be followed,
    /// that page is still yielded, then the error.
    pub fn pages(self) -> BoxStream<'static, Result<CursorPage<T>, Error>> {
        enum Next {
            Page(Option<i64>),
            Fail(Error),
            Done,
        }
        let Self {
            fetch,
            base_url,
            param,
        } = self;
        stream::unfold(Next::Page(None), move |state| {
            let fetch = fetch.clone();
            let base_url = base_url.clone();
            async move {
                let page_number = match state {
                    Next::Page(n) => n,
                    Next::Fail(e) => return Some((Err(e), Next::Done)),
                    Next::Done => return None,
                };
                let page = match fetch(page_number).await {
                    Ok(page) => page,
                    Err(e) => return Some((Err(e), Next::Done)),
                };
                let next = match next_position(&page, &base_url, param, page_number) {
                    Ok(Some(n)) => Next::Page(Some(n)),
                    Ok(None) => Next::Done,
                    Err(e) => Next::Fail(e),
                };
                Some((Ok(page), next))
            }
        })
        .boxed()
    }

    /// Every item, in order.
    pub fn items(self) -> BoxStream<'static, Result<T, Error>> {
        items_of(self.pages(), |page| page.items)
    }
}

/// The position to ask for after `page` (the value of `param` in its
/// `next_page` link), or `None` when it was the last.
///
/// For `page` numbers, `has_more: true` without a link means the next number,
/// and a link must move forward; for other cursors it must move at all.
fn next_position<T>(
    page: &CursorPage<T>,
    base_url: &reqwest::Url,
    param: &str,
    current: Option<i64>,
) -> Result<Option<i64>, Error> {
    let numbered = param == "page";
    let current_number = current.unwrap_or(1);
    let link = page
        .next_page
        .as_deref()
        .map(str::trim)
        .filter(|l| !l.is_empty());
    if page.has_more == Some(false) {
        return Ok(None);
    }
    if page.items.is_empty() {
        return match (link, page.has_more) {
            (None, None) | (None, Some(false)) => Ok(None),
            _ => Err(Error::Pagination(format!(
                "page {current_number} was empty although the server says more follow"
            ))),
        };
    }
    let Some(link) = link else {
        if !(numbered && page.has_more == Some(true)) {
            return Ok(None);
        }
        return current_number.checked_add(1).map(Some).ok_or_else(|| {
            Error::Pagination(format!("page number {current_number} cannot advance"))
        });
    };
    let url = base_url
        .join(link)
        .map_err(|e| Error::Pagination(format!("next_page {link:?} is not a URL: {e}")))?;
    let base_path = base_url.path().trim_end_matches('/');
    if url.origin() != base_url.origin() || !url.path().starts_with(base_path) {
        return Err(Error::Pagination(format!(
            "next_page points at {}, outside the configured base URL; not following it",
            url.origin().ascii_serialization()
        )));
    }
    let number = url
        .query_pairs()
        .find(|(k, _)| k == param)
        .and_then(|(_, v)| v.parse::<i64>().ok())
        .ok_or_else(|| {
            Error::Pagination(format!("next_page {link:?} carries no {param} number"))
        })?;
    let stalled = if numbered {
        number <= current_number
    } else {
        current == Some(number)
    };
    if stalled {
        return Err(Error::Pagination(format!(
            "next_page asks for {param} {number} after {param} {}; stopping instead of looping",
            current.map(|c| c.to_string()).unwrap_or_else(|| "1".into())
        )));
    }
    Ok(Some(number))
}
