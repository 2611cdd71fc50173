//! What every paginator checks on every page, whatever its style or mode.

use std::collections::HashSet;
use std::fmt::Display;
use std::hash::{DefaultHasher, Hasher};

use appsec_runtime::pages::Page;
use serde::Serialize;

use super::link::Position;
use crate::Error;

/// The memory of one listing: every page's contents and every position
/// followed, so that a server repeating itself is caught on the first repeat,
/// and how many items `max_items` still allows.
#[derive(Debug, Default)]
pub(crate) struct Check {
    pages: HashSet<u64>,
    positions: HashSet<Position>,
    remaining: Option<u64>,
}

impl Check {
    pub(crate) fn new(max_items: Option<u64>) -> Self {
        Self {
            remaining: max_items,
            ..Self::default()
        }
    }

    /// Fails when `items` (non-empty) equal those of a page already read:
    /// the server ignored the position it was asked for.
    pub(crate) fn fresh<T: Serialize>(
        &mut self,
        items: &[T],
        at: impl Display,
    ) -> Result<(), Error> {
        if items.is_empty() {
            return Ok(());
        }
        let mut hasher = HashWriter(DefaultHasher::new());
        serde_json::to_writer(&mut hasher, items)
            .map_err(|e| Error::Pagination(format!("page {at} cannot be compared: {e}")))?;
        if self.pages.insert(hasher.0.finish()) {
            Ok(())
        } else {
            Err(Error::Pagination(format!(
                "page {at} repeats the items of an earlier page; the server ignores the position asked for"
            )))
        }
    }

    /// Fails when `position` was already followed in this listing (a cycle).
    pub(crate) fn unseen(&mut self, position: Position) -> Result<(), Error> {
        if self.positions.contains(&position) {
            return Err(Error::Pagination(format!(
                "next_page leads back to {position}, already read; stopping instead of looping"
            )));
        }
        self.positions.insert(position);
        Ok(())
    }

    /// Cuts `page` to what `max_items` still allows; true once nothing more
    /// may be yielded.
    pub(crate) fn spend<T>(&mut self, page: &mut Page<T>) -> bool {
        let Some(remaining) = self.remaining.as_mut() else {
            return false;
        };
        let allowed = usize::try_from(*remaining).unwrap_or(usize::MAX);
        page.items.truncate(allowed);
        *remaining -= page.items.len() as u64;
        *remaining == 0
    }

    /// What `max_items` still allows, if set.
    pub(crate) fn remaining(&self) -> Option<u64> {
        self.remaining
    }

    /// Whether `max_items` is already spent (nothing may be requested).
    pub(crate) fn spent(&self) -> bool {
        self.remaining == Some(0)
    }
}

struct HashWriter(DefaultHasher);

impl std::io::Write for HashWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
