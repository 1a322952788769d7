//! Backups with the real binary: `minicrm-server backup` under a write load, restored into a
//! new server; `serve --backup-dir` on a schedule; failures that are clear and leave nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::process::{self, BIN, assert_failure, free_port};
use common::sync::{id, now_ms};
use common::{Api, PASSWORD};
use minicrm_server::db::backup::parse_scheduled_name;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

const ADMIN: &str = "admin@example.com";
/// Every wait in this file ends by this deadline (a failure, never a silent pass).
const DEADLINE: Duration = Duration::from_secs(60);

/// A temporary directory with a database in it (`crm.db`) made by `minicrm-server user add`
/// of the administrator.
async fn fresh_db_with_admin() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crm.db");
    process::add_user(&db, ADMIN, "Ada Admin", "admin", PASSWORD).await;
    (dir, db)
}

/// `minicrm-server backup --db <db> --to <target>`.
async fn backup(db: &Path, target: &Path) -> Output {
    Command::new(BIN)
        .arg("backup")
        .arg("--db")
        .arg(db)
        .arg("--to")
        .arg(target)
        .env_remove("MINICRM_DB")
        .output()
        .await
        .unwrap()
}

/// `minicrm-server serve` with these arguments, refused: its stderr.
async fn serve_refused(args: &[&OsStr]) -> String {
    let output = Command::new(BIN)
        .args(["serve", "--addr", "127.0.0.1:0"])
        .args(args)
        .output()
        .await
        .unwrap();
    assert_failure(&output)
}

/// A running `minicrm-server serve`, its stderr collected line by line.
struct Server {
    child: Child,
    api: Api,
    log: Arc<Mutex<Vec<String>>>,
}

impl Server {
    async fn start(db: &Path, extra: &[&OsStr], env: &[(&str, &OsStr)]) -> Server {
        let port = free_port();
        let dist = db.parent().unwrap().join("dist");
        std::fs::create_dir_all(&dist).unwrap();
        let mut command = Command::from(process::serve(port, db, &dist));
        command
            .args(extra)
            .env("RUST_LOG", "info")
            .env_remove("MINICRM_BACKUP_DIR")
            .env_remove("MINICRM_BACKUP_EVERY")
            .env_remove("MINICRM_BACKUP_KEEP")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        for (key, value) in env {
            command.env(key, value);
        }
        let mut child = command.spawn().unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let sink = Arc::clone(&log);
        tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                sink.lock().unwrap().push(line);
            }
        });
        let shown = || format!("{:?}", log.lock().unwrap());
        process::wait_listening(port, &mut child, DEADLINE, shown).await;
        Server {
            child,
            api: Api::local(port),
            log,
        }
    }

    fn log_lines_with(&self, text: &str) -> usize {
        self.log
            .lock()
            .unwrap()
            .iter()
            .filter(|line| line.contains(text))
            .count()
    }

    async fn health(&self) -> u16 {
        self.api
            .client
            .get(self.api.url("/api/health"))
            .send()
            .await
            .map(|response| response.status().as_u16())
            .unwrap_or(0)
    }

    /// SIGTERM, then the exit status within the deadline.
    async fn stop(mut self) -> std::process::ExitStatus {
        process::sigterm(&self.child).await;
        tokio::time::timeout(DEADLINE, self.child.wait())
            .await
            .expect("the server did not stop after SIGTERM")
            .unwrap()
    }
}

fn contact_id(n: u64) -> String {
    id(u128::from(n))
}

/// The three changes of writer contact `n` (seqs 3n+1..3n+3).
fn writer_changes(n: u64, wall: u64) -> Vec<Value> {
    let id = contact_id(n);
    let hlc = |k: u64| format!("{wall:013}-{:04x}-writer", k % 0x1_0000);
    vec![
        json!({"seq": 3 * n + 1, "entity": "contact", "id": id, "field": "kind", "value": "person", "hlc": hlc(3 * n + 1)}),
        json!({"seq": 3 * n + 2, "entity": "contact", "id": id, "field": "first_name", "value": format!("Writer {n}"), "hlc": hlc(3 * n + 2)}),
        json!({"seq": 3 * n + 3, "entity": "contact", "id": id, "field": "city", "value": format!("City {n}"), "hlc": hlc(3 * n + 3)}),
    ]
}

/// Every contact a user may see, by id: its fields' values.
async fn pull_contacts(api: &Api, token: &str) -> BTreeMap<String, Value> {
    let (rows, _) = api.pull_rows(token, 0, 5000).await;
    rows.into_iter()
        .filter(|row| row["entity"] == "contact")
        .map(|row| {
            (
                row["id"].as_str().unwrap().to_owned(),
                row["fields"].clone(),
            )
        })
        .collect()
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn integrity(path: &Path) -> (String, String) {
    let conn =
        rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |row| row.get(0))
        .unwrap();
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |row| row.get(0))
        .unwrap();
    (check, mode)
}

/// Calls `check` every 20 ms until it is done (`Ok`); past the deadline, fails with what it
/// last said.
async fn wait_until(mut check: impl FnMut() -> Result<(), String>) {
    let started = Instant::now();
    while let Err(why) = check() {
        assert!(started.elapsed() < DEADLINE, "{why}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_under_write_load_restores_every_change_acknowledged_before_it_started() {
    let (dir, db) = fresh_db_with_admin().await;
    let server = Server::start(&db, &[], &[]).await;
    let token = server.api.login(ADMIN).await;

    // Some volume first, so the copy takes several steps: 8 batches of 1000 notes.
    let wall = now_ms() - 30_000;
    for batch in 0..8u64 {
        let changes: Vec<Value> = (0..1000u64)
            .map(|k| {
                let n = batch * 1000 + k;
                json!({"seq": n + 1, "entity": "contact", "id": contact_id(1_000_000 + n),
                    "field": "note", "value": format!("{n} {}", "x".repeat(400)),
                    "hlc": format!("{wall:013}-{:04x}-filler", n % 0x1_0000)})
            })
            .collect();
        server
            .api
            .try_push_clean(&token, "filler", changes)
            .await
            .unwrap();
    }

    // The writer: one new contact per push, until told to stop (bounded in count and time).
    let acked: Arc<Mutex<Vec<(u64, Instant)>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (acked, stop) = (Arc::clone(&acked), Arc::clone(&stop));
        let (api, token) = (server.api.clone(), token.clone());
        tokio::spawn(async move {
            let started = Instant::now();
            let wall = now_ms();
            for n in 0..20_000u64 {
                if stop.load(Ordering::SeqCst) {
                    return Ok(n);
                }
                if started.elapsed() > DEADLINE {
                    return Err("the writer ran out of time".to_owned());
                }
                let changes = writer_changes(n, wall);
                api.try_push_clean(&token, "writer", changes).await?;
                acked.lock().unwrap().push((n, Instant::now()));
            }
            Err("the writer ran out of changes".to_owned())
        })
    };
    let wait_for_acks = |count: usize| {
        let acked = Arc::clone(&acked);
        wait_until(move || match acked.lock().unwrap().len() >= count {
            true => Ok(()),
            false => Err("the writer is stuck".to_owned()),
        })
    };
    wait_for_acks(20).await;

    // Every change acknowledged so far must be in the backup.
    let before: Vec<u64> = acked.lock().unwrap().iter().map(|(n, _)| *n).collect();
    let target = dir.path().join("backups").join("copy.db");
    std::fs::create_dir_all(target.parent().unwrap()).unwrap();
    let backup_started = Instant::now();
    let output = backup(&db, &target).await;
    let backup_ended = Instant::now();
    assert!(
        output.status.success(),
        "backup: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("Backed up"));
    let during = acked
        .lock()
        .unwrap()
        .iter()
        .filter(|(_, at)| *at > backup_started && *at < backup_ended)
        .count();
    // The server keeps taking writes after the backup, then the writer stops.
    let so_far = acked.lock().unwrap().len();
    wait_for_acks(so_far + 5).await;
    stop.store(true, Ordering::SeqCst);
    let written = writer
        .await
        .unwrap()
        .expect("every push of the writer answered 200");
    eprintln!(
        "backup: {} changes acknowledged before it, {during} during it ({} ms), {written} in all",
        before.len(),
        (backup_ended - backup_started).as_millis()
    );
    assert_eq!(server.health().await, 200);
    assert!(server.stop().await.success());

    // One standalone, sound file: no -wal beside it, no temporary file left.
    assert_eq!(files_in(target.parent().unwrap()), ["copy.db"]);
    assert_eq!(integrity(&target), ("ok".to_owned(), "delete".to_owned()));

    // Restored as the README says (copy over the database path), a new server has it all.
    let restored = dir.path().join("restored").join("crm.db");
    std::fs::create_dir_all(restored.parent().unwrap()).unwrap();
    std::fs::copy(&target, &restored).unwrap();
    let server = Server::start(&restored, &[], &[]).await;
    let token = server.api.login(ADMIN).await;
    let contacts = pull_contacts(&server.api, &token).await;
    for n in &before {
        let fields = contacts
            .get(&contact_id(*n))
            .unwrap_or_else(|| panic!("change {n}, acknowledged before the backup, is missing"));
        assert_eq!(fields["first_name"]["value"], format!("Writer {n}"));
        assert_eq!(fields["city"]["value"], format!("City {n}"));
    }
    let fillers = (0..8000u64)
        .filter(|n| contacts.contains_key(&contact_id(1_000_000 + n)))
        .count();
    assert_eq!(fillers, 8000);
    assert!(server.stop().await.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scheduled_backups_every_second_keep_at_most_two() {
    let (dir, db) = fresh_db_with_admin().await;
    let backups = dir.path().join("backups");
    let server = Server::start(
        &db,
        &[
            "--backup-dir".as_ref(),
            backups.as_os_str(),
            "--backup-every".as_ref(),
            "1s".as_ref(),
            "--backup-keep".as_ref(),
            "2".as_ref(),
        ],
        &[],
    )
    .await;
    let scheduled = |names: &[String]| -> Vec<String> {
        names
            .iter()
            .filter(|name| parse_scheduled_name(name).is_some())
            .cloned()
            .collect()
    };
    // Watch the directory until four different backups have been seen.
    let mut seen = std::collections::BTreeSet::new();
    wait_until(|| {
        if backups.is_dir() {
            let present = scheduled(&files_in(&backups));
            assert!(present.len() <= 2, "more than 2 backups kept: {present:?}");
            seen.extend(present);
        }
        match seen.len() >= 4 {
            true => Ok(()),
            false => Err(format!(
                "only {seen:?} after {DEADLINE:?}; log: {:?}",
                server.log.lock().unwrap()
            )),
        }
    })
    .await;
    let present = scheduled(&files_in(&backups));
    assert!(
        (1..=2).contains(&present.len()),
        "{present:?} (seen {seen:?})"
    );
    // The oldest seen were deleted; the newest is a sound database.
    let oldest = seen.iter().next().unwrap();
    assert!(!present.contains(oldest), "{oldest} was kept: {present:?}");
    let newest = present.last().unwrap();
    assert_eq!(integrity(&backups.join(newest)).0, "ok");
    // The server logs a backup after renaming it into place, and the log is
    // read from its stderr by another thread: the fourth line may come after
    // the fourth file, so wait for it rather than expect it already.
    wait_until(|| match server.log_lines_with("backup written") >= 4 {
        true => Ok(()),
        false => Err(format!(
            "fewer than 4 \"backup written\" lines after {DEADLINE:?}: {:?}",
            server.log.lock().unwrap()
        )),
    })
    .await;
    assert_eq!(server.health().await, 200);
    assert!(server.stop().await.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_scheduled_backup_is_logged_retried_and_never_stops_the_server() {
    let (dir, db) = fresh_db_with_admin().await;
    // The backup directory cannot be made: its parent is a file.
    let blocker = dir.path().join("blocker");
    std::fs::write(&blocker, b"not a directory").unwrap();
    let backups = blocker.join("backups");
    // Through the environment this time.
    let server = Server::start(
        &db,
        &[],
        &[
            ("MINICRM_BACKUP_DIR", backups.as_os_str()),
            ("MINICRM_BACKUP_EVERY", "1s".as_ref()),
            ("MINICRM_BACKUP_KEEP", "3".as_ref()),
        ],
    )
    .await;
    wait_until(|| match server.log_lines_with("backup failed") >= 2 {
        true => Ok(()),
        false => Err(format!(
            "no two failed backups logged: {:?}",
            server.log.lock().unwrap()
        )),
    })
    .await;
    assert_eq!(server.health().await, 200);
    let token = server.api.login(ADMIN).await;
    server
        .api
        .try_push_clean(&token, "dev-a", writer_changes(1, now_ms()))
        .await
        .unwrap();
    assert!(server.stop().await.success());
    assert_eq!(
        files_in(dir.path())
            .iter()
            .filter(|name| name.contains("partial"))
            .count(),
        0
    );
}

#[tokio::test]
async fn a_bad_backup_target_fails_clearly_and_leaves_no_file() {
    let (dir, db) = fresh_db_with_admin().await;
    let before = files_in(dir.path());

    // A directory that does not exist.
    let missing = dir.path().join("missing").join("sub");
    let stderr = assert_failure(&backup(&db, &missing.join("copy.db")).await);
    assert!(
        stderr.contains("does not exist") && stderr.contains(&missing.display().to_string()),
        "{stderr}"
    );
    assert!(!dir.path().join("missing").exists());

    // No database there.
    let nothing = dir.path().join("nothing.db");
    let stderr = assert_failure(&backup(&nothing, &dir.path().join("x.db")).await);
    assert!(stderr.contains("no database at"));

    // The database itself.
    let stderr = assert_failure(&backup(&db, &db).await);
    assert!(stderr.contains("overwrite the database itself"));

    // A target that is a directory: the copy is made, cannot take the name, and is removed.
    let taken = dir.path().join("taken");
    std::fs::create_dir(&taken).unwrap();
    let stderr = assert_failure(&backup(&db, &taken).await);
    assert!(stderr.contains("moving the finished copy"), "{stderr}");

    let mut after = files_in(dir.path());
    after.retain(|name| name != "taken");
    assert_eq!(after, before, "nothing left behind");
    assert!(files_in(&taken).is_empty());
}

#[tokio::test]
async fn the_backup_flags_are_documented_and_bad_durations_refused() {
    let help = |command: &'static str| async move {
        let output = Command::new(BIN)
            .args([command, "--help"])
            .output()
            .await
            .unwrap();
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let serve_help = help("serve").await;
    for text in [
        "--backup-dir",
        "--backup-every",
        "--backup-keep",
        "MINICRM_BACKUP_DIR",
        "MINICRM_BACKUP_EVERY",
        "MINICRM_BACKUP_KEEP",
        "24h",
    ] {
        assert!(
            serve_help.contains(text),
            "serve --help lacks {text}:\n{serve_help}"
        );
    }
    assert!(help("backup").await.contains("--to"));

    let dir = tempfile::tempdir().unwrap();
    let (db, backups) = (dir.path().join("crm.db"), dir.path().join("backups"));
    let (db, backups) = (db.as_os_str(), backups.as_os_str());
    for (every, message) in [
        ("10", "no unit"),
        ("0s", "zero"),
        ("1 week", "not a duration"),
    ] {
        let args = ["--db".as_ref(), db, "--backup-dir".as_ref(), backups];
        let stderr =
            serve_refused(&[&args[..], &["--backup-every".as_ref(), every.as_ref()]].concat())
                .await;
        assert!(stderr.contains(message), "{every}: {stderr}");
    }
    // Keeping no backup at all is refused.
    let stderr = serve_refused(&[
        "--backup-keep".as_ref(),
        "0".as_ref(),
        "--backup-dir".as_ref(),
        backups,
        "--db".as_ref(),
        db,
    ])
    .await;
    assert!(stderr.contains("--backup-keep"), "{stderr}");
    // A schedule without a directory is a mistake, not something to ignore.
    let stderr = serve_refused(&[
        "--backup-every".as_ref(),
        "1h".as_ref(),
        "--db".as_ref(),
        db,
    ])
    .await;
    assert!(stderr.contains("--backup-dir"));
    assert!(
        !dir.path().join("crm.db").exists(),
        "refused before opening anything"
    );
}
