//! A push answered 200 is on disk: `kill -9` of the server right after loses nothing, not
//! its rows and not the device's acknowledged seq (a retry after the restart applies nothing).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::process::Stdio;

use common::Api;
use common::process::{self, free_port};
use common::sync::{WALL, change, hlc, id};
use serde_json::{Value, json};
use tokio::process::Child;

/// `serve` over `db` on a free port, once it listens: the process (killed when dropped) and
/// an [`Api`] for it.
async fn serve(db: &Path) -> (Child, Api) {
    let port = free_port();
    let child = process::start_serve(port, db, Path::new("/nonexistent"), Stdio::null()).await;
    (child, Api::local(port))
}

#[tokio::test]
async fn a_push_answered_200_and_its_acknowledged_seq_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crm.db");
    process::add_user(&db, "ada@example.com", "Ada", "agent", "long enough").await;
    let (mut server, api) = serve(&db).await;
    let login = api.session("ada@example.com", "long enough").await;
    let token = login["token"].as_str().unwrap().to_owned();

    let rows: Vec<String> = (1..=200u128).map(id).collect();
    let changes: Vec<Value> = rows
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let (seq, city) = (i as u64 + 1, json!(format!("City {i}")));
            change(
                seq,
                "contact",
                row,
                "city",
                city,
                &hlc(WALL, i as u16, "dev"),
            )
        })
        .collect();
    api.push_ok(&token, "dev", changes).await;
    // Right after the 200: SIGKILL, no chance to flush anything.
    server.start_kill().unwrap();
    server.wait().await.unwrap();

    let (_server, api) = serve(&db).await;
    let pulled = api.pull_page(&token, 0, 5000).await;
    let contacts: Vec<&Value> = pulled["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["entity"] == "contact")
        .collect();
    assert_eq!(contacts.len(), 200, "every acknowledged change is there");
    for (i, row) in rows.iter().enumerate() {
        let contact = contacts
            .iter()
            .find(|r| r["id"] == row.as_str())
            .unwrap_or_else(|| panic!("acknowledged row {row} is gone"));
        assert_eq!(contact["fields"]["city"]["value"], format!("City {i}"));
    }

    // The device's acknowledged seq survived too: a retry of seq 1 carrying another value
    // and a higher HLC (which would win on its own) is ignored, so it was applied once.
    let again = change(
        1,
        "contact",
        &rows[0],
        "city",
        json!("Again"),
        &hlc(WALL + 1, 0, "dev"),
    );
    let retry = api.push_ok(&token, "dev", vec![again]).await;
    assert_eq!(retry["acked_seq"], 200);
    assert_eq!(retry["rejected"], json!([]));
    let cursor = pulled["cursor"].as_u64().unwrap();
    let after = api
        .get_json(&format!("/api/sync/pull?cursor={cursor}"), &token)
        .await;
    assert_eq!(after["rows"], json!([]), "the retry changed no row");
    let again = api.pull_page(&token, 0, 5000).await;
    let first = again["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == rows[0].as_str())
        .unwrap();
    assert_eq!(
        first["fields"]["city"]["value"], "City 0",
        "the first value is kept"
    );
    assert_eq!(first["fields"]["city"]["hlc"], "1763800000000-0000-dev");
    let history = api.history(&token, "contact", &rows[0]).await;
    let values: Vec<&Value> = history.iter().map(|e| &e["value"]).collect();
    assert_eq!(
        values,
        [&json!("City 0")],
        "one write in history, not the retry"
    );
}
