//! Per-field last-writer-wins: the one merge both the server and the app use.
//!
//! A field's state is its value and the HLC of the write that set it. A write replaces the
//! state only if its HLC is greater; HLCs are totally ordered (their string order), so
//! every replica that has seen the same writes holds the same state, whatever the order in
//! which they arrived.

use std::collections::BTreeMap;

use crate::sync::FieldState;

/// A row's fields by name.
pub type Fields = BTreeMap<String, FieldState>;

/// Fields with these values, each written at `hlc` (the tests' rows).
#[cfg(test)]
pub(crate) fn fields_at(hlc: &str, values: &[(&str, serde_json::Value)]) -> Fields {
    values
        .iter()
        .map(|(name, value)| {
            let state = FieldState {
                value: value.clone(),
                hlc: hlc.to_owned(),
            };
            ((*name).to_owned(), state)
        })
        .collect()
}

/// What a write does to a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Greater HLC than the stored one (or nothing stored): it becomes the value.
    Wins,
    /// Lower HLC: the stored value stays; the write is kept in history only.
    Loses,
    /// The very write that is stored already (a retry): nothing to do.
    Duplicate,
}

/// Decides a write with HLC `incoming` against the stored HLC. HLCs compare as strings
/// (PROTOCOL.md); callers validate them first.
pub fn decide(stored: Option<&str>, incoming: &str) -> Decision {
    match stored {
        None => Decision::Wins,
        Some(stored) => match incoming.cmp(stored) {
            std::cmp::Ordering::Greater => Decision::Wins,
            std::cmp::Ordering::Less => Decision::Loses,
            std::cmp::Ordering::Equal => Decision::Duplicate,
        },
    }
}

/// Applies one write to a row's fields; returns what it did.
pub fn apply_write(fields: &mut Fields, field: &str, write: FieldState) -> Decision {
    let decision = decide(
        fields.get(field).map(|state| state.hlc.as_str()),
        &write.hlc,
    );
    if decision == Decision::Wins {
        fields.insert(field.to_owned(), write);
    }
    decision
}

/// The join of two replicas of a row: per field, the state with the greater HLC.
/// Commutative, associative and idempotent.
pub fn merge_rows(a: &Fields, b: &Fields) -> Fields {
    let mut merged = a.clone();
    for (field, state) in b {
        apply_write(&mut merged, field, state.clone());
    }
    merged
}

/// What a device shows for a row: the server's state as last pulled (`base`) with the
/// device's own unacknowledged edits (`local`) on top, unless the server already holds a
/// later write of that field (then the local edit will lose on the server too).
///
/// A device keeps the two apart: a pull replaces `base`; an acknowledgement drops the acked
/// fields from `local`. So once every edit is acknowledged and pulled, the device holds
/// exactly the server's state, including the HLC the server stamped on a write from a clock
/// too far ahead.
pub fn overlay_pending(base: &Fields, local: &Fields) -> Fields {
    let mut result = base.clone();
    for (field, state) in local {
        if decide(base.get(field).map(|s| s.hlc.as_str()), &state.hlc) == Decision::Wins {
            result.insert(field.clone(), state.clone());
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;

    fn state(value: i64, hlc: &str) -> FieldState {
        FieldState {
            value: json!(value),
            hlc: hlc.to_owned(),
        }
    }

    #[test]
    fn later_hlc_wins_in_both_arrival_orders() {
        let early = state(1, "0000000000100-0000-a");
        let late = state(2, "0000000000100-0001-b");
        let mut one = Fields::new();
        assert_eq!(apply_write(&mut one, "f", early.clone()), Decision::Wins);
        assert_eq!(apply_write(&mut one, "f", late.clone()), Decision::Wins);
        let mut two = Fields::new();
        assert_eq!(apply_write(&mut two, "f", late.clone()), Decision::Wins);
        assert_eq!(apply_write(&mut two, "f", early), Decision::Loses);
        assert_eq!(one, two);
        assert_eq!(apply_write(&mut two, "f", late), Decision::Duplicate);
    }

    #[test]
    fn pending_edits_stay_on_top_until_a_later_write_arrives() {
        let local: Fields = [("city".to_owned(), state(1, "0000000000200-0000-me"))].into();
        let older: Fields = [
            ("city".to_owned(), state(9, "0000000000100-0000-other")),
            ("name".to_owned(), state(5, "0000000000100-0001-other")),
        ]
        .into();
        let shown = overlay_pending(&older, &local);
        assert_eq!(shown["city"], local["city"]);
        assert_eq!(shown["name"], older["name"]);
        let newer: Fields = [("city".to_owned(), state(9, "0000000000300-0000-other"))].into();
        assert_eq!(overlay_pending(&newer, &local), newer);
        assert_eq!(overlay_pending(&older, &Fields::new()), older);
    }

    fn arb_fields() -> impl Strategy<Value = Fields> {
        prop::collection::btree_map(
            "[a-c]",
            (0i64..5, 0u64..20, 0u16..3, "[a-c]")
                .prop_map(|(v, w, c, n)| state(v, &crate::hlc::Hlc::new(w, c, n).to_string())),
            0..4,
        )
    }

    /// Two writes with the same HLC are the same write (one writer per node) in the real
    /// system; the generator can produce different values for one HLC, which never happens.
    fn consistent(rows: &[&Fields]) -> bool {
        let mut seen: BTreeMap<&str, &FieldState> = BTreeMap::new();
        rows.iter().flat_map(|row| row.values()).all(|state| {
            seen.insert(&state.hlc, state)
                .is_none_or(|previous| previous == state)
        })
    }

    proptest! {
        #[test]
        fn merge_is_commutative(a in arb_fields(), b in arb_fields()) {
            prop_assume!(consistent(&[&a, &b]));
            prop_assert_eq!(merge_rows(&a, &b), merge_rows(&b, &a));
        }

        #[test]
        fn merge_is_associative(a in arb_fields(), b in arb_fields(), c in arb_fields()) {
            prop_assume!(consistent(&[&a, &b, &c]));
            prop_assert_eq!(merge_rows(&merge_rows(&a, &b), &c), merge_rows(&a, &merge_rows(&b, &c)));
        }

        #[test]
        fn merge_is_idempotent(a in arb_fields(), b in arb_fields()) {
            prop_assume!(consistent(&[&a, &b]));
            prop_assert_eq!(merge_rows(&a, &a), a.clone());
            let ab = merge_rows(&a, &b);
            prop_assert_eq!(merge_rows(&ab, &b), ab);
        }
    }
}
