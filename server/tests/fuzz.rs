//! Fuzzing the real server: thousands of malformed requests to every route, from a seed.
//!
//! The seed is printed (on stderr, shown when the test fails); `MINICRM_FUZZ_SEED=<seed>`
//! replays a run and `MINICRM_FUZZ_CASES=<n>` changes how many requests are sent (default
//! 3000). The requests: truncated and deeply nested JSON, wrong types, huge numbers, NUL
//! bytes, invalid UTF-8 in bodies, path segments and query strings, duplicate keys, bad query
//! strings, wrong content types, missing or garbage `Authorization`, oversized bodies, and
//! valid-looking requests of every role mutated at random.
//!
//! Nothing sent may change stored data: every request is malformed, unauthenticated, or a
//! write made invalid on purpose after its other mutations (see [`poison`]): each change of
//! a push has a malformed HLC, id or entity; a user create or change has a role that does
//! not exist; a purge has an unknown key; a logout never carries a live token. Asserted:
//! never a 5xx; every `/api` error has the JSON error shape with a JSON content type; the
//! server still answers afterwards; every token still works; and a full pull as admin, the
//! users list, the history of every seeded row and the row counts of the stored tables are
//! what they were before.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::TestServer;
use common::sync::{hlc, id, now_ms};
use minicrm_core::Role;
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use reqwest::Method;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use serde_json::{Map, Value, json};

const DEFAULT_CASES: usize = 3000;
const MAX_CASES: usize = 200_000;
/// Lane 0 sends, one at a time, the requests that may run argon2 (login, setup); the other
/// lanes send the rest concurrently.
const LANES: usize = 4;
/// The whole run must finish within this (a stuck server fails the test, not the CI job).
const RUN_LIMIT: Duration = Duration::from_secs(300);
/// The server's body limit (PROTOCOL.md: 1 MiB).
const BODY_LIMIT: usize = 1024 * 1024;
/// Bodies above this go on a connection of their own: when the server answers without
/// reading such a body (401, 413, 415…), it closes the connection after the answer, and a
/// pooled client would send the next request into the closed connection.
const LARGE_BODY: usize = 1024;
/// Serialized in place of a JSON value, then replaced by a number too big for any type.
const HUGE_MARK: &str = "\u{1}HUGE\u{1}";
const HUGE_NUMBERS: &[&str] = &[
    "18446744073709551616",
    "-9223372036854775809",
    "123456789012345678901234567890123456789",
    "1e400",
    "-1e400",
    "1.0e-400",
    "0.00000000000000000000000000000000000000000000001",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousands_of_malformed_requests_never_get_a_5xx_and_change_nothing() {
    let seed = std::env::var("MINICRM_FUZZ_SEED")
        .ok()
        .map(|text| parse_seed(&text))
        .unwrap_or_else(rand::random);
    let cases: usize = std::env::var("MINICRM_FUZZ_CASES")
        .ok()
        .map(|text| text.trim().parse().expect("MINICRM_FUZZ_CASES is a count"))
        .unwrap_or(DEFAULT_CASES)
        .clamp(1, MAX_CASES);
    eprintln!("fuzz: seed {seed}, {cases} requests; replay with MINICRM_FUZZ_SEED={seed}");

    let server = TestServer::start().await;
    // A built app to serve, as in production (without one, `/` answers 503 on purpose).
    std::fs::write(
        server.dist.path().join("index.html"),
        "<!doctype html><title>miniCRM</title>",
    )
    .unwrap();
    let world = seed_world(&server).await;
    let before = snapshot(&server, &world).await;

    let mut rng = StdRng::seed_from_u64(seed);
    let cases: Vec<Case> = (0..cases)
        .map(|index| generate(&mut rng, &world, &server.base, index))
        .collect();
    let mut per_route: BTreeMap<&'static str, usize> = BTreeMap::new();
    for case in &cases {
        *per_route.entry(case.route.name()).or_default() += 1;
    }

    let fresh_client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .no_proxy()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let started = Instant::now();
    let cases = Arc::new(cases);
    let mut lanes = tokio::task::JoinSet::new();
    for lane in 0..LANES {
        let cases = Arc::clone(&cases);
        let client = server.client.clone();
        let fresh = fresh_client.clone();
        lanes.spawn(async move {
            let mut outcomes = Vec::new();
            let mut previous: Option<usize> = None;
            for case in cases.iter().filter(|case| case.lane() == lane) {
                if started.elapsed() > RUN_LIMIT {
                    outcomes.push((case.index, None, Err("the run's time limit passed".into())));
                    break;
                }
                // A large body the server refuses unread ends its connection (see `send`).
                let large = case
                    .body
                    .as_ref()
                    .is_some_and(|body| body.len() > LARGE_BODY);
                let (status, verdict) = send(if large { &fresh } else { &client }, case).await;
                // A connection's trouble may come from the request before on it.
                let verdict = verdict.map_err(|why| match (status, previous) {
                    (None, Some(before)) => format!(
                        "{why}\n         (the request before it on this lane: {})",
                        cases[before].describe()
                    ),
                    _ => why,
                });
                outcomes.push((case.index, status, verdict));
                previous = Some(case.index);
            }
            outcomes
        });
    }
    let mut statuses: BTreeMap<u16, usize> = BTreeMap::new();
    let mut failures: Vec<(usize, String)> = Vec::new();
    let mut answered = 0;
    while let Some(lane) = lanes.join_next().await {
        for (index, status, verdict) in lane.expect("a fuzz lane panicked") {
            if let Some(status) = status {
                answered += 1;
                *statuses.entry(status).or_default() += 1;
            }
            if let Err(why) = verdict {
                failures.push((index, why));
            }
        }
    }
    let elapsed = started.elapsed();
    eprintln!(
        "fuzz: {answered} answers in {:.1} s; statuses {statuses:?}; routes {per_route:?}",
        elapsed.as_secs_f64()
    );

    failures.sort_by_key(|(index, _)| *index);
    let mut problems = Vec::new();
    if !failures.is_empty() {
        let mut report = format!("{} of {} requests failed:\n", failures.len(), cases.len());
        // Up to 5 examples of each kind of failure.
        let mut kinds: BTreeMap<&str, Vec<(usize, &str)>> = BTreeMap::new();
        for (index, why) in &failures {
            let kind = why.split(':').next().unwrap_or_default();
            kinds.entry(kind).or_default().push((*index, why));
        }
        for (kind, examples) in kinds {
            report.push_str(&format!("{} × {kind}, e.g.:\n", examples.len()));
            for (index, why) in examples.iter().take(5) {
                report.push_str(&format!("  {}\n      -> {why}\n", cases[*index].describe()));
            }
        }
        problems.push(report);
    }

    // The server is still up and every session still works.
    match server.client.get(server.url("/api/health")).send().await {
        Ok(health) if health.status() == 200 => {
            let health: Value = health.json().await.unwrap_or_default();
            if health["status"] != "ok" {
                problems.push(format!("health after the run answers {health}"));
            }
        }
        Ok(health) => problems.push(format!("health after the run: {}", health.status())),
        Err(err) => problems.push(format!("health after the run: no answer: {err}")),
    }
    let mut sessions_work = true;
    for (role, token) in &world.tokens {
        let me = server.get("/api/me", token).await;
        let status = me.status();
        let me: Value = me.json().await.unwrap_or_default();
        if status != 200 || me["role"] != role.as_str() {
            problems.push(format!("the {role} token after the run: {status} {me}"));
            sessions_work = false;
        }
    }
    // Nothing stored changed.
    if sessions_work {
        let after = snapshot(&server, &world).await;
        if let Some(report) = differences(&before, &after) {
            problems.push(report);
        }
    } else {
        problems.push("stored data not compared: the run ended sessions".into());
    }

    // The run reached every route and every kind of refusal (else it tested little).
    if cases.len() >= 1000 {
        for route in Route::ALL {
            if per_route.get(route.name()).copied().unwrap_or(0) * 200 < cases.len() {
                problems.push(format!("route {} got too few requests", route.name()));
            }
        }
        for status in [200, 400, 401, 403, 404, 405, 413, 415, 422] {
            if !statuses.contains_key(&status) {
                problems.push(format!("no answer had the status {status}"));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "fuzz run with seed {seed} (replay with MINICRM_FUZZ_SEED={seed}):\n{}",
        problems.join("\n")
    );
}

fn parse_seed(text: &str) -> u64 {
    let text = text.trim();
    match text.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => text.parse(),
    }
    .expect("MINICRM_FUZZ_SEED is a u64 (decimal or 0x hex)")
}

// ---------------------------------------------------------------------------------------
// The world: users, tokens and rows made before the run.

struct World {
    /// A live token of each role (admin first).
    tokens: Vec<(Role, String)>,
    /// A token that was logged out.
    revoked: String,
    emails: Vec<String>,
    user_ids: Vec<String>,
    /// Every seeded row (entity, id).
    rows: Vec<(&'static str, String)>,
    /// A contact in the trash (what a purge would remove).
    trashed: String,
}

impl World {
    fn admin(&self) -> &str {
        &self.tokens[0].1
    }
}

async fn seed_world(server: &TestServer) -> World {
    // One user of each role, in the order of `Role::ALL`.
    let team = server.one_of_each_role().await;
    let [admin, _, agent, _] = team.each_ref().map(|(_, token)| token.clone());
    let [_, _, agent_id, restricted_id] = team.each_ref().map(|(user, _)| user.id.to_string());
    let revoked = server.login("agent@example.com").await;
    assert_eq!(server.logout(&revoked).await.status(), 204);

    let (c1, c2, c3, c4) = (id(1), id(2), id(3), id(4));
    let (segment, task, activity, view) = (id(10), id(11), id(12), id(13));
    let wall = now_ms() - 10_000;
    let mut changes = Vec::new();
    let mut put = |entity: &str, id: &str, field: &str, value: Value| {
        let seq = changes.len() as u64 + 1;
        changes.push(
            json!({"seq": seq, "entity": entity, "id": id, "field": field,
            "value": value, "hlc": hlc(wall, u16::try_from(seq).unwrap(), "fuzz-seed")}),
        );
    };
    put("segment", &segment, "name", json!("VIP"));
    put("contact", &c1, "kind", json!("person"));
    put("contact", &c1, "first_name", json!("Ada"));
    put("contact", &c1, "last_name", json!("Lovelace"));
    put("contact", &c1, "city", json!("Kraków"));
    put("contact", &c1, "emails", json!(["ada@example.com"]));
    put(
        "contact",
        &c1,
        "phones",
        json!([{"type": "mobile", "number": "+48600100200"}]),
    );
    put("contact", &c1, &format!("segment:{segment}"), json!(true));
    put("contact", &c1, "owner_id", json!(restricted_id));
    put("contact", &c2, "kind", json!("company"));
    put("contact", &c2, "company", json!("ACME sp. z o.o."));
    put("contact", &c2, "owner_id", json!(agent_id));
    put("contact", &c3, "kind", json!("person"));
    put("contact", &c3, "first_name", json!("Nobody's"));
    put("contact", &c3, "owner_id", Value::Null);
    put("contact", &c4, "kind", json!("person"));
    put("contact", &c4, "first_name", json!("Trashed"));
    put("contact", &c4, "deleted", json!(true));
    put("task", &task, "record_id", json!(c1));
    put("task", &task, "title", json!("Call Ada"));
    put("task", &task, "due", json!("2026-12-01T09:00:00+01:00"));
    put("task", &task, "assignee_id", json!(restricted_id));
    put("task", &task, "done", json!(false));
    put("activity", &activity, "record_id", json!(c2));
    put("activity", &activity, "kind", json!("note"));
    put(
        "activity",
        &activity,
        "at",
        json!("2026-11-20T10:00:00+01:00"),
    );
    put("activity", &activity, "user_id", json!(agent_id));
    put("activity", &activity, "text", json!("Met at the fair"));
    server.push_clean(&admin, "fuzz-seed", changes).await;
    // A private view of the agent's, written by its owner.
    server.push_clean(
        &agent,
        "fuzz-agent",
        vec![
            json!({"seq": 1, "entity": "view", "id": view, "field": "name", "value": "Mine",
                "hlc": hlc(wall, 1, "fuzz-agent")}),
            json!({"seq": 2, "entity": "view", "id": view, "field": "owner_id", "value": agent_id,
                "hlc": hlc(wall, 2, "fuzz-agent")}),
            json!({"seq": 3, "entity": "view", "id": view, "field": "shared", "value": false,
                "hlc": hlc(wall, 3, "fuzz-agent")}),
        ],
    )
    .await;
    // History with a later winning write and one that lost.
    server.push_clean(
        &admin,
        "fuzz-seed",
        vec![
            json!({"seq": 100, "entity": "contact", "id": c1, "field": "city", "value": "Warszawa",
                "hlc": hlc(wall + 5_000, 0, "fuzz-seed")}),
            json!({"seq": 101, "entity": "contact", "id": c1, "field": "city", "value": "Gdańsk",
                "hlc": hlc(wall - 5_000, 0, "fuzz-late")}),
        ],
    )
    .await;

    World {
        tokens: team
            .iter()
            .map(|(user, token)| (user.role, token.clone()))
            .collect(),
        revoked,
        emails: team.iter().map(|(user, _)| user.email.clone()).collect(),
        user_ids: team.iter().map(|(user, _)| user.id.to_string()).collect(),
        rows: vec![
            ("contact", c1),
            ("contact", c2),
            ("contact", c3),
            ("contact", c4.clone()),
            ("segment", segment),
            ("task", task),
            ("activity", activity),
            ("view", view),
        ],
        trashed: c4,
    }
}

/// What must not change: a full pull as admin (without the reply's `server_hlc`), the users
/// list, the history of every seeded row, and the row counts of the stored tables.
async fn snapshot(server: &TestServer, world: &World) -> Value {
    let admin = world.admin();
    let mut rows = Vec::new();
    let mut cursor = 0;
    let mut pulls = Map::new();
    for (role, token) in &world.tokens {
        let (role_rows, role_cursor) = server.pull_rows(token, 0, 1000).await;
        if *role == Role::Admin {
            rows = role_rows.clone();
            cursor = role_cursor;
        }
        pulls.insert(role.as_str().to_owned(), json!(role_rows));
    }
    let users = server.get_json("/api/users", admin).await;
    let mut histories = Map::new();
    for (entity, id) in &world.rows {
        // The agent's private view is seen by the agent alone.
        let reader = if *entity == "view" {
            &world.tokens[2].1
        } else {
            admin
        };
        let response = server.history_page(reader, entity, id, "").await;
        assert_eq!(response.status(), 200, "history of {entity} {id}");
        histories.insert(format!("{entity}/{id}"), response.json().await.unwrap());
    }
    let tables = server
        .state
        .db
        .read(|conn| {
            let mut counts = Map::new();
            for table in ["users", "changelog", "rows", "fields", "history"] {
                let count: i64 = conn
                    .query_row(&format!("SELECT count(*) FROM {table}"), [], |row| {
                        row.get(0)
                    })
                    .map_err(minicrm_server::db::DbError::from)?;
                counts.insert(table.to_owned(), json!(count));
            }
            Ok::<_, minicrm_server::db::DbError>(counts)
        })
        .await
        .unwrap();
    assert!(
        rows.len() >= world.rows.len(),
        "the seeded rows are in the pull"
    );
    json!({"rows": rows, "cursor": cursor, "pulls": pulls, "users": users,
        "history": histories, "tables": tables})
}

fn cut(text: &str) -> String {
    match text.char_indices().nth(400) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

/// What changed between two snapshots, if anything.
fn differences(before: &Value, after: &Value) -> Option<String> {
    if before == after {
        return None;
    }
    let mut report = "stored data changed during the run:\n".to_owned();
    for key in ["cursor", "pulls", "users", "history", "tables"] {
        if before[key] != after[key] {
            report.push_str(&format!(
                "  {key}: before {} after {}\n",
                cut(&before[key].to_string()),
                cut(&after[key].to_string())
            ));
        }
    }
    let empty = Vec::new();
    let rows = |snapshot: &Value| -> BTreeMap<String, Value> {
        snapshot["rows"]
            .as_array()
            .unwrap_or(&empty)
            .iter()
            .map(|row| (format!("{}/{}", row["entity"], row["id"]), row.clone()))
            .collect()
    };
    let (old, new) = (rows(before), rows(after));
    for (key, row) in &new {
        match old.get(key) {
            None => report.push_str(&format!("  new row {}\n", cut(&row.to_string()))),
            Some(was) if was != row => report.push_str(&format!(
                "  row changed: before {} after {}\n",
                cut(&was.to_string()),
                cut(&row.to_string())
            )),
            Some(_) => {}
        }
    }
    for key in old.keys().filter(|key| !new.contains_key(*key)) {
        report.push_str(&format!("  row gone: {key}\n"));
    }
    Some(report)
}

// ---------------------------------------------------------------------------------------
// Cases.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Route {
    Health,
    OpenApi,
    Login,
    Logout,
    Me,
    SetupStatus,
    SetupCreate,
    UsersList,
    UsersCreate,
    UsersUpdate,
    Push,
    Pull,
    History,
    Purge,
    Reports,
    UnknownApi,
    Static,
}

impl Route {
    const ALL: [Route; 17] = [
        Route::Health,
        Route::OpenApi,
        Route::Login,
        Route::Logout,
        Route::Me,
        Route::SetupStatus,
        Route::SetupCreate,
        Route::UsersList,
        Route::UsersCreate,
        Route::UsersUpdate,
        Route::Push,
        Route::Pull,
        Route::History,
        Route::Purge,
        Route::Reports,
        Route::UnknownApi,
        Route::Static,
    ];

    /// How often each route is chosen, out of the sum.
    fn weight(self) -> u32 {
        match self {
            Route::Push => 20,
            Route::History => 10,
            Route::Pull | Route::Login | Route::UsersUpdate => 8,
            Route::UsersCreate | Route::Purge | Route::Reports | Route::UnknownApi => 6,
            Route::Static => 5,
            Route::Logout | Route::Me | Route::SetupCreate => 4,
            Route::Health | Route::UsersList | Route::SetupStatus | Route::OpenApi => 3,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Route::Health => "GET /api/health",
            Route::OpenApi => "GET /api/openapi.json",
            Route::Login => "POST /api/auth/login",
            Route::Logout => "POST /api/auth/logout",
            Route::Me => "GET /api/me",
            Route::SetupStatus => "GET /api/setup",
            Route::SetupCreate => "POST /api/setup",
            Route::UsersList => "GET /api/users",
            Route::UsersCreate => "POST /api/users",
            Route::UsersUpdate => "PATCH /api/users/{id}",
            Route::Push => "POST /api/sync/push",
            Route::Pull => "GET /api/sync/pull",
            Route::History => "GET /api/history/{entity}/{id}",
            Route::Purge => "POST /api/trash/purge",
            Route::Reports => "GET /api/reports/changes",
            Route::UnknownApi => "unknown /api route",
            Route::Static => "static files",
        }
    }

    fn method(self) -> Method {
        match self {
            Route::Login
            | Route::Logout
            | Route::SetupCreate
            | Route::UsersCreate
            | Route::Push
            | Route::Purge => Method::POST,
            Route::UsersUpdate => Method::PATCH,
            _ => Method::GET,
        }
    }

    /// Routes that write when called with a live token: their bodies are poisoned.
    fn writes(self) -> bool {
        matches!(
            self,
            Route::UsersCreate | Route::UsersUpdate | Route::Push | Route::Purge
        )
    }
}

struct Case {
    index: usize,
    route: Route,
    method: Method,
    url: reqwest::Url,
    api: bool,
    auth: Option<Vec<u8>>,
    auth_desc: String,
    content_type: Option<Vec<u8>>,
    body: Option<Vec<u8>>,
}

impl Case {
    fn lane(&self) -> usize {
        if matches!(self.route, Route::Login | Route::SetupCreate) {
            0
        } else {
            1 + self.index % (LANES - 1)
        }
    }

    fn describe(&self) -> String {
        let body = match &self.body {
            None => "none".to_owned(),
            Some(bytes) => {
                let shown = &bytes[..bytes.len().min(200)];
                format!(
                    "{} bytes {:?}{}",
                    bytes.len(),
                    String::from_utf8_lossy(shown),
                    if bytes.len() > shown.len() { "…" } else { "" }
                )
            }
        };
        let content_type = self
            .content_type
            .as_ref()
            .map(|bytes| format!("{:?}", String::from_utf8_lossy(bytes)));
        let url = self.url.as_str();
        let url = match url.char_indices().nth(160) {
            Some((cut, _)) => format!("{}… ({} bytes)", &url[..cut], url.len()),
            None => url.to_owned(),
        };
        format!(
            "#{} [{}] {} {url} auth={} content-type={} body={body}",
            self.index,
            self.route.name(),
            self.method,
            self.auth_desc,
            content_type.as_deref().unwrap_or("none"),
        )
    }
}

fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
    items.choose(rng).expect("a non-empty list")
}

fn generate(rng: &mut StdRng, world: &World, base: &str, index: usize) -> Case {
    let total: u32 = Route::ALL.iter().map(|route| route.weight()).sum();
    let mut roll = rng.random_range(0..total);
    let mut route = Route::Health;
    for candidate in Route::ALL {
        if roll < candidate.weight() {
            route = candidate;
            break;
        }
        roll -= candidate.weight();
    }
    let method = if rng.random_bool(0.85) {
        route.method()
    } else {
        pick(
            rng,
            &[
                Method::GET,
                Method::POST,
                Method::PUT,
                Method::PATCH,
                Method::DELETE,
                Method::HEAD,
                Method::OPTIONS,
                Method::from_bytes(b"FUZZ").unwrap(),
            ],
        )
        .clone()
    };
    // A logout never carries a live token (it would end a session the run needs).
    let (auth, auth_desc, live) = authorization(rng, world, route != Route::Logout);
    let path = path_for(rng, world, route);
    let url = reqwest::Url::parse(&format!("{base}{path}"))
        .unwrap_or_else(|err| panic!("case {index}: bad URL {path:?}: {err}"));
    let api = url.path() == "/api" || url.path().starts_with("/api/");
    // With a live token a write route's body must fail whatever else happens to it.
    let guarded = live && route.writes();
    let has_body =
        matches!(method, Method::POST | Method::PATCH | Method::PUT) || rng.random_bool(0.1);
    let body = has_body.then(|| body_for(rng, world, route, guarded));
    let content_type = if body.is_some() || rng.random_bool(0.1) {
        content_type(rng)
    } else {
        None
    };
    Case {
        index,
        route,
        method,
        url,
        api,
        auth,
        auth_desc,
        content_type,
        body,
    }
}

/// `Authorization`: (header bytes, what it is, whether it is a live token).
fn authorization(
    rng: &mut StdRng,
    world: &World,
    allow_live: bool,
) -> (Option<Vec<u8>>, String, bool) {
    let (role, token) = pick(rng, &world.tokens);
    let roll = rng.random_range(0..100);
    if allow_live && roll < 60 {
        let header = match rng.random_range(0..8) {
            0 => format!("bearer {token}"),
            1 => format!("BEARER   {token}  "),
            _ => format!("Bearer {token}"),
        };
        return (Some(header.into_bytes()), format!("live {role}"), true);
    }
    if roll < 72 {
        return (None, "none".into(), false);
    }
    let mut mutated = token.clone().into_bytes();
    let at = rng.random_range(0..mutated.len());
    mutated[at] = if mutated[at] == b'A' { b'B' } else { b'A' };
    let garbage: Vec<(&str, Vec<u8>)> = vec![
        ("empty", Vec::new()),
        ("scheme only", b"Bearer".to_vec()),
        ("scheme and space", b"Bearer ".to_vec()),
        ("revoked", format!("Bearer {}", world.revoked).into_bytes()),
        ("token + x", format!("Bearer {token}x").into_bytes()),
        (
            "token cut",
            format!("Bearer {}", &token[..token.len() - 1]).into_bytes(),
        ),
        ("token changed", [b"Bearer ".as_slice(), &mutated].concat()),
        ("basic", b"Basic YWRtaW46YWRtaW4=".to_vec()),
        ("other scheme", b"Token 0123456789abcdef".to_vec()),
        ("garbage", b"Bearer garbage".to_vec()),
        (
            "two tokens",
            format!("Bearer {}x {}x", token, token).into_bytes(),
        ),
        ("invalid UTF-8", b"Bearer \xff\xfe\x80\xc3".to_vec()),
        (
            "8 KiB token",
            format!("Bearer {}", "a".repeat(8192)).into_bytes(),
        ),
        ("quotes", b"Bearer \"\"".to_vec()),
    ];
    let (desc, bytes) = pick(rng, &garbage);
    (Some(bytes.clone()), (*desc).to_owned(), false)
}

fn content_type(rng: &mut StdRng) -> Option<Vec<u8>> {
    if rng.random_bool(0.7) {
        return Some(b"application/json".to_vec());
    }
    let options: &[Option<&[u8]>] = &[
        None,
        Some(b"application/json; charset=utf-8"),
        Some(b"APPLICATION/JSON"),
        Some(b"application/merge-patch+json"),
        Some(b"text/plain"),
        Some(b"application/x-www-form-urlencoded"),
        Some(b"multipart/form-data; boundary=x"),
        Some(b"application/jsonx"),
        Some(b"json"),
        Some(b""),
        Some(b"application/json\xff"),
        Some(b";;;"),
    ];
    pick(rng, options).map(<[u8]>::to_vec)
}

/// Path segments that are malformed: invalid UTF-8, NUL, encoded slashes, dots, stray `%`.
const BAD_SEGMENTS: &[&str] = &[
    "%ff",
    "%fe%ff",
    "%c3",
    "%c3%28",
    "%ed%a0%80",
    "%c0%af",
    "%f4%90%80%80",
    "%00",
    "a%00b",
    "%2f",
    "%25",
    "%zz",
    "%",
    "%2e%2e",
    "%20",
    "+",
    "%e2%80%ae",
    "ł",
    "CONTACT",
    "null",
    "-1",
    "0193",
];

fn segment(rng: &mut StdRng, good: &[String]) -> String {
    match rng.random_range(0..10) {
        0..=3 if !good.is_empty() => pick(rng, good).clone(),
        4 => "x".repeat(rng.random_range(100..4000)),
        5 => uuid::Uuid::from_u128(rng.random()).to_string(),
        6 => uuid::Uuid::from_u128(rng.random())
            .to_string()
            .to_uppercase(),
        _ => (*pick(rng, BAD_SEGMENTS)).to_owned(),
    }
}

fn query(rng: &mut StdRng) -> String {
    if rng.random_bool(0.4) {
        return String::new();
    }
    const PIECES: &[&str] = &[
        "cursor=0",
        "cursor=1",
        "cursor=-1",
        "cursor=abc",
        "cursor=%ff",
        "cursor=%00",
        "cursor=1e3",
        "cursor=1.5",
        "cursor=18446744073709551616",
        "cursor=99999999999999999999999999",
        "cursor=%2b1",
        "cursor=+1",
        "cursor[]=1",
        "cursor",
        "limit=0",
        "limit=1",
        "limit=5001",
        "limit=-5",
        "limit=",
        "limit=%ff%fe",
        "limit=1&limit=2",
        "before=1763800000000-0000-x",
        "before=%ff",
        "=",
        "&",
        "%zz",
        "%",
        "a=%c3",
        "\u{142}=\u{142}",
    ];
    let mut pieces: Vec<String> = (0..rng.random_range(1..4))
        .map(|_| (*pick(rng, PIECES)).to_owned())
        .collect();
    if rng.random_bool(0.05) {
        pieces.push(format!("x={}", "y".repeat(rng.random_range(1000..20_000))));
    }
    format!("?{}", pieces.join("&"))
}

fn path_for(rng: &mut StdRng, world: &World, route: Route) -> String {
    let fixed = match route {
        Route::Health => Some("/api/health"),
        Route::OpenApi => Some("/api/openapi.json"),
        Route::Login => Some("/api/auth/login"),
        Route::Logout => Some("/api/auth/logout"),
        Route::Me => Some("/api/me"),
        Route::SetupStatus | Route::SetupCreate => Some("/api/setup"),
        Route::UsersList | Route::UsersCreate => Some("/api/users"),
        Route::Push => Some("/api/sync/push"),
        Route::Pull => Some("/api/sync/pull"),
        Route::Purge => Some("/api/trash/purge"),
        Route::Reports => Some("/api/reports/changes"),
        _ => None,
    };
    let path = match (route, fixed) {
        (_, Some(path)) => match rng.random_range(0..20) {
            0 => format!("{path}/"),
            1 => path.replacen("/api/", "/api//", 1),
            2 => format!("{path}/{}", segment(rng, &[])),
            3 => path.to_uppercase(),
            _ => path.to_owned(),
        },
        (Route::UsersUpdate, _) => format!("/api/users/{}", segment(rng, &world.user_ids)),
        (Route::History, _) => {
            let (entity, id) = pick(rng, &world.rows);
            let entities: Vec<String> = ["contact", "task", "view", "user", entity]
                .iter()
                .map(|text| (*text).to_owned())
                .collect();
            let entity = if rng.random_bool(0.7) {
                (*entity).to_owned()
            } else {
                segment(rng, &entities)
            };
            let id = if rng.random_bool(0.5) {
                id.clone()
            } else {
                segment(rng, std::slice::from_ref(id))
            };
            match rng.random_range(0..12) {
                0 => format!("/api/history/{entity}"),
                1 => format!("/api/history/{entity}/{id}/{}", segment(rng, &[])),
                _ => format!("/api/history/{entity}/{id}"),
            }
        }
        (Route::UnknownApi, _) => {
            let segments: Vec<String> = (0..rng.random_range(0..4))
                .map(|_| segment(rng, &["sync".into(), "users".into(), "auth".into()]))
                .collect();
            format!("/api/{}", segments.join("/"))
        }
        _ => {
            let segments: Vec<String> = (0..rng.random_range(0..3))
                .map(|_| segment(rng, &[".env".into(), "index.html".into(), "app.js".into()]))
                .collect();
            format!("/{}", segments.join("/"))
        }
    };
    let query = match route {
        Route::Reports if rng.random_bool(0.8) => reports_query(rng, world),
        _ => query(rng),
    };
    format!("{path}{query}")
}

/// A query of `GET /api/reports/changes`: day bounds good and bad (too few, too many, not
/// increasing, not numbers, out of range), user ids of the team, of nobody and malformed.
fn reports_query(rng: &mut StdRng, world: &World) -> String {
    const DAY: i64 = 86_400_000;
    let start = i64::try_from(now_ms()).unwrap() - 3 * DAY;
    let days = |count: i64| -> String {
        (0..=count)
            .map(|day| (start + day * DAY).to_string())
            .collect::<Vec<_>>()
            .join(",")
    };
    let bounds = match rng.random_range(0..16) {
        0 => String::new(),
        1 => start.to_string(),
        2 => format!("{start},{start}"),
        3 => format!("{},{start}", start + DAY),
        4 => days(731),
        5 => days(732),
        // Far too many, yet a URL the client can send (under 64 KiB).
        6 => days(rng.random_range(733..3000)),
        7 => format!("{start},x"),
        8 => format!("{start},%ff"),
        9 => format!("{start}.5,{}", start + DAY),
        10 => format!("{},{}", i64::MIN, i64::MAX),
        11 => format!("{start},99999999999999999999"),
        12 => ",,".to_owned(),
        13 => format!("{start},,{}", start + DAY),
        14 => format!("-{DAY},0,{DAY}"),
        _ => days(rng.random_range(1..40)),
    };
    let mut pieces = Vec::new();
    if rng.random_bool(0.9) {
        pieces.push(format!("bounds={bounds}"));
    }
    if rng.random_bool(0.05) {
        pieces.push(format!("bounds={}", days(1)));
    }
    if rng.random_bool(0.5) {
        let user = match rng.random_range(0..4) {
            0 => String::new(),
            _ => segment(rng, &world.user_ids),
        };
        pieces.push(format!("user_id={user}"));
    }
    if rng.random_bool(0.1) {
        pieces.push((*pick(rng, &["cursor=1", "limit=5", "=", "&", "%zz", "a=%c3"])).to_owned());
    }
    if pieces.is_empty() {
        String::new()
    } else {
        format!("?{}", pieces.join("&"))
    }
}

// ---------------------------------------------------------------------------------------
// Bodies.

/// Short strings: fewer than 20 characters, so never an HLC nor the test password.
const JUNK_STRINGS: &[&str] = &[
    "",
    " ",
    "x",
    "null",
    "true",
    "0",
    "-1",
    "1e999",
    "\0",
    "a\0b",
    "\u{fffd}",
    "\u{202e}rtl",
    "😀",
    "łódź",
    "<script>",
    "' OR 1=1 --",
    "%ff",
    "../..",
    "\\",
    "\"",
    "\u{1}\u{7f}",
    "admin",
    "contact",
    "ADMIN@EXAMPLE.COM",
    "@",
    "a@b",
];

/// Object keys of every sort, the protocol's own among them.
const JUNK_KEYS: &[&str] = &[
    "",
    "\0",
    "__proto__",
    "constructor",
    "seq",
    "hlc",
    "value",
    "role",
    "ids",
    "all",
    "a b",
];

/// One of [`JUNK_STRINGS`] or a long run of one character.
fn junk_string(rng: &mut StdRng) -> String {
    match rng.random_range(0..12) {
        0 => "x".repeat(rng.random_range(1000..70_000)),
        1 => "ż".repeat(rng.random_range(20..2000)),
        _ => (*pick(rng, JUNK_STRINGS)).to_owned(),
    }
}

/// One of [`JUNK_KEYS`] or a long run of one character.
fn junk_key(rng: &mut StdRng) -> String {
    if rng.random_bool(0.1) {
        "k".repeat(rng.random_range(100..5000))
    } else {
        (*pick(rng, JUNK_KEYS)).to_owned()
    }
}

fn nested(depth: usize) -> Value {
    let mut value = json!(0);
    for _ in 0..depth {
        value = json!([value]);
    }
    value
}

fn junk_value(rng: &mut StdRng, depth: usize) -> Value {
    match rng.random_range(0..14) {
        0 => Value::Null,
        1 => json!(rng.random_bool(0.5)),
        2 => json!(u64::MAX),
        3 => json!(i64::MIN),
        4 => json!(1.5e308),
        5 => json!(-0.0),
        6 => json!(0),
        7 => json!(HUGE_MARK),
        8 if depth < 3 => Value::Array(
            (0..rng.random_range(0..4))
                .map(|_| junk_value(rng, depth + 1))
                .collect(),
        ),
        9 if depth < 3 => Value::Object(
            (0..rng.random_range(0..4))
                .map(|_| (junk_key(rng), junk_value(rng, depth + 1)))
                .collect(),
        ),
        10 => nested(*pick(rng, &[2, 100, 127, 129, 200])),
        _ => json!(junk_string(rng)),
    }
}

/// JSON pointers of every node of `value`.
fn pointers(value: &Value, at: String, out: &mut Vec<String>) {
    if out.len() > 200 {
        return;
    }
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let key = key.replace('~', "~0").replace('/', "~1");
                pointers(child, format!("{at}/{key}"), out);
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                pointers(child, format!("{at}/{index}"), out);
            }
        }
        _ => {}
    }
    out.push(at);
}

/// One random structural change: a node replaced by junk, a key removed or added, a node
/// buried in deep nesting, a string made hostile.
fn mutate_value(rng: &mut StdRng, value: &mut Value) {
    let mut all = Vec::new();
    pointers(value, String::new(), &mut all);
    let pointer = pick(rng, &all).clone();
    let Some(node) = value.pointer_mut(&pointer) else {
        return;
    };
    match rng.random_range(0..6) {
        0 | 1 => *node = junk_value(rng, 0),
        2 => {
            if let Value::Object(map) = node
                && let Some(key) = map
                    .keys()
                    .nth(rng.random_range(0..map.len().max(1)))
                    .cloned()
            {
                map.remove(&key);
            }
        }
        3 => {
            if let Value::Object(map) = node {
                map.insert(junk_key(rng), junk_value(rng, 0));
            } else {
                *node = junk_value(rng, 0);
            }
        }
        4 => {
            let inner = node.take();
            let mut wrapped = inner;
            for _ in 0..*pick(rng, &[1, 5, 127, 130, 200]) {
                wrapped = json!([wrapped]);
            }
            *node = wrapped;
        }
        _ => {
            if let Value::String(text) = node {
                let hostile = ["\0", "\u{fffd}", "\u{202e}", "😀", "\u{1}"];
                text.insert_str(0, pick::<&str>(rng, &hostile));
            } else {
                *node = json!(junk_string(rng));
            }
        }
    }
}

fn a_push(rng: &mut StdRng, world: &World) -> Value {
    let fields: &[(&str, &str, Value)] = &[
        ("contact", "city", json!("Poznań")),
        ("contact", "first_name", json!("Eve")),
        ("contact", "owner_id", json!(world.user_ids[2])),
        ("contact", "owner_id", Value::Null),
        ("contact", "deleted", json!(false)),
        ("contact", "emails", json!(["eve@example.com"])),
        ("contact", "custom.size", json!({"n": 5})),
        ("task", "done", json!(true)),
        ("task", "title", json!("Call back")),
        ("view", "shared", json!(true)),
        ("segment", "name", json!("Renamed")),
        ("user", "name", json!("Mallory")),
        ("activity", "text", json!("Edited")),
    ];
    let client = format!("fuzz-{}", rng.random_range(0..1000u32));
    let wall = now_ms();
    let changes: Vec<Value> = (0..rng.random_range(1..6))
        .map(|n| {
            let (entity, field, value) = pick(rng, fields);
            let id = world
                .rows
                .iter()
                .filter(|(kind, _)| kind == entity)
                .map(|(_, id)| id.clone())
                .next()
                .unwrap_or_else(|| uuid::Uuid::from_u128(rng.random()).to_string());
            json!({"seq": rng.random_range(1..1_000_000u64) + n, "entity": entity, "id": id,
                "field": field, "value": value, "hlc": hlc(wall + 1_000_000, 0, &client)})
        })
        .collect();
    json!({"client_id": client, "changes": changes})
}

fn template(rng: &mut StdRng, world: &World, route: Route) -> Value {
    match route {
        Route::Login => {
            let email = match rng.random_range(0..20) {
                0 => format!("{}@example.com", "a".repeat(1_000_000)),
                1..=4 => junk_string(rng),
                _ => pick(rng, &world.emails).clone(),
            };
            json!({"email": email, "password": junk_string(rng)})
        }
        Route::SetupCreate => json!({"token": junk_string(rng), "email": "eve@example.com",
            "name": "Eve", "password": "long enough password"}),
        Route::UsersCreate => {
            json!({"email": format!("new{}@example.com", rng.random_range(0..100u32)),
            "name": "New user", "role": "agent", "password": "long enough password"})
        }
        Route::UsersUpdate => {
            let mut map = Map::new();
            for (key, value) in [
                ("name", json!("Renamed")),
                ("role", json!("manager")),
                ("password", json!("another long password")),
                ("active", json!(false)),
            ] {
                if rng.random_bool(0.5) {
                    map.insert(key.to_owned(), value);
                }
            }
            Value::Object(map)
        }
        Route::Push => a_push(rng, world),
        Route::Purge => {
            if rng.random_bool(0.5) {
                json!({"all": true})
            } else {
                json!({"ids": [world.trashed]})
            }
        }
        _ => junk_value(rng, 0),
    }
}

/// Makes a write that a live token may make certain to fail, whatever else was done to it.
/// Applied after the structural mutations; the byte-level mutations that follow only ever
/// break a body further (they never turn an invalid value into a valid one).
fn poison(rng: &mut StdRng, route: Route, value: &mut Value) {
    let Value::Object(map) = value else {
        // Not an object: every write route refuses the body whole.
        return;
    };
    match route {
        Route::UsersCreate | Route::UsersUpdate => {
            // No such role: the body does not deserialize (duplicate keys do not either).
            let roles = [
                json!("root"),
                json!("ADMIN"),
                json!(""),
                json!(1),
                json!(["admin"]),
                json!({"admin": true}),
            ];
            map.insert("role".into(), pick(rng, &roles).clone());
        }
        Route::Purge => {
            // The purge request denies unknown fields.
            map.insert("fuzz_unknown".into(), junk_value(rng, 0));
        }
        Route::Push => {
            // Every change is rejected on its own (or the whole request is refused).
            if let Some(Value::Array(changes)) = map.get_mut("changes") {
                for change in changes {
                    poison_change(rng, change);
                }
            }
            if rng.random_bool(0.2) {
                let bad_clients = [
                    json!("UPPER"),
                    json!(""),
                    json!("a b"),
                    json!(7),
                    Value::Null,
                ];
                map.insert("client_id".into(), pick(rng, &bad_clients).clone());
            }
        }
        _ => {}
    }
}

fn poison_change(rng: &mut StdRng, change: &mut Value) {
    let Value::Object(change) = change else {
        return; // not an object: the whole push is refused
    };
    const BAD_HLCS: &[&str] = &[
        "",
        "hlc",
        "1763800000000-0000-",
        "1763800000000-0000-Dev",
        "1763800000000-00g0-dev",
        "1763800000000_0000_dev",
        "176380000000x-0000-dev",
        "1763800000000-0000-dev dev",
        "1763800000000-0000-dév",
    ];
    match rng.random_range(0..5) {
        0 => {
            change.insert("hlc".into(), json!(*pick(rng, BAD_HLCS)));
        }
        1 => {
            let not_strings = [
                json!(1_763_800_000_000u64),
                Value::Null,
                json!([]),
                json!({}),
            ];
            change.insert("hlc".into(), pick(rng, &not_strings).clone());
        }
        2 => {
            change.remove("hlc");
        }
        3 => {
            let entities = ["contactz", "", "zzz", "contact\0", "Contact", "rows"];
            change.insert("entity".into(), json!(*pick(rng, &entities)));
        }
        _ => {
            let id = uuid::Uuid::from_u128(rng.random()).to_string();
            let ids = [
                "not-a-uuid".to_owned(),
                id.to_uppercase(),
                format!("{id}x"),
                String::new(),
                format!("{}\0", &id[..35]),
            ];
            change.insert("id".into(), json!(pick(rng, &ids)));
        }
    }
}

/// Whole bodies that are no JSON object at all ("{}" is left out: it is a valid change of
/// nothing for `PATCH /api/users/{id}`).
fn raw_body(rng: &mut StdRng) -> Vec<u8> {
    match rng.random_range(0..16) {
        0 => Vec::new(),
        1 => (0..rng.random_range(1..200))
            .map(|_| rng.random::<u8>())
            .collect(),
        2 => "[".repeat(rng.random_range(200..100_000)).into_bytes(),
        3 => "{\"a\":".repeat(rng.random_range(200..20_000)).into_bytes(),
        4 => format!("{}0{}", "[".repeat(129), "]".repeat(129)).into_bytes(),
        5 => b"null".to_vec(),
        6 => b"[]".to_vec(),
        7 => b"\"just a string\"".to_vec(),
        8 => b"1e999999".to_vec(),
        9 => b"{".to_vec(),
        10 => b"}".to_vec(),
        11 => b"\xef\xbb\xbf{\"email\":\"a@b.pl\",\"password\":\"x\"}".to_vec(),
        12 => "{\"email\":\"a@b.pl\"}"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect(),
        13 => b"{} trailing".to_vec(),
        14 => b"{}{}".to_vec(),
        _ => b"email=a%40b.pl&password=x".to_vec(),
    }
}

fn body_for(rng: &mut StdRng, world: &World, route: Route, guarded: bool) -> Vec<u8> {
    if rng.random_bool(0.12) {
        return raw_body(rng);
    }
    let mut value = template(rng, world, route);
    for _ in 0..rng.random_range(0..4) {
        mutate_value(rng, &mut value);
    }
    if guarded {
        poison(rng, route, &mut value);
    }
    let keys: Vec<String> = value
        .as_object()
        .map(|map| map.keys().cloned().collect())
        .unwrap_or_default();
    let text = serde_json::to_string(&value).unwrap();
    let mut text = text.replace(
        &serde_json::to_string(HUGE_MARK).unwrap(),
        pick::<&str>(rng, HUGE_NUMBERS),
    );
    // Duplicate keys: a junk value before or after the key's real one.
    if !keys.is_empty() && text.starts_with('{') && rng.random_bool(0.15) {
        let key = serde_json::to_string(pick(rng, &keys)).unwrap();
        let junk = serde_json::to_string(&junk_value(rng, 0)).unwrap();
        let junk = junk.replace(&serde_json::to_string(HUGE_MARK).unwrap(), "1e400");
        if rng.random_bool(0.5) {
            text.insert_str(1, &format!("{key}:{junk},"));
        } else {
            text.insert_str(text.len() - 1, &format!(",{key}:{junk}"));
        }
    }
    let mut bytes = text.into_bytes();
    match rng.random_range(0..20) {
        // Truncated: a strict prefix of a JSON text is never JSON.
        0 | 1 if bytes.len() > 1 => bytes.truncate(rng.random_range(1..bytes.len())),
        // A raw NUL byte: JSON allows none, in strings or out.
        2 => bytes.insert(rng.random_range(0..=bytes.len()), 0),
        // Invalid UTF-8.
        3 => {
            let bad: &[&[u8]] = &[b"\xff", b"\xc3", b"\x80", b"\xed\xa0\x80", b"\xc0\xaf"];
            let at = rng.random_range(0..=bytes.len());
            bytes.splice(at..at, pick(rng, bad).iter().copied());
        }
        // Over the body limit (padded with whitespace, so the JSON itself stays valid).
        4 if rng.random_bool(0.5) => {
            let target = BODY_LIMIT + rng.random_range(1..4096);
            bytes.resize(bytes.len().max(target), b' ');
        }
        // Flipped bytes: only where no write is possible.
        5 | 6 if !guarded && !bytes.is_empty() => {
            for _ in 0..rng.random_range(1..4) {
                let at = rng.random_range(0..bytes.len());
                bytes[at] = rng.random();
            }
        }
        _ => {}
    }
    bytes
}

// ---------------------------------------------------------------------------------------
// Sending and judging.

/// Whether the request failed because the server closed the connection while it was still
/// being written.
fn cut_off(err: &reqwest::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(current) = source {
        if let Some(io) = current.downcast_ref::<std::io::Error>()
            && matches!(
                io.kind(),
                std::io::ErrorKind::BrokenPipe | std::io::ErrorKind::ConnectionReset
            )
        {
            return true;
        }
        source = current.source();
    }
    false
}

async fn send(client: &reqwest::Client, case: &Case) -> (Option<u16>, Result<(), String>) {
    let mut request = client.request(case.method.clone(), case.url.clone());
    if let Some(auth) = &case.auth {
        match HeaderValue::from_bytes(auth) {
            Ok(value) => request = request.header(AUTHORIZATION, value),
            Err(err) => return (None, Err(format!("test bug: bad header: {err}"))),
        }
    }
    if let Some(content_type) = &case.content_type {
        match HeaderValue::from_bytes(content_type) {
            Ok(value) => request = request.header(CONTENT_TYPE, value),
            Err(err) => return (None, Err(format!("test bug: bad header: {err}"))),
        }
    }
    if let Some(body) = &case.body {
        request = request.body(body.clone());
    }
    let response = match request.send().await {
        Ok(response) => response,
        // A body over the limit is refused without being read: the server answers and
        // closes the connection, and the client may still be writing it then (a broken
        // pipe or a reset instead of the answer). Refused all the same.
        Err(err) if case.body.as_ref().is_some_and(|b| b.len() > BODY_LIMIT) && cut_off(&err) => {
            return (None, Ok(()));
        }
        Err(err) => return (None, Err(format!("no answer: {err:?}"))),
    };
    let status = response.status();
    let content_type = response
        .headers()
        .get(CONTENT_TYPE)
        .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned());
    let body = match response.bytes().await {
        Ok(body) => body,
        Err(err) => return (Some(status.as_u16()), Err(format!("body cut: {err:?}"))),
    };
    (
        Some(status.as_u16()),
        judge(case, status, content_type, &body),
    )
}

/// The verdict on an answer: never a 5xx; an `/api` error has a JSON content type and (but
/// for HEAD) the error shape.
fn judge(
    case: &Case,
    status: reqwest::StatusCode,
    content_type: Option<String>,
    body: &[u8],
) -> Result<(), String> {
    let shown = || {
        let text = String::from_utf8_lossy(&body[..body.len().min(300)]).into_owned();
        format!("{status}, content-type {content_type:?}, body {text:?}")
    };
    if status.is_server_error() {
        return Err(format!("a 5xx: {}", shown()));
    }
    if !case.api || !status.is_client_error() {
        return Ok(());
    }
    let json_type = content_type
        .as_deref()
        .is_some_and(|value| value.starts_with("application/json"));
    if !json_type {
        return Err(format!(
            "an /api error without a JSON content type: {}",
            shown()
        ));
    }
    if case.method == Method::HEAD {
        return Ok(());
    }
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let text = |key: &str| {
        parsed
            .as_ref()
            .and_then(|value| value["error"][key].as_str())
            .is_some_and(|text| !text.is_empty())
    };
    if !(text("code") && text("message")) {
        return Err(format!(
            "an /api error without the error shape: {}",
            shown()
        ));
    }
    Ok(())
}
