//! A push answered 200 is on disk: `kill -9` of the server right after loses nothing, not
//! its rows and not the device's acknowledged seq (a retry after the restart applies nothing).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::process::{Child, Command};

const BIN: &str = env!("CARGO_BIN_EXE_minicrm-server");

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn start(db: &std::path::Path, port: u16) -> Child {
    let child = Command::new(BIN)
        .args([
            "serve",
            "--addr",
            &format!("127.0.0.1:{port}"),
            "--dist",
            "/nonexistent",
            "--db",
        ])
        .arg(db)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let started = Instant::now();
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "server did not start"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    child
}

#[tokio::test]
async fn a_push_answered_200_and_its_acknowledged_seq_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crm.db");
    let added = std::process::Command::new(BIN)
        .args(["user", "add", "--db"])
        .arg(&db)
        .args([
            "--email",
            "ada@example.com",
            "--name",
            "Ada",
            "--role",
            "agent",
        ])
        .env("MINICRM_PASSWORD", "long enough")
        .output()
        .unwrap();
    assert!(added.status.success());
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = start(&db, port).await;
    let login: Value = client
        .post(format!("{base}/api/auth/login"))
        .json(&json!({"email": "ada@example.com", "password": "long enough"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["token"].as_str().unwrap().to_owned();

    let rows: Vec<String> = (1..=200u128)
        .map(|n| uuid::Uuid::from_u128(0x0193_0000_0000_7000_8000_0000_0000_0000 + n).to_string())
        .collect();
    let changes: Vec<Value> = rows
        .iter()
        .enumerate()
        .map(|(i, row)| json!({"seq": i + 1, "entity": "contact", "id": row, "field": "city", "value": format!("City {i}"), "hlc": format!("1763800000000-{:04x}-dev", i)}))
        .collect();
    let response = client
        .post(format!("{base}/api/sync/push"))
        .bearer_auth(&token)
        .json(&json!({"client_id": "dev", "changes": changes}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    // Right after the 200: SIGKILL, no chance to flush anything.
    server.start_kill().unwrap();
    server.wait().await.unwrap();

    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let _server = start(&db, port).await;
    let pulled: Value = client
        .get(format!("{base}/api/sync/pull?cursor=0&limit=5000"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
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
    let retry: Value = client
        .post(format!("{base}/api/sync/push"))
        .bearer_auth(&token)
        .json(&json!({"client_id": "dev", "changes": [{"seq": 1, "entity": "contact", "id": rows[0], "field": "city", "value": "Again", "hlc": "1763800000001-0000-dev"}]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(retry["acked_seq"], 200);
    assert_eq!(retry["rejected"], json!([]));
    let cursor = pulled["cursor"].as_u64().unwrap();
    let after: Value = client
        .get(format!("{base}/api/sync/pull?cursor={cursor}"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(after["rows"], json!([]), "the retry changed no row");
    let again: Value = client
        .get(format!("{base}/api/sync/pull?cursor=0&limit=5000"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
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
    let history: Value = client
        .get(format!("{base}/api/history/contact/{}", rows[0]))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let values: Vec<&Value> = history["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["value"])
        .collect();
    assert_eq!(
        values,
        [&json!("City 0")],
        "one write in history, not the retry"
    );
}
