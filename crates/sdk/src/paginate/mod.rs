//! Lazy streams over paginated listings, hung off the configured request.
//!
//! Every operation its spec marks with `x-pagination` gets, on its generated
//! builder, [`Paginate::paginate`]: configure the request as usual, then page
//! through it. The builder is cloned for each page, so nothing needs to be
//! captured or `'static`.
//!
//! ```no_run
//! use appsec_sdk::Paginate;
//! use futures::TryStreamExt;
//!
//! # async fn run(jira: appsec_sdk::JiraClient) -> Result<(), appsec_sdk::Error> {
//! let ids = vec!["10021".to_string()];
//! let members: Vec<_> = jira
//!     .issue_security()
//!     .get_security_level_members()
//!     .level_id(ids)
//!     .paginate()
//!     .concurrency(4)
//!     .items()
//!     .try_collect()
//!     .await?;
//! # Ok(()) }
//! ```
//!
//! Three styles exist, one paginator each: [`OffsetPaginator`] (Jira's
//! `startAt`/`maxResults`/`total`/`isLast`), [`NumberedPaginator`] (Qwiet's
//! `page` with `next_page`/`has_more`) and [`CursorPaginator`] (a cursor such
//! as `upto` carried in `next_page`). All of them yield every item exactly
//! once and in the server's order, or end with [`Error::Pagination`] when the
//! server's answers contradict each other, repeat a page or a link, or point
//! outside the configured base URL. Nothing stops silently.

mod check;
mod cursor;
mod link;
mod numbered;
mod offset;

use appsec_runtime::pages::{Cursor, Numbered, Offset};
use futures::stream::{self, BoxStream, StreamExt, TryStreamExt};

pub use appsec_runtime::pages::{CursorListing, Listing, NumberedListing, OffsetListing, Page};
pub use cursor::CursorPaginator;
pub use link::Position;
pub use numbered::NumberedPaginator;
pub use offset::OffsetPaginator;

use crate::Error;

/// `.paginate()` on every generated builder of a paginated operation.
pub trait Paginate: Sized {
    /// The paginator for this listing's style.
    type Paginator;
    /// Pages through the listing this request configures.
    fn paginate(self) -> Self::Paginator;
}

impl<B> Paginate for B
where
    B: Listing,
    B::Style: Style<B>,
{
    type Paginator = <B::Style as Style<B>>::Paginator;

    fn paginate(self) -> Self::Paginator {
        <B::Style as Style<B>>::paginator(self)
    }
}

/// Which paginator a style's listings get.
pub trait Style<B> {
    /// The paginator.
    type Paginator;
    /// A paginator over `request`.
    fn paginator(request: B) -> Self::Paginator;
}

impl<B: OffsetListing> Style<B> for Offset {
    type Paginator = OffsetPaginator<B>;
    fn paginator(request: B) -> Self::Paginator {
        OffsetPaginator::new(request)
    }
}

impl<B: NumberedListing> Style<B> for Numbered {
    type Paginator = NumberedPaginator<B>;
    fn paginator(request: B) -> Self::Paginator {
        NumberedPaginator::new(request)
    }
}

impl<B: CursorListing> Style<B> for Cursor {
    type Paginator = CursorPaginator<B>;
    fn paginator(request: B) -> Self::Paginator {
        CursorPaginator::new(request)
    }
}

/// The items of a stream of pages, in order; the stream ends at the first
/// error, like the pages it reads.
fn items_of<'b, T: Send + 'b>(
    pages: BoxStream<'b, Result<Page<T>, Error>>,
) -> BoxStream<'b, Result<T, Error>> {
    pages
        .map_ok(|page| stream::iter(page.items.into_iter().map(Ok)))
        .try_flatten()
        .boxed()
}
