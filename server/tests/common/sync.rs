//! Sync over HTTP as the tests write it: ids, HLCs and changes; push, pull and history
//! through an [`Api`].

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use minicrm_core::Role;
use minicrm_core::api::User;

use super::{Api, TestServer};

/// The wall time (ms) of the HLCs the tests write where the real clock does not matter.
pub const WALL: u64 = 1_763_800_000_000;
/// A pull to the end reads at most this many pages (more fails the test).
const MAX_PAGES: usize = 1000;

/// (entity, id)
pub type RowKey = (String, String);
/// Rows by (entity, id), as pulled.
pub type Rows = BTreeMap<RowKey, Value>;

/// The `n`th id of the tests (a UUIDv7-shaped constant plus `n`).
pub fn id(n: u128) -> String {
    uuid::Uuid::from_u128(0x0193_0000_0000_7000_8000_0000_0000_0000 + n).to_string()
}

pub fn hlc(wall: u64, counter: u16, node: &str) -> String {
    format!("{wall:013}-{counter:04x}-{node}")
}

/// The real clock, in ms since the epoch.
pub fn now_ms() -> u64 {
    let since = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    u64::try_from(since.as_millis()).unwrap()
}

/// One change of a push.
pub fn change(seq: u64, entity: &str, row: &str, field: &str, value: Value, hlc: &str) -> Value {
    json!({"seq": seq, "entity": entity, "id": row, "field": field, "value": value, "hlc": hlc})
}

pub fn key(entity: &str, row: &str) -> RowKey {
    (entity.to_owned(), row.to_owned())
}

/// A pulled row's value of `name`.
pub fn field<'a>(row: &'a Value, name: &str) -> &'a Value {
    &row["fields"][name]["value"]
}

impl Api {
    pub async fn push(&self, token: &str, client: &str, changes: Vec<Value>) -> reqwest::Response {
        let body = json!({"client_id": client, "changes": changes});
        self.post("/api/sync/push", Some(token), &body).await
    }

    /// A push answered 200: its reply.
    pub async fn push_ok(&self, token: &str, client: &str, changes: Vec<Value>) -> Value {
        let response = self.push(token, client, changes).await;
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    /// A push answered 200 with no change refused: its reply.
    pub async fn push_clean(&self, token: &str, client: &str, changes: Vec<Value>) -> Value {
        let reply = self.push_ok(token, client, changes).await;
        assert_eq!(reply["rejected"], json!([]), "{reply}");
        reply
    }

    /// [`Api::push_clean`] that says what went wrong instead of failing (for a task that
    /// must report, not panic).
    pub async fn try_push_clean(
        &self,
        token: &str,
        client: &str,
        changes: Vec<Value>,
    ) -> Result<(), String> {
        let response = self
            .client
            .post(self.url("/api/sync/push"))
            .bearer_auth(token)
            .json(&json!({"client_id": client, "changes": changes}))
            .send()
            .await
            .map_err(|err| format!("push: {err}"))?;
        let status = response.status();
        let body: Value = response.json().await.unwrap_or_default();
        if status != 200 || body["rejected"] != json!([]) {
            return Err(format!("push: {status} {body}"));
        }
        Ok(())
    }

    /// One pull page answered 200.
    pub async fn pull_page(&self, token: &str, cursor: u64, limit: usize) -> Value {
        self.get_json(
            &format!("/api/sync/pull?cursor={cursor}&limit={limit}"),
            token,
        )
        .await
    }

    /// Pulls from `cursor` until `more` is false, in pages of `limit`: every row named, in
    /// order, and the final cursor.
    pub async fn pull_rows(&self, token: &str, cursor: u64, limit: usize) -> (Vec<Value>, u64) {
        let mut rows = Vec::new();
        let mut cursor = cursor;
        for _ in 0..MAX_PAGES {
            let page = self.pull_page(token, cursor, limit).await;
            rows.extend(page["rows"].as_array().unwrap().iter().cloned());
            cursor = page["cursor"].as_u64().unwrap();
            if !page["more"].as_bool().unwrap() {
                return (rows, cursor);
            }
        }
        panic!("the pull did not end within {MAX_PAGES} pages");
    }

    /// [`Api::pull_rows`] by (entity, id), the last one named winning.
    pub async fn pull_all(&self, token: &str, cursor: u64, limit: usize) -> (Rows, u64) {
        let (rows, cursor) = self.pull_rows(token, cursor, limit).await;
        let rows = rows
            .into_iter()
            .map(|row| {
                let entity = row["entity"].as_str().unwrap();
                (key(entity, row["id"].as_str().unwrap()), row)
            })
            .collect();
        (rows, cursor)
    }

    /// `GET /api/history/{entity}/{row}{query}`.
    pub async fn history_page(
        &self,
        token: &str,
        entity: &str,
        row: &str,
        query: &str,
    ) -> reqwest::Response {
        self.get(&format!("/api/history/{entity}/{row}{query}"), token)
            .await
    }

    /// A row's history (its first page, answered 200).
    pub async fn history(&self, token: &str, entity: &str, row: &str) -> Vec<Value> {
        let response = self.history_page(token, entity, row, "").await;
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        body["entries"].as_array().unwrap().clone()
    }

    pub async fn purge(&self, token: &str, body: &Value) -> reqwest::Response {
        self.post("/api/trash/purge", Some(token), body).await
    }
}

/// One write a device makes: (entity, id, field, value).
pub type Write<'w> = (&'w str, &'w str, &'w str, Value);

/// A device of a user: its client id and the last seq it used. Its `n`th change has seq `n`
/// and an HLC at [`WALL`] with counter `n` (carried into the wall time past 0xffff), so a
/// device's later write is also its newer one.
pub struct Device {
    api: Api,
    pub token: String,
    pub client: String,
    pub seq: u64,
}

impl Device {
    pub fn new(api: &Api, token: &str, client: &str) -> Self {
        Device {
            api: api.clone(),
            token: token.to_owned(),
            client: client.to_owned(),
            seq: 0,
        }
    }

    /// The HLC of the change with `seq`.
    pub fn stamp(&self, seq: u64) -> String {
        let (wall, counter) = (WALL + seq / 0x1_0000, seq % 0x1_0000);
        format!("{wall:013}-{counter:04x}-{}", self.client)
    }

    /// The writes as the device's next changes.
    pub fn changes(&mut self, writes: &[Write<'_>]) -> Vec<Value> {
        writes
            .iter()
            .map(|(entity, row, field, value)| {
                self.seq += 1;
                let stamp = self.stamp(self.seq);
                change(self.seq, entity, row, field, value.clone(), &stamp)
            })
            .collect()
    }

    /// Pushes the writes; the reply (answered 200).
    pub async fn push(&mut self, writes: &[Write<'_>]) -> Value {
        let changes = self.changes(writes);
        self.api.push_ok(&self.token, &self.client, changes).await
    }

    /// Pushes the writes, none of them refused.
    pub async fn push_clean(&mut self, writes: &[Write<'_>]) -> Value {
        let changes = self.changes(writes);
        self.api
            .push_clean(&self.token, &self.client, changes)
            .await
    }

    pub async fn page(&self, cursor: u64, limit: usize) -> Value {
        self.api.pull_page(&self.token, cursor, limit).await
    }

    pub async fn pull(&self, cursor: u64, limit: usize) -> (Rows, u64) {
        self.api.pull_all(&self.token, cursor, limit).await
    }

    pub async fn history(&self, entity: &str, row: &str, query: &str) -> reqwest::Response {
        self.api.history_page(&self.token, entity, row, query).await
    }
}

/// A fresh server with the administrator and their device `dev-admin`, the agent `owner` (who
/// owns the records a test makes) and `user` of `role`: all logged in, in this order.
pub async fn admin_owner_and(
    owner: &str,
    user: &str,
    role: Role,
) -> (TestServer, Device, (User, String), (User, String)) {
    let server = TestServer::start().await;
    let (_, admin) = server.admin().await;
    let owner = server.user_with_token(owner, Role::Agent).await;
    let user = server.user_with_token(user, role).await;
    let admins = Device::new(&server, &admin, "dev-admin");
    (server, admins, owner, user)
}
