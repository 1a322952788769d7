//! The hybrid logical clock (PROTOCOL.md, "Hybrid logical clock").
//!
//! An HLC is `WWWWWWWWWWWWW-CCCC-NODE`: 13-digit zero-padded Unix milliseconds, a 4-digit
//! lowercase hex counter, and the writer's node id (its `client_id`, or `server`). The fixed
//! widths make plain string order equal to (time, counter, node) order, and no two writers
//! share a node, so the order is total.
//!
//! The clock never reads the time itself: callers pass `now_ms` (the injected time source),
//! so core stays pure and tests control time.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The largest wall time 13 digits can hold.
pub const MAX_WALL_MS: u64 = 9_999_999_999_999;
/// How far ahead of the server's clock an HLC may be before the server distrusts it.
pub const MAX_DRIFT_MS: u64 = 60_000;
const MAX_NODE_LEN: usize = 64;

/// One timestamp. Ordered as its string form.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Hlc {
    pub wall_ms: u64,
    pub counter: u16,
    pub node: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an HLC (expected 13 digits, '-', 4 lowercase hex digits, '-', a node id)")]
pub struct HlcParseError(pub String);

/// Whether `node` may name a writer: 1 to 64 of `[0-9a-z-]`.
pub fn is_valid_node(node: &str) -> bool {
    !node.is_empty()
        && node.len() <= MAX_NODE_LEN
        && node
            .bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase() || b == b'-')
}

impl Hlc {
    pub fn new(wall_ms: u64, counter: u16, node: impl Into<String>) -> Hlc {
        Hlc {
            wall_ms,
            counter,
            node: node.into(),
        }
    }
}

impl fmt::Display for Hlc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:013}-{:04x}-{}", self.wall_ms, self.counter, self.node)
    }
}

impl FromStr for Hlc {
    type Err = HlcParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || HlcParseError(s.to_owned());
        let bytes = s.as_bytes();
        if bytes.len() < 20 || bytes[13] != b'-' || bytes[18] != b'-' {
            return Err(err());
        }
        let (wall, counter, node) = (&s[..13], &s[14..18], &s[19..]);
        if !wall.bytes().all(|b| b.is_ascii_digit())
            || !counter
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
            || !is_valid_node(node)
        {
            return Err(err());
        }
        Ok(Hlc {
            wall_ms: wall.parse().map_err(|_| err())?,
            counter: u16::from_str_radix(counter, 16).map_err(|_| err())?,
            node: node.to_owned(),
        })
    }
}

impl Ord for Hlc {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.wall_ms, self.counter, &self.node).cmp(&(other.wall_ms, other.counter, &other.node))
    }
}

impl PartialOrd for Hlc {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Serialize for Hlc {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Hlc {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// A node's clock: issues HLCs greater than every HLC it issued or observed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clock {
    node: String,
    wall_ms: u64,
    counter: u16,
}

impl Clock {
    /// A clock for `node` that has seen nothing yet.
    pub fn new(node: impl Into<String>) -> Clock {
        Clock {
            node: node.into(),
            wall_ms: 0,
            counter: 0,
        }
    }

    /// A clock resumed from the last HLC it issued or observed (kept on disk).
    pub fn resume(node: impl Into<String>, last: Option<&Hlc>) -> Clock {
        let mut clock = Clock::new(node);
        if let Some(last) = last {
            clock.wall_ms = last.wall_ms;
            clock.counter = last.counter;
        }
        clock
    }

    pub fn node(&self) -> &str {
        &self.node
    }

    /// The highest time this clock has issued or seen, with its own node.
    pub fn last(&self) -> Hlc {
        Hlc::new(self.wall_ms, self.counter, self.node.clone())
    }

    fn advance(&mut self, wall_ms: u64, counter: u32) {
        // A counter past 0xffff borrows a millisecond: the order stays strict.
        match u16::try_from(counter) {
            Ok(counter) => {
                self.wall_ms = wall_ms;
                self.counter = counter;
            }
            Err(_) => {
                self.wall_ms = wall_ms.saturating_add(1).min(MAX_WALL_MS);
                self.counter = 0;
            }
        }
    }

    /// A new HLC for a local event at `now_ms`: greater than everything before it.
    pub fn tick(&mut self, now_ms: u64) -> Hlc {
        let now_ms = now_ms.min(MAX_WALL_MS);
        if now_ms > self.wall_ms {
            self.advance(now_ms, 0);
        } else {
            self.advance(self.wall_ms, u32::from(self.counter) + 1);
        }
        self.last()
    }

    /// Takes note of an HLC from elsewhere (a pulled row, the server's `server_hlc`), so
    /// every later tick is greater than it.
    pub fn observe(&mut self, seen: &Hlc) {
        if (seen.wall_ms, seen.counter) > (self.wall_ms, self.counter) {
            self.wall_ms = seen.wall_ms;
            self.counter = seen.counter;
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn formats_and_parses_the_wire_form() {
        let hlc = Hlc::new(
            1_763_800_000_000,
            0x2a,
            "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
        );
        let text = "1763800000000-002a-0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";
        assert_eq!(hlc.to_string(), text);
        assert_eq!(text.parse::<Hlc>(), Ok(hlc.clone()));
        assert_eq!(serde_json::to_string(&hlc).unwrap(), format!("\"{text}\""));
        assert_eq!(
            Hlc::new(5, 0, "server").to_string(),
            "0000000000005-0000-server"
        );
    }

    #[test]
    fn refuses_malformed_text() {
        for bad in [
            "",
            "1763800000000-0000-",
            "176380000000-0000-node",
            "1763800000000-00000-node",
            "1763800000000-00AA-node",
            "1763800000000_0000-node",
            "17638000000x0-0000-node",
            "1763800000000-0000-No Spaces",
            "1763800000000-0000-UPPER",
        ] {
            assert!(bad.parse::<Hlc>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn tick_follows_the_wall_clock_and_counts_within_a_millisecond() {
        let mut clock = Clock::new("a");
        assert_eq!(clock.tick(100), Hlc::new(100, 0, "a"));
        assert_eq!(clock.tick(100), Hlc::new(100, 1, "a"));
        assert_eq!(
            clock.tick(90),
            Hlc::new(100, 2, "a"),
            "a clock going back changes nothing"
        );
        assert_eq!(clock.tick(101), Hlc::new(101, 0, "a"));
    }

    #[test]
    fn observing_a_later_hlc_moves_the_clock_past_it() {
        let mut clock = Clock::new("a");
        clock.tick(100);
        clock.observe(&Hlc::new(500, 7, "b"));
        assert_eq!(clock.tick(200), Hlc::new(500, 8, "a"));
        clock.observe(&Hlc::new(10, 0, "c"));
        assert_eq!(clock.tick(200), Hlc::new(500, 9, "a"));
    }

    #[test]
    fn counter_overflow_borrows_a_millisecond() {
        let mut clock = Clock::resume("a", Some(&Hlc::new(100, 0xffff, "a")));
        let next = clock.tick(100);
        assert_eq!(next, Hlc::new(101, 0, "a"));
        assert!(next > Hlc::new(100, 0xffff, "a"));
    }

    fn arb_hlc() -> impl Strategy<Value = Hlc> {
        (0..=MAX_WALL_MS, any::<u16>(), "[0-9a-z-]{1,12}").prop_map(|(w, c, n)| Hlc::new(w, c, n))
    }

    proptest! {
        #[test]
        fn string_order_is_hlc_order(a in arb_hlc(), b in arb_hlc()) {
            prop_assert_eq!(a.cmp(&b), a.to_string().cmp(&b.to_string()));
            prop_assert_eq!(a.to_string().parse::<Hlc>().unwrap(), a);
        }

        /// Under any clock skew and jumps, every tick is greater than every earlier tick
        /// and every observed HLC.
        #[test]
        fn ticks_are_strictly_monotonic(
            steps in prop::collection::vec(
                (0u64..3_000_000_000_000, prop::option::of(arb_hlc().prop_filter("below the end of time", |h| h.wall_ms < MAX_WALL_MS))),
                1..200,
            )
        ) {
            let mut clock = Clock::new("me");
            let mut highest: Option<Hlc> = None;
            for (now, seen) in steps {
                if let Some(seen) = seen {
                    clock.observe(&seen);
                    let key = (seen.wall_ms, seen.counter);
                    if highest.as_ref().is_none_or(|h| (h.wall_ms, h.counter) < key) {
                        highest = Some(Hlc::new(seen.wall_ms, seen.counter, "me"));
                    }
                }
                let hlc = clock.tick(now);
                if let Some(previous) = &highest {
                    prop_assert!(hlc > *previous, "{hlc} after {previous}");
                }
                highest = Some(hlc);
            }
        }
    }
}
