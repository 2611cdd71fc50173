//! Page-number listings (`page`, with `next_page` and/or `has_more`).

use std::fmt;

use appsec_runtime::pages::{NumberedListing, Page};
use futures::stream::BoxStream;

use super::check::Check;
use super::items_of;
use super::link::{Follow, Position, chain, position_in};
use crate::Error;

/// Pages through a page-number listing. Get one with `.paginate()` on a
/// configured generated builder (see [`Paginate`](super::Paginate)).
///
/// The next page is the number in `next_page` (which must move forward and
/// stay below the configured base URL), else the following number while
/// `has_more` is true. A listing whose responses carry neither ends at its
/// first empty page.
#[derive(Clone)]
pub struct NumberedPaginator<B> {
    request: B,
    max_items: Option<u64>,
}

impl<B> fmt::Debug for NumberedPaginator<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NumberedPaginator")
            .field("max_items", &self.max_items)
            .finish_non_exhaustive()
    }
}

impl<B: NumberedListing> NumberedPaginator<B> {
    pub(crate) fn new(request: B) -> Self {
        Self {
            request,
            max_items: None,
        }
    }

    /// Stop after `n` items (the last page is cut, no further page is asked for).
    pub fn max_items(mut self, n: u64) -> Self {
        self.max_items = Some(n);
        self
    }

    /// Every page, in order. When a page's link cannot be followed, that page
    /// is still yielded, then the error.
    pub fn pages<'b>(self) -> BoxStream<'b, Result<Page<B::Item>, Error>>
    where
        B: 'b,
    {
        chain(self.request, Numbers { current: 1 }, self.max_items)
    }

    /// Every item, in order.
    pub fn items<'b>(self) -> BoxStream<'b, Result<B::Item, Error>>
    where
        B: 'b,
    {
        items_of(self.pages())
    }
}

/// The page number just read (the first request reads page 1).
struct Numbers {
    current: u64,
}

impl<B: NumberedListing> Follow<B> for Numbers {
    fn after(
        &mut self,
        check: &mut Check,
        request: &B,
        page: &Page<B::Item>,
    ) -> Result<Option<B>, Error> {
        let current = self.current;
        if page.has_more == Some(false) {
            return Ok(None);
        }
        let link = position_in(page.next_page.as_deref(), request.base_url(), B::POSITION)?;
        if page.items.is_empty() {
            if link.is_some() || page.has_more == Some(true) {
                return Err(Error::Pagination(format!(
                    "page {current} is empty although the server says more follow"
                )));
            }
            return Ok(None);
        }
        let next = match link {
            Some(text) => {
                let n: u64 = text.parse().map_err(|_| {
                    Error::Pagination(format!(
                        "next_page asks for page {text:?}, not a page number"
                    ))
                })?;
                if n <= current {
                    return Err(Error::Pagination(format!(
                        "next_page asks for page {n} after page {current}; stopping instead of looping"
                    )));
                }
                n
            }
            None if page.has_more == Some(true) || B::UNTIL_EMPTY => {
                current.checked_add(1).ok_or_else(|| {
                    Error::Pagination(format!("page number {current} cannot advance"))
                })?
            }
            None => return Ok(None),
        };
        check.unseen(Position::Page(next))?;
        self.current = next;
        let request = request.clone().at_page(next).ok_or_else(|| {
            Error::Pagination(format!(
                "page {next} is beyond what the {} parameter takes",
                B::POSITION
            ))
        })?;
        Ok(Some(request))
    }
}
