//! Offset listings (`startAt`/`maxResults`), one page at a time or several
//! in flight.
//!
//! Both modes run the same loop and the same [`OffsetState::accept`]: the
//! concurrent mode only sends the requests the loop is predicted to need
//! before it asks for them. A response is used only if it answers the offset
//! the loop actually wants next; otherwise the predictions are dropped and
//! sent again from there. So the two modes yield the same items and end the
//! same way for any server whose answer depends only on the request, however
//! its fields lie.

use std::collections::VecDeque;
use std::fmt;

use appsec_runtime::pages::{OffsetListing, Page};
use futures::future::BoxFuture;
use futures::stream::{self, BoxStream, FuturesOrdered, StreamExt};

use super::check::Check;
use super::items_of;
use crate::{Error, SendExt};

/// Pages through an offset listing. Get one with `.paginate()` on a
/// configured generated builder (see [`Paginate`](super::Paginate)).
#[derive(Clone)]
pub struct OffsetPaginator<B> {
    request: B,
    page_size: u64,
    concurrency: usize,
    max_items: Option<u64>,
}

impl<B> fmt::Debug for OffsetPaginator<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OffsetPaginator")
            .field("page_size", &self.page_size)
            .field("concurrency", &self.concurrency)
            .field("max_items", &self.max_items)
            .finish_non_exhaustive()
    }
}

impl<B: OffsetListing> OffsetPaginator<B> {
    pub(crate) fn new(request: B) -> Self {
        Self {
            request,
            page_size: 50,
            concurrency: 1,
            max_items: None,
        }
    }

    /// Items to ask for per page (the server may cap it). Default 50.
    pub fn page_size(mut self, page_size: u32) -> Self {
        self.page_size = u64::from(page_size.max(1));
        self
    }

    /// Keep up to `n` requests in flight once the first page has reported a
    /// total. Items still arrive in order, each exactly once.
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
        self
    }

    /// Stop after `n` items (the last page is cut, no further page is asked for).
    pub fn max_items(mut self, n: u64) -> Self {
        self.max_items = Some(n);
        self
    }

    /// Every page, in order.
    pub fn pages<'b>(self) -> BoxStream<'b, Result<Page<B::Item>, Error>>
    where
        B: 'b,
    {
        let state = OffsetState {
            next: (self.max_items != Some(0)).then_some(0),
            step: self.page_size,
            total: None,
            check: Check::new(self.max_items),
        };
        let run = Run {
            request: self.request,
            page_size: self.page_size,
            concurrency: self.concurrency,
            state,
            in_flight: FuturesOrdered::new(),
            queued: VecDeque::new(),
        };
        stream::unfold(run, |mut run| async move {
            let page = run.next_page().await?;
            Some((page, run))
        })
        .boxed()
    }

    /// Every item, in order.
    pub fn items<'b>(self) -> BoxStream<'b, Result<B::Item, Error>>
    where
        B: 'b,
    {
        items_of(self.pages())
    }
}

type Fetch<'b, T> = BoxFuture<'b, Result<Page<T>, Error>>;

struct Run<'b, B: OffsetListing> {
    request: B,
    page_size: u64,
    concurrency: usize,
    state: OffsetState,
    in_flight: FuturesOrdered<Fetch<'b, B::Item>>,
    /// The offsets of `in_flight`, in the same order.
    queued: VecDeque<u64>,
}

impl<'b, B: OffsetListing + 'b> Run<'b, B> {
    /// The next page, `None` once the listing has ended (after an error too).
    async fn next_page(&mut self) -> Option<Result<Page<B::Item>, Error>> {
        let wanted = self.state.next?;
        if self.queued.front() != Some(&wanted) {
            // A prediction missed (a short page): start again from here.
            self.in_flight = FuturesOrdered::new();
            self.queued.clear();
        }
        self.fill(wanted);
        let at = self.queued.pop_front()?;
        let fetched = self.in_flight.next().await?;
        let outcome = fetched.and_then(|page| self.state.accept(at, page));
        if outcome.is_err() {
            self.state.next = None;
        }
        if self.state.next.is_none() {
            // Whatever is still in flight lies past the end: cancel it.
            self.in_flight = FuturesOrdered::new();
            self.queued.clear();
        }
        Some(outcome)
    }

    /// Queues `wanted`, then the offsets after it that the reported total
    /// says exist, up to the concurrency.
    fn fill(&mut self, wanted: u64) {
        while self.queued.len() < self.concurrency {
            let at = match self.queued.back() {
                None => wanted,
                Some(last) => match last.checked_add(self.state.step) {
                    Some(at) if self.state.predicts(at) => at,
                    _ => break,
                },
            };
            let fetch: Fetch<'b, B::Item> = match self.request.clone().at_offset(at, self.page_size)
            {
                Some(request) => {
                    Box::pin(async move { Ok(B::read_page(request.send_page().value().await?)) })
                }
                None => Box::pin(std::future::ready(Err(Error::Pagination(format!(
                    "startAt={at} is beyond what the {} parameter takes",
                    B::POSITION
                ))))),
            };
            self.in_flight.push_back(fetch);
            self.queued.push_back(at);
        }
    }
}

/// Where an offset listing stands, and the one check every page passes.
struct OffsetState {
    /// The offset to read next; `None` once finished.
    next: Option<u64>,
    /// Items per page as the server applies it, for predictions.
    step: u64,
    /// The latest total the server reported.
    total: Option<i64>,
    check: Check,
}

impl OffsetState {
    /// Whether a page at `at` is worth asking for ahead of time.
    fn predicts(&self, at: u64) -> bool {
        let below_total = self
            .total
            .is_some_and(|t| i64::try_from(at).is_ok_and(|at| at < t));
        let below_cap = self
            .check
            .remaining()
            .is_none_or(|r| at < self.next.unwrap_or(0).saturating_add(r));
        below_total && below_cap
    }

    /// Checks the page read at `at` and decides where the listing goes next.
    ///
    /// `isLast` is the authority on the end; an empty page ends a listing
    /// that does not say. A `total` only guides predictions, and fields that
    /// contradict each other are an error, never a silent stop.
    fn accept<T: serde::Serialize>(
        &mut self,
        at: u64,
        mut page: Page<T>,
    ) -> Result<Page<T>, Error> {
        let fail = |message: String| Err(Error::Pagination(message));
        if let Some(reported) = page.start_at.filter(|r| u64::try_from(*r).ok() != Some(at)) {
            return fail(format!(
                "asked for startAt={at} but the server answered startAt={reported}; it ignores startAt"
            ));
        }
        if let Some(total) = page.total.filter(|t| *t < 0) {
            return fail(format!("the server reported a negative total ({total})"));
        }
        self.check
            .fresh(&page.items, format_args!("at startAt={at}"))?;
        let n = page.items.len() as u64;
        let Some(next) = at.checked_add(n) else {
            return fail(format!("startAt={at} plus {n} items overflows"));
        };
        let more = match (page.is_last, n) {
            (Some(true), _) => false,
            (Some(false), 0) => {
                return fail(format!(
                    "page at startAt={at} is empty but isLast is false; the server's fields contradict each other"
                ));
            }
            (Some(false), _) => true,
            (None, 0) => {
                if let Some(total) = page
                    .total
                    .filter(|t| i64::try_from(at).is_ok_and(|at| at < *t))
                {
                    return fail(format!(
                        "page at startAt={at} is empty but total is {total}; the server's fields contradict each other"
                    ));
                }
                false
            }
            (None, _) => true,
        };
        if at == 0 && n > 0 {
            self.step = n;
        }
        self.total = page.total.or(self.total);
        let spent = self.check.spend(&mut page);
        self.next = (more && !spent).then_some(next);
        Ok(page)
    }
}
