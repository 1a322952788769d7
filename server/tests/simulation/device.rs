//! A simulated device: the app's sync engine reduced to its rules, using core's clock and
//! merge exactly as core/tests/convergence.rs models them, but over real HTTP.
//!
//! Per row it keeps `base` (the server's state as last pulled) and `local` (its own edits
//! not yet acknowledged); what it shows is `overlay_pending(base, local)`. Edits go to an
//! outbox with a growing `seq`; a push sends a prefix and drops what `acked_seq` covers.
//!
//! A device of a restricted user edits only the rows it holds (what its user could see at its
//! last pull), drops a row pulled as `visible: false`, and never counts on hearing of rows it
//! never had. Its edits to a row that has meanwhile left its user's scope are refused
//! `forbidden`: expected, and recorded for the final checks.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use minicrm_core::hlc::{Clock, Hlc};
use minicrm_core::merge::{Fields, overlay_pending};
use minicrm_core::sync::{Change, FieldState, PullResponse, PushResponse, RejectCode};
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

use super::proxy::{DEVICE_HEADER, PROXY_HEADER};

/// (entity, id)
pub type RowKey = (String, String);

/// Every wait of a device on the network is bounded by this.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// Most pages one pull action reads before it lets the others run.
const MAX_PAGES_PER_PULL: usize = 60;

/// What went wrong with a sync action.
#[derive(Debug)]
pub enum Failure {
    /// The network or the server being down: expected, the device retries later.
    Transient,
    /// The server broke the protocol: the simulation fails.
    Violation(String),
}

/// The rows and fields every device edits, shared by all so their edits collide.
pub struct Universe {
    pub contacts: Vec<String>,
    /// Contact fields other than `owner_id` (whose values are users).
    pub fields: Vec<String>,
    /// (task id, the contact it belongs to); a task's contact never changes.
    pub tasks: Vec<(String, String)>,
    /// Every user's id: the owners a contact is assigned to.
    pub users: Vec<String>,
}

/// Task fields the devices edit (`record_id` is set once, when the task is made).
pub const TASK_FIELDS: [&str; 5] = ["title", "due", "done", "note", "deleted"];
/// How often an edit of a contact reassigns it: rows leave and enter a restricted user's scope.
const OWNER_CHANGE: f64 = 0.15;
/// How often an edit is of a task rather than a contact.
const TASK_EDIT: f64 = 0.3;

impl Universe {
    pub fn new(
        rng: &mut StdRng,
        contacts: usize,
        segments: usize,
        tasks: usize,
        users: Vec<String>,
    ) -> Universe {
        let mut fields: Vec<String> = ["city", "last_name", "note", "position", "deleted"]
            .map(str::to_owned)
            .to_vec();
        fields.extend((0..segments).map(|_| format!("segment:{}", random_uuid(rng))));
        let contacts: Vec<String> = (0..contacts).map(|_| random_uuid(rng)).collect();
        let tasks = (0..tasks)
            .map(|_| {
                let contact = contacts.choose(rng).unwrap().clone();
                (random_uuid(rng), contact)
            })
            .collect();
        Universe {
            contacts,
            fields,
            tasks,
            users,
        }
    }
}

pub fn random_uuid(rng: &mut StdRng) -> String {
    uuid::Builder::from_random_bytes(rng.random())
        .into_uuid()
        .to_string()
}

/// One edit a device made, for the final checks: the change it queued for the server.
pub type EditRecord = Change;

#[derive(Debug, Default, Clone, Copy)]
pub struct DeviceStats {
    pub edits: u64,
    pub pushes_ok: u64,
    pub pushes_failed: u64,
    pub pulls_ok: u64,
    pub pulls_failed: u64,
    /// Edits the server acknowledged to this device.
    pub acked: u64,
    /// Edits the server refused as `forbidden` in a reply this device read.
    pub refused: u64,
    /// Rows it held and dropped, pulled as `visible: false`.
    pub dropped: u64,
    /// Rows pulled that it did not hold (since the setup): new to it, or back in scope.
    pub entered: u64,
}

pub struct Device {
    pub index: usize,
    pub client_id: String,
    pub user_id: String,
    /// Its user has the `restricted` role: sees only contacts owned by them or by nobody,
    /// and their tasks.
    pub restricted: bool,
    token: String,
    /// How far this device's wall clock is off, in ms.
    pub skew_ms: i64,
    clock: Clock,
    seq: u64,
    /// The highest `acked_seq` the server ever answered this device.
    pub acked_seq: u64,
    pub outbox: Vec<Change>,
    /// Per row: (base, local).
    pub rows: BTreeMap<RowKey, (Fields, Fields)>,
    cursor: u64,
    /// While set, the device makes no requests until this step.
    offline_until: Option<u64>,
    rng: StdRng,
    http: reqwest::Client,
    base_url: String,
    pub log: Vec<EditRecord>,
    /// Seqs of edits the server refused as `forbidden` (only a restricted user's edits may
    /// be; any other refusal is a violation). A refusal answered in a reply the device never
    /// read is not here: the final checks allow for that.
    pub refused: std::collections::BTreeSet<u64>,
    pub stats: DeviceStats,
}

fn wall_ms() -> i64 {
    let since = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    i64::try_from(since.as_millis()).unwrap()
}

fn violation(message: impl Into<String>) -> Failure {
    Failure::Violation(message.into())
}

impl Device {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        index: usize,
        client_id: String,
        user_id: String,
        restricted: bool,
        token: String,
        skew_ms: i64,
        seed: u64,
        http: reqwest::Client,
        base_url: String,
    ) -> Device {
        Device {
            index,
            clock: Clock::new(client_id.clone()),
            client_id,
            user_id,
            restricted,
            token,
            skew_ms,
            seq: 0,
            acked_seq: 0,
            outbox: Vec::new(),
            rows: BTreeMap::new(),
            cursor: 0,
            offline_until: None,
            rng: StdRng::seed_from_u64(seed),
            http,
            base_url,
            log: Vec::new(),
            refused: std::collections::BTreeSet::new(),
            stats: DeviceStats::default(),
        }
    }

    /// This device's idea of the time: the real clock plus its skew.
    fn now_ms(&self) -> u64 {
        u64::try_from((wall_ms() + self.skew_ms).max(0)).unwrap()
    }

    /// What the device shows: every row with its pending edits on top.
    pub fn shown(&self) -> BTreeMap<RowKey, Fields> {
        self.rows
            .iter()
            .map(|(key, (base, local))| (key.clone(), overlay_pending(base, local)))
            .collect()
    }

    /// One turn of the device at `step`: edit, sync, go offline or come back.
    pub async fn act(&mut self, step: u64, universe: &Universe) -> Result<(), Failure> {
        if let Some(until) = self.offline_until {
            if step < until {
                // Offline: people keep working; nothing leaves the device.
                if self.rng.random_bool(0.6) {
                    self.edit_burst(universe);
                }
                return Ok(());
            }
            self.offline_until = None;
            self.push().await?;
            return self.pull().await;
        }
        match self.rng.random_range(0..100) {
            0..35 => {
                self.edit_burst(universe);
                Ok(())
            }
            35..60 => self.push().await,
            60..80 => self.pull().await,
            80..92 => {
                self.push().await?;
                self.pull().await
            }
            92..97 => {
                self.offline_until = Some(step + self.rng.random_range(5..40));
                self.edit_burst(universe);
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// A turn in the step the server is killed in: edits and pushes, so acknowledged
    /// and in-flight pushes meet the kill (an offline device comes back for it). Each push
    /// is tried a few times, so some push is answered 200 before the kill.
    pub async fn act_busy(&mut self, universe: &Universe) -> Result<(), Failure> {
        self.offline_until = None;
        self.edit_burst(universe);
        self.push_tries(3).await?;
        self.edit_burst(universe);
        self.push_tries(3).await
    }

    /// Pushes until one push is answered, at most `tries` times.
    async fn push_tries(&mut self, tries: usize) -> Result<(), Failure> {
        let mut last = Ok(());
        for _ in 0..tries {
            match self.push().await {
                Err(Failure::Transient) => last = Err(Failure::Transient),
                done => return done,
            }
        }
        last
    }

    fn edit_burst(&mut self, universe: &Universe) {
        for _ in 0..self.rng.random_range(1..=4) {
            let task = self.rng.random_bool(TASK_EDIT);
            let Some((entity, id)) = self.pick_row(universe, task) else {
                return;
            };
            let (field, value) = if entity == "task" {
                self.task_write()
            } else {
                self.contact_write(universe)
            };
            self.edit(entity, &id, &field, value);
        }
    }

    /// A row to edit: any of the universe for a user who sees everything; for a restricted
    /// user one the device holds (what its user could see at its last pull).
    fn pick_row(&mut self, universe: &Universe, task: bool) -> Option<(&'static str, String)> {
        let entity = if task { "task" } else { "contact" };
        if !self.restricted {
            let id = if task {
                universe.tasks.choose(&mut self.rng)?.0.clone()
            } else {
                universe.contacts.choose(&mut self.rng)?.clone()
            };
            return Some((entity, id));
        }
        let held: Vec<&RowKey> = self.rows.keys().filter(|(e, _)| e == entity).collect();
        let key = held.choose(&mut self.rng)?;
        Some((entity, key.1.clone()))
    }

    /// Unique, so the history shows exactly which write is which.
    fn unique_text(&self, field: &str) -> Value {
        json!(format!("{field} d{} #{}", self.index, self.seq + 1))
    }

    fn contact_write(&mut self, universe: &Universe) -> (String, Value) {
        if self.rng.random_bool(OWNER_CHANGE) {
            // A restricted user may assign a record only to themselves or to nobody.
            let owner = if self.restricted {
                self.rng.random_bool(0.5).then(|| self.user_id.clone())
            } else {
                let users = &universe.users;
                let pick = self.rng.random_range(0..=users.len());
                users.get(pick).cloned()
            };
            return ("owner_id".to_owned(), json!(owner));
        }
        let field = universe.fields.choose(&mut self.rng).unwrap().clone();
        let value = if field.starts_with("segment:") || field == "deleted" {
            json!(self.rng.random_bool(0.5))
        } else if self.rng.random_bool(0.05) {
            Value::Null
        } else {
            self.unique_text(&field)
        };
        (field, value)
    }

    fn task_write(&mut self) -> (String, Value) {
        let field = *TASK_FIELDS.choose(&mut self.rng).unwrap();
        let value = match field {
            "done" | "deleted" => json!(self.rng.random_bool(0.5)),
            "due" => json!(format!(
                "2026-{:02}-{:02}T{:02}:{:02}:00+01:00",
                self.rng.random_range(1..=12),
                self.rng.random_range(1..=28),
                self.rng.random_range(0..24),
                self.rng.random_range(0..60)
            )),
            "note" if self.rng.random_bool(0.05) => Value::Null,
            _ => self.unique_text(field),
        };
        (field.to_owned(), value)
    }

    /// A local edit: stamped, shown at once, queued for the server.
    pub fn edit(&mut self, entity: &str, id: &str, field: &str, value: Value) {
        let hlc = self.clock.tick(self.now_ms()).to_string();
        self.seq += 1;
        let key = (entity.to_owned(), id.to_owned());
        let (_, local) = self.rows.entry(key).or_default();
        local.insert(
            field.to_owned(),
            FieldState {
                value: value.clone(),
                hlc: hlc.clone(),
            },
        );
        let change = Change::new(self.seq, entity, id, field, value, hlc);
        self.outbox.push(change.clone());
        self.log.push(change);
        self.stats.edits += 1;
    }

    fn observe(&mut self, hlc: &str, what: &str) -> Result<(), Failure> {
        let hlc: Hlc = hlc
            .parse()
            .map_err(|err| violation(format!("{what}: malformed HLC: {err}")))?;
        self.clock.observe(&hlc);
        Ok(())
    }

    /// Sends a request through the proxy, as this device; `Transient` for anything the
    /// network or a server restart explains.
    async fn send(&self, request: reqwest::RequestBuilder) -> Result<Vec<u8>, Failure> {
        let response = request
            .bearer_auth(&self.token)
            .header(DEVICE_HEADER, self.index.to_string())
            .timeout(REQUEST_TIMEOUT)
            .send()
            .await
            .map_err(|_| Failure::Transient)?;
        let status = response.status();
        if status == 502 && response.headers().contains_key(PROXY_HEADER) {
            return Err(Failure::Transient);
        }
        // A torn body (server killed while answering) is the network's doing.
        let body = response.bytes().await.map_err(|_| Failure::Transient)?;
        if status != 200 {
            return Err(violation(format!(
                "device {}: HTTP {status}: {}",
                self.index,
                String::from_utf8_lossy(&body)
            )));
        }
        Ok(body.to_vec())
    }

    /// Pushes a prefix of the outbox (at most 1000 changes).
    pub async fn push(&mut self) -> Result<(), Failure> {
        if self.outbox.is_empty() {
            return Ok(());
        }
        let cap = *[2usize, 10, 100, 1000].choose(&mut self.rng).unwrap();
        let n = self.rng.random_range(1..=self.outbox.len().min(cap));
        self.push_prefix(n).await
    }

    pub async fn push_prefix(&mut self, n: usize) -> Result<(), Failure> {
        let batch = &self.outbox[..n];
        let last = batch[n - 1].seq;
        let body = json!({"client_id": self.client_id, "changes": batch});
        let request = self
            .http
            .post(format!("{}/api/sync/push", self.base_url))
            .json(&body);
        let reply = match self.send(request).await {
            Ok(body) => body,
            Err(failure) => {
                self.stats.pushes_failed += 1;
                return Err(failure);
            }
        };
        let reply: PushResponse = serde_json::from_slice(&reply)
            .map_err(|err| violation(format!("device {}: push reply: {err}", self.index)))?;
        if reply.acked_seq < last || reply.acked_seq > self.seq {
            return Err(violation(format!(
                "device {}: pushed seqs {}..={last} (made {}), got acked_seq {}",
                self.index, batch[0].seq, self.seq, reply.acked_seq
            )));
        }
        if reply.acked_seq < self.acked_seq {
            return Err(violation(format!(
                "device {}: acked_seq went back from {} to {}: an acknowledged push was lost",
                self.index, self.acked_seq, reply.acked_seq
            )));
        }
        for rejection in &reply.rejected {
            // Only a restricted user's edit may be refused, and only as `forbidden` (the row
            // left their scope after the device last pulled it); the checks at the end look
            // at which rows.
            let sent = batch.iter().any(|change| change.seq == rejection.seq);
            if !(self.restricted && sent && rejection.code == RejectCode::Forbidden) {
                return Err(violation(format!(
                    "device {}: valid change refused: {rejection:?}",
                    self.index
                )));
            }
        }
        for rejection in &reply.rejected {
            if self.refused.insert(rejection.seq) {
                self.stats.refused += 1;
            }
        }
        self.stats.pushes_ok += 1;
        self.ack(reply.acked_seq);
        self.observe(&reply.server_hlc, "push server_hlc")
    }

    fn ack(&mut self, acked: u64) {
        self.acked_seq = self.acked_seq.max(acked);
        let before = self.outbox.len();
        self.outbox.retain(|change| change.seq > acked);
        self.stats.acked += u64::try_from(before - self.outbox.len()).unwrap();
        // A field stays pending while an unacknowledged edit of it is in the outbox.
        let outbox = &self.outbox;
        for ((entity, id), (_, local)) in self.rows.iter_mut() {
            local.retain(|field, _| {
                outbox
                    .iter()
                    .any(|c| c.entity == *entity && c.id == *id && c.field == *field)
            });
        }
        // A row only pending edits made, that the server has no trace of, is gone with them.
        self.rows
            .retain(|_, (base, local)| !base.is_empty() || !local.is_empty());
    }

    /// Pulls pages until `more` is false (or the page budget of one turn is spent).
    pub async fn pull(&mut self) -> Result<(), Failure> {
        let limit = *[1usize, 3, 10, 100, 1000].choose(&mut self.rng).unwrap();
        for _ in 0..MAX_PAGES_PER_PULL {
            match self.pull_page(limit).await {
                Ok(false) => {
                    self.stats.pulls_ok += 1;
                    return Ok(());
                }
                Ok(true) => {}
                Err(failure) => {
                    self.stats.pulls_failed += 1;
                    return Err(failure);
                }
            }
        }
        Ok(())
    }

    /// One page; `Ok(more)`.
    pub async fn pull_page(&mut self, limit: usize) -> Result<bool, Failure> {
        let cursor = self.cursor;
        let request = self.http.get(format!(
            "{}/api/sync/pull?cursor={cursor}&limit={limit}",
            self.base_url
        ));
        let body = self.send(request).await?;
        let page: PullResponse = serde_json::from_slice(&body)
            .map_err(|err| violation(format!("device {}: pull reply: {err}", self.index)))?;
        check_page(&page, cursor, limit)
            .map_err(|message| violation(format!("device {}: {message}", self.index)))?;
        for row in page.rows {
            let key = (row.entity.clone(), row.id.clone());
            match row.fields {
                Some(fields) if row.is_visible() => {
                    for state in fields.values() {
                        self.observe(&state.hlc, "pulled field")?;
                    }
                    if !self.rows.contains_key(&key) {
                        self.stats.entered += 1;
                    }
                    self.rows.entry(key).or_default().0 = fields;
                }
                _ => {
                    // No longer visible: the device forgets the row, pending edits and all
                    // (they stay in the outbox; the server decides on them). A row it never
                    // had is simply not there.
                    if self.rows.remove(&key).is_some() {
                        self.stats.dropped += 1;
                    }
                }
            }
        }
        self.cursor = page.cursor;
        self.observe(&page.server_hlc, "pull server_hlc")?;
        Ok(page.more)
    }

    pub fn is_far_ahead(&self) -> bool {
        self.skew_ms > i64::try_from(minicrm_core::hlc::MAX_DRIFT_MS).unwrap()
    }
}

/// PROTOCOL.md "Pull": at most `limit` rows, in version order, after the cursor; the
/// cursor is the last version included (or the request's when there is none).
fn check_page(page: &PullResponse, cursor: u64, limit: usize) -> Result<(), String> {
    if page.rows.len() > limit {
        return Err(format!("pull limit {limit} returned {}", page.rows.len()));
    }
    let mut previous = cursor;
    for row in &page.rows {
        if row.version <= previous {
            return Err(format!(
                "pull from cursor {cursor}: version {} after {previous}",
                row.version
            ));
        }
        previous = row.version;
        if row.is_visible() != row.fields.is_some() {
            return Err(format!(
                "pulled row {}/{} has visible={:?} and fields={}",
                row.entity,
                row.id,
                row.visible,
                row.fields.is_some()
            ));
        }
    }
    if page.cursor != previous {
        return Err(format!(
            "pull from cursor {cursor} returned rows up to {previous} but cursor {}",
            page.cursor
        ));
    }
    Ok(())
}
