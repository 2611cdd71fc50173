//! Following a `next_page` link without ever sending anything to it.
//!
//! The link only says where the next page starts. The paginator reads the
//! position out of it and re-issues the configured request, so credentials
//! go only to the configured base URL; a link to another host or path is
//! refused before anything is sent.

use std::fmt;

use appsec_runtime::pages::{Listing, Page};
use futures::stream::{self, BoxStream, StreamExt};

use super::check::Check;
use crate::{Error, SendExt};

/// A position a listing was asked to continue at.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Position {
    /// A page number (`page`).
    Page(u64),
    /// An opaque cursor (such as `upto`).
    Cursor(String),
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Page(n) => write!(f, "page {n}"),
            Self::Cursor(c) => write!(f, "cursor {c:?}"),
        }
    }
}

/// The value of query parameter `param` in `link`, a `next_page` resolved
/// against `base_url`; `None` when the link is blank.
pub(crate) fn position_in(
    link: Option<&str>,
    base_url: &str,
    param: &str,
) -> Result<Option<String>, Error> {
    let Some(link) = link.map(str::trim).filter(|l| !l.is_empty()) else {
        return Ok(None);
    };
    let base = reqwest::Url::parse(base_url)
        .map_err(|e| Error::Pagination(format!("base URL {base_url:?} is not a URL: {e}")))?;
    let url = base
        .join(link)
        .map_err(|e| Error::Pagination(format!("next_page {link:?} is not a URL: {e}")))?;
    let base_path = base.path().trim_end_matches('/');
    let below_base = url.path() == base_path || url.path().starts_with(&format!("{base_path}/"));
    if url.origin() != base.origin() || !below_base {
        return Err(Error::Pagination(format!(
            "next_page points at {}{}, outside the configured base URL; not following it",
            url.origin().ascii_serialization(),
            url.path()
        )));
    }
    url.query_pairs()
        .find(|(k, _)| k == param)
        .map(|(_, v)| Some(v.into_owned()))
        .ok_or_else(|| Error::Pagination(format!("next_page {link:?} carries no {param}")))
}

/// Decides the request that follows a page of a linked listing.
pub(crate) trait Follow<B: Listing> {
    /// The next request, `None` when `page` was the last.
    fn after(
        &mut self,
        check: &mut Check,
        request: &B,
        page: &Page<B::Item>,
    ) -> Result<Option<B>, Error>;
}

/// Reads a linked listing page after page, as `follow` decides. A page whose
/// link cannot be followed is still yielded, then the error.
pub(crate) fn chain<'b, B, F>(
    first: B,
    follow: F,
    max_items: Option<u64>,
) -> BoxStream<'b, Result<Page<B::Item>, Error>>
where
    B: Listing + 'b,
    F: Follow<B> + Send + 'b,
{
    enum Next<B> {
        Send(B),
        Fail(Error),
        Done,
    }
    let start = (Next::Send(first), follow, Check::new(max_items), 0u64);
    stream::unfold(start, |(next, mut follow, mut check, read)| async move {
        let read = read + 1;
        let request = match next {
            Next::Send(request) => request,
            Next::Fail(e) => return Some((Err(e), (Next::Done, follow, check, read))),
            Next::Done => return None,
        };
        if check.spent() {
            return None;
        }
        let sent = request.clone().send_page().value().await;
        let mut page = match sent {
            Ok(response) => B::read_page(response),
            Err(e) => return Some((Err(e), (Next::Done, follow, check, read))),
        };
        if let Err(e) = check.fresh(&page.items, format_args!("number {read} of the listing")) {
            return Some((Err(e), (Next::Done, follow, check, read)));
        }
        let next = match follow.after(&mut check, &request, &page) {
            Ok(Some(request)) => Next::Send(request),
            Ok(None) => Next::Done,
            Err(e) => Next::Fail(e),
        };
        let next = if check.spend(&mut page) {
            Next::Done
        } else {
            next
        };
        Some((Ok(page), (next, follow, check, read)))
    })
    .boxed()
}
