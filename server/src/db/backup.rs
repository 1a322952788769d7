//! Backups: a consistent copy of the database while the server runs and takes writes, through
//! SQLite's online backup API, and the schedule of `serve --backup-dir`.
//!
//! A copy is taken from one read transaction on its own connection: in WAL mode that is a
//! snapshot that writers never wait for (they go on appending to the WAL), and the copy is
//! exactly the database as of the moment the transaction began — every commit before it,
//! nothing after. Pages are copied in steps with a short pause between them, so a large copy
//! shares the disk with the server's writes. The copy is written to a temporary file beside
//! the target (rollback journal, so it is one standalone file with no `-wal`), checked with
//! `PRAGMA integrity_check`, flushed to disk, and only then renamed to the target's name: a
//! crash or a failure never leaves a half-written file under the final name.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, OpenFlags};
use thiserror::Error;
use time::OffsetDateTime;
use time::macros::format_description;

/// Pages copied per step (4 MiB with SQLite's default 4 KiB page).
const PAGES_PER_STEP: std::ffi::c_int = 1024;
/// The pause between two steps.
const PAUSE: Duration = Duration::from_millis(5);
/// How long a step may keep answering "busy" or "locked" before the backup gives up.
const BUSY_LIMIT: Duration = Duration::from_secs(30);
/// Scheduled backups are named `minicrm-20261201T120000Z.db` (UTC).
const PREFIX: &str = "minicrm-";
const SUFFIX: &str = ".db";
/// Temporary files end so; a scheduled run removes those of ours older than a day.
const PARTIAL: &str = ".partial";
const STALE_PARTIAL: Duration = Duration::from_secs(24 * 60 * 60);

#[derive(Debug, Error)]
pub enum BackupError {
    #[error("there is no database at {0}")]
    NoDatabase(PathBuf),
    #[error(
        "cannot write the backup to {target}: the directory {} does not exist",
        dir.display()
    )]
    NoDirectory { target: PathBuf, dir: PathBuf },
    #[error("the backup {0} would overwrite the database itself; choose another file")]
    SameFile(PathBuf),
    #[error("{what}: {source}")]
    Sqlite {
        what: String,
        source: rusqlite::Error,
    },
    #[error("{what}: {source}")]
    Io { what: String, source: io::Error },
    #[error("the copy failed its integrity check: {0}")]
    Corrupt(String),
    #[error("the database stayed busy for {} s; try again", BUSY_LIMIT.as_secs())]
    Busy,
}

fn sqlite(what: impl Into<String>) -> impl FnOnce(rusqlite::Error) -> BackupError {
    let what = what.into();
    move |source| BackupError::Sqlite { what, source }
}

fn io_error(what: impl Into<String>) -> impl FnOnce(io::Error) -> BackupError {
    let what = what.into();
    move |source| BackupError::Io { what, source }
}

/// What a finished backup wrote.
#[derive(Debug, Clone)]
pub struct BackupReport {
    pub path: PathBuf,
    pub bytes: u64,
    pub pages: u64,
    pub elapsed: Duration,
}

/// Copies the database at `db` to `target` (replacing a file of that name once the copy is
/// complete). Safe while a server has the database open and writes to it. Blocking: call it
/// from `spawn_blocking` on the async runtime.
pub fn backup(db: &Path, target: &Path) -> Result<BackupReport, BackupError> {
    backup_then(db, target, || Ok(()))
}

/// [`backup`], running `before_rename` once the copy is complete, checked and on disk, just
/// before it takes the target's name (a failure there leaves no file behind).
fn backup_then(
    db: &Path,
    target: &Path,
    before_rename: impl FnOnce() -> Result<(), BackupError>,
) -> Result<BackupReport, BackupError> {
    let started = Instant::now();
    let partial = prepare(db, target)?;
    let result = copy_into(db, &partial, target).and_then(|pages| {
        before_rename()?;
        fs::rename(&partial, target).map_err(io_error(format!(
            "moving the finished copy {} to {}",
            partial.display(),
            target.display()
        )))?;
        sync_dir(target);
        Ok(pages)
    });
    match result {
        Ok(pages) => {
            let bytes = fs::metadata(target).map(|meta| meta.len()).unwrap_or(0);
            Ok(BackupReport {
                path: target.to_owned(),
                bytes,
                pages,
                elapsed: started.elapsed(),
            })
        }
        Err(err) => {
            remove_partial(&partial);
            Err(err)
        }
    }
}

/// Checks the source and the target's directory; returns the temporary file's path.
fn prepare(db: &Path, target: &Path) -> Result<PathBuf, BackupError> {
    if !db.is_file() {
        return Err(BackupError::NoDatabase(db.to_owned()));
    }
    let dir = match target.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_owned(),
        _ => PathBuf::from("."),
    };
    if !dir.is_dir() {
        return Err(BackupError::NoDirectory {
            target: target.to_owned(),
            dir,
        });
    }
    if let (Ok(source), Ok(copy)) = (db.canonicalize(), target.canonicalize())
        && source == copy
    {
        return Err(BackupError::SameFile(target.to_owned()));
    }
    let name = target
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| "backup".into());
    Ok(dir.join(format!(
        ".{name}.{}{PARTIAL}",
        uuid::Uuid::new_v4().simple()
    )))
}

/// Copies `db` into the new file `partial` and checks it; returns the pages copied.
fn copy_into(db: &Path, partial: &Path, target: &Path) -> Result<u64, BackupError> {
    // Read-write (never create): a WAL database is read through its -shm, which a
    // read-only connection cannot always set up. Nothing is written through it.
    let source = Connection::open_with_flags(
        db,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(sqlite(format!("opening {}", db.display())))?;
    source
        .busy_timeout(BUSY_LIMIT)
        .map_err(sqlite("setting the busy timeout"))?;
    // One read transaction for the whole copy: a fixed snapshot, so writes by the server
    // neither restart the copy nor wait for it.
    source
        .execute_batch("BEGIN DEFERRED")
        .map_err(sqlite("starting the read transaction"))?;
    source
        .query_row("SELECT count(*) FROM sqlite_schema", [], |row| {
            row.get::<_, i64>(0)
        })
        .map_err(sqlite(format!("reading {}", db.display())))?;

    let mut copy = Connection::open_with_flags(
        partial,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(sqlite(format!(
        "creating the backup file {}",
        partial.display()
    )))?;
    // The copy holds password and token hashes: readable by the server's user only.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(partial, fs::Permissions::from_mode(0o600))
            .map_err(io_error(format!("making {} private", partial.display())))?;
    }
    let pages = {
        let backup = Backup::new(&source, &mut copy).map_err(sqlite("starting the backup"))?;
        let mut busy_since: Option<Instant> = None;
        loop {
            match backup
                .step(PAGES_PER_STEP)
                .map_err(sqlite(format!("copying into {}", target.display())))?
            {
                StepResult::Done => break,
                StepResult::More => busy_since = None,
                StepResult::Busy | StepResult::Locked => {
                    let since = *busy_since.get_or_insert_with(Instant::now);
                    if since.elapsed() > BUSY_LIMIT {
                        return Err(BackupError::Busy);
                    }
                }
                // A new variant of a non-exhaustive enum: treat as "try again".
                _ => {}
            }
            std::thread::sleep(PAUSE);
        }
        u64::try_from(backup.progress().pagecount).unwrap_or(0)
    };
    source
        .execute_batch("COMMIT")
        .map_err(sqlite("ending the read transaction"))?;
    drop(source);

    // A standalone file: no WAL beside it; the server switches it to WAL when it opens it.
    let mode: String = copy
        .query_row("PRAGMA journal_mode = DELETE", [], |row| row.get(0))
        .map_err(sqlite("setting the copy's journal mode"))?;
    if !mode.eq_ignore_ascii_case("delete") {
        return Err(BackupError::Corrupt(format!(
            "the copy stayed in journal mode {mode}"
        )));
    }
    let check: Vec<String> = copy
        .prepare("PRAGMA integrity_check")
        .and_then(|mut stmt| {
            stmt.query_map([], |row| row.get::<_, String>(0))?
                .collect::<Result<_, _>>()
        })
        .map_err(sqlite("checking the copy"))?;
    if check != ["ok"] {
        return Err(BackupError::Corrupt(check.join("; ")));
    }
    copy.close()
        .map_err(|(_, err)| err)
        .map_err(sqlite("closing the copy"))?;
    // On disk before it gets the final name.
    fs::File::open(partial)
        .and_then(|file| file.sync_all())
        .map_err(io_error(format!("flushing {}", partial.display())))?;
    Ok(pages)
}

/// Makes a rename durable (best effort: not every platform can open a directory).
fn sync_dir(path: &Path) {
    if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty())
        && let Ok(dir) = fs::File::open(dir)
    {
        let _ = dir.sync_all();
    }
}

fn remove_partial(partial: &Path) {
    for path in [
        partial.to_owned(),
        PathBuf::from(format!("{}-journal", partial.display())),
    ] {
        match fs::remove_file(&path) {
            Ok(()) => {}
            Err(err) if err.kind() == io::ErrorKind::NotFound => {}
            Err(err) => {
                tracing::warn!(path = %path.display(), %err, "cannot remove an unfinished backup")
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Scheduled backups.

/// The name of a scheduled backup taken at `at`: `minicrm-20261201T120000Z.db`.
pub fn scheduled_name(at: OffsetDateTime) -> String {
    let format = format_description!("[year][month][day]T[hour][minute][second]Z");
    let stamp = at
        .to_offset(time::UtcOffset::UTC)
        .format(&format)
        .unwrap_or_else(|_| "00000000T000000Z".into());
    format!("{PREFIX}{stamp}{SUFFIX}")
}

/// The time in a scheduled backup's name, or `None` for any other file.
pub fn parse_scheduled_name(name: &str) -> Option<OffsetDateTime> {
    let stamp = name.strip_prefix(PREFIX)?.strip_suffix(SUFFIX)?;
    let format = format_description!("[year][month][day]T[hour][minute][second]Z");
    time::PrimitiveDateTime::parse(stamp, &format)
        .ok()
        .map(time::PrimitiveDateTime::assume_utc)
}

/// The scheduled backups in `dir`, oldest first.
pub fn scheduled_backups(dir: &Path) -> io::Result<Vec<(OffsetDateTime, PathBuf)>> {
    let mut found = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        if let Some(at) = name.to_str().and_then(parse_scheduled_name)
            && entry.file_type()?.is_file()
        {
            found.push((at, entry.path()));
        }
    }
    found.sort();
    Ok(found)
}

/// Deletes the oldest scheduled backups in `dir` so that at most `keep` remain, counting
/// `incoming` (a backup about to take its name, replacing any file of that name) as one of
/// them; returns the deleted paths. Other files are never touched.
pub fn prune(dir: &Path, keep: usize, incoming: Option<&Path>) -> io::Result<Vec<PathBuf>> {
    let found: Vec<_> = scheduled_backups(dir)?
        .into_iter()
        .filter(|(_, path)| Some(path.as_path()) != incoming)
        .collect();
    let room = keep.saturating_sub(usize::from(incoming.is_some()));
    let excess = found.len().saturating_sub(room);
    let mut deleted = Vec::new();
    for (_, path) in found.into_iter().take(excess) {
        fs::remove_file(&path)?;
        deleted.push(path);
    }
    Ok(deleted)
}

/// Removes our temporary files in `dir` left by a crash (older than a day).
fn remove_stale_partials(dir: &Path, now: SystemTime) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let ours = name.starts_with(&format!(".{PREFIX}")) && name.ends_with(PARTIAL);
        let stale = entry
            .metadata()
            .and_then(|meta| meta.modified())
            .ok()
            .and_then(|modified| now.duration_since(modified).ok())
            .is_some_and(|age| age > STALE_PARTIAL);
        if ours && stale {
            remove_partial(&entry.path());
        }
    }
}

/// One scheduled backup: a copy named after `now` in `dir` (created if missing). Once the
/// copy is complete and checked, and before it takes its name, the oldest backups are
/// deleted so that, with it, `keep` remain: there are never more than `keep` finished
/// backups in the directory, and never fewer than before because a copy failed.
pub fn backup_into(
    db: &Path,
    dir: &Path,
    keep: usize,
    now: OffsetDateTime,
) -> Result<(BackupReport, Vec<PathBuf>), BackupError> {
    fs::create_dir_all(dir).map_err(io_error(format!(
        "creating the backup directory {}",
        dir.display()
    )))?;
    remove_stale_partials(dir, SystemTime::now());
    let target = dir.join(scheduled_name(now));
    let mut deleted = Vec::new();
    let report = backup_then(db, &target, || {
        deleted = prune(dir, keep.max(1), Some(&target)).map_err(io_error(format!(
            "deleting old backups in {}",
            dir.display()
        )))?;
        Ok(())
    })?;
    Ok((report, deleted))
}

/// How `serve` takes backups on its own.
#[derive(Debug, Clone)]
pub struct Schedule {
    pub db: PathBuf,
    pub dir: PathBuf,
    pub every: Duration,
    pub keep: usize,
}

/// Runs forever: a backup every `every` (the first one `every` after the newest backup
/// already in the directory, or now if there is none or it is older), each on a blocking
/// thread. A failure is logged and tried again at the next interval; it never stops the
/// server.
pub async fn run_schedule(schedule: Schedule) {
    let every = schedule.every.max(Duration::from_secs(1));
    let newest = {
        let dir = schedule.dir.clone();
        tokio::task::spawn_blocking(move || {
            scheduled_backups(&dir)
                .ok()
                .and_then(|found| found.last().map(|(at, _)| *at))
        })
        .await
        .ok()
        .flatten()
    };
    let mut wait = newest.map_or(Duration::ZERO, |newest| {
        let age = OffsetDateTime::now_utc() - newest;
        let age = Duration::try_from(age).unwrap_or(Duration::ZERO);
        every.saturating_sub(age)
    });
    tracing::info!(
        dir = %schedule.dir.display(),
        every_s = every.as_secs(),
        keep = schedule.keep,
        first_in_s = wait.as_secs(),
        "scheduled backups"
    );
    loop {
        tokio::time::sleep(wait).await;
        let started = Instant::now();
        let job = schedule.clone();
        let outcome = tokio::task::spawn_blocking(move || {
            backup_into(&job.db, &job.dir, job.keep, OffsetDateTime::now_utc())
        })
        .await;
        match outcome {
            Ok(Ok((report, deleted))) => tracing::info!(
                path = %report.path.display(),
                bytes = report.bytes,
                ms = report.elapsed.as_millis(),
                deleted = deleted.len(),
                "backup written"
            ),
            Ok(Err(err)) => {
                tracing::error!(%err, "backup failed; trying again at the next interval")
            }
            Err(err) => {
                tracing::error!(%err, "backup task failed; trying again at the next interval")
            }
        }
        wait = every.saturating_sub(started.elapsed());
    }
}

/// Parses a duration such as `24h`, `30m`, `90s`, `7d` or `1h30m`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let hint = "write it as a number and a unit, e.g. 24h, 30m, 90s or 1h30m";
    if text.is_empty() {
        return Err(format!("no duration given: {hint}"));
    }
    let mut total: u64 = 0;
    let mut digits = String::new();
    for ch in text.chars() {
        if ch.is_ascii_digit() {
            digits.push(ch);
            continue;
        }
        let unit = match ch {
            's' => 1,
            'm' => 60,
            'h' => 60 * 60,
            'd' => 24 * 60 * 60,
            _ => return Err(format!("{text:?} is not a duration: {hint}")),
        };
        let count: u64 = digits
            .parse()
            .map_err(|_| format!("{text:?} is not a duration: {hint}"))?;
        total = count
            .checked_mul(unit)
            .and_then(|seconds| total.checked_add(seconds))
            .ok_or_else(|| format!("{text:?} is too long"))?;
        digits.clear();
    }
    if !digits.is_empty() {
        return Err(format!("{text:?} has no unit: {hint}"));
    }
    if total == 0 {
        return Err(format!(
            "{text:?} is zero: a backup interval must be at least 1s"
        ));
    }
    Ok(Duration::from_secs(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_with_units_and_refuse_the_rest() {
        assert_eq!(parse_duration("24h"), Ok(Duration::from_secs(86_400)));
        assert_eq!(parse_duration("30m"), Ok(Duration::from_secs(1_800)));
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("7d"), Ok(Duration::from_secs(604_800)));
        assert_eq!(parse_duration(" 1h30m "), Ok(Duration::from_secs(5_400)));
        for bad in [
            "",
            "24",
            "h",
            "1x",
            "-1h",
            "1.5h",
            "0s",
            "1h 30m",
            "99999999999999999999d",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn scheduled_names_carry_a_utc_timestamp_and_read_back() {
        let at = time::macros::datetime!(2026-12-01 13:00:00 +01:00);
        let name = scheduled_name(at);
        assert_eq!(name, "minicrm-20261201T120000Z.db");
        assert_eq!(parse_scheduled_name(&name), Some(at));
        for other in [
            "minicrm.db",
            "minicrm-20261201T120000Z.db-wal",
            ".minicrm-20261201T120000Z.db.abc.partial",
            "minicrm-2026-12-01.db",
            "notes.txt",
        ] {
            assert_eq!(parse_scheduled_name(other), None, "{other}");
        }
    }

    #[test]
    fn prune_keeps_the_newest_and_touches_no_other_file() {
        let dir = tempfile::tempdir().unwrap();
        let names = [
            "minicrm-20261203T000000Z.db",
            "minicrm-20261201T000000Z.db",
            "minicrm-20261202T000000Z.db",
            "minicrm-20261204T000000Z.db",
            "mine.db",
        ];
        for name in names {
            fs::write(dir.path().join(name), b"x").unwrap();
        }
        // keep 3 with a new one about to arrive: room for the two newest of the four.
        let incoming = dir.path().join("minicrm-20261205T000000Z.db");
        let deleted = prune(dir.path(), 3, Some(&incoming)).unwrap();
        let deleted: Vec<_> = deleted
            .iter()
            .map(|path| path.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            deleted,
            ["minicrm-20261201T000000Z.db", "minicrm-20261202T000000Z.db"]
        );
        let mut left: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(
            left,
            [
                "mine.db",
                "minicrm-20261203T000000Z.db",
                "minicrm-20261204T000000Z.db"
            ]
        );
        // Without one arriving, keep 1 leaves the newest.
        let deleted = prune(dir.path(), 1, None).unwrap();
        assert_eq!(deleted, [dir.path().join("minicrm-20261203T000000Z.db")]);
    }

    #[test]
    fn a_backup_is_a_complete_standalone_copy() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("crm.db");
        let conn = Connection::open(&db).unwrap();
        conn.query_row("PRAGMA journal_mode = WAL", [], |row| {
            row.get::<_, String>(0)
        })
        .unwrap();
        // Keep the WAL from being checkpointed: the rows below live only in the -wal file.
        conn.pragma_update(None, "wal_autocheckpoint", 0).unwrap();
        conn.execute_batch("CREATE TABLE t (n INTEGER); INSERT INTO t VALUES (1), (2), (3);")
            .unwrap();
        let target = dir.path().join("copy.db");
        let report = backup(&db, &target).unwrap();
        assert_eq!(report.path, target);
        assert!(report.bytes > 0);
        assert!(!dir.path().join("copy.db-wal").exists());
        let copy = Connection::open(&target).unwrap();
        let mode: String = copy
            .query_row("PRAGMA journal_mode", [], |row| row.get(0))
            .unwrap();
        assert_eq!(mode, "delete");
        let sum: i64 = copy
            .query_row("SELECT sum(n) FROM t", [], |row| row.get(0))
            .unwrap();
        assert_eq!(sum, 6);
        let leftovers: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name.ends_with(PARTIAL))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&report.path).unwrap().permissions().mode();
            assert_eq!(
                mode & 0o777,
                0o600,
                "only the server's user reads the hashes"
            );
        }
    }

    #[test]
    fn a_backup_onto_the_database_itself_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("crm.db");
        Connection::open(&db)
            .unwrap()
            .execute_batch("CREATE TABLE t (n INTEGER)")
            .unwrap();
        let err = backup(&db, &dir.path().join("./crm.db")).unwrap_err();
        assert!(matches!(err, BackupError::SameFile(_)), "{err}");
    }
}
