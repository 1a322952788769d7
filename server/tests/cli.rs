//! The `minicrm-server` binary: `user add` and `serve` with graceful shutdown.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::{Command, Stdio};

use common::process::{self, BIN, assert_failure, assert_success, free_port};

/// `user add` of Ada Lovelace with `role`, the password from the environment or else (none
/// given) from stdin.
fn user_add(
    db: &std::path::Path,
    email: &str,
    role: &str,
    password: Option<&str>,
) -> std::process::Output {
    let mut command = process::user_add(db, email, "Ada Lovelace", role);
    command
        .env_remove("MINICRM_PASSWORD")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(password) = password {
        command.env("MINICRM_PASSWORD", password);
    }
    let mut child = command.spawn().unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(b"from stdin 123\n").unwrap();
    }
    child.wait_with_output().unwrap()
}

#[test]
fn user_add_creates_the_database_and_refuses_duplicates_and_bad_roles() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("new/crm.db");
    let ok = user_add(&db, "ada@example.com", "admin", Some("long enough"));
    assert!(assert_success(&ok).contains("ada@example.com"));
    assert!(db.is_file());

    assert_success(&user_add(&db, "bob@example.com", "agent", None));

    let duplicate = user_add(&db, "ADA@example.com", "agent", Some("long enough"));
    assert!(assert_failure(&duplicate).contains("already exists"));

    let bad_role = user_add(&db, "carl@example.com", "root", Some("long enough"));
    assert!(assert_failure(&bad_role).contains("unknown role"));

    assert_failure(&user_add(&db, "dora@example.com", "agent", Some("short")));
}

#[tokio::test]
async fn serve_prints_a_setup_link_on_an_empty_database_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let db = dir.path().join("crm.db");
    let child = process::start_serve(port, &db, dir.path(), Stdio::piped()).await;
    process::sigterm(&child).await;
    let output = child.wait_with_output().await.unwrap();
    assert!(
        output.status.success(),
        "graceful exit on SIGTERM: {:?}",
        output.status
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains(&format!("http://127.0.0.1:{port}/setup?token=")),
        "{stdout}"
    );
}

#[test]
fn demo_fills_an_empty_database_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    let run = || {
        Command::new(BIN)
            .args(["demo", "--contacts", "300", "--seed", "7", "--db"])
            .arg(&db)
            .output()
            .unwrap()
    };
    let stdout = assert_success(&run());
    for role in ["admin", "manager", "agent", "restricted"] {
        assert!(stdout.contains(role), "{stdout}");
    }
    let conn = rusqlite::Connection::open(&db).unwrap();
    let count = |sql: &str| -> i64 { conn.query_row(sql, [], |row| row.get(0)).unwrap() };
    assert_eq!(
        count("SELECT count(*) FROM rows WHERE entity = 'contact'"),
        300
    );
    assert_eq!(count("SELECT count(*) FROM users"), 6);
    assert!(count("SELECT count(*) FROM rows WHERE entity = 'segment'") >= 3);
    assert!(count("SELECT count(*) FROM rows WHERE entity = 'stage'") >= 5);
    // The daily work: tasks (some done) and calls, each tied to a demo record.
    assert!(count("SELECT count(*) FROM rows WHERE entity = 'task'") >= 30);
    assert!(count("SELECT count(*) FROM rows WHERE entity = 'activity'") >= 30);
    assert!(count("SELECT count(*) FROM fields WHERE field = 'done' AND value = 'true'") >= 1);
    assert_eq!(
        count(
            "SELECT count(*) FROM fields f WHERE f.field = 'record_id' AND NOT EXISTS \
             (SELECT 1 FROM rows r WHERE r.entity = 'contact' AND json_quote(r.id) = f.value)"
        ),
        0
    );
    // Every stored Polish id passes its check digits; every phone is E.164.
    let mut stmt = conn
        .prepare(
            "SELECT field, value FROM fields WHERE field IN ('nip', 'pesel', 'regon', 'phones')",
        )
        .unwrap();
    let values: Vec<(String, String)> = stmt
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(values.iter().any(|(field, _)| field == "pesel"));
    assert!(values.iter().any(|(field, _)| field == "nip"));
    for (field, value) in values {
        let value: serde_json::Value = serde_json::from_str(&value).unwrap();
        match field.as_str() {
            "nip" => {
                assert!(minicrm_core::polish_ids::normalize_nip(value.as_str().unwrap()).is_ok())
            }
            "pesel" => {
                assert!(minicrm_core::polish_ids::normalize_pesel(value.as_str().unwrap()).is_ok());
            }
            "regon" => {
                assert!(minicrm_core::polish_ids::normalize_regon(value.as_str().unwrap()).is_ok());
            }
            _ => {
                for phone in value.as_array().unwrap() {
                    let number = phone["number"].as_str().unwrap();
                    assert_eq!(
                        minicrm_core::phone::normalize(number, "PL").as_deref(),
                        Ok(number)
                    );
                }
            }
        }
    }
    drop(stmt);
    assert!(assert_failure(&run()).contains("already has accounts"));
}
