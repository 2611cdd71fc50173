//! What a paginated operation tells a paginator.
//!
//! The xtask implements these traits on each generated builder whose
//! operation carries `x-pagination` in its spec: how to point a clone of the
//! configured request at another page, and where the page's items and
//! position fields sit in the response. The facade's paginators drive them.

use std::future::Future;

use progenitor_client::{Error, ResponseValue};
use serde::{Serialize, de::DeserializeOwned};

/// Marks listings paged by `startAt`/`maxResults` (Jira's `PageBean`).
#[derive(Debug, Clone, Copy)]
pub enum Offset {}

/// Marks listings paged by a page number, with an optional `next_page` link
/// or `has_more` flag (Qwiet).
#[derive(Debug, Clone, Copy)]
pub enum Numbered {}

/// Marks listings chained by an opaque cursor carried in a `next_page` link
/// (Qwiet's streamlined scans and `upto`).
#[derive(Debug, Clone, Copy)]
pub enum Cursor {}

/// The position fields and items of one page, as the server sent them.
/// Fields the listing's style does not use stay `None`.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The items, in the server's order.
    pub items: Vec<T>,
    /// `startAt` as reported (offset listings).
    pub start_at: Option<i64>,
    /// `maxResults` as reported: the page size the server applied.
    pub max_results: Option<i64>,
    /// `total` as reported.
    pub total: Option<i64>,
    /// `isLast` as reported.
    pub is_last: Option<bool>,
    /// The link to the following page (numbered and cursor listings).
    pub next_page: Option<String>,
    /// Whether the server says more items follow.
    pub has_more: Option<bool>,
}

impl<T> Page<T> {
    /// A page holding only `items`.
    pub fn of(items: Vec<T>) -> Self {
        Self {
            items,
            start_at: None,
            max_results: None,
            total: None,
            is_last: None,
            next_page: None,
            has_more: None,
        }
    }
}

/// A configured request for one page of a listing.
pub trait Listing: Clone + Send + Sync {
    /// [`Offset`], [`Numbered`] or [`Cursor`].
    type Style;
    /// The decoded success body.
    type Response: DeserializeOwned + Send + 'static;
    /// The decoded error body.
    type ErrorBody: Serialize + Send + 'static;
    /// One listed item (serializable, so a paginator can tell a repeated
    /// page from a new one).
    type Item: Serialize + Send + 'static;
    /// The query parameter that carries the position (`startAt`, `page`, `upto`).
    const POSITION: &'static str;

    /// The client's base URL: a `next_page` link must stay below it.
    fn base_url(&self) -> &str;

    /// Sends this request.
    fn send_page(
        self,
    ) -> impl Future<Output = Result<ResponseValue<Self::Response>, Error<Self::ErrorBody>>> + Send;

    /// Reads the items and position fields out of a response.
    fn read_page(response: Self::Response) -> Page<Self::Item>;
}

/// A listing paged by offset.
pub trait OffsetListing: Listing<Style = Offset> {
    /// This request, asking for `max_results` items from `start_at`; `None`
    /// when a number does not fit the parameter's type.
    fn at_offset(self, start_at: u64, max_results: u64) -> Option<Self>;
}

/// A listing paged by page number.
pub trait NumberedListing: Listing<Style = Numbered> {
    /// True when the response has neither `next_page` nor `has_more`: the
    /// listing then ends at its first empty page.
    const UNTIL_EMPTY: bool = false;

    /// This request, asking for page `page` (the first is 1); `None` when
    /// the number does not fit the parameter's type.
    fn at_page(self, page: u64) -> Option<Self>;
}

/// A listing chained by a cursor.
pub trait CursorListing: Listing<Style = Cursor> {
    /// This request, continuing at `cursor`; `None` when `cursor` is not a
    /// value of the parameter's type.
    fn at_cursor(self, cursor: &str) -> Option<Self>;
}

/// A number a server reported, as `i64`; values beyond it saturate.
pub fn reported<N: TryInto<i64>>(n: N) -> i64 {
    n.try_into().unwrap_or(i64::MAX)
}
