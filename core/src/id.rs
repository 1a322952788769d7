//! Typed identifiers. Every id on the wire is a lowercase UUID string.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The id of a user account.
///
/// Wire shape (must not change): a lowercase hyphenated UUID string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UserId(pub Uuid);

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.as_hyphenated().fmt(f)
    }
}

impl FromStr for UserId {
    type Err = uuid::Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uuid::parse_str(s).map(UserId)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_id_round_trips_as_lowercase_string() {
        let id: UserId = "0193A1B2-C3D4-7E5F-8A9B-0C1D2E3F4A5B".parse().unwrap();
        assert_eq!(id.to_string(), "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b");
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, "\"0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b\"");
        assert_eq!(serde_json::from_str::<UserId>(&json).unwrap(), id);
    }

    #[test]
    fn user_id_rejects_garbage() {
        assert!("not-a-uuid".parse::<UserId>().is_err());
    }
}
