//! `GET /api/reports/changes` against the real server on a random port: contacts pushed
//! with known HLCs by users of every role through `POST /api/sync/push`, then each figure
//! of the answer, who may see whose, and the refusals.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;

use common::sync::{change, hlc, id};
use common::{TestServer, error_code, expect_error};
use minicrm_core::Role;
use minicrm_core::api::User;
use serde_json::{Value, json};

const HOUR: u64 = 3_600_000;
const DAY: u64 = 24 * HOUR;
/// The first day's start (a team's midnight; the HLCs are in the past, so none is
/// restamped by the server).
const D0: u64 = 1_763_766_000_000;
/// The second day's start.
const D1: u64 = D0 + DAY;
/// The period's end: the second day is 23 hours long (a daylight-saving change).
const END: u64 = D1 + 23 * HOUR;

/// A user's device: its client id and the last seq it used.
struct Writer {
    token: String,
    client: String,
    seq: u64,
}

impl Writer {
    fn new(token: &str, client: &str) -> Writer {
        Writer {
            token: token.to_owned(),
            client: client.to_owned(),
            seq: 0,
        }
    }

    /// Pushes one change of `row`: every field written with the one HLC at `wall`
    /// (counter `counter`), none refused.
    async fn write(
        &mut self,
        server: &TestServer,
        row: &str,
        wall: u64,
        counter: u16,
        fields: &[(&str, Value)],
    ) {
        self.write_entity(server, "contact", row, wall, counter, fields)
            .await;
    }

    async fn write_entity(
        &mut self,
        server: &TestServer,
        entity: &str,
        row: &str,
        wall: u64,
        counter: u16,
        fields: &[(&str, Value)],
    ) {
        let stamp = hlc(wall, counter, &self.client);
        let changes = fields
            .iter()
            .map(|(field, value)| {
                self.seq += 1;
                change(self.seq, entity, row, field, value.clone(), &stamp)
            })
            .collect();
        server.push_clean(&self.token, &self.client, changes).await;
    }
}

/// `[records_created, records_changed, stage_changes]` of each day, by user id.
type Figures = BTreeMap<String, Vec<[u64; 3]>>;

fn figures(report: &Value) -> Figures {
    report["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|user| {
            let days = user["days"]
                .as_array()
                .unwrap()
                .iter()
                .map(|day| {
                    ["records_created", "records_changed", "stage_changes"]
                        .map(|name| day[name].as_u64().unwrap())
                })
                .collect();
            (user["user_id"].as_str().unwrap().to_owned(), days)
        })
        .collect()
}

/// Records that entered each stage, by stage id.
fn stages(report: &Value) -> BTreeMap<String, u64> {
    report["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|stage| {
            (
                stage["stage_id"].as_str().unwrap().to_owned(),
                stage["entered"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn bounds_query(bounds: &[u64]) -> String {
    let bounds: Vec<String> = bounds.iter().map(u64::to_string).collect();
    format!("/api/reports/changes?bounds={}", bounds.join(","))
}

async fn report(server: &TestServer, token: &str, query: &str) -> Value {
    server.get_json(query, token).await
}

/// The team, its pushes and the figures they make, with names for what the tests check.
struct Team {
    server: TestServer,
    admin: String,
    manager: String,
    ada: (User, String),
    bob: (User, String),
    rita: (User, String),
    stage_a: String,
    stage_b: String,
}

impl Team {
    fn ada_id(&self) -> String {
        self.ada.0.id.to_string()
    }

    fn bob_id(&self) -> String {
        self.bob.0.id.to_string()
    }

    fn rita_id(&self) -> String {
        self.rita.0.id.to_string()
    }

    /// Ada's figures over [D0, D1, END].
    fn ada_days() -> Vec<[u64; 3]> {
        // Day 0: created r1, moved it to stage B (its city edit the same day is not a
        // change: she created it). Day 1: changed r3 (created before the period), moving
        // it to stage A.
        vec![[1, 0, 1], [0, 1, 1]]
    }

    fn bob_days() -> Vec<[u64; 3]> {
        // Day 0: two edits and a losing stage write on r1 = one record changed, no stage
        // change. Day 1: created r2 exactly at the day's start, edited r1 again.
        vec![[0, 1, 0], [1, 1, 0]]
    }

    fn rita_days() -> Vec<[u64; 3]> {
        // Day 1: created r4 (hers) in stage A.
        vec![[0, 0, 0], [1, 0, 0]]
    }
}

async fn team() -> Team {
    let server = TestServer::start().await;
    let (_, admin) = server.admin().await;
    let (_, manager) = server
        .user_with_token("mia@example.com", Role::Manager)
        .await;
    let ada = server.user_with_token("ada@example.com", Role::Agent).await;
    let bob = server.user_with_token("bob@example.com", Role::Agent).await;
    let rita = server
        .user_with_token("rita@example.com", Role::Restricted)
        .await;
    let (stage_a, stage_b) = (id(900), id(901));
    let (r1, r2, r3, r4, task) = (id(1), id(2), id(3), id(4), id(5));
    let mut ada_dev = Writer::new(&ada.1, "dev-ada");
    let mut bob_dev = Writer::new(&bob.1, "dev-bob");
    let mut rita_dev = Writer::new(&rita.1, "dev-rita");

    // Before the period: Ada creates r3. Not counted, and it makes her later write to r3 a
    // change, not a creation.
    ada_dev
        .write(&server, &r3, D0 - 1, 0, &[("kind", json!("person"))])
        .await;
    // Day 0: Ada creates r1 in stage A (one change of three writes), moves it to B, edits
    // its city.
    ada_dev
        .write(
            &server,
            &r1,
            D0 + HOUR,
            0,
            &[
                ("kind", json!("person")),
                ("first_name", json!("Jan")),
                ("stage_id", json!(stage_a)),
            ],
        )
        .await;
    ada_dev
        .write(
            &server,
            &r1,
            D0 + 2 * HOUR,
            0,
            &[("stage_id", json!(stage_b))],
        )
        .await;
    ada_dev
        .write(&server, &r1, D0 + 3 * HOUR, 0, &[("city", json!("Kraków"))])
        .await;
    // Day 0: Bob edits r1 twice, and his stage write stamped before Ada's move arrives
    // after it: it loses (no stage change, no stage entered).
    bob_dev
        .write(&server, &r1, D0 + 4 * HOUR, 0, &[("city", json!("Brno"))])
        .await;
    bob_dev
        .write(&server, &r1, D0 + 5 * HOUR, 0, &[("note", json!("n"))])
        .await;
    bob_dev
        .write(
            &server,
            &r1,
            D0 + 90 * 60_000,
            0,
            &[("stage_id", json!(stage_a))],
        )
        .await;
    // A task of r1 written by Bob on day 0: not a contact, not counted.
    bob_dev
        .write_entity(
            &server,
            "task",
            &task,
            D0 + 6 * HOUR,
            0,
            &[("record_id", json!(r1)), ("title", json!("Call"))],
        )
        .await;
    // Day 1: Bob creates r2 exactly at the day's start and edits r1; his write exactly at
    // the period's end is outside it.
    bob_dev
        .write(&server, &r2, D1, 0, &[("kind", json!("company"))])
        .await;
    bob_dev
        .write(&server, &r1, D1 + HOUR, 0, &[("note", json!("m"))])
        .await;
    bob_dev
        .write(&server, &r1, END, 0, &[("note", json!("late"))])
        .await;
    // Day 1: Ada moves r3 to stage A.
    ada_dev
        .write(
            &server,
            &r3,
            D1 + 2 * HOUR,
            0,
            &[("stage_id", json!(stage_a))],
        )
        .await;
    // Day 1: Rita creates r4, hers, in stage A.
    rita_dev
        .write(
            &server,
            &r4,
            D1 + 3 * HOUR,
            0,
            &[
                ("kind", json!("person")),
                ("owner_id", json!(rita.0.id.to_string())),
                ("stage_id", json!(stage_a)),
            ],
        )
        .await;
    Team {
        server,
        admin,
        manager,
        ada,
        bob,
        rita,
        stage_a,
        stage_b,
    }
}

#[tokio::test]
async fn the_history_gives_each_users_records_created_changed_and_stage_changes_per_day() {
    let team = team().await;
    let query = bounds_query(&[D0, D1, END]);
    let answer = report(&team.server, &team.manager, &query).await;
    assert_eq!(
        answer["bounds"],
        json!([D0, D1, END]),
        "the bounds come back"
    );
    let expected: Figures = [
        (team.ada_id(), Team::ada_days()),
        (team.bob_id(), Team::bob_days()),
        (team.rita_id(), Team::rita_days()),
    ]
    .into_iter()
    .collect();
    assert_eq!(figures(&answer), expected, "{answer}");
    // Stage A: r1 created in it, r3 and r4; stage B: r1. Bob's losing write enters none.
    let entered: BTreeMap<String, u64> =
        [(team.stage_a.clone(), 3), (team.stage_b.clone(), 1)].into();
    assert_eq!(stages(&answer), entered, "{answer}");
    // Users are listed by id, stages by id (a stable answer).
    let listed: Vec<&str> = answer["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|user| user["user_id"].as_str().unwrap())
        .collect();
    let mut sorted = listed.clone();
    sorted.sort_unstable();
    assert_eq!(listed, sorted);
    // The administrator sees the same.
    assert_eq!(report(&team.server, &team.admin, &query).await, answer);
}

#[tokio::test]
async fn a_write_at_a_bound_falls_in_the_later_day_and_writes_outside_do_not_count() {
    let team = team().await;
    let bob = team.bob_id();
    // One day ending exactly at Bob's creation of r2: it is not in it.
    let day0 = report(&team.server, &team.manager, &bounds_query(&[D0, D1])).await;
    assert_eq!(figures(&day0)[&bob], vec![[0, 1, 0]], "{day0}");
    // One day starting exactly there: it is; his write exactly at END is not.
    let day1 = report(&team.server, &team.manager, &bounds_query(&[D1, END])).await;
    assert_eq!(figures(&day1)[&bob], vec![[1, 1, 0]], "{day1}");
    // Moved by one millisecond, END takes Bob's late write in (r1 again: still one
    // record changed that day).
    let longer = report(&team.server, &team.manager, &bounds_query(&[D1, END + 1])).await;
    assert_eq!(figures(&longer)[&bob], vec![[1, 1, 0]], "{longer}");
    // Starting one millisecond earlier takes in Ada's creation of r3: the day shows it
    // created, and her stage change of r3 the next day stays a change.
    let earlier = bounds_query(&[D0 - 1, D1, END]);
    let earlier = report(&team.server, &team.manager, &earlier).await;
    assert_eq!(
        figures(&earlier)[&team.ada_id()],
        vec![[2, 0, 1], [0, 1, 1]],
        "{earlier}"
    );
    // Before every write and after every write: nobody.
    for bounds in [[D0 - 2 * DAY, D0 - DAY], [END + DAY, END + 2 * DAY]] {
        let empty = report(&team.server, &team.manager, &bounds_query(&bounds)).await;
        assert_eq!(empty["users"], json!([]), "{empty}");
        assert_eq!(empty["stages"], json!([]), "{empty}");
    }
    // Bounds before 1970 and past the last HLC are numbers like any other.
    let wide = format!(
        "/api/reports/changes?bounds=-5,{D0},{},{}",
        END + 1,
        i64::MAX
    );
    let wide = report(&team.server, &team.manager, &wide).await;
    assert_eq!(
        figures(&wide)[&bob],
        vec![[0, 0, 0], [1, 1, 0], [0, 0, 0]],
        "{wide}"
    );
    assert_eq!(figures(&wide)[&team.ada_id()][0], [1, 0, 0], "{wide}");
}

#[tokio::test]
async fn agents_and_restricted_users_get_only_their_own_figures() {
    let team = team().await;
    let query = bounds_query(&[D0, D1, END]);
    // Ada: her row only, and the stages her own writes entered (r1 created in A, moved to
    // B; r3 to A), not Rita's r4.
    for query in [query.clone(), format!("{query}&user_id={}", team.ada_id())] {
        let mine = report(&team.server, &team.ada.1, &query).await;
        let expected: Figures = [(team.ada_id(), Team::ada_days())].into();
        assert_eq!(figures(&mine), expected, "{query}: {mine}");
        let entered: BTreeMap<String, u64> =
            [(team.stage_a.clone(), 2), (team.stage_b.clone(), 1)].into();
        assert_eq!(stages(&mine), entered, "{query}: {mine}");
    }
    // Bob: his row only; none of his stage writes took effect.
    let bobs = report(&team.server, &team.bob.1, &query).await;
    assert_eq!(figures(&bobs), [(team.bob_id(), Team::bob_days())].into());
    assert_eq!(bobs["stages"], json!([]), "{bobs}");
    // Rita: her row only.
    let ritas = report(&team.server, &team.rita.1, &query).await;
    assert_eq!(
        figures(&ritas),
        [(team.rita_id(), Team::rita_days())].into()
    );
    assert_eq!(stages(&ritas), [(team.stage_a.clone(), 1)].into());
    // Another user's figures: 403, for an agent and a restricted user alike (an id in
    // capitals names the same user).
    for (token, other) in [
        (&team.ada.1, team.bob_id()),
        (&team.ada.1, team.rita_id().to_uppercase()),
        (&team.rita.1, team.ada_id()),
        (&team.bob.1, id(777)),
    ] {
        let response = team
            .server
            .get(&format!("{query}&user_id={other}"), token)
            .await;
        expect_error(response, 403, "forbidden").await;
    }
    // Their own id in capitals is still theirs.
    let upper = format!("{query}&user_id={}", team.ada_id().to_uppercase());
    let mine = report(&team.server, &team.ada.1, &upper).await;
    assert_eq!(figures(&mine).len(), 1);
}

#[tokio::test]
async fn managers_and_admins_see_everyone_and_can_ask_for_one_user() {
    let team = team().await;
    let query = bounds_query(&[D0, D1, END]);
    for token in [&team.manager, &team.admin] {
        let all = report(&team.server, token, &query).await;
        assert_eq!(figures(&all).len(), 3, "{all}");
        let bob = format!("{query}&user_id={}", team.bob_id());
        let bobs = report(&team.server, token, &bob).await;
        assert_eq!(figures(&bobs), [(team.bob_id(), Team::bob_days())].into());
        assert_eq!(
            bobs["stages"],
            json!([]),
            "stage entries of Bob's writes only"
        );
        let rita = format!("{query}&user_id={}", team.rita_id());
        let ritas = report(&team.server, token, &rita).await;
        assert_eq!(
            figures(&ritas),
            [(team.rita_id(), Team::rita_days())].into()
        );
        assert_eq!(stages(&ritas), [(team.stage_a.clone(), 1)].into());
        // A user without writes (or no user at all): an empty answer.
        let nobody = format!("{query}&user_id={}", id(777));
        let nobody = report(&team.server, token, &nobody).await;
        assert_eq!(nobody["users"], json!([]));
        assert_eq!(nobody["stages"], json!([]));
        assert_eq!(nobody["bounds"], json!([D0, D1, END]));
    }
}

#[tokio::test]
async fn bad_bounds_and_user_ids_are_400_with_the_error_shape() {
    let (server, _, token) = TestServer::with_user("mia@example.com", Role::Manager).await;
    let (_, agent) = server.user_with_token("ada@example.com", Role::Agent).await;
    let many: Vec<String> = (0..=732u64)
        .map(|day| (D0 + day * DAY).to_string())
        .collect();
    let most: Vec<String> = (0..=731u64)
        .map(|day| (D0 + day * DAY).to_string())
        .collect();
    let bad = [
        "".to_owned(),
        "?".to_owned(),
        "?user_id=".to_owned(),
        "?bounds=".to_owned(),
        format!("?bounds={D0}"),
        format!("?bounds={D0},{D0}"),
        format!("?bounds={D1},{D0}"),
        format!("?bounds={D0},{D1},{D1}"),
        format!("?bounds={D0},x"),
        format!("?bounds={D0}.5,{D1}"),
        format!("?bounds={D0},,{D1}"),
        format!("?bounds={D0},{D1},"),
        format!("?bounds={D0}%20,{D1}"),
        format!("?bounds={D0},%ff"),
        format!("?bounds={D0},99999999999999999999"),
        format!("?bounds={D0},{D1}&bounds={D0},{D1}"),
        format!("?bounds={}", many.join(",")),
        format!("?bounds={D0},{D1}&user_id=nope"),
        format!("?bounds={D0},{D1}&user_id="),
        format!("?bounds={D0},{D1}&user_id=%ff"),
        format!("?bounds={D0},{D1}&user_id={}x", id(1)),
    ];
    for query in &bad {
        for token in [&token, &agent] {
            let response = server
                .get(&format!("/api/reports/changes{query}"), token)
                .await;
            assert_eq!(
                error_code(response, 400).await,
                "malformed_request",
                "{query}"
            );
        }
    }
    // Core's words say what is wrong.
    let response = server
        .get(&format!("/api/reports/changes?bounds={D1},{D0}"), &token)
        .await;
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["message"], "Day boundaries must increase.");
    // 731 days is the most.
    let longest = report(
        &server,
        &token,
        &format!("/api/reports/changes?bounds={}", most.join(",")),
    )
    .await;
    assert_eq!(longest["bounds"].as_array().unwrap().len(), 732);
}

#[tokio::test]
async fn without_a_valid_token_it_is_401() {
    let team = team().await;
    let query = bounds_query(&[D0, D1, END]);
    expect_error(team.server.get_anonymous(&query).await, 401, "unauthorized").await;
    // Checked before the query: bad bounds without a token are 401 too.
    let bad = team
        .server
        .get_anonymous("/api/reports/changes?bounds=x")
        .await;
    expect_error(bad, 401, "unauthorized").await;
    expect_error(
        team.server.get(&query, "garbage").await,
        401,
        "unauthorized",
    )
    .await;
    assert_eq!(team.server.logout(&team.bob.1).await.status(), 204);
    expect_error(
        team.server.get(&query, &team.bob.1).await,
        401,
        "unauthorized",
    )
    .await;
    // Another method on the route: 405 with the shape.
    let post = team
        .server
        .post(&query, Some(&team.manager), &json!({}))
        .await;
    expect_error(post, 405, "method_not_allowed").await;
}
