//! A merge's follow-up after a pull in real Chromium: what the user's merge did not see of
//! a record it merged (another device's merge into it reached the server first) is made on
//! the record that stays, once.

#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use minicrm_core::sync::PulledRow;
use serde_json::{Value, json};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

use common::{apply_page, fields, fresh, pulled};

wasm_bindgen_test_configure!(run_in_browser);

const ME: &str = "0193a1b2-0000-7000-8000-000000000070";
const ONE: &str = "0193a1b2-0000-7000-8000-000000000001";
const THREE: &str = "0193a1b2-0000-7000-8000-000000000003";
const MERGE: &str = "0193a1b2-0000-7000-8000-000000000051";
const OLD: &str = "1763800000000-0000-seed";
/// Another device's merge into record one, before this user's merge of one into three
/// reached the server.
const THEIRS: &str = "1763800001000-0000-a";
const MINE: &str = "1763800002000-0000-b";

fn phones(numbers: &[&str]) -> Value {
    Value::Array(
        numbers
            .iter()
            .map(|n| json!({ "type": "mobile", "number": n }))
            .collect(),
    )
}

#[wasm_bindgen_test]
async fn a_write_the_merge_did_not_see_is_carried_to_the_record_that_stays_once() {
    let storage = fresh("carry").await;
    let merge = PulledRow {
        entity: "merge".into(),
        id: MERGE.into(),
        version: 3,
        fields: Some(fields(&[
            ("record_id", json!(THREE), MINE),
            ("merged_ids", json!([ONE]), MINE),
            ("user_id", json!(ME), MINE),
            ("at", json!("2026-12-04T10:00:00Z"), MINE),
            ("undone", json!(false), MINE),
            // What this merge read of record one: its phones as first written.
            (
                &format!("seen:{ONE}"),
                json!({ "kind": OLD, "last_name": OLD, "phones": OLD }),
                MINE,
            ),
        ])),
        visible: None,
    };
    apply_page(
        &storage,
        vec![
            pulled(
                ONE,
                1,
                &[
                    ("kind", json!("person"), OLD),
                    ("last_name", json!("Nowak"), OLD),
                    // The other device's merge gave record one a second phone.
                    ("phones", phones(&["+48601000001", "+48601000002"]), THEIRS),
                    ("merged_into", json!(THREE), MINE),
                    ("deleted", json!(true), MINE),
                ],
            ),
            pulled(
                THREE,
                2,
                &[
                    ("kind", json!("person"), OLD),
                    ("last_name", json!("Nowak"), OLD),
                    ("phones", phones(&["+48601000003", "+48601000001"]), MINE),
                ],
            ),
            merge,
        ],
        9,
    )
    .await;

    let touched: std::collections::HashSet<uuid::Uuid> =
        [ONE.parse().unwrap()].into_iter().collect();
    // A pull that touched none of its records: nothing looked at.
    let elsewhere: std::collections::HashSet<uuid::Uuid> =
        ["0193a1b2-0000-7000-8000-000000000009".parse().unwrap()]
            .into_iter()
            .collect();
    assert_eq!(
        storage
            .carry_over_merges(ME, &elsewhere, |_, _, _| true, 1_763_800_002_400)
            .await
            .unwrap(),
        0
    );
    // Another user's merge is not this user's to carry.
    let someone = "0193a1b2-0000-7000-8000-000000000071";
    for (user, allowed) in [(someone, true)] {
        let written = storage
            .carry_over_merges(user, &touched, |_, _, _| allowed, 1_763_800_002_500)
            .await
            .unwrap();
        assert_eq!(written, 0);
    }
    let written = storage
        .carry_over_merges(ME, &touched, |_, _, _| true, 1_763_800_003_000)
        .await
        .unwrap();
    assert_eq!(written, 1, "record three's phones");
    let keys = [
        ("contact".to_owned(), THREE.to_owned()),
        ("merge".to_owned(), MERGE.to_owned()),
    ];
    let rows = storage.rows_by_keys(&keys).await.unwrap();
    let three = rows[0].as_ref().unwrap().shown();
    assert_eq!(
        three["phones"].value,
        phones(&["+48601000003", "+48601000001", "+48601000002"])
    );
    let seen = &rows[1].as_ref().unwrap().shown()[&format!("seen:{ONE}")].value;
    assert_eq!(seen["phones"], json!(THEIRS));

    // Carried once: the next sync finds nothing unseen, and a phone the user then takes
    // off record three stays off.
    assert_eq!(
        storage
            .carry_over_merges(ME, &touched, |_, _, _| true, 1_763_800_004_000)
            .await
            .unwrap(),
        0
    );
    storage
        .edit(
            "contact",
            THREE,
            &[("phones".to_owned(), phones(&["+48601000003"]))],
            1_763_800_005_000,
        )
        .await
        .unwrap();
    assert_eq!(
        storage
            .carry_over_merges(ME, &touched, |_, _, _| true, 1_763_800_006_000)
            .await
            .unwrap(),
        0
    );
}

#[wasm_bindgen_test]
async fn a_list_another_merge_wrote_over_is_united_again_once() {
    let storage = fresh("lost").await;
    let theirs_id = "0193a1b2-0000-7000-8000-000000000052";
    let merge_row = |id: &str, user: &str, merged: &str, after: &[&str], hlc: &str| PulledRow {
        entity: "merge".into(),
        id: id.into(),
        version: 3,
        fields: Some(fields(&[
            ("record_id", json!(THREE), hlc),
            ("merged_ids", json!([merged]), hlc),
            ("user_id", json!(user), hlc),
            ("at", json!("2026-12-04T10:00:00Z"), hlc),
            ("undone", json!(false), hlc),
            // Both read record three's phones as first written: neither saw the other.
            (&format!("seen:{THREE}"), json!({ "phones": OLD }), hlc),
            ("before.phones", phones(&["+48601000003"]), hlc),
            ("after.phones", phones(after), hlc),
        ])),
        visible: None,
    };
    let four = "0193a1b2-0000-7000-8000-000000000004";
    apply_page(
        &storage,
        vec![
            merge_row(MERGE, ME, ONE, &["+48601000003", "+48601000001"], THEIRS),
            merge_row(
                theirs_id,
                "0193a1b2-0000-7000-8000-000000000071",
                four,
                &["+48601000003", "+48601000004"],
                MINE,
            ),
            // The other merge's list, written after it, is the one the server kept.
            pulled(
                THREE,
                2,
                &[
                    ("kind", json!("person"), OLD),
                    ("phones", phones(&["+48601000003", "+48601000004"]), MINE),
                ],
            ),
        ],
        9,
    )
    .await;
    let touched: std::collections::HashSet<uuid::Uuid> =
        [THREE.parse().unwrap()].into_iter().collect();
    let carry = |now: u64| storage.carry_over_merges(ME, &touched, |_, _, _| true, now);
    assert_eq!(carry(1_763_800_003_000).await.unwrap(), 1);
    let read = |entity: &str, id: &str| (entity.to_owned(), id.to_owned());
    let rows = storage
        .rows_by_keys(&[read("contact", THREE), read("merge", MERGE)])
        .await
        .unwrap();
    assert_eq!(
        rows[0].as_ref().unwrap().shown()["phones"].value,
        phones(&["+48601000003", "+48601000004", "+48601000001"])
    );
    assert_eq!(
        rows[1].as_ref().unwrap().shown()[&format!("united:{theirs_id}")].value,
        json!(true)
    );
    // Once: the user then takes the phone off again, and it stays off.
    assert_eq!(carry(1_763_800_004_000).await.unwrap(), 0);
    storage
        .edit(
            "contact",
            THREE,
            &[(
                "phones".to_owned(),
                phones(&["+48601000003", "+48601000004"]),
            )],
            1_763_800_005_000,
        )
        .await
        .unwrap();
    assert_eq!(carry(1_763_800_006_000).await.unwrap(), 0);
}
