//! Bounds on rows, pull pages and history pages; who may write a view; and which rows a
//! pull names: never one the user could never see.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::sync::{Device, Rows, WALL, Write, admin_owner_and, id, key};
use common::{TestServer, expect_error};
use minicrm_core::Role;
use minicrm_core::api::User;
use minicrm_core::schema::{MAX_FIELDS_PER_ROW, MAX_ROW_BYTES};
use minicrm_core::sync::PULL_PAGE_BYTES;
use serde_json::{Value, json};

/// Writes making `owner` the owner of each of `rows`.
fn owned_by<'r>(rows: &'r [String], owner: &User) -> Vec<Write<'r>> {
    let owner = json!(owner.id.to_string());
    rows.iter()
        .map(|row| ("contact", row.as_str(), "owner_id", owner.clone()))
        .collect()
}

/// A fresh server with the agent `ada@example.com` and their device `dev-a`.
async fn ada_and_device() -> (TestServer, Device) {
    let (server, _, token) = TestServer::with_user("ada@example.com", Role::Agent).await;
    let device = Device::new(&server, &token, "dev-a");
    (server, device)
}

/// The size of fields as the row bound counts it: names and JSON values.
fn bytes_of<'f>(fields: impl Iterator<Item = (&'f String, &'f Value)>) -> usize {
    fields
        .map(|(name, state)| name.len() + state["value"].to_string().len())
        .sum()
}

/// The administrator's records `id(1..=n)`, owned by olaf, pulled by agnes's device
/// `dev-agnes` in pages of `limit`: the server, the admin's token, agnes, her device, the
/// records, and what her pull named with its cursor.
async fn agnes_holds_records_of_olaf(
    n: u128,
    limit: usize,
) -> (TestServer, String, User, Device, Vec<String>, (Rows, u64)) {
    let (server, mut admins, (olaf, _), (agnes, token)) =
        admin_owner_and("olaf@example.com", "agnes@example.com", Role::Agent).await;
    let records: Vec<String> = (1..=n).map(id).collect();
    admins.push_clean(&owned_by(&records, &olaf)).await;
    let device = Device::new(&server, &token, "dev-agnes");
    let pulled = device.pull(0, limit).await;
    (server, admins.token, agnes, device, records, pulled)
}

#[tokio::test]
async fn a_row_past_its_field_bound_is_refused_and_the_rest_of_the_batch_applies() {
    let (_server, mut device) = ada_and_device().await;
    let row = id(1);
    let names: Vec<String> = (0..MAX_FIELDS_PER_ROW)
        .map(|n| format!("custom.f{n}"))
        .collect();
    let writes: Vec<Write<'_>> = names
        .iter()
        .map(|name| ("contact", row.as_str(), name.as_str(), json!(1)))
        .collect();
    device.push_clean(&writes).await;
    let reply = device
        .push(&[
            ("contact", &row, "custom.one_too_many", json!(1)),
            ("contact", &row, "custom.f0", json!(2)),
            ("contact", &id(2), "city", json!("Brno")),
        ])
        .await;
    let rejected = reply["rejected"].as_array().unwrap();
    assert_eq!(rejected.len(), 1, "{reply}");
    assert_eq!(rejected[0]["code"], "invalid");
    let message = rejected[0]["message"].as_str().unwrap();
    assert!(
        message.contains(&MAX_FIELDS_PER_ROW.to_string()),
        "{message}"
    );
    let (rows, _) = device.pull(0, 1000).await;
    let stored = &rows[&key("contact", &row)]["fields"];
    assert_eq!(stored.as_object().unwrap().len(), MAX_FIELDS_PER_ROW);
    assert!(stored.get("custom.one_too_many").is_none());
    assert_eq!(
        stored["custom.f0"]["value"], 2,
        "replacing a field is allowed"
    );
    assert_eq!(
        rows[&key("contact", &id(2))]["fields"]["city"]["value"],
        "Brno"
    );
}

#[tokio::test]
async fn a_row_past_its_byte_bound_is_refused_and_pull_pages_are_cut_by_bytes() {
    let (_server, mut device) = ada_and_device().await;
    // 60,000 characters is under the 64 KiB a single value may have.
    let big = json!("x".repeat(60_000));
    let row = id(1);
    let fields_to_fill = MAX_ROW_BYTES / 60_000;
    let names: Vec<String> = (0..=fields_to_fill)
        .map(|n| format!("custom.big{n}"))
        .collect();
    for chunk in names.chunks(12) {
        let writes = big_writes(&row, chunk, &big);
        device.push(&writes).await;
    }
    let (rows, _) = device.pull(0, 1000).await;
    let stored = rows[&key("contact", &row)]["fields"]
        .as_object()
        .unwrap()
        .clone();
    let bytes = bytes_of(stored.iter());
    assert!(bytes <= MAX_ROW_BYTES, "{bytes} bytes stored");
    assert_eq!(
        stored.len(),
        fields_to_fill,
        "the field past the bound was refused"
    );
    let reply = device
        .push(&[
            ("contact", &row, "custom.more", big.clone()),
            ("contact", &row, "city", json!("Győr")),
        ])
        .await;
    assert_eq!(reply["rejected"].as_array().unwrap().len(), 1, "{reply}");
    assert!(
        reply["rejected"][0]["message"]
            .as_str()
            .unwrap()
            .contains("KiB"),
        "{reply}"
    );

    // Rows of ~0.9 MiB each: a page of the byte budget holds only a few.
    for n in 2..=8 {
        let row = id(n);
        for chunk in names[..15].chunks(12) {
            device.push_clean(&big_writes(&row, chunk, &big)).await;
        }
    }
    let first = device.page(0, 1000).await;
    let on_page = first["rows"].as_array().unwrap();
    let page_bytes = bytes_of(
        on_page
            .iter()
            .filter_map(|row| row["fields"].as_object())
            .flat_map(|fields| fields.iter()),
    );
    assert!(first["more"].as_bool().unwrap(), "cut by bytes, so more");
    assert!(
        on_page.len() < 8,
        "{} rows on the first page",
        on_page.len()
    );
    assert!(
        page_bytes <= PULL_PAGE_BYTES,
        "{page_bytes} bytes on the page"
    );
    let (all, _) = device.pull(0, 1000).await;
    for n in 1..=8 {
        assert!(all.contains_key(&key("contact", &id(n))), "row {n} arrives");
    }
}

/// Writes of `value` to each of `names` of the contact `row`.
fn big_writes<'w>(row: &'w str, names: &'w [String], value: &Value) -> Vec<Write<'w>> {
    names
        .iter()
        .map(|name| ("contact", row, name.as_str(), value.clone()))
        .collect()
}

#[tokio::test]
async fn history_comes_in_pages_older_ones_on_request() {
    let (_server, mut device) = ada_and_device().await;
    let row = id(1);
    let cities: Vec<Value> = (0..1005).map(|n| json!(format!("City {n}"))).collect();
    for chunk in cities.chunks(1000) {
        let writes: Vec<_> = chunk
            .iter()
            .map(|city| ("contact", row.as_str(), "city", city.clone()))
            .collect();
        device.push_clean(&writes).await;
    }
    let body = |response: reqwest::Response| async move {
        assert_eq!(response.status(), 200);
        response.json::<Value>().await.unwrap()
    };
    let default = body(device.history("contact", &row, "").await).await;
    let entries = default["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1000, "the default page is the largest");
    assert_eq!(default["more"], true);
    assert_eq!(
        entries.last().unwrap()["value"],
        "City 1004",
        "the newest, ascending"
    );
    let most = body(device.history("contact", &row, "?limit=100000").await).await;
    assert_eq!(
        most["entries"].as_array().unwrap().len(),
        1000,
        "the largest page"
    );

    let mut seen: Vec<Value> = Vec::new();
    let mut query = "?limit=300".to_owned();
    for _ in 0..10 {
        let page = body(device.history("contact", &row, &query).await).await;
        let mut entries = page["entries"].as_array().unwrap().clone();
        let hlcs: Vec<&str> = entries.iter().map(|e| e["hlc"].as_str().unwrap()).collect();
        assert!(
            hlcs.windows(2).all(|w| w[0] < w[1]),
            "ascending within a page"
        );
        let oldest = entries[0]["hlc"].as_str().unwrap().to_owned();
        entries.extend(seen);
        seen = entries;
        if page["more"] == false {
            break;
        }
        query = format!("?limit=300&before={oldest}");
    }
    let values: Vec<&str> = seen.iter().map(|e| e["value"].as_str().unwrap()).collect();
    let expected: Vec<String> = (0..1005).map(|n| format!("City {n}")).collect();
    assert_eq!(
        values, expected,
        "every write once, in order, across the pages"
    );

    for bad in ["?before=yesterday", "?limit=-1"] {
        let response = device.history("contact", &row, bad).await;
        expect_error(response, 400, "malformed_request").await;
    }
}

#[tokio::test]
async fn a_private_view_is_written_only_by_its_owner_not_published_by_a_manager() {
    let server = TestServer::start().await;
    let (_, agent) = server
        .user_with_token("agnes@example.com", Role::Agent)
        .await;
    let (_, manager) = server
        .user_with_token("max@example.com", Role::Manager)
        .await;
    let (_, restricted) = server
        .user_with_token("rita@example.com", Role::Restricted)
        .await;
    let mut agents = Device::new(&server, &agent, "dev-agent");
    let mut managers = Device::new(&server, &manager, "dev-manager");
    let restricted = Device::new(&server, &restricted, "dev-r");
    let view = id(10);
    agents
        .push_clean(&[("view", &view, "name", json!("My calls"))])
        .await;
    let reply = managers
        .push(&[
            ("view", &view, "shared", json!(true)),
            ("view", &view, "name", json!("Everyone's now")),
        ])
        .await;
    let codes: Vec<&str> = reply["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["forbidden", "forbidden"], "{reply}");
    let (seen, _) = restricted.pull(0, 1000).await;
    assert!(!seen.contains_key(&key("view", &view)), "still private");
    // The manager shares a view of their own.
    let team = id(11);
    managers
        .push_clean(&[
            ("view", &team, "name", json!("Team")),
            ("view", &team, "shared", json!(true)),
        ])
        .await;
    let reply = agents.push(&[("view", &team, "name", json!("Mine"))]).await;
    assert_eq!(reply["rejected"][0]["code"], "forbidden");
    let (seen, _) = restricted.pull(0, 1000).await;
    assert_eq!(seen[&key("view", &team)]["fields"]["name"]["value"], "Team");
}

#[tokio::test]
async fn a_pull_names_only_rows_that_may_be_on_the_device() {
    let (server, mut admins, (other, other_token), (rita, rita_token)) =
        admin_owner_and("olaf@example.com", "rita@example.com", Role::Restricted).await;
    let (other_id, rita_id) = (other.id.to_string(), rita.id.to_string());
    let (others, never, mine, leaves, purged) = (id(1), id(2), id(3), id(4), id(5));
    let (task_of_others, task_of_leaving) = (id(21), id(22));
    admins
        .push_clean(&[
            ("contact", &others, "owner_id", json!(other_id)),
            ("task", &task_of_others, "record_id", json!(others)),
            (
                "task",
                &task_of_others,
                "title",
                json!("Call Olaf's client"),
            ),
            ("contact", &mine, "owner_id", json!(rita_id)),
            ("contact", &leaves, "owner_id", json!(rita_id)),
            ("task", &task_of_leaving, "record_id", json!(leaves)),
            ("contact", &purged, "city", json!("Pécs")),
        ])
        .await;
    let mut olafs = Device::new(&server, &other_token, "dev-olaf");
    olafs
        .push_clean(&[("view", &id(30), "name", json!("Olaf's private view"))])
        .await;
    let rita_device = Device::new(&server, &rita_token, "dev-rita");
    let (first, cursor) = rita_device.pull(0, 1000).await;
    for hidden in [
        key("contact", &others),
        key("task", &task_of_others),
        key("view", &id(30)),
    ] {
        assert!(
            !first.contains_key(&hidden),
            "{hidden:?} named in a first pull"
        );
    }
    for shown in [
        key("contact", &mine),
        key("contact", &leaves),
        key("task", &task_of_leaving),
        key("contact", &purged),
    ] {
        assert!(first[&shown]["fields"].is_object(), "{shown:?} shown");
    }

    // After Rita's cursor: one contact leaves her scope (with its task), one is purged, one
    // is made and reassigned away before she ever pulls it, and a row she never could see
    // changes again.
    admins
        .push_clean(&[
            ("contact", &leaves, "owner_id", json!(other_id)),
            ("contact", &never, "city", json!("Brno")),
            ("contact", &never, "owner_id", json!(other_id)),
            ("contact", &others, "city", json!("Kraków")),
            ("contact", &purged, "deleted", json!(true)),
        ])
        .await;
    let purge = server.purge(&admins.token, &json!({"ids": [purged]})).await;
    assert_eq!(purge.status(), 200);
    let (later, _) = rita_device.pull(cursor, 1000).await;
    for gone in [
        key("contact", &leaves),
        key("task", &task_of_leaving),
        key("contact", &purged),
    ] {
        assert_eq!(later[&gone]["visible"], false, "{gone:?} leaves the device");
    }
    for hidden in [
        key("contact", &others),
        key("contact", &never),
        key("task", &task_of_others),
    ] {
        assert!(!later.contains_key(&hidden), "{hidden:?} named");
    }
    assert!(!later.contains_key(&key("contact", &mine)), "unchanged");
}

#[tokio::test]
async fn a_role_change_reaches_the_device_even_past_one_page() {
    let (server, admin, agent, device, ids, (seen, cursor)) =
        agnes_holds_records_of_olaf(30, 10).await;
    assert!(
        ids.iter()
            .all(|row| seen[&key("contact", row)]["fields"].is_object())
    );
    server.set_role(&admin, &agent, Role::Restricted).await;
    let (after, demoted_cursor) = device.pull(cursor, 10).await;
    for row in &ids {
        assert_eq!(after[&key("contact", row)]["visible"], false);
    }
    // Promoted again: the records come back with their fields.
    server.set_role(&admin, &agent, Role::Agent).await;
    let (back, _) = device.pull(demoted_cursor, 10).await;
    for row in &ids {
        assert!(back[&key("contact", row)]["fields"].is_object());
    }
}

#[tokio::test]
async fn a_losing_write_sent_again_is_kept_in_the_history_once() {
    let (server, mut device) = ada_and_device().await;
    let row = id(1);
    device
        .push_clean(&[("contact", &row, "city", json!("Brno"))])
        .await;
    // An old write (an HLC below the stored one), replayed under new seqs: it loses each
    // time, and must not grow the history each time.
    let stale = json!({"entity": "contact", "id": row, "field": "city", "value": "Old",
                       "hlc": format!("{:013}-0000-dev-b", WALL - 1000)});
    for round in 0..3u64 {
        let changes: Vec<Value> = (0..500)
            .map(|n| {
                let mut change = stale.clone();
                change["seq"] = json!(round * 500 + n + 1);
                change
            })
            .collect();
        server.push_ok(&device.token, "dev-b", changes).await;
    }
    let history: Value = device
        .history("contact", &row, "")
        .await
        .json()
        .await
        .unwrap();
    let entries = history["entries"].as_array().unwrap();
    let lost: Vec<_> = entries.iter().filter(|e| e["won"] == false).collect();
    assert_eq!(lost.len(), 1, "{history}");
    assert_eq!(entries.len(), 2);
}

#[tokio::test]
async fn a_role_change_made_before_the_upgrade_still_reaches_the_device() {
    let (server, _, agent, device, rows, (_, cursor)) = agnes_holds_records_of_olaf(5, 1000).await;
    // What the previous server did on a role change: the role, and the mark that made the
    // user's next pull resend everything (no role_changes, no new versions).
    let agent_id = agent.id.to_string();
    server
        .state
        .db
        .write_blocking(move |conn| -> Result<usize, minicrm_server::db::DbError> {
            Ok(conn.execute(
                "UPDATE users SET role = 'restricted',
                    scope_version = (SELECT max(version) FROM changelog) + 1
                  WHERE id = ?1",
                [&agent_id],
            )?)
        })
        .unwrap();
    // The upgraded server opens the database.
    minicrm_server::db::Db::open(&server.db_path).unwrap();
    let (after, _) = device.pull(cursor, 1000).await;
    for row in &rows {
        assert_eq!(after[&key("contact", row)]["visible"], false, "{row}");
    }
}

#[tokio::test]
async fn a_pull_under_concurrent_pushes_never_sends_a_visible_row_without_its_fields() {
    let (server, mut admins, (other, _), (_, rita)) =
        admin_owner_and("olaf@example.com", "rita@example.com", Role::Restricted).await;
    let hot = id(1);
    admins
        .push_clean(&[("contact", &hot, "city", json!("Brno"))])
        .await;
    // Rows Rita never sees, so her pages scan far while the admin keeps writing.
    let names: Vec<String> = (100..2100).map(id).collect();
    for chunk in names.chunks(1000) {
        admins.push_clean(&owned_by(chunk, &other)).await;
    }
    // Its changes have seqs (and HLC counters) from 10,000 on.
    let mut writer_device = Device::new(&server, &admins.token, "dev-writer");
    writer_device.seq = 9_999;
    let writer = tokio::spawn(async move {
        for n in 0..300u64 {
            let city = json!(format!("City {n}"));
            writer_device.push(&[("contact", &hot, "city", city)]).await;
        }
    });
    let device = Device::new(&server, &rita, "dev-rita");
    for _ in 0..60 {
        let page = device.page(0, 2).await;
        for row in page["rows"].as_array().unwrap() {
            if row.get("visible") != Some(&json!(false)) {
                let fields = row["fields"].as_object().unwrap();
                assert!(!fields.is_empty(), "a visible row without fields: {row}");
            }
        }
        if writer.is_finished() {
            break;
        }
    }
    writer.await.unwrap();
}

#[tokio::test]
async fn an_import_is_recorded_by_managers_seen_by_everyone_and_marks_its_records() {
    let server = TestServer::start().await;
    let [
        (_, admin),
        (manager_user, manager),
        (_, agent),
        (_, restricted),
    ] = server.one_of_each_role().await;
    let mut managers = Device::new(&server, &manager, "dev-manager");
    let mut agents = Device::new(&server, &agent, "dev-agent");
    let (import, record) = (id(20), id(21));
    let mark = format!("import:{import}");
    managers
        .push_clean(&[
            ("import", &import, "file_name", json!("klienci.csv")),
            (
                "import",
                &import,
                "user_id",
                json!(manager_user.id.to_string()),
            ),
            ("import", &import, "status", json!("done")),
            ("import", &import, "created", json!(1)),
            ("contact", &record, "last_name", json!("Kowalska")),
            ("contact", &record, &mark, json!({"created": true})),
        ])
        .await;
    // Agents read the history but neither start nor revert an import.
    let reply = agents
        .push(&[("import", &import, "status", json!("reverted"))])
        .await;
    assert_eq!(reply["rejected"][0]["code"], "forbidden", "{reply}");
    for token in [&admin, &agent, &restricted] {
        let (seen, _) = Device::new(&server, token, "dev-reader")
            .pull(0, 1000)
            .await;
        let row = &seen[&key("import", &import)];
        assert_eq!(row["fields"]["status"]["value"], "done", "{row}");
        assert_eq!(row["fields"]["file_name"]["value"], "klienci.csv");
    }
    let (seen, _) = agents.pull(0, 1000).await;
    assert_eq!(
        seen[&key("contact", &record)]["fields"][&mark]["value"],
        json!({"created": true})
    );
}
