//! Fault-injection simulation of sync against the real server binary.
//!
//! Several devices of several users edit the same contacts and their tasks, go offline and
//! come back, with skewed clocks (one minutes ahead, so the server restamps its writes), and
//! sync through a proxy that drops, duplicates, delays and reorders requests and replies,
//! while the server is killed with SIGKILL and restarted on the same database. Contacts are
//! reassigned all the time, so they and their tasks leave and enter the scope of a restricted
//! user, whose devices edit what they hold (and are refused where it left their scope).
//!
//! At the end, with the faults off and every outbox drained: each device holds exactly the
//! rows its user may see, with the server's values; the server's history accounts for every
//! edit exactly once (a restricted user's refused ones not at all), each field holding the
//! write with the highest HLC; the server was killed at least once, right after answering a
//! push at least once, and came back each time; and every edit acknowledged in the steps the
//! server was killed in is in the history and the final state. This is
//! core/tests/convergence.rs's in-memory model, for real.
//!
//! `MINICRM_SIM_SEED` replays a run (the seed is printed at the start and on failure);
//! `MINICRM_SIM_STEPS` sets its length (default 300; `cargo xtask soak` runs long ones).
//! A seed fixes every decision of the simulation (edits, faults, kills); the server's
//! clock and the interleaving of concurrent requests still vary from run to run.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
#[path = "simulation/device.rs"]
mod device;
#[path = "simulation/proxy.rs"]
mod proxy;
#[path = "simulation/server.rs"]
mod server;
#[path = "simulation/verify.rs"]
mod verify;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use minicrm_core::merge::Fields;
use minicrm_core::sync::{HistoryEntry, PullResponse};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use tokio::task::JoinSet;

use device::{Device, Failure, RowKey, Universe};
use proxy::FaultProxy;
use server::ServerProcess;
use verify::Findings;
use verify::KillChecks;

const DEFAULT_STEPS: u64 = 300;
/// Contacts every device edits: few enough that edits collide often.
const CONTACTS: usize = 30;
const SEGMENTS: usize = 3;
/// Tasks, each on one of the contacts (seen exactly when its contact is).
const TASKS: usize = 15;
/// (e-mail, name, role) and how many devices each user has. The first is the admin whose
/// fresh pull is the server's whole state; the restricted user's devices come last.
const USERS: [(&str, &str, &str, usize); 4] = [
    ("ada@example.com", "Ada Admin", "admin", 3),
    ("bob@example.com", "Bob Agent", "agent", 3),
    ("cy@example.com", "Cy Agent", "agent", 3),
    ("rita@example.com", "Rita Restricted", "restricted", 2),
];
/// The admin device (a correct clock) that makes the starting rows.
const SETUP_DEVICE: usize = 1;
/// How long the first kill waits for a push to be answered 200 (later kills: 500 ms).
const FIRST_KILL_WAIT: Duration = Duration::from_secs(5);
/// Most devices acting at once in one step.
const MAX_CONCURRENT: usize = 4;
/// One step's requests are each bounded by the device timeout; this bounds the step.
const STEP_TIMEOUT: Duration = Duration::from_secs(60);

/// A seed for one named stream of randomness, so adding a stream leaves the others as
/// they were (splitmix64 of the seed and an FNV-1a hash of the name).
fn derive_seed(seed: u64, name: &str) -> u64 {
    let mut hash = 0xcbf2_9ce4_8422_2325u64;
    for byte in name.bytes() {
        hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
    }
    let mut z = seed ^ hash;
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn env_u64(name: &str) -> Option<u64> {
    let text = std::env::var(name).ok()?;
    Some(
        text.trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name}={text:?} is not a number")),
    )
}

/// Prints how to replay the run if the test panics anywhere.
struct ReplayHint {
    seed: u64,
    steps: u64,
}

impl Drop for ReplayHint {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "\nsimulation FAILED with seed {} (replay: MINICRM_SIM_SEED={} \
                 MINICRM_SIM_STEPS={} cargo test -p minicrm-server --test simulation \
                 -- --nocapture)",
                self.seed, self.seed, self.steps
            );
        }
    }
}

fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        // One request per connection: the proxy handles each connection as one request,
        // and no pooled connection outlives a server restart.
        .pool_max_idle_per_host(0)
        .connect_timeout(Duration::from_secs(2))
        .timeout(device::REQUEST_TIMEOUT)
        .build()
        .unwrap()
}

async fn login(client: &reqwest::Client, base: &str, email: &str) -> (String, String) {
    let response = client
        .post(format!("{base}/api/auth/login"))
        .json(&json!({"email": email, "password": server::PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "login of {email}");
    let body: Value = response.json().await.unwrap();
    (
        body["token"].as_str().unwrap().to_owned(),
        body["user"]["id"].as_str().unwrap().to_owned(),
    )
}

/// The server's whole state as a fresh device would pull it, straight from the server.
async fn read_server_state(
    client: &reqwest::Client,
    base: &str,
    token: &str,
) -> BTreeMap<RowKey, Fields> {
    let mut rows = BTreeMap::new();
    let mut cursor = 0;
    for _page in 0..1000 {
        let response = client
            .get(format!("{base}/api/sync/pull?cursor={cursor}&limit=1000"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "final pull");
        let page: PullResponse = response.json().await.unwrap();
        for row in page.rows {
            let key = (row.entity.clone(), row.id.clone());
            match row.fields {
                Some(fields) if row.is_visible() => {
                    rows.insert(key, fields);
                }
                _ => {
                    rows.remove(&key);
                }
            }
        }
        cursor = page.cursor;
        if !page.more {
            return rows;
        }
    }
    panic!("the final pull did not end within 1000 pages");
}

/// A row's whole history, oldest first, page by page: each page is the newest entries
/// before `before`, and `more` says older ones exist (a server that does not page sends
/// everything and no `more`).
async fn read_history(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    entity: &str,
    id: &str,
) -> Vec<HistoryEntry> {
    let mut entries: Vec<HistoryEntry> = Vec::new();
    let mut before: Option<String> = None;
    for _page in 0..10_000 {
        let mut url = format!("{base}/api/history/{entity}/{id}?limit=1000");
        if let Some(hlc) = &before {
            url.push_str(&format!("&before={hlc}"));
        }
        let response = client.get(url).bearer_auth(token).send().await.unwrap();
        assert_eq!(response.status(), 200, "history of {entity} {id}");
        let page: Value = response.json().await.unwrap();
        let mut older: Vec<HistoryEntry> =
            serde_json::from_value(page["entries"].clone()).expect("history entries");
        older.append(&mut entries);
        entries = older;
        if page["more"].as_bool() != Some(true) {
            return entries;
        }
        let first = entries.first().map(|entry| entry.hlc.clone());
        assert!(
            first.is_some() && first != before,
            "history of {entity} {id}: `more` without progress before {before:?}"
        );
        before = first;
    }
    panic!("the history of {entity} {id} did not end within 10000 pages");
}

/// Devices sit in `Option`s so a step can move the acting ones into tasks and back.
type Fleet = Vec<Option<Device>>;

struct Run {
    seed: u64,
    steps: u64,
    rng: StdRng,
    server: ServerProcess,
    proxy: FaultProxy,
    fleet: Fleet,
    universe: Arc<Universe>,
    /// Steps at which the server is killed.
    kill_steps: BTreeSet<u64>,
    /// While the server is down: the step at which it comes back.
    restart_at: Option<u64>,
    /// Edits (device index, seq) acknowledged in the steps the server was killed in, by
    /// the server that was then killed: the ones whose durability the kill puts to the test.
    acked_in_kill_steps: Vec<(usize, u64)>,
    /// Kills that came right after a device was answered 200 to a push.
    kills_after_ack: u64,
    violations: Vec<String>,
}

impl Run {
    /// Runs the fault phase: `steps` steps, each letting a few devices act at once.
    async fn fault_phase(&mut self, budget: Duration) -> u64 {
        let started = Instant::now();
        for step in 0..self.steps {
            if started.elapsed() > budget {
                eprintln!(
                    "time budget of {budget:?} spent after {step} steps; checking what was done"
                );
                return step;
            }
            if let Some(crash) = self.server.crashed() {
                self.violations.push(crash);
                return step;
            }
            let n = self.fleet.len();
            // A run the time budget cuts short still has its kill: forced once half the
            // budget is spent without one.
            let kill = (self.kill_steps.contains(&step)
                || (self.server.kills == 0 && started.elapsed() > budget / 2))
                && self.server.is_up();
            let acting = if kill {
                MAX_CONCURRENT
            } else {
                self.rng.random_range(1..=MAX_CONCURRENT)
            };
            // Registered before any device acts, so no acknowledgement slips past it.
            let answered = self.proxy.push_answered();
            let mut push_answered = std::pin::pin!(answered.notified());
            push_answered.as_mut().enable();
            let mut tasks = JoinSet::new();
            let mut acked_before = BTreeMap::new();
            for index in rand::seq::index::sample(&mut self.rng, n, acting) {
                let mut device = self.fleet[index].take().unwrap();
                acked_before.insert(index, device.acked_seq);
                let universe = self.universe.clone();
                tasks.spawn(async move {
                    let result = if kill {
                        device.act_busy(&universe).await
                    } else {
                        device.act(step, &universe).await
                    };
                    (device, result)
                });
            }
            if kill {
                // The first kill always waits for an acknowledged push, so every run kills
                // the server right after a 200 at least once.
                let after_ack = self.rng.random_bool(0.5) || self.server.kills == 0;
                if after_ack {
                    // Right after a device got its 200 for a push: that push must survive.
                    let wait = if self.server.kills == 0 {
                        FIRST_KILL_WAIT
                    } else {
                        Duration::from_millis(500)
                    };
                    let waited = tokio::time::timeout(wait, push_answered).await;
                    self.kills_after_ack += u64::from(waited.is_ok());
                } else {
                    // At any moment, likely with requests (and a commit) in flight.
                    let pause = self.rng.random_range(0..40);
                    tokio::time::sleep(Duration::from_millis(pause)).await;
                }
                self.server.kill().await;
                self.proxy.set_upstream(0);
                self.restart_at = Some(step + self.rng.random_range(0..=2));
            }
            let joined = tokio::time::timeout(STEP_TIMEOUT, async {
                let mut back = Vec::new();
                while let Some(joined) = tasks.join_next().await {
                    back.push(
                        joined.unwrap_or_else(|err| std::panic::resume_unwind(err.into_panic())),
                    );
                }
                back
            })
            .await;
            let Ok(back) = joined else {
                self.violations
                    .push(format!("step {step} did not finish in {STEP_TIMEOUT:?}"));
                return step;
            };
            if kill {
                // The server is down from the kill until a later step: what was acknowledged
                // in this step was acknowledged by the server that was killed.
                for (device, _) in &back {
                    let before = acked_before[&device.index];
                    self.acked_in_kill_steps
                        .extend((before + 1..=device.acked_seq).map(|seq| (device.index, seq)));
                }
            }
            for (device, result) in back {
                if let Err(Failure::Violation(message)) = result {
                    self.violations.push(format!("step {step}: {message}"));
                }
                let index = device.index;
                self.fleet[index] = Some(device);
            }
            if !self.violations.is_empty() {
                return step;
            }
            if self.restart_at.is_some_and(|at| step >= at) {
                self.restart().await;
            }
        }
        self.steps
    }

    /// Before the faults: one admin device makes every contact (named, assigned to one of
    /// the users or to nobody) and every task (on its contact), and every device pulls them,
    /// so each starts with the rows its user may see.
    async fn setup(&mut self) {
        self.proxy.set_faults(false);
        let universe = self.universe.clone();
        let device = self.fleet[SETUP_DEVICE].as_mut().unwrap();
        for (n, id) in universe.contacts.iter().enumerate() {
            device.edit("contact", id, "last_name", json!(format!("Contact {n}")));
            // Owners in turn: each user, then nobody.
            let owner = universe.users.get(n % (universe.users.len() + 1));
            device.edit("contact", id, "owner_id", json!(owner));
        }
        for (n, (id, contact)) in universe.tasks.iter().enumerate() {
            device.edit("task", id, "record_id", json!(contact));
            device.edit("task", id, "title", json!(format!("Task {n}")));
            device.edit("task", id, "done", json!(false));
        }
        let n = device.outbox.len();
        if let Err(failure) = device.push_prefix(n).await {
            self.violations.push(format!("setup push: {failure:?}"));
            return;
        }
        for slot in &mut self.fleet {
            let device = slot.as_mut().unwrap();
            for _page in 0..100 {
                match device.pull_page(1000).await {
                    Ok(true) => {}
                    Ok(false) => break,
                    Err(failure) => {
                        self.violations.push(format!(
                            "setup pull of device {}: {failure:?}",
                            device.index
                        ));
                        return;
                    }
                }
            }
        }
        for slot in &mut self.fleet {
            let device = slot.as_mut().unwrap();
            device.stats.entered = 0;
        }
        self.proxy.set_faults(true);
    }

    async fn restart(&mut self) {
        self.server.start().await;
        self.proxy.set_upstream(self.server.port);
        self.restart_at = None;
    }

    /// With the faults off: every outbox pushed until empty, then every device pulled to
    /// the end. Bounded: a device whose outbox does not drain is reported stuck.
    async fn drain(&mut self) {
        if !self.server.is_up() {
            self.restart().await;
        }
        self.proxy.stop_faults().await;
        let deadline = Instant::now() + Duration::from_secs(60);
        for slot in &mut self.fleet {
            let device = slot.as_mut().unwrap();
            for _attempt in 0..(device.outbox.len() / 1000 + 20) {
                if device.outbox.is_empty() || Instant::now() > deadline {
                    break;
                }
                match device.push_prefix(device.outbox.len().min(1000)).await {
                    Err(Failure::Violation(message)) => {
                        self.violations.push(format!("drain: {message}"));
                        break;
                    }
                    Err(Failure::Transient) => {
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                    Ok(()) => {}
                }
            }
        }
        for slot in &mut self.fleet {
            let device = slot.as_mut().unwrap();
            let mut done = false;
            for _attempt in 0..1000 {
                if Instant::now() > deadline {
                    break;
                }
                match device.pull_page(1000).await {
                    Ok(true) => {}
                    Ok(false) => {
                        done = true;
                        break;
                    }
                    Err(Failure::Violation(message)) => {
                        self.violations.push(format!("drain: {message}"));
                        break;
                    }
                    Err(Failure::Transient) => {
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                }
            }
            if !done {
                self.violations.push(format!(
                    "drain: device {} could not pull to the end",
                    device.index
                ));
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn devices_converge_through_lost_duplicated_reordered_requests_and_crashes() {
    let seed = env_u64("MINICRM_SIM_SEED").unwrap_or_else(rand::random);
    let steps = env_u64("MINICRM_SIM_STEPS").unwrap_or(DEFAULT_STEPS);
    eprintln!("simulation seed {seed} (replay: MINICRM_SIM_SEED={seed}), {steps} steps");
    let _hint = ReplayHint { seed, steps };
    let started = Instant::now();
    let mut rng = StdRng::seed_from_u64(derive_seed(seed, "main"));

    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crm.db");
    for (email, name, role, _) in USERS {
        common::process::add_user(&db, email, name, role, server::PASSWORD).await;
    }
    let mut server = ServerProcess::new(db, dir.path().join("server.log"));
    server.start().await;
    let proxy = FaultProxy::start(seed, server.port).await;
    let client = http_client();

    let mut user_ids = Vec::new();
    for (email, _, _, _) in USERS {
        user_ids.push(login(&client, &proxy.base(), email).await.1);
    }
    let universe = Arc::new(Universe::new(
        &mut rng,
        CONTACTS,
        SEGMENTS,
        TASKS,
        user_ids.clone(),
    ));
    let mut fleet: Fleet = Vec::new();
    for (email, _, role, devices) in USERS {
        for _ in 0..devices {
            let index = fleet.len();
            // Each device logs in for itself (its own token), through the proxy.
            let (token, user_id) = login(&client, &proxy.base(), email).await;
            let skew_ms = match index {
                // Minutes ahead: every write of this device gets the server's HLC.
                0 => rng.random_range(180_000..600_000),
                1..=4 => rng.random_range(-30_000..=30_000),
                _ => rng.random_range(-2_000..=2_000),
            };
            fleet.push(Some(Device::new(
                index,
                device::random_uuid(&mut rng),
                user_id,
                role == "restricted",
                token,
                skew_ms,
                derive_seed(seed, &format!("device/{index}")),
                client.clone(),
                proxy.base(),
            )));
        }
    }
    // At least one kill in every run, several in long ones; never in the first steps, so
    // there is something to lose.
    let kills = (steps / 150).max(1);
    let kill_steps: BTreeSet<u64> = (0..kills)
        .map(|_| rng.random_range(steps / 10..=steps * 9 / 10))
        .collect();

    let mut run = Run {
        seed,
        steps,
        rng,
        server,
        proxy,
        fleet,
        universe,
        kill_steps,
        restart_at: None,
        acked_in_kill_steps: Vec::new(),
        kills_after_ack: 0,
        violations: Vec::new(),
    };
    run.setup().await;
    // Several times what the default run needs here (about 12 s), proportional for soak
    // runs; past it the run stops early and checks what it did.
    let budget = Duration::from_secs(30).max(Duration::from_millis(steps * 100));
    let done_steps = if run.violations.is_empty() {
        run.fault_phase(budget).await
    } else {
        0
    };
    let fault_time = started.elapsed();
    let acked_under_faults: u64 = run
        .fleet
        .iter()
        .map(|d| d.as_ref().unwrap().stats.acked)
        .sum();
    if run.violations.is_empty() {
        run.drain().await;
    }

    // The server's truth: a fresh pull from cursor 0, and every contact's history.
    let devices: Vec<Device> = run.fleet.drain(..).map(Option::unwrap).collect();
    let mut findings = Findings::default();
    for violation in &run.violations {
        findings.add(violation.clone());
    }
    let mut history_stats = verify::HistoryStats::default();
    if run.violations.is_empty() {
        let direct = format!("http://127.0.0.1:{}", run.server.port);
        // A fresh login and a pull from cursor 0, straight to the server: nothing cached.
        let (token, _) = login(&client, &direct, USERS[0].0).await;
        let state = read_server_state(&client, &direct, &token).await;
        let mut rows: BTreeSet<RowKey> = state
            .keys()
            .filter(|(entity, _)| entity == "contact" || entity == "task")
            .cloned()
            .collect();
        rows.extend(
            devices
                .iter()
                .flat_map(|d| d.log.iter().map(|e| (e.entity.clone(), e.id.clone()))),
        );
        let mut histories = BTreeMap::new();
        for (entity, id) in rows {
            let history = read_history(&client, &direct, &token, &entity, &id).await;
            histories.insert((entity, id), history);
        }
        // What each user may see, by the rule, from the server's whole state; and what each
        // user is sent by a fresh pull of their own.
        let mut fresh = BTreeMap::new();
        for (email, _, _, _) in USERS {
            let (token, user_id) = login(&client, &direct, email).await;
            fresh.insert(user_id, read_server_state(&client, &direct, &token).await);
        }
        // The kills' findings first: they say whether the run tested what it should.
        let mut details = Findings::default();
        verify::check_scopes(&devices, &state, &fresh, &mut details);
        verify::check_convergence(&devices, &state, &mut details);
        let matched;
        (history_stats, matched) =
            verify::check_history(&devices, &state, &histories, &mut details);
        verify::check_kills(
            &KillChecks {
                kills: run.server.kills,
                starts: run.server.starts,
                kills_after_ack: run.kills_after_ack,
                acked_in_kill_steps: &run.acked_in_kill_steps,
            },
            &devices,
            &state,
            &matched,
            &mut findings,
        );
        let restricted = devices.iter().filter(|d| d.restricted);
        let (dropped, entered) = restricted.fold((0, 0), |(dropped, entered), d| {
            (dropped + d.stats.dropped, entered + d.stats.entered)
        });
        if dropped == 0 || entered == 0 {
            findings.add(format!(
                "the restricted user's devices dropped {dropped} rows that left scope and took \
                 in {entered} that entered it: scope changes went untested"
            ));
        }
        findings.absorb(details);
    }

    let totals = devices
        .iter()
        .fold(device::DeviceStats::default(), |mut t, d| {
            t.edits += d.stats.edits;
            t.pushes_ok += d.stats.pushes_ok;
            t.pushes_failed += d.stats.pushes_failed;
            t.pulls_ok += d.stats.pulls_ok;
            t.pulls_failed += d.stats.pulls_failed;
            t.refused += d.stats.refused;
            if d.restricted {
                t.dropped += d.stats.dropped;
                t.entered += d.stats.entered;
            }
            t
        });
    eprintln!(
        "simulation seed {seed}: {done_steps}/{steps} steps in {:.1}s (checks done at {:.1}s); \
         {} devices, {} edits ({} acked under faults, {} restamped, {} overwritten, \
         {} lost on arrival, {} refused as out of scope); restricted devices dropped {} rows \
         that left scope and took in {} that entered it; pushes {} ok / {} failed; \
         pulls {} ok / {} failed; server started {} times, killed {} times ({} right after \
         a 200 to a push; {} edits acknowledged in kill steps); faults {:?}",
        fault_time.as_secs_f64(),
        started.elapsed().as_secs_f64(),
        devices.len(),
        totals.edits,
        acked_under_faults,
        history_stats.restamped,
        history_stats.overwritten,
        history_stats.lost_on_arrival,
        totals.refused,
        totals.dropped,
        totals.entered,
        totals.pushes_ok,
        totals.pushes_failed,
        totals.pulls_ok,
        totals.pulls_failed,
        run.server.starts,
        run.server.kills,
        run.kills_after_ack,
        run.acked_in_kill_steps.len(),
        run.proxy.stats(),
    );
    for d in &devices {
        eprintln!(
            "  device {}: client {} user {}{} skew {} ms, {} edits, acked up to {}, {} refused",
            d.index,
            d.client_id,
            d.user_id,
            if d.restricted { " (restricted)" } else { "" },
            d.skew_ms,
            d.stats.edits,
            d.acked_seq,
            d.stats.refused
        );
    }

    if !findings.is_empty() {
        let kept = dir.keep();
        let mut report = format!(
            "simulation seed {} (replay: MINICRM_SIM_SEED={} MINICRM_SIM_STEPS={}) \
             found {} problem(s){}:\n",
            run.seed,
            run.seed,
            run.steps,
            findings.list.len() + findings.omitted,
            if findings.omitted > 0 {
                format!(" ({} not shown)", findings.omitted)
            } else {
                String::new()
            },
        );
        for finding in &findings.list {
            report.push_str(&format!("  - {finding}\n"));
        }
        report.push_str(&format!(
            "database and server log kept in {}\nlast lines of the server log:\n{}",
            kept.display(),
            run.server.log_tail(20)
        ));
        panic!("{report}");
    }
}
