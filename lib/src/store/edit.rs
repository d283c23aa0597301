//! A write by a property's owner, and what lets a store recognize one it
//! has already applied when it is sent again.

use crate::domain::{Timestamp, UserId};

/// Names one write, so that a store can tell a write it already applied
/// from a new one: when the answer to an applied write is lost and the
/// write is sent again (the SDK retries it), its condition fails on the
/// state it made itself; the item records the id of the last write that
/// changed it, and a write that finds its own id there reports success
/// instead of a conflict it caused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct WriteId(uuid::Uuid);

impl WriteId {
    pub fn new() -> Self {
        Self(uuid::Uuid::now_v7())
    }
}

impl Default for WriteId {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Display for WriteId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// A write by a property's owner: who makes it, when, and which versions
/// of the property they expect to change (from `If-Match`; `None` for any).
/// Every write to a property or one of its rooms checks both in its own
/// condition: `NotOwner`, `VersionMismatch`. Sent again (same `write`), an
/// applied edit succeeds again without being applied twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Edit {
    pub caller: UserId,
    pub expected_versions: Option<Versions>,
    pub now: Timestamp,
    pub write: WriteId,
}

impl Edit {
    /// An edit by `caller`, now, of whatever version is current.
    pub fn by(caller: UserId) -> Self {
        Self { caller, expected_versions: None, now: Timestamp::now(), write: WriteId::new() }
    }

    /// The same edit, applied only to `version` (when there is one).
    pub fn of_version(self, version: Option<u64>) -> Self {
        self.of_versions(version.map(Versions::one))
    }

    /// The same edit, applied only to one of `versions` (when given; none
    /// of an empty set, which refuses the edit as stale).
    pub fn of_versions(self, expected_versions: Option<Versions>) -> Self {
        Self { expected_versions, ..self }
    }

    /// Whether the edit expects versions and `current` is none of them.
    pub fn mismatches(&self, current: u64) -> bool {
        self.expected_versions.is_some_and(|expected| !expected.contains(current))
    }
}

/// The versions an edit accepts (those `If-Match` lists): any one of them
/// will do. At most `Versions::MAX`, so that they fit in the condition of
/// the write (DynamoDB's `IN` takes up to 100 values). Empty, it accepts
/// none. A fixed array rather than a `Vec`, so that an `Edit` stays `Copy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Versions {
    /// Sorted, without repeats, in the first `len` slots; zero after them,
    /// so that equal sets are equal values.
    slots: [u64; Versions::MAX],
    len: usize,
}

impl Versions {
    pub const MAX: usize = 20;

    /// Exactly `version`.
    pub fn one(version: u64) -> Self {
        Self::new([version]).expect("one version fits")
    }

    /// These versions, or `None` when more than `MAX` different ones.
    pub fn new(versions: impl IntoIterator<Item = u64>) -> Option<Self> {
        let mut list: Vec<u64> = versions.into_iter().collect();
        list.sort_unstable();
        list.dedup();
        let mut slots = [0; Self::MAX];
        slots.get_mut(..list.len())?.copy_from_slice(&list);
        Some(Self { slots, len: list.len() })
    }

    pub fn as_slice(&self) -> &[u64] {
        &self.slots[..self.len]
    }

    pub fn contains(&self, version: u64) -> bool {
        self.as_slice().contains(&version)
    }
}
