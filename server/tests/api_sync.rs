//! Sync against the real server on a random port: every rule of PROTOCOL.md's push, pull
//! and history sections.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;

use common::{TestServer, error_code};
use minicrm_core::Role;
use serde_json::{Value, json};

const NOW_HLC_WALL: u64 = 1_763_800_000_000;

fn id(n: u128) -> String {
    uuid::Uuid::from_u128(0x0193_0000_0000_7000_8000_0000_0000_0000 + n).to_string()
}

fn hlc(wall: u64, counter: u16, node: &str) -> String {
    format!("{wall:013}-{counter:04x}-{node}")
}

fn change(seq: u64, entity: &str, row: &str, field: &str, value: Value, hlc: &str) -> Value {
    json!({"seq": seq, "entity": entity, "id": row, "field": field, "value": value, "hlc": hlc})
}

impl TestServer {
    async fn push(&self, token: &str, client: &str, changes: Vec<Value>) -> reqwest::Response {
        self.client
            .post(self.url("/api/sync/push"))
            .bearer_auth(token)
            .json(&json!({"client_id": client, "changes": changes}))
            .send()
            .await
            .unwrap()
    }

    async fn push_ok(&self, token: &str, client: &str, changes: Vec<Value>) -> Value {
        let response = self.push(token, client, changes).await;
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    async fn pull_page(&self, token: &str, cursor: u64, limit: usize) -> Value {
        let response = self
            .get(
                &format!("/api/sync/pull?cursor={cursor}&limit={limit}"),
                token,
            )
            .await;
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    /// Pulls until `more` is false; rows by (entity, id), the last one winning.
    async fn pull_all(&self, token: &str, cursor: u64) -> (BTreeMap<(String, String), Value>, u64) {
        let mut rows = BTreeMap::new();
        let mut cursor = cursor;
        loop {
            let page = self.pull_page(token, cursor, 1000).await;
            for row in page["rows"].as_array().unwrap() {
                rows.insert(
                    (
                        row["entity"].as_str().unwrap().to_owned(),
                        row["id"].as_str().unwrap().to_owned(),
                    ),
                    row.clone(),
                );
            }
            cursor = page["cursor"].as_u64().unwrap();
            if !page["more"].as_bool().unwrap() {
                return (rows, cursor);
            }
        }
    }

    async fn contact(&self, token: &str, row: &str) -> Option<Value> {
        let (rows, _) = self.pull_all(token, 0).await;
        rows.get(&("contact".to_owned(), row.to_owned())).cloned()
    }

    async fn history(&self, token: &str, entity: &str, row: &str) -> Vec<Value> {
        let response = self
            .get(&format!("/api/history/{entity}/{row}"), token)
            .await;
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        body["entries"].as_array().unwrap().clone()
    }
}

fn field<'a>(row: &'a Value, name: &str) -> &'a Value {
    &row["fields"][name]["value"]
}

#[tokio::test]
async fn a_retried_batch_is_applied_exactly_once() {
    let server = TestServer::start().await;
    let (_, token) = server.user_with_token("ada@example.com", Role::Agent).await;
    let row = id(1);
    let (kind_hlc, city_hlc) = (hlc(NOW_HLC_WALL, 0, "dev-a"), hlc(NOW_HLC_WALL, 1, "dev-a"));
    let batch = vec![
        change(1, "contact", &row, "kind", json!("person"), &kind_hlc),
        change(2, "contact", &row, "city", json!("Kraków"), &city_hlc),
    ];
    let first = server.push_ok(&token, "dev-a", batch).await;
    assert_eq!(first["acked_seq"], 2);
    assert_eq!(first["rejected"], json!([]));
    assert!(first["server_hlc"].as_str().unwrap().ends_with("-server"));
    let (_, cursor) = server.pull_all(&token, 0).await;

    // The same seqs again, but with other values and higher HLCs: on their own these writes
    // would win, so only the device's acknowledged seq can keep them out.
    let retry = vec![
        change(
            1,
            "contact",
            &row,
            "kind",
            json!("company"),
            &hlc(NOW_HLC_WALL + 1000, 0, "dev-a"),
        ),
        change(
            2,
            "contact",
            &row,
            "city",
            json!("Gdańsk"),
            &hlc(NOW_HLC_WALL + 1000, 1, "dev-a"),
        ),
    ];
    let reply = server.push_ok(&token, "dev-a", retry).await;
    assert_eq!(reply["acked_seq"], 2);
    assert_eq!(reply["rejected"], json!([]));
    let (changed, _) = server.pull_all(&token, cursor).await;
    assert!(changed.is_empty(), "a retry changes no row: {changed:?}");
    let contact = server.contact(&token, &row).await.unwrap();
    assert_eq!(field(&contact, "kind"), "person", "the first value is kept");
    assert_eq!(contact["fields"]["kind"]["hlc"], kind_hlc);
    assert_eq!(field(&contact, "city"), "Kraków", "the first value is kept");
    assert_eq!(contact["fields"]["city"]["hlc"], city_hlc);
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
    let other = server
        .push_ok(
            &token,
            "dev-b",
            vec![change(
                1,
                "contact",
                &row,
                "city",
                json!("Brno"),
                &hlc(NOW_HLC_WALL, 2, "dev-b"),
            )],
        )
        .await;
    assert_eq!(other["acked_seq"], 1);
    assert_eq!(
        field(&server.contact(&token, &row).await.unwrap(), "city"),
        "Brno"
    );
}

#[tokio::test]
async fn last_writer_wins_in_both_arrival_orders_and_the_loser_is_in_history() {
    let server = TestServer::start().await;
    let (ada, ada_token) = server.user_with_token("ada@example.com", Role::Agent).await;
    let (bob, bob_token) = server.user_with_token("bob@example.com", Role::Agent).await;
    let early = hlc(NOW_HLC_WALL, 0, "dev-ada");
    let late = hlc(NOW_HLC_WALL, 5, "dev-bob");
    for (n, order) in [(1, ["ada", "bob"]), (2, ["bob", "ada"])] {
        let row = id(n);
        for who in order {
            let (token, client, value, stamp) = match who {
                "ada" => (&ada_token, "dev-ada", "Kraków", &early),
                _ => (&bob_token, "dev-bob", "Warszawa", &late),
            };
            server
                .push_ok(
                    token,
                    client,
                    vec![change(
                        n as u64,
                        "contact",
                        &row,
                        "city",
                        json!(value),
                        stamp,
                    )],
                )
                .await;
        }
        let contact = server.contact(&ada_token, &row).await.unwrap();
        assert_eq!(field(&contact, "city"), "Warszawa", "order {order:?}");
        assert_eq!(contact["fields"]["city"]["hlc"], late);

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
    let (vip, spring) = (id(100), id(101));
    server
        .push_ok(
            &a,
            "dev-a",
            vec![
                change(
                    1,
                    "contact",
                    &row,
                    "city",
                    json!("Kraków"),
                    &hlc(NOW_HLC_WALL, 0, "dev-a"),
                ),
                change(
                    2,
                    "contact",
                    &row,
                    &format!("segment:{vip}"),
                    json!(true),
                    &hlc(NOW_HLC_WALL, 1, "dev-a"),
                ),
            ],
        )
        .await;
    server
        .push_ok(
            &b,
            "dev-b",
            vec![
                change(
                    1,
                    "contact",
                    &row,
                    "phones",
                    json!([{"type": "mobile", "number": "+48600100200"}]),
                    &hlc(NOW_HLC_WALL, 0, "dev-b"),
                ),
                change(
                    2,
                    "contact",
                    &row,
                    &format!("segment:{spring}"),
                    json!(true),
                    &hlc(NOW_HLC_WALL, 1, "dev-b"),
                ),
            ],
        )
        .await;
    let contact = server.contact(&a, &row).await.unwrap();
    assert_eq!(field(&contact, "city"), "Kraków");
    assert_eq!(field(&contact, "phones")[0]["number"], "+48600100200");
    assert_eq!(field(&contact, &format!("segment:{vip}")), true);
    assert_eq!(field(&contact, &format!("segment:{spring}")), true);
}

#[tokio::test]
async fn an_hlc_far_ahead_is_restamped_by_the_server_and_still_applied() {
    let server = TestServer::start().await;
    let (_, token) = server.user_with_token("ada@example.com", Role::Agent).await;
    let row = id(1);
    let now = u64::try_from(minicrm_server::db::now_ms()).unwrap();
    let future = hlc(now + 10 * 60 * 1000, 0, "dev-fast");
    server
        .push_ok(
            &token,
            "dev-fast",
            vec![change(1, "contact", &row, "city", json!("Future"), &future)],
        )
        .await;
    let contact = server.contact(&token, &row).await.unwrap();
    assert_eq!(field(&contact, "city"), "Future", "still applied");
    let stamped = contact["fields"]["city"]["hlc"].as_str().unwrap();
    assert!(stamped.ends_with("-server"), "restamped: {stamped}");
    assert!(stamped < future.as_str());

    // So a device with a correct clock can still win a later conflict.
    let later = hlc(
        u64::try_from(minicrm_server::db::now_ms()).unwrap() + 1000,
        0,
        "dev-ok",
    );
    server
        .push_ok(
            &token,
            "dev-ok",
            vec![change(1, "contact", &row, "city", json!("Now"), &later)],
        )
        .await;
    assert_eq!(
        field(&server.contact(&token, &row).await.unwrap(), "city"),
        "Now"
    );
    // Within 60 seconds ahead is trusted as it is.
    let near = hlc(
        u64::try_from(minicrm_server::db::now_ms()).unwrap() + 30_000,
        0,
        "dev-ok",
    );
    server
        .push_ok(
            &token,
            "dev-ok",
            vec![change(2, "contact", &row, "city", json!("Near"), &near)],
        )
        .await;
    assert_eq!(
        server.contact(&token, &row).await.unwrap()["fields"]["city"]["hlc"],
        near
    );
}

#[tokio::test]
async fn trash_and_restore_are_ordinary_writes_and_trashed_rows_still_pull() {
    let server = TestServer::start().await;
    let (_, token) = server.user_with_token("ada@example.com", Role::Agent).await;
    let row = id(1);
    server
        .push_ok(
            &token,
            "dev",
            vec![
                change(
                    1,
                    "contact",
                    &row,
                    "last_name",
                    json!("Nowak"),
                    &hlc(NOW_HLC_WALL, 0, "dev"),
                ),
                change(
                    2,
                    "contact",
                    &row,
                    "deleted",
                    json!(true),
                    &hlc(NOW_HLC_WALL, 1, "dev"),
                ),
            ],
        )
        .await;
    let trashed = server
        .contact(&token, &row)
        .await
        .expect("trashed rows are pulled");
    assert_eq!(field(&trashed, "deleted"), true);
    assert_eq!(field(&trashed, "last_name"), "Nowak");
    server
        .push_ok(
            &token,
            "dev",
            vec![change(
                3,
                "contact",
                &row,
                "deleted",
                json!(false),
                &hlc(NOW_HLC_WALL, 2, "dev"),
            )],
        )
        .await;
    assert_eq!(
        field(&server.contact(&token, &row).await.unwrap(), "deleted"),
        false
    );
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
    let server = TestServer::start().await;
    let (_, admin) = server
        .user_with_token("admin@example.com", Role::Admin)
        .await;
    let (rita, rita_token) = server
        .user_with_token("rita@example.com", Role::Restricted)
        .await;
    let (other, _) = server
        .user_with_token("olaf@example.com", Role::Agent)
        .await;
    let (contact, task) = (id(1), id(2));
    server
        .push_ok(
            &admin,
            "dev-admin",
            vec![
                change(
                    1,
                    "contact",
                    &contact,
                    "last_name",
                    json!("Kowalska"),
                    &hlc(NOW_HLC_WALL, 0, "dev-admin"),
                ),
                change(
                    2,
                    "contact",
                    &contact,
                    "owner_id",
                    json!(rita.id.to_string()),
                    &hlc(NOW_HLC_WALL, 1, "dev-admin"),
                ),
                change(
                    3,
                    "task",
                    &task,
                    "record_id",
                    json!(contact),
                    &hlc(NOW_HLC_WALL, 2, "dev-admin"),
                ),
                change(
                    4,
                    "task",
                    &task,
                    "title",
                    json!("Call back"),
                    &hlc(NOW_HLC_WALL, 3, "dev-admin"),
                ),
            ],
        )
        .await;
    let (rows, cursor) = server.pull_all(&rita_token, 0).await;
    assert!(rows[&("contact".to_owned(), contact.clone())]["fields"].is_object());
    assert!(rows[&("task".to_owned(), task.clone())]["fields"].is_object());

    server
        .push_ok(
            &admin,
            "dev-admin",
            vec![change(
                5,
                "contact",
                &contact,
                "owner_id",
                json!(other.id.to_string()),
                &hlc(NOW_HLC_WALL, 4, "dev-admin"),
            )],
        )
        .await;
    let (changed, _) = server.pull_all(&rita_token, cursor).await;
    for key in [
        ("contact".to_owned(), contact.clone()),
        ("task".to_owned(), task.clone()),
    ] {
        let row = &changed[&key];
        assert_eq!(row["visible"], false, "{key:?}: {row}");
        assert!(row.get("fields").is_none());
    }
    // And she may no longer write to it; nothing changes.
    let reply = server
        .push_ok(
            &rita_token,
            "dev-rita",
            vec![change(
                1,
                "contact",
                &contact,
                "city",
                json!("Hacked"),
                &hlc(NOW_HLC_WALL, 9, "dev-rita"),
            )],
        )
        .await;
    assert_eq!(reply["rejected"][0]["code"], "forbidden");
    assert_eq!(
        field(&server.contact(&admin, &contact).await.unwrap(), "city"),
        &Value::Null
    );
    let history = server
        .get(&format!("/api/history/contact/{contact}"), &rita_token)
        .await;
    assert_eq!(error_code(history, 404).await, "not_found");
}

#[tokio::test]
async fn a_role_change_resends_what_the_user_may_now_see() {
    let server = TestServer::start().await;
    let (_, admin) = server
        .user_with_token("admin@example.com", Role::Admin)
        .await;
    let (agent, agent_token) = server
        .user_with_token("agnes@example.com", Role::Agent)
        .await;
    let (other, _) = server
        .user_with_token("olaf@example.com", Role::Agent)
        .await;
    let contact = id(1);
    server
        .push_ok(
            &admin,
            "dev-admin",
            vec![change(
                1,
                "contact",
                &contact,
                "owner_id",
                json!(other.id.to_string()),
                &hlc(NOW_HLC_WALL, 0, "dev-admin"),
            )],
        )
        .await;
    let (rows, cursor) = server.pull_all(&agent_token, 0).await;
    assert!(rows[&("contact".to_owned(), contact.clone())]["fields"].is_object());
    let response = server
        .client
        .patch(server.url(&format!("/api/users/{}", agent.id)))
        .bearer_auth(&admin)
        .json(&json!({"role": "restricted"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let (changed, _) = server.pull_all(&agent_token, cursor).await;
    assert_eq!(changed[&("contact".to_owned(), contact)]["visible"], false);
    let me = &changed[&("user".to_owned(), agent.id.to_string())];
    assert_eq!(
        field(me, "role"),
        "restricted",
        "the directory shows the new role"
    );
}

#[tokio::test]
async fn refused_changes_are_listed_and_do_not_block_the_rest() {
    let server = TestServer::start().await;
    let (agent, token) = server
        .user_with_token("agnes@example.com", Role::Agent)
        .await;
    let row = id(1);
    let stamp = |c| hlc(NOW_HLC_WALL, c, "dev");
    let reply = server
        .push_ok(
            &token,
            "dev",
            vec![
                change(1, "contact", &row, "city", json!("Kraków"), &stamp(0)),
                change(2, "segment", &id(50), "name", json!("VIP"), &stamp(1)),
                change(
                    3,
                    "user",
                    &agent.id.to_string(),
                    "role",
                    json!("admin"),
                    &stamp(2),
                ),
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
            ],
        )
        .await;
    assert_eq!(
        reply["acked_seq"], 10,
        "acked_seq covers the refused changes"
    );
    let codes: Vec<(u64, String)> = reply["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            assert!(!r["message"].as_str().unwrap().is_empty());
            (
                r["seq"].as_u64().unwrap(),
                r["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        codes,
        [
            (2, "forbidden".to_owned()),
            (3, "forbidden".to_owned()),
            (4, "unknown_field".to_owned()),
            (5, "unknown_field".to_owned()),
            (6, "invalid".to_owned()),
            (7, "invalid".to_owned()),
            (8, "invalid".to_owned()),
            (9, "invalid".to_owned()),
        ]
    );
    let (rows, _) = server.pull_all(&token, 0).await;
    let contact = &rows[&("contact".to_owned(), row.clone())];
    assert_eq!(field(contact, "city"), "Kraków");
    assert_eq!(field(contact, "postal_code"), "30-001");
    assert!(
        contact["fields"].get("colour").is_none() && contact["fields"].get("deleted").is_none()
    );
    assert!(!rows.contains_key(&("segment".to_owned(), id(50))));
    assert_eq!(
        field(&rows[&("user".to_owned(), agent.id.to_string())], "role"),
        "agent"
    );
}

#[tokio::test]
async fn an_oversized_batch_is_413_and_applies_nothing() {
    let server = TestServer::start().await;
    let (_, token) = server.user_with_token("ada@example.com", Role::Agent).await;
    let row = id(1);
    let changes: Vec<Value> = (1..=1001)
        .map(|seq| {
            change(
                seq,
                "contact",
                &row,
                "city",
                json!(format!("City {seq}")),
                &hlc(NOW_HLC_WALL, seq as u16, "dev"),
            )
        })
        .collect();
    let response = server.push(&token, "dev", changes).await;
    assert_eq!(error_code(response, 413).await, "payload_too_large");
    let big_note = "x".repeat(20_000);
    let changes: Vec<Value> = (1..=60)
        .map(|seq| {
            change(
                seq,
                "contact",
                &row,
                "note",
                json!(big_note),
                &hlc(NOW_HLC_WALL, seq as u16, "dev"),
            )
        })
        .collect();
    let response = server.push(&token, "dev", changes).await;
    assert_eq!(error_code(response, 413).await, "payload_too_large");
    assert!(
        server.contact(&token, &row).await.is_none(),
        "nothing applied"
    );
    // And the device may send its seqs again in smaller batches.
    let reply = server
        .push_ok(
            &token,
            "dev",
            vec![change(
                1,
                "contact",
                &row,
                "city",
                json!("City 1"),
                &hlc(NOW_HLC_WALL, 1, "dev"),
            )],
        )
        .await;
    assert_eq!(reply["acked_seq"], 1);
}

#[tokio::test]
async fn bodies_that_are_not_push_requests_are_refused_whole() {
    let server = TestServer::start().await;
    let (_, token) = server.user_with_token("ada@example.com", Role::Agent).await;
    let row = id(1);
    let good = change(
        1,
        "contact",
        &row,
        "city",
        json!("Kraków"),
        &hlc(NOW_HLC_WALL, 0, "dev"),
    );
    let bodies = [
        (json!({"client_id": "dev"}), 422),
        (json!({"client_id": "dev", "changes": {}}), 422),
        (
            json!({"client_id": "dev", "changes": [good.clone(), 5]}),
            422,
        ),
        (
            json!({"client_id": "dev", "changes": [good.clone(), {"entity": "contact"}]}),
            422,
        ),
        (json!({"changes": [good.clone()]}), 422),
        (
            json!({"client_id": "Not Valid!", "changes": [good.clone()]}),
            422,
        ),
        (json!([good.clone()]), 422),
    ];
    for (body, status) in bodies {
        let response = server
            .client
            .post(server.url("/api/sync/push"))
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await
            .unwrap();
        error_code(response, status).await;
    }
    let response = server
        .client
        .post(server.url("/api/sync/push"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{\"client_id\": \"dev\", \"changes\": [")
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(response, 400).await, "malformed_request");
    assert!(
        server.contact(&token, &row).await.is_none(),
        "nothing applied"
    );
    let unauthenticated = server
        .client
        .get(server.url("/api/sync/pull"))
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(unauthenticated, 401).await, "unauthorized");
}

#[tokio::test]
async fn pull_pages_in_version_order_and_echoes_the_cursor_when_empty() {
    let server = TestServer::start().await;
    let (_, token) = server.user_with_token("ada@example.com", Role::Agent).await;
    let changes: Vec<Value> = (1..=25)
        .map(|n| {
            change(
                n,
                "contact",
                &id(u128::from(n)),
                "city",
                json!(format!("C{n}")),
                &hlc(NOW_HLC_WALL, n as u16, "dev"),
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
    assert_eq!(error_code(response, 400).await, "malformed_request");
}

#[tokio::test]
async fn pull_limit_is_capped_at_5000_and_defaults_to_1000() {
    let server = TestServer::start().await;
    let (_, token) = server.user_with_token("ada@example.com", Role::Agent).await;
    // More rows than the largest page: 6000 contacts (and the user row), in pushes of 1000.
    const CONTACTS: u64 = 6000;
    for first in (1..=CONTACTS).step_by(1000) {
        let changes: Vec<Value> = (first..first + 1000)
            .map(|n| {
                change(
                    n,
                    "contact",
                    &id(u128::from(n)),
                    "city",
                    json!(format!("C{n}")),
                    &hlc(NOW_HLC_WALL + n, 0, "dev"),
                )
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

    let response = server.get("/api/sync/pull?cursor=0", &token).await;
    assert_eq!(response.status(), 200);
    let default: Value = response.json().await.unwrap();
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
    let (_, admin) = server
        .user_with_token("admin@example.com", Role::Admin)
        .await;
    let (_, agent) = server.user_with_token("ada@example.com", Role::Agent).await;
    let (trashed, kept, task) = (id(1), id(2), id(3));
    let wall = NOW_HLC_WALL;
    server
        .push_ok(
            &agent,
            "dev",
            vec![
                change(
                    1,
                    "contact",
                    &trashed,
                    "last_name",
                    json!("Gone"),
                    &hlc(wall, 0, "dev"),
                ),
                change(
                    2,
                    "contact",
                    &trashed,
                    "deleted",
                    json!(true),
                    &hlc(wall, 1, "dev"),
                ),
                change(
                    3,
                    "contact",
                    &kept,
                    "last_name",
                    json!("Stays"),
                    &hlc(wall, 2, "dev"),
                ),
                change(
                    4,
                    "task",
                    &task,
                    "record_id",
                    json!(trashed),
                    &hlc(wall, 3, "dev"),
                ),
                change(
                    5,
                    "task",
                    &task,
                    "title",
                    json!("Call"),
                    &hlc(wall, 4, "dev"),
                ),
            ],
        )
        .await;
    let (_, cursor) = server.pull_all(&agent, 0).await;

    // Only an admin may purge; a body must say what to purge.
    let purge = |token: &str, body: Value| {
        server
            .client
            .post(server.url("/api/trash/purge"))
            .bearer_auth(token.to_owned())
            .json(&body)
            .send()
    };
    let refused = purge(&agent, json!({"all": true})).await.unwrap();
    assert_eq!(error_code(refused, 403).await, "forbidden");
    let unclear = purge(&admin, json!({})).await.unwrap();
    assert_eq!(error_code(unclear, 422).await, "invalid_body");
    // A record not in the trash is not purged.
    let not_trashed = purge(&admin, json!({"ids": [kept]})).await.unwrap();
    assert_eq!(not_trashed.status(), 200);
    assert_eq!(not_trashed.json::<Value>().await.unwrap()["purged"], 0);

    let done = purge(&admin, json!({"ids": [trashed]})).await.unwrap();
    assert_eq!(done.status(), 200);
    assert_eq!(done.json::<Value>().await.unwrap()["purged"], 1);

    // Devices learn of it as `visible: false`, for the record and its task.
    let (changed, _) = server.pull_all(&agent, cursor).await;
    for key in [("contact", &trashed), ("task", &task)] {
        let row = &changed[&(key.0.to_owned(), key.1.clone())];
        assert_eq!(row["visible"], false, "{key:?}");
        assert!(row.get("fields").is_none());
    }
    assert!(!changed.contains_key(&("contact".to_owned(), kept.clone())));
    // Its history is gone, and a late write cannot bring it back.
    let history = server
        .get(&format!("/api/history/contact/{trashed}"), &agent)
        .await;
    assert_eq!(history.status(), 404);
    let late = server
        .push_ok(
            &agent,
            "dev",
            vec![change(
                6,
                "contact",
                &trashed,
                "city",
                json!("Brno"),
                &hlc(wall, 5, "dev"),
            )],
        )
        .await;
    assert_eq!(late["acked_seq"], 6);
    assert_eq!(late["rejected"][0]["code"], "forbidden");
    // Nor can a task made offline before the purge attach to it.
    let orphan = server
        .push_ok(
            &agent,
            "dev",
            vec![change(
                7,
                "task",
                &id(4),
                "record_id",
                json!(trashed),
                &hlc(wall, 6, "dev"),
            )],
        )
        .await;
    assert_eq!(orphan["rejected"][0]["code"], "forbidden");
    // A new device (cursor 0) never had it, so it is not named at all.
    let (all, _) = server.pull_all(&admin, 0).await;
    assert!(!all.contains_key(&("contact".to_owned(), trashed.clone())));
    assert_eq!(
        field(&all[&("contact".to_owned(), kept)], "last_name"),
        "Stays"
    );
}

#[tokio::test]
async fn a_row_that_left_the_scope_and_changed_again_past_a_page_boundary_still_leaves_the_device()
{
    let server = TestServer::start().await;
    let (_, admin) = server
        .user_with_token("admin@example.com", Role::Admin)
        .await;
    let (_, rita) = server
        .user_with_token("rita@example.com", Role::Restricted)
        .await;
    let (bob, _) = server.user_with_token("bob@example.com", Role::Agent).await;
    let (x, y) = (id(1), id(2));
    let stamp = |c| hlc(NOW_HLC_WALL, c, "dev-admin");
    // X and Y owned by nobody: Rita's device has both.
    server
        .push_ok(
            &admin,
            "dev-admin",
            vec![
                change(1, "contact", &x, "last_name", json!("X"), &stamp(0)),
                change(2, "contact", &y, "last_name", json!("Y"), &stamp(1)),
            ],
        )
        .await;
    let (rows, cursor) = server.pull_all(&rita, 0).await;
    assert!(rows.contains_key(&("contact".to_owned(), x.clone())));
    // X goes to Bob (v1), Y changes (v2), X changes again (v3): X's v1 is gone.
    for (seq, (row, field, value)) in [
        (&x, "owner_id", json!(bob.id.to_string())),
        (&y, "city", json!("Brno")),
        (&x, "city", json!("Kraków")),
    ]
    .into_iter()
    .enumerate()
    {
        server
            .push_ok(
                &admin,
                "dev-admin",
                vec![change(
                    3 + seq as u64,
                    "contact",
                    row,
                    field,
                    value,
                    &stamp(2 + seq as u16),
                )],
            )
            .await;
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
