//! Paging: what the one marker loop ([`super::Pacer::pages`]) needs — how to
//! ask a KMS client for a page of each listing, and the guard against a
//! marker seen before or a listing that never ends — behind every listing of
//! the crate: KMS's, Organizations' and Account's.

use std::collections::HashSet;

use futures_util::future::BoxFuture;

use crate::api::{ApiError, ErrorKind, Operation};
use crate::client::KmsClient;
use crate::model::{Alias, KeyListEntry, KeyMaterial, KeyRotation, Page, Tag};

/// An entry of a paginated KMS listing: which operation lists it and how to ask for a page.
pub(crate) trait Listed: Sized + Send {
    /// The listing operation.
    const OPERATION: Operation;

    /// One page, optionally of one key's entries, starting at `marker`.
    fn page<'a>(
        client: &'a dyn KmsClient,
        key_id: Option<&'a str>,
        marker: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Page<Self>, ApiError>>;
}

impl Listed for KeyListEntry {
    const OPERATION: Operation = Operation::ListKeys;

    fn page<'a>(
        client: &'a dyn KmsClient,
        _key_id: Option<&'a str>,
        marker: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Page<Self>, ApiError>> {
        client.list_keys(marker)
    }
}

impl Listed for Alias {
    const OPERATION: Operation = Operation::ListAliases;

    fn page<'a>(
        client: &'a dyn KmsClient,
        key_id: Option<&'a str>,
        marker: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Page<Self>, ApiError>> {
        client.list_aliases(key_id, marker)
    }
}

impl Listed for Tag {
    const OPERATION: Operation = Operation::ListResourceTags;

    fn page<'a>(
        client: &'a dyn KmsClient,
        key_id: Option<&'a str>,
        marker: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Page<Self>, ApiError>> {
        client.list_resource_tags(key_id.unwrap_or_default(), marker)
    }
}

impl Listed for KeyRotation {
    const OPERATION: Operation = Operation::ListKeyRotations;

    fn page<'a>(
        client: &'a dyn KmsClient,
        key_id: Option<&'a str>,
        marker: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Page<Self>, ApiError>> {
        client.list_key_rotations(key_id.unwrap_or_default(), marker)
    }
}

impl Listed for KeyMaterial {
    const OPERATION: Operation = Operation::ListKeyRotations;

    fn page<'a>(
        client: &'a dyn KmsClient,
        key_id: Option<&'a str>,
        marker: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Page<Self>, ApiError>> {
        client.list_key_materials(key_id.unwrap_or_default(), marker)
    }
}

/// Remembers the markers of one listing: a marker seen before (at any
/// distance) would make the listing loop forever, and more pages than the
/// operation's [`Operation::max_pages`] mean it never ends; either ends the
/// listing with an error naming the operation.
#[derive(Debug)]
pub(crate) struct MarkerGuard {
    op: Operation,
    seen: HashSet<String>,
    pages: u32,
}

impl MarkerGuard {
    pub(crate) fn new(op: Operation) -> Self {
        Self {
            op,
            seen: HashSet::new(),
            pages: 0,
        }
    }

    /// The marker to ask for next: `Ok(None)` at the end, an error on a
    /// marker seen before or past the page limit. An empty marker ends the
    /// listing (AWS's SDKs stop on it too).
    pub(crate) fn next(&mut self, next_marker: Option<String>) -> Result<Option<String>, ApiError> {
        let op = self.op;
        self.pages += 1;
        match next_marker {
            None => Ok(None),
            Some(marker) if marker.is_empty() => Ok(None),
            Some(marker) if self.pages >= op.max_pages() => Err(endless(
                "PageLimitExceeded",
                format!(
                    "{op} answered more than {} pages (the last marker {marker:?}); the listing would never end",
                    op.max_pages()
                ),
            )),
            Some(marker) if self.seen.insert(marker.clone()) => Ok(Some(marker)),
            Some(marker) => Err(endless(
                "RepeatedMarker",
                format!("{op} answered the marker {marker:?} a second time; the listing would never end"),
            )),
        }
    }
}

fn endless(code: &str, message: String) -> ApiError {
    ApiError::with_kind(code, message, ErrorKind::InvalidResponse).not_retryable()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_marker_seen_before_ends_the_listing_with_an_error() {
        let mut guard = MarkerGuard::new(Operation::ListAccounts);
        assert_eq!(guard.next(Some("a".into())).unwrap().as_deref(), Some("a"));
        assert_eq!(guard.next(Some("b".into())).unwrap().as_deref(), Some("b"));
        assert_eq!(guard.next(Some("c".into())).unwrap().as_deref(), Some("c"));
        let error = guard.next(Some("a".into())).unwrap_err();
        assert_eq!(error.code, "RepeatedMarker");
        assert!(error.message.contains("ListAccounts"), "{error}");
        assert!(!error.retryable);
        assert_eq!(guard.next(None).unwrap(), None);
    }

    #[test]
    fn a_listing_past_its_page_limit_ends_with_an_error() {
        let op = Operation::ListRegions;
        let mut guard = MarkerGuard::new(op);
        for n in 1..op.max_pages() {
            assert!(guard.next(Some(format!("token-{n}"))).is_ok());
        }
        let error = guard.next(Some("one-more".into())).unwrap_err();
        assert_eq!(error.code, "PageLimitExceeded");
        assert!(error.message.contains("ListRegions"), "{error}");
    }
}
