//! Bounds on rows, pull pages and history pages; who may write a view; and which rows a
//! pull names: never one the user could never see.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;

use common::{TestServer, error_code};
use minicrm_core::Role;
use minicrm_core::schema::{MAX_FIELDS_PER_ROW, MAX_ROW_BYTES};
use minicrm_core::sync::PULL_PAGE_BYTES;
use serde_json::{Value, json};

const WALL: u64 = 1_763_800_000_000;

fn id(n: u128) -> String {
    uuid::Uuid::from_u128(0x0193_0000_0000_7000_8000_0000_0000_0000 + n).to_string()
}

fn hlc(counter: u64, node: &str) -> String {
    format!(
        "{:013}-{:04x}-{node}",
        WALL + counter / 0x1_0000,
        counter % 0x1_0000
    )
}

/// A device: its id and the next seq and HLC counter it uses.
struct Device<'a> {
    server: &'a TestServer,
    token: String,
    client: String,
    seq: u64,
}

impl<'a> Device<'a> {
    fn new(server: &'a TestServer, token: &str, client: &str) -> Self {
        Device {
            server,
            token: token.to_owned(),
            client: client.to_owned(),
            seq: 0,
        }
    }

    /// Pushes the writes (entity, id, field, value) and returns the reply.
    async fn push(&mut self, writes: &[(&str, &str, &str, Value)]) -> Value {
        let changes: Vec<Value> = writes
            .iter()
            .map(|(entity, row, field, value)| {
                self.seq += 1;
                json!({"seq": self.seq, "entity": entity, "id": row, "field": field,
                       "value": value, "hlc": hlc(self.seq, &self.client)})
            })
            .collect();
        let response = self
            .server
            .client
            .post(self.server.url("/api/sync/push"))
            .bearer_auth(&self.token)
            .json(&json!({"client_id": self.client, "changes": changes}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    async fn push_clean(&mut self, writes: &[(&str, &str, &str, Value)]) {
        let reply = self.push(writes).await;
        assert_eq!(reply["rejected"], json!([]), "{reply}");
    }

    async fn page(&self, cursor: u64, limit: usize) -> Value {
        let response = self
            .server
            .get(
                &format!("/api/sync/pull?cursor={cursor}&limit={limit}"),
                &self.token,
            )
            .await;
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    /// Pulls from `cursor` to the end in pages of `limit` (at most 200 pages): every row
    /// named, by (entity, id), the last one winning, and the final cursor.
    async fn pull(&self, cursor: u64, limit: usize) -> (BTreeMap<(String, String), Value>, u64) {
        let mut rows = BTreeMap::new();
        let mut cursor = cursor;
        for _ in 0..200 {
            let page = self.page(cursor, limit).await;
            for row in page["rows"].as_array().unwrap() {
                let key = (
                    row["entity"].as_str().unwrap().to_owned(),
                    row["id"].as_str().unwrap().to_owned(),
                );
                rows.insert(key, row.clone());
            }
            cursor = page["cursor"].as_u64().unwrap();
            if !page["more"].as_bool().unwrap() {
                return (rows, cursor);
            }
        }
        panic!("the pull did not end within 200 pages");
    }

    async fn history(&self, entity: &str, row: &str, query: &str) -> reqwest::Response {
        self.server
            .get(&format!("/api/history/{entity}/{row}{query}"), &self.token)
            .await
    }
}

fn key(entity: &str, row: &str) -> (String, String) {
    (entity.to_owned(), row.to_owned())
}

#[tokio::test]
async fn a_row_past_its_field_bound_is_refused_and_the_rest_of_the_batch_applies() {
    let server = TestServer::start().await;
    let (_, token) = server.user_with_token("ada@example.com", Role::Agent).await;
    let mut device = Device::new(&server, &token, "dev-a");
    let row = id(1);
    let names: Vec<String> = (0..MAX_FIELDS_PER_ROW)
        .map(|n| format!("custom.f{n}"))
        .collect();
    let writes: Vec<(&str, &str, &str, Value)> = names
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
    let server = TestServer::start().await;
    let (_, token) = server.user_with_token("ada@example.com", Role::Agent).await;
    let mut device = Device::new(&server, &token, "dev-a");
    // 60,000 characters is under the 64 KiB a single value may have.
    let big = json!("x".repeat(60_000));
    let row = id(1);
    let fields_to_fill = MAX_ROW_BYTES / 60_000;
    let names: Vec<String> = (0..=fields_to_fill)
        .map(|n| format!("custom.big{n}"))
        .collect();
    for chunk in names.chunks(12) {
        let writes: Vec<_> = chunk
            .iter()
            .map(|name| ("contact", row.as_str(), name.as_str(), big.clone()))
            .collect();
        device.push(&writes).await;
    }
    let (rows, _) = device.pull(0, 1000).await;
    let stored = rows[&key("contact", &row)]["fields"]
        .as_object()
        .unwrap()
        .clone();
    let bytes: usize = stored
        .iter()
        .map(|(name, state)| name.len() + state["value"].to_string().len())
        .sum();
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
            let writes: Vec<_> = chunk
                .iter()
                .map(|name| ("contact", row.as_str(), name.as_str(), big.clone()))
                .collect();
            device.push_clean(&writes).await;
        }
    }
    let first = device.page(0, 1000).await;
    let on_page = first["rows"].as_array().unwrap();
    let page_bytes: usize = on_page
        .iter()
        .filter_map(|row| row["fields"].as_object())
        .flat_map(|fields| fields.iter())
        .map(|(name, state)| name.len() + state["value"].to_string().len())
        .sum();
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

#[tokio::test]
async fn history_comes_in_pages_older_ones_on_request() {
    let server = TestServer::start().await;
    let (_, token) = server.user_with_token("ada@example.com", Role::Agent).await;
    let mut device = Device::new(&server, &token, "dev-a");
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

    let bad = device.history("contact", &row, "?before=yesterday").await;
    assert_eq!(error_code(bad, 400).await, "malformed_request");
    let bad = device.history("contact", &row, "?limit=-1").await;
    assert_eq!(error_code(bad, 400).await, "malformed_request");
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
    let (seen, _) = Device::new(&server, &restricted, "dev-r")
        .pull(0, 1000)
        .await;
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
    let (seen, _) = Device::new(&server, &restricted, "dev-r")
        .pull(0, 1000)
        .await;
    assert_eq!(seen[&key("view", &team)]["fields"]["name"]["value"], "Team");
}

#[tokio::test]
async fn a_pull_names_only_rows_that_may_be_on_the_device() {
    let server = TestServer::start().await;
    let (_, admin) = server
        .user_with_token("admin@example.com", Role::Admin)
        .await;
    let (other, other_token) = server
        .user_with_token("olaf@example.com", Role::Agent)
        .await;
    let (rita, rita_token) = server
        .user_with_token("rita@example.com", Role::Restricted)
        .await;
    let (other_id, rita_id) = (other.id.to_string(), rita.id.to_string());
    let mut admins = Device::new(&server, &admin, "dev-admin");
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
    let purge = server
        .client
        .post(server.url("/api/trash/purge"))
        .bearer_auth(&admin)
        .json(&json!({"ids": [purged]}))
        .send()
        .await
        .unwrap();
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
    let server = TestServer::start().await;
    let (_, admin) = server
        .user_with_token("admin@example.com", Role::Admin)
        .await;
    let (other, _) = server
        .user_with_token("olaf@example.com", Role::Agent)
        .await;
    let (agent, agent_token) = server
        .user_with_token("agnes@example.com", Role::Agent)
        .await;
    let mut admins = Device::new(&server, &admin, "dev-admin");
    let ids: Vec<String> = (1..=30).map(id).collect();
    let owner = json!(other.id.to_string());
    let writes: Vec<_> = ids
        .iter()
        .map(|row| ("contact", row.as_str(), "owner_id", owner.clone()))
        .collect();
    admins.push_clean(&writes).await;
    let device = Device::new(&server, &agent_token, "dev-agnes");
    let (seen, cursor) = device.pull(0, 10).await;
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
    let server = TestServer::start().await;
    let (_, token) = server.user_with_token("ada@example.com", Role::Agent).await;
    let row = id(1);
    let mut device = Device::new(&server, &token, "dev-a");
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
        let response = server
            .client
            .post(server.url("/api/sync/push"))
            .bearer_auth(&token)
            .json(&json!({"client_id": "dev-b", "changes": changes}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
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
    let server = TestServer::start().await;
    let (_, admin) = server
        .user_with_token("admin@example.com", Role::Admin)
        .await;
    let (other, _) = server
        .user_with_token("olaf@example.com", Role::Agent)
        .await;
    let (agent, agent_token) = server
        .user_with_token("agnes@example.com", Role::Agent)
        .await;
    let mut admins = Device::new(&server, &admin, "dev-admin");
    let rows: Vec<String> = (1..=5).map(id).collect();
    let owner = json!(other.id.to_string());
    let writes: Vec<_> = rows
        .iter()
        .map(|row| ("contact", row.as_str(), "owner_id", owner.clone()))
        .collect();
    admins.push_clean(&writes).await;
    let device = Device::new(&server, &agent_token, "dev-agnes");
    let (_, cursor) = device.pull(0, 1000).await;
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
    let server = TestServer::start().await;
    let (_, admin) = server
        .user_with_token("admin@example.com", Role::Admin)
        .await;
    let (other, _) = server
        .user_with_token("olaf@example.com", Role::Agent)
        .await;
    let (_, rita) = server
        .user_with_token("rita@example.com", Role::Restricted)
        .await;
    let mut admins = Device::new(&server, &admin, "dev-admin");
    let hot = id(1);
    admins
        .push_clean(&[("contact", &hot, "city", json!("Brno"))])
        .await;
    // Rows Rita never sees, so her pages scan far while the admin keeps writing.
    let owner = json!(other.id.to_string());
    let names: Vec<String> = (100..2100).map(id).collect();
    for chunk in names.chunks(1000) {
        let writes: Vec<_> = chunk
            .iter()
            .map(|row| ("contact", row.as_str(), "owner_id", owner.clone()))
            .collect();
        admins.push_clean(&writes).await;
    }
    let writer = {
        let base = server.url("/api/sync/push");
        let client = server.client.clone();
        let (admin, hot) = (admin.clone(), hot.clone());
        tokio::spawn(async move {
            for n in 0..300u64 {
                let change = json!({"seq": 10_000 + n, "entity": "contact", "id": hot,
                    "field": "city", "value": format!("City {n}"),
                    "hlc": hlc(10_000 + n, "dev-writer")});
                let response = client
                    .post(&base)
                    .bearer_auth(&admin)
                    .json(&json!({"client_id": "dev-writer", "changes": [change]}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status(), 200);
            }
        })
    };
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
