//! Sync against the real server on a random port: every rule of PROTOCOL.md's push, pull
//! and history sections.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::sync::{Device, WALL, admin_owner_and, change, field, hlc, id, key, now_ms};
use common::{TestServer, error_code, expect_error};
use minicrm_core::Role;
use reqwest::Method;
use serde_json::{Value, json};

/// The contact `row` as `token` pulls it from cursor 0, if it is named.
async fn contact(server: &TestServer, token: &str, row: &str) -> Option<Value> {
    let (rows, _) = server.pull_all(token, 0, 1000).await;
    rows.get(&key("contact", row)).cloned()
}

/// `count` changes of `field` of `row`, seqs 1..=count, each at the HLC counter of its seq.
fn one_field_batch(row: &str, field: &str, count: u64, value: impl Fn(u64) -> Value) -> Vec<Value> {
    (1..=count)
        .map(|seq| {
            change(
                seq,
                "contact",
                row,
                field,
                value(seq),
                &hlc(WALL, seq as u16, "dev"),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_retried_batch_is_applied_exactly_once() {
    let (server, _, token) = TestServer::with_user("ada@example.com", Role::Agent).await;
    let row = id(1);
    let (kind_hlc, city_hlc) = (hlc(WALL, 0, "dev-a"), hlc(WALL, 1, "dev-a"));
    let batch = vec![
        change(1, "contact", &row, "kind", json!("person"), &kind_hlc),
        change(2, "contact", &row, "city", json!("Kraków"), &city_hlc),
    ];
    let first = server.push_ok(&token, "dev-a", batch).await;
    assert_eq!(first["acked_seq"], 2);
    assert_eq!(first["rejected"], json!([]));
    assert!(first["server_hlc"].as_str().unwrap().ends_with("-server"));
    let (_, cursor) = server.pull_all(&token, 0, 1000).await;

    // The same seqs again, but with other values and higher HLCs: on their own these writes
    // would win, so only the device's acknowledged seq can keep them out.
    let later = |counter| hlc(WALL + 1000, counter, "dev-a");
    let retry = vec![
        change(1, "contact", &row, "kind", json!("company"), &later(0)),
        change(2, "contact", &row, "city", json!("Gdańsk"), &later(1)),
    ];
    let reply = server.push_ok(&token, "dev-a", retry).await;
    assert_eq!(reply["acked_seq"], 2);
    assert_eq!(reply["rejected"], json!([]));
    let (changed, _) = server.pull_all(&token, cursor, 1000).await;
    assert!(changed.is_empty(), "a retry changes no row: {changed:?}");
    let stored = contact(&server, &token, &row).await.unwrap();
    assert_eq!(field(&stored, "kind"), "person", "the first value is kept");
    assert_eq!(stored["fields"]["kind"]["hlc"], kind_hlc);
    assert_eq!(field(&stored, "city"), "Kraków", "the first value is kept");
    assert_eq!(stored["fields"]["city"]["hlc"], city_hlc);
    let history = server.history(&token, "contact", &row).await;
    let entries: Vec<(&Value, &Value)> =
        history.iter().map(|e| (&e["field"], &e["value"])).collect();
    assert_eq!(
        entries,
        [
            (&json!("kind"), &json!("person")),
            (&json!("city"), &json!("Kraków"))
        ],
        "one history entry per field: the retry added none"
    );

    // The same seqs from another device of the same user are that device's own.
    let stamp = hlc(WALL, 2, "dev-b");
    let brno = change(1, "contact", &row, "city", json!("Brno"), &stamp);
    let other = server.push_ok(&token, "dev-b", vec![brno]).await;
    assert_eq!(other["acked_seq"], 1);
    let stored = contact(&server, &token, &row).await.unwrap();
    assert_eq!(field(&stored, "city"), "Brno");
}

#[tokio::test]
async fn last_writer_wins_in_both_arrival_orders_and_the_loser_is_in_history() {
    let server = TestServer::start().await;
    let (ada, ada_token) = server.user_with_token("ada@example.com", Role::Agent).await;
    let (bob, bob_token) = server.user_with_token("bob@example.com", Role::Agent).await;
    let early = hlc(WALL, 0, "dev-ada");
    let late = hlc(WALL, 5, "dev-bob");
    for (n, order) in [(1, ["ada", "bob"]), (2, ["bob", "ada"])] {
        let row = id(n);
        for who in order {
            let (token, client, value, stamp) = match who {
                "ada" => (&ada_token, "dev-ada", "Kraków", &early),
                _ => (&bob_token, "dev-bob", "Warszawa", &late),
            };
            let write = change(n as u64, "contact", &row, "city", json!(value), stamp);
            server.push_ok(token, client, vec![write]).await;
        }
        let stored = contact(&server, &ada_token, &row).await.unwrap();
        assert_eq!(field(&stored, "city"), "Warszawa", "order {order:?}");
        assert_eq!(stored["fields"]["city"]["hlc"], late);

        let history = server.history(&ada_token, "contact", &row).await;
        assert_eq!(history.len(), 2);
        assert_eq!(history[0]["value"], "Kraków", "ascending HLC order");
        assert_eq!(history[0]["user_id"], ada.id.to_string());
        assert_eq!(history[1]["value"], "Warszawa");
        assert_eq!(history[1]["user_id"], bob.id.to_string());
        // Arriving first, the early write won (then was replaced); arriving last, it lost.
        assert_eq!(history[0]["won"], order[0] == "ada", "order {order:?}");
        assert_eq!(history[1]["won"], true);
    }
}

#[tokio::test]
async fn writes_to_different_fields_and_concurrent_memberships_all_survive() {
    let server = TestServer::start().await;
    let (_, a) = server.user_with_token("ada@example.com", Role::Agent).await;
    let (_, b) = server.user_with_token("bob@example.com", Role::Agent).await;
    let row = id(1);
    let (vip, spring) = (
        format!("segment:{}", id(100)),
        format!("segment:{}", id(101)),
    );
    let phones = json!([{"type": "mobile", "number": "+48600100200"}]);
    Device::new(&server, &a, "dev-a")
        .push(&[
            ("contact", &row, "city", json!("Kraków")),
            ("contact", &row, &vip, json!(true)),
        ])
        .await;
    Device::new(&server, &b, "dev-b")
        .push(&[
            ("contact", &row, "phones", phones),
            ("contact", &row, &spring, json!(true)),
        ])
        .await;
    let stored = contact(&server, &a, &row).await.unwrap();
    assert_eq!(field(&stored, "city"), "Kraków");
    assert_eq!(field(&stored, "phones")[0]["number"], "+48600100200");
    assert_eq!(field(&stored, &vip), true);
    assert_eq!(field(&stored, &spring), true);
}

#[tokio::test]
async fn an_hlc_far_ahead_is_restamped_by_the_server_and_still_applied() {
    let (server, _, token) = TestServer::with_user("ada@example.com", Role::Agent).await;
    let row = id(1);
    let city = |seq, value: &str, stamp: &str| {
        vec![change(seq, "contact", &row, "city", json!(value), stamp)]
    };
    let future = hlc(now_ms() + 10 * 60 * 1000, 0, "dev-fast");
    let write = city(1, "Future", &future);
    server.push_ok(&token, "dev-fast", write).await;
    let stored = contact(&server, &token, &row).await.unwrap();
    assert_eq!(field(&stored, "city"), "Future", "still applied");
    let stamped = stored["fields"]["city"]["hlc"].as_str().unwrap();
    assert!(stamped.ends_with("-server"), "restamped: {stamped}");
    assert!(stamped < future.as_str());

    // So a device with a correct clock can still win a later conflict.
    let later = hlc(now_ms() + 1000, 0, "dev-ok");
    server
        .push_ok(&token, "dev-ok", city(1, "Now", &later))
        .await;
    let stored = contact(&server, &token, &row).await.unwrap();
    assert_eq!(field(&stored, "city"), "Now");
    // Within 60 seconds ahead is trusted as it is.
    let near = hlc(now_ms() + 30_000, 0, "dev-ok");
    server
        .push_ok(&token, "dev-ok", city(2, "Near", &near))
        .await;
    let stored = contact(&server, &token, &row).await.unwrap();
    assert_eq!(stored["fields"]["city"]["hlc"], near);
}

#[tokio::test]
async fn trash_and_restore_are_ordinary_writes_and_trashed_rows_still_pull() {
    let (server, _, token) = TestServer::with_user("ada@example.com", Role::Agent).await;
    let row = id(1);
    let mut device = Device::new(&server, &token, "dev");
    device
        .push(&[
            ("contact", &row, "last_name", json!("Nowak")),
            ("contact", &row, "deleted", json!(true)),
        ])
        .await;
    let trashed = contact(&server, &token, &row)
        .await
        .expect("trashed rows are pulled");
    assert_eq!(field(&trashed, "deleted"), true);
    assert_eq!(field(&trashed, "last_name"), "Nowak");
    device
        .push(&[("contact", &row, "deleted", json!(false))])
        .await;
    let restored = contact(&server, &token, &row).await.unwrap();
    assert_eq!(field(&restored, "deleted"), false);
    let history = server.history(&token, "contact", &row).await;
    let deleted: Vec<_> = history
        .iter()
        .filter(|e| e["field"] == "deleted")
        .map(|e| e["value"].clone())
        .collect();
    assert_eq!(deleted, [json!(true), json!(false)]);
}

#[tokio::test]
async fn reassigning_a_record_away_from_a_restricted_user_hides_it_and_its_tasks() {
    let (server, mut admins, (other, _), (rita, rita_token)) =
        admin_owner_and("olaf@example.com", "rita@example.com", Role::Restricted).await;
    let (record, task) = (id(1), id(2));
    admins
        .push(&[
            ("contact", &record, "last_name", json!("Kowalska")),
            ("contact", &record, "owner_id", json!(rita.id.to_string())),
            ("task", &task, "record_id", json!(record)),
            ("task", &task, "title", json!("Call back")),
        ])
        .await;
    let (rows, cursor) = server.pull_all(&rita_token, 0, 1000).await;
    assert!(rows[&key("contact", &record)]["fields"].is_object());
    assert!(rows[&key("task", &task)]["fields"].is_object());

    let owner = json!(other.id.to_string());
    admins
        .push(&[("contact", &record, "owner_id", owner)])
        .await;
    let (changed, _) = server.pull_all(&rita_token, cursor, 1000).await;
    for key in [key("contact", &record), key("task", &task)] {
        let row = &changed[&key];
        assert_eq!(row["visible"], false, "{key:?}: {row}");
        assert!(row.get("fields").is_none());
    }
    // And she may no longer write to it; nothing changes.
    let reply = Device::new(&server, &rita_token, "dev-rita")
        .push(&[("contact", &record, "city", json!("Hacked"))])
        .await;
    assert_eq!(reply["rejected"][0]["code"], "forbidden");
    let stored = contact(&server, &admins.token, &record).await.unwrap();
    assert_eq!(field(&stored, "city"), &Value::Null);
    let history = server
        .history_page(&rita_token, "contact", &record, "")
        .await;
    expect_error(history, 404, "not_found").await;
}

#[tokio::test]
async fn a_role_change_resends_what_the_user_may_now_see() {
    let (server, mut admins, (other, _), (agent, agent_token)) =
        admin_owner_and("olaf@example.com", "agnes@example.com", Role::Agent).await;
    let record = id(1);
    let owner = json!(other.id.to_string());
    admins
        .push(&[("contact", &record, "owner_id", owner)])
        .await;
    let (rows, cursor) = server.pull_all(&agent_token, 0, 1000).await;
    assert!(rows[&key("contact", &record)]["fields"].is_object());
    server
        .set_role(&admins.token, &agent, Role::Restricted)
        .await;
    let (changed, _) = server.pull_all(&agent_token, cursor, 1000).await;
    assert_eq!(changed[&key("contact", &record)]["visible"], false);
    let me = &changed[&key("user", &agent.id.to_string())];
    assert_eq!(
        field(me, "role"),
        "restricted",
        "the directory shows the new role"
    );
}

#[tokio::test]
async fn refused_changes_are_listed_and_do_not_block_the_rest() {
    let (server, agent, token) = TestServer::with_user("agnes@example.com", Role::Agent).await;
    let (row, me) = (id(1), agent.id.to_string());
    let stamp = |c| hlc(WALL, c, "dev");
    let changes = vec![
        change(1, "contact", &row, "city", json!("Kraków"), &stamp(0)),
        change(2, "segment", &id(50), "name", json!("VIP"), &stamp(1)),
        change(3, "user", &me, "role", json!("admin"), &stamp(2)),
        change(4, "contact", &row, "colour", json!("red"), &stamp(3)),
        change(5, "invoice", &row, "total", json!(5), &stamp(4)),
        change(6, "contact", &row, "deleted", json!("yes"), &stamp(5)),
        change(7, "contact", &row, "city", json!("Brno"), "not-an-hlc"),
        change(8, "contact", "42", "city", json!("Brno"), &stamp(7)),
        json!({"seq": 9, "entity": "contact", "id": row, "field": "city", "hlc": stamp(8)}),
        change(
            10,
            "contact",
            &row,
            "postal_code",
            json!("30-001"),
            &stamp(9),
        ),
    ];
    let reply = server.push_ok(&token, "dev", changes).await;
    assert_eq!(
        reply["acked_seq"], 10,
        "acked_seq covers the refused changes"
    );
    let codes: Vec<(u64, &str)> = reply["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            assert!(!r["message"].as_str().unwrap().is_empty());
            (r["seq"].as_u64().unwrap(), r["code"].as_str().unwrap())
        })
        .collect();
    assert_eq!(
        codes,
        [
            (2, "forbidden"),
            (3, "forbidden"),
            (4, "unknown_field"),
            (5, "unknown_field"),
            (6, "invalid"),
            (7, "invalid"),
            (8, "invalid"),
            (9, "invalid"),
        ]
    );
    let (rows, _) = server.pull_all(&token, 0, 1000).await;
    let stored = &rows[&key("contact", &row)];
    assert_eq!(field(stored, "city"), "Kraków");
    assert_eq!(field(stored, "postal_code"), "30-001");
    assert!(stored["fields"].get("colour").is_none() && stored["fields"].get("deleted").is_none());
    assert!(!rows.contains_key(&key("segment", &id(50))));
    assert_eq!(field(&rows[&key("user", &me)], "role"), "agent");
}

#[tokio::test]
async fn an_oversized_batch_is_413_and_applies_nothing() {
    let (server, _, token) = TestServer::with_user("ada@example.com", Role::Agent).await;
    let row = id(1);
    let too_many = one_field_batch(&row, "city", 1001, |seq| json!(format!("City {seq}")));
    let response = server.push(&token, "dev", too_many).await;
    expect_error(response, 413, "payload_too_large").await;
    let big_note = json!("x".repeat(20_000));
    let too_big = one_field_batch(&row, "note", 60, |_| big_note.clone());
    let response = server.push(&token, "dev", too_big).await;
    expect_error(response, 413, "payload_too_large").await;
    assert!(
        contact(&server, &token, &row).await.is_none(),
        "nothing applied"
    );
    // And the device may send its seqs again in smaller batches.
    let first = one_field_batch(&row, "city", 1, |seq| json!(format!("City {seq}")));
    let reply = server.push_ok(&token, "dev", first).await;
    assert_eq!(reply["acked_seq"], 1);
}

#[tokio::test]
async fn bodies_that_are_not_push_requests_are_refused_whole() {
    let (server, _, token) = TestServer::with_user("ada@example.com", Role::Agent).await;
    let row = id(1);
    let good = change(
        1,
        "contact",
        &row,
        "city",
        json!("Kraków"),
        &hlc(WALL, 0, "dev"),
    );
    let bodies = [
        json!({"client_id": "dev"}),
        json!({"client_id": "dev", "changes": {}}),
        json!({"client_id": "dev", "changes": [good.clone(), 5]}),
        json!({"client_id": "dev", "changes": [good.clone(), {"entity": "contact"}]}),
        json!({"changes": [good.clone()]}),
        json!({"client_id": "Not Valid!", "changes": [good.clone()]}),
        json!([good.clone()]),
    ];
    for body in bodies {
        let response = server.post("/api/sync/push", Some(&token), &body).await;
        error_code(response, 422).await;
    }
    let cut = "{\"client_id\": \"dev\", \"changes\": [";
    let response = server
        .send_json_text(Method::POST, "/api/sync/push", Some(&token), cut)
        .await;
    expect_error(response, 400, "malformed_request").await;
    assert!(
        contact(&server, &token, &row).await.is_none(),
        "nothing applied"
    );
    let unauthenticated = server.get_anonymous("/api/sync/pull").await;
    expect_error(unauthenticated, 401, "unauthorized").await;
}

#[tokio::test]
async fn pull_pages_in_version_order_and_echoes_the_cursor_when_empty() {
    let (server, _, token) = TestServer::with_user("ada@example.com", Role::Agent).await;
    let changes: Vec<Value> = (1..=25)
        .map(|n| {
            let (row, city) = (id(u128::from(n)), json!(format!("C{n}")));
            change(
                n,
                "contact",
                &row,
                "city",
                city,
                &hlc(WALL, n as u16, "dev"),
            )
        })
        .collect();
    server.push_ok(&token, "dev", changes).await;
    let mut cursor = 0;
    let mut versions = Vec::new();
    let mut pages = 0;
    loop {
        let page = server.pull_page(&token, cursor, 10).await;
        pages += 1;
        let rows = page["rows"].as_array().unwrap();
        assert!(rows.len() <= 10);
        versions.extend(rows.iter().map(|r| r["version"].as_u64().unwrap()));
        let next = page["cursor"].as_u64().unwrap();
        assert_eq!(
            Some(next),
            rows.last()
                .map(|r| r["version"].as_u64().unwrap())
                .or(Some(cursor))
        );
        cursor = next;
        if !page["more"].as_bool().unwrap() {
            break;
        }
        assert!(pages < 100, "the pull did not end");
    }
    assert!(pages >= 3);
    assert!(
        versions.windows(2).all(|w| w[0] < w[1]),
        "ascending versions: {versions:?}"
    );
    assert_eq!(versions.len(), 26, "25 contacts and the user row");
    let empty = server.pull_page(&token, cursor, 10).await;
    assert_eq!(empty["rows"], json!([]));
    assert_eq!(empty["cursor"], cursor);
    assert_eq!(empty["more"], false);
    let response = server.get("/api/sync/pull?cursor=-1", &token).await;
    expect_error(response, 400, "malformed_request").await;
}

#[tokio::test]
async fn pull_limit_is_capped_at_5000_and_defaults_to_1000() {
    let (server, _, token) = TestServer::with_user("ada@example.com", Role::Agent).await;
    // More rows than the largest page: 6000 contacts (and the user row), in pushes of 1000.
    const CONTACTS: u64 = 6000;
    for first in (1..=CONTACTS).step_by(1000) {
        let changes: Vec<Value> = (first..first + 1000)
            .map(|n| {
                let (row, city) = (id(u128::from(n)), json!(format!("C{n}")));
                change(n, "contact", &row, "city", city, &hlc(WALL + n, 0, "dev"))
            })
            .collect();
        let reply = server.push_ok(&token, "dev", changes).await;
        assert_eq!(reply["acked_seq"], first + 999);
        assert_eq!(reply["rejected"], json!([]));
    }
    let rows = |page: &Value| page["rows"].as_array().unwrap().len();

    let clamped = server.pull_page(&token, 0, 100_000).await;
    assert_eq!(rows(&clamped), 5000, "limit=100000 is cut to the maximum");
    assert_eq!(clamped["more"], true);
    let exact = server.pull_page(&token, 0, 5000).await;
    assert_eq!(rows(&exact), 5000);
    assert_eq!(exact["cursor"], clamped["cursor"]);

    let default = server.get_json("/api/sync/pull?cursor=0", &token).await;
    assert_eq!(rows(&default), 1000, "no limit: the default page");
    assert_eq!(default["more"], true);

    // The rest follows from the clamped page's cursor: every row once.
    let cursor = clamped["cursor"].as_u64().unwrap();
    let rest = server.pull_page(&token, cursor, 100_000).await;
    assert_eq!(rows(&rest), 1001, "6000 contacts and the user row in all");
    assert_eq!(rest["more"], false);
}

#[tokio::test]
async fn an_admin_purges_the_trash_for_good_and_devices_drop_the_rows() {
    let server = TestServer::start().await;
    let (_, admin) = server.admin().await;
    let (_, agent) = server.user_with_token("ada@example.com", Role::Agent).await;
    let (trashed, kept, task) = (id(1), id(2), id(3));
    let mut device = Device::new(&server, &agent, "dev");
    device
        .push(&[
            ("contact", &trashed, "last_name", json!("Gone")),
            ("contact", &trashed, "deleted", json!(true)),
            ("contact", &kept, "last_name", json!("Stays")),
            ("task", &task, "record_id", json!(trashed)),
            ("task", &task, "title", json!("Call")),
        ])
        .await;
    let (_, cursor) = server.pull_all(&agent, 0, 1000).await;

    // Only an admin may purge; a body must say what to purge.
    let refused = server.purge(&agent, &json!({"all": true})).await;
    expect_error(refused, 403, "forbidden").await;
    let unclear = server.purge(&admin, &json!({})).await;
    expect_error(unclear, 422, "invalid_body").await;
    // A record not in the trash is not purged; one in the trash is.
    for (ids, purged) in [(&kept, 0), (&trashed, 1)] {
        let done = server.purge(&admin, &json!({"ids": [ids]})).await;
        assert_eq!(done.status(), 200);
        assert_eq!(done.json::<Value>().await.unwrap()["purged"], purged);
    }

    // Devices learn of it as `visible: false`, for the record and its task.
    let (changed, _) = server.pull_all(&agent, cursor, 1000).await;
    for key in [key("contact", &trashed), key("task", &task)] {
        let row = &changed[&key];
        assert_eq!(row["visible"], false, "{key:?}");
        assert!(row.get("fields").is_none());
    }
    assert!(!changed.contains_key(&key("contact", &kept)));
    // Its history is gone, and a late write cannot bring it back.
    let history = server.history_page(&agent, "contact", &trashed, "").await;
    assert_eq!(history.status(), 404);
    let late = device
        .push(&[("contact", &trashed, "city", json!("Brno"))])
        .await;
    assert_eq!(late["acked_seq"], 6);
    assert_eq!(late["rejected"][0]["code"], "forbidden");
    // Nor can a task made offline before the purge attach to it.
    let orphan = device
        .push(&[("task", &id(4), "record_id", json!(trashed))])
        .await;
    assert_eq!(orphan["rejected"][0]["code"], "forbidden");
    // A new device (cursor 0) never had it, so it is not named at all.
    let (all, _) = server.pull_all(&admin, 0, 1000).await;
    assert!(!all.contains_key(&key("contact", &trashed)));
    assert_eq!(field(&all[&key("contact", &kept)], "last_name"), "Stays");
}

#[tokio::test]
async fn a_row_that_left_the_scope_and_changed_again_past_a_page_boundary_still_leaves_the_device()
{
    // This starts as `reassigning_a_record_away_from_a_restricted_user_hides_it_and_its_tasks`
    // does, on purpose (the same cast, rows Rita's device holds, then moved away); what is
    // tested here is a row changing again after it left, past a page boundary.
    let (server, mut admins, (bob, _), (_, rita)) =
        admin_owner_and("bob@example.com", "rita@example.com", Role::Restricted).await;
    let (x, y) = (id(1), id(2));
    // X and Y owned by nobody: Rita's device has both.
    admins
        .push(&[
            ("contact", &x, "last_name", json!("X")),
            ("contact", &y, "last_name", json!("Y")),
        ])
        .await;
    let (rows, cursor) = server.pull_all(&rita, 0, 1000).await;
    assert!(rows.contains_key(&key("contact", &x)));
    // X goes to Bob (v1), Y changes (v2), X changes again (v3): X's v1 is gone.
    for write in [
        ("contact", x.as_str(), "owner_id", json!(bob.id.to_string())),
        ("contact", &y, "city", json!("Brno")),
        ("contact", &x, "city", json!("Kraków")),
    ] {
        admins.push(&[write]).await;
    }
    // Rita's device pulls one row a page, as a device with a small limit may.
    let first = server.pull_page(&rita, cursor, 1).await;
    assert_eq!(first["rows"][0]["id"], y.as_str());
    let second = server
        .pull_page(&rita, first["cursor"].as_u64().unwrap(), 1000)
        .await;
    let told: Vec<&Value> = second["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["id"] == x.as_str())
        .collect();
    assert_eq!(
        told.len(),
        1,
        "X left Rita's scope and her device holds it: {second}"
    );
    assert_eq!(told[0]["visible"], false);
}

#[tokio::test]
async fn an_edit_of_a_merged_record_is_refused_naming_the_staying_one_and_an_undo_goes_through() {
    let (server, _, token) = TestServer::with_user("agnes@example.com", Role::Agent).await;
    let (staying, merged) = (id(1), id(2));
    let mut merger = Device::new(&server, &token, "merger");
    merger
        .push_clean(&[
            ("contact", &staying, "last_name", json!("Nowak")),
            ("contact", &merged, "last_name", json!("Nowakowa")),
            ("contact", &merged, "merged_into", json!(staying)),
            ("contact", &merged, "deleted", json!(true)),
        ])
        .await;
    // Another device's edits, made before it heard of the merge.
    let stamp = |c| hlc(WALL + 10, c, "other");
    let reply = server
        .push_ok(
            &token,
            "other",
            vec![
                change(1, "contact", &merged, "city", json!("Brno"), &stamp(0)),
                change(2, "contact", &staying, "city", json!("Praha"), &stamp(1)),
            ],
        )
        .await;
    let rejected = reply["rejected"].as_array().unwrap();
    assert_eq!(rejected.len(), 1, "{rejected:?}");
    assert_eq!(rejected[0]["seq"], 1);
    assert_eq!(rejected[0]["code"], "forbidden", "PROTOCOL's codes only");
    assert_eq!(rejected[0]["merged_into"], json!(staying));
    let (rows, _) = server.pull_all(&token, 0, 1000).await;
    assert!(
        rows[&key("contact", &merged)]["fields"]
            .get("city")
            .is_none()
    );
    assert_eq!(field(&rows[&key("contact", &staying)], "city"), "Praha");
    // A task pointed at the merged record, and a merge of the staying record into the
    // merged one (another device merging the other way): refused, the staying record
    // neither merged nor in the trash.
    let task = id(30);
    let crossed = server
        .push_ok(
            &token,
            "other",
            vec![
                change(4, "task", &task, "title", json!("Call back"), &stamp(3)),
                change(5, "task", &task, "record_id", json!(merged), &stamp(4)),
                change(
                    6,
                    "contact",
                    &staying,
                    "merged_into",
                    json!(merged),
                    &stamp(5),
                ),
                change(7, "contact", &staying, "deleted", json!(true), &stamp(6)),
            ],
        )
        .await;
    let refused: Vec<(u64, Value)> = crossed["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["seq"].as_u64().unwrap(), r["merged_into"].clone()))
        .collect();
    assert_eq!(
        refused,
        [
            (5, json!(staying)),
            (6, json!(staying)),
            (7, json!(staying))
        ]
    );
    let (rows, _) = server.pull_all(&token, 0, 1000).await;
    let kept = &rows[&key("contact", &staying)];
    assert!(kept["fields"].get("merged_into").is_none() && kept["fields"].get("deleted").is_none());
    // Other refusals carry no `merged_into`.
    let refused = server
        .push_ok(
            &token,
            "other",
            vec![change(
                8,
                "contact",
                &staying,
                "colour",
                json!("red"),
                &stamp(7),
            )],
        )
        .await;
    assert_eq!(refused["rejected"][0]["code"], "unknown_field");
    assert!(refused["rejected"][0].get("merged_into").is_none());
    // Out of the trash only by an undo: a restore alone leaves it merged, so it is refused.
    let restore = server
        .push_ok(
            &token,
            "other",
            vec![change(
                9,
                "contact",
                &merged,
                "deleted",
                json!(false),
                &stamp(8),
            )],
        )
        .await;
    assert_eq!(restore["rejected"][0]["merged_into"], json!(staying));
    // The undo's writes are taken, and then the record is written as any other.
    merger
        .push_clean(&[
            ("contact", &merged, "merged_into", Value::Null),
            ("contact", &merged, "deleted", json!(false)),
            ("contact", &merged, "city", json!("Ostrava")),
        ])
        .await;
    let back = contact(&server, &token, &merged).await.unwrap();
    assert_eq!(field(&back, "city"), "Ostrava");
    assert_eq!(field(&back, "deleted"), false);
}
