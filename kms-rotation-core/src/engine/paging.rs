//! Paging: the one marker loop behind `ListKeys`, `ListAliases`,
//! `ListResourceTags` and `ListKeyRotations`, with a guard against a marker seen before.

use std::collections::HashSet;

use futures_util::future::BoxFuture;

use crate::api::{ApiError, ErrorKind, Operation};
use crate::client::KmsClient;
use crate::model::{Alias, KeyListEntry, KeyRotation, Page, Tag};

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

/// Remembers the markers of one listing: a marker seen before would make the
/// listing loop forever, so it ends the listing with an error instead.
#[derive(Debug, Default)]
pub(crate) struct MarkerGuard {
    seen: HashSet<String>,
}

impl MarkerGuard {
    /// The marker to ask for next: `Ok(None)` at the end, an error on a marker seen before.
    pub(crate) fn next(&mut self, op: Operation, next_marker: Option<String>) -> Result<Option<String>, ApiError> {
        match next_marker {
            None => Ok(None),
            Some(marker) if self.seen.insert(marker.clone()) => Ok(Some(marker)),
            Some(marker) => Err(ApiError::with_kind(
                "RepeatedMarker",
                format!("{op} answered the marker {marker:?} a second time; the listing would never end"),
                ErrorKind::InvalidResponse,
            )
            .not_retryable()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_marker_seen_before_ends_the_listing_with_an_error() {
        let mut guard = MarkerGuard::default();
        let op = Operation::ListKeys;
        assert_eq!(guard.next(op, Some("a".into())).unwrap().as_deref(), Some("a"));
        assert_eq!(guard.next(op, Some("b".into())).unwrap().as_deref(), Some("b"));
        let error = guard.next(op, Some("a".into())).unwrap_err();
        assert_eq!(error.code, "RepeatedMarker");
        assert!(!error.retryable);
        assert_eq!(guard.next(op, None).unwrap(), None);
    }
}
