//! The `minicrm-server` binary: `user add` and `serve` with graceful shutdown.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_minicrm-server");

fn user_add(
    db: &std::path::Path,
    email: &str,
    role: &str,
    password: Option<&str>,
) -> std::process::Output {
    let mut command = Command::new(BIN);
    command
        .args(["user", "add", "--db"])
        .arg(db)
        .args(["--email", email, "--name", "Ada Lovelace", "--role", role])
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
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(String::from_utf8_lossy(&ok.stdout).contains("ada@example.com"));
    assert!(db.is_file());

    let from_stdin = user_add(&db, "bob@example.com", "agent", None);
    assert!(
        from_stdin.status.success(),
        "{}",
        String::from_utf8_lossy(&from_stdin.stderr)
    );

    let duplicate = user_add(&db, "ADA@example.com", "agent", Some("long enough"));
    assert!(!duplicate.status.success());
    assert!(String::from_utf8_lossy(&duplicate.stderr).contains("already exists"));

    let bad_role = user_add(&db, "carl@example.com", "root", Some("long enough"));
    assert!(!bad_role.status.success());
    assert!(String::from_utf8_lossy(&bad_role.stderr).contains("unknown role"));

    let short = user_add(&db, "dora@example.com", "agent", Some("short"));
    assert!(!short.status.success());
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn serve_prints_a_setup_link_on_an_empty_database_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let child = Command::new(BIN)
        .args(["serve", "--addr", &format!("127.0.0.1:{port}"), "--db"])
        .arg(dir.path().join("crm.db"))
        .arg("--dist")
        .arg(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "server did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let status = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(status.success());
    let output = child.wait_with_output().unwrap();
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
    let first = run();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let stdout = String::from_utf8_lossy(&first.stdout);
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
    let again = run();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already has accounts"));
}
