//! Cursor listings: each page's `next_page` carries the cursor (such as
//! `upto`) of the following one.

use std::fmt;

use appsec_runtime::pages::{CursorListing, Page};
use futures::stream::BoxStream;

use super::check::Check;
use super::items_of;
use super::link::{Follow, Position, chain, position_in};
use crate::Error;

/// Pages through a cursor listing. Get one with `.paginate()` on a
/// configured generated builder (see [`Paginate`](super::Paginate)).
///
/// Every cursor followed is remembered: a link back to one already read is a
/// [`Error::Pagination`], not a loop.
#[derive(Clone)]
pub struct CursorPaginator<B> {
    request: B,
    max_items: Option<u64>,
}

impl<B> fmt::Debug for CursorPaginator<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CursorPaginator")
            .field("max_items", &self.max_items)
            .finish_non_exhaustive()
    }
}

impl<B: CursorListing> CursorPaginator<B> {
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
        chain(self.request, Cursors, self.max_items)
    }

    /// Every item, in order.
    pub fn items<'b>(self) -> BoxStream<'b, Result<B::Item, Error>>
    where
        B: 'b,
    {
        items_of(self.pages())
    }
}

struct Cursors;

impl<B: CursorListing> Follow<B> for Cursors {
    fn after(
        &mut self,
        check: &mut Check,
        request: &B,
        page: &Page<B::Item>,
    ) -> Result<Option<B>, Error> {
        let Some(cursor) = position_in(page.next_page.as_deref(), request.base_url(), B::POSITION)?
        else {
            return Ok(None);
        };
        if page.items.is_empty() {
            return Err(Error::Pagination(format!(
                "a page is empty although next_page continues at {}={cursor}",
                B::POSITION
            )));
        }
        let next = request.clone().at_cursor(&cursor).ok_or_else(|| {
            Error::Pagination(format!(
                "next_page continues at {}={cursor:?}, which is not a value that parameter takes",
                B::POSITION
            ))
        })?;
        check.unseen(Position::Cursor(cursor))?;
        Ok(Some(next))
    }
}
