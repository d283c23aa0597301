//! Opaque, time-ordered identifiers (UUIDv7): sorting them sorts by creation.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            pub fn generate() -> Self {
                Self(Uuid::now_v7())
            }

            /// Accepts only the canonical lower-case hyphenated form, so that
            /// one id has exactly one spelling (in keys, URLs and cursors).
            pub fn parse(raw: &str) -> Option<Self> {
                let id = Uuid::try_parse(raw).ok()?;
                (id.hyphenated().to_string() == raw).then_some(Self(id))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }
    };
}

id_type!(
    /// Identifies a registered user; the `sub` claim of their tokens.
    UserId
);
id_type!(
    /// Identifies a published property.
    PropertyId
);
id_type!(
    /// Identifies a room within its property.
    RoomId
);
id_type!(
    /// Identifies a photo within its property; a new upload is a new photo.
    PhotoId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_time_ordered_and_round_trip() {
        let first = UserId::generate();
        let second = UserId::generate();
        assert!(first.to_string() < second.to_string());
        assert_eq!(UserId::parse(&first.to_string()), Some(first));
    }

    #[test]
    fn only_the_canonical_spelling_parses() {
        let id = UserId::generate().to_string();
        assert!(UserId::parse(&id.to_uppercase()).is_none());
        assert!(UserId::parse(&id.replace('-', "")).is_none());
        assert!(UserId::parse("me").is_none());
    }
}
