//! SQLite storage. One writer connection behind a mutex and a small pool of readers, all
//! used from `spawn_blocking` so the async runtime never waits on SQLite. WAL mode lets the
//! readers run while the writer writes.

pub mod backup;
mod error;
pub mod reports;
mod rows;
pub mod sync;
pub mod tokens;
pub mod users;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rusqlite::{Connection, OpenFlags, Transaction};
use rusqlite_migration::{M, Migrations};

pub use error::DbError;

/// Append-only: never edit a migration that has shipped; add a new one.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_users.sql"),
    include_str!("migrations/0002_sync.sql"),
    include_str!("migrations/0003_purge.sql"),
    include_str!("migrations/0004_bounds_and_scopes.sql"),
    include_str!("migrations/0005_history_by_time.sql"),
];

/// Readers kept open for reuse; more are opened on demand under load.
const IDLE_READERS: usize = 8;

/// A handle to the database; cheap to clone.
#[derive(Clone)]
pub struct Db {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
}

fn migrations() -> Migrations<'static> {
    Migrations::new(MIGRATIONS.iter().map(|sql| M::up(sql)).collect())
}

fn configure(conn: &Connection) -> Result<(), rusqlite::Error> {
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.pragma_update(None, "foreign_keys", true)?;
    // FULL: a commit is on disk before the reply; survives kill -9 and power loss.
    conn.pragma_update(None, "synchronous", "FULL")?;
    Ok(())
}

impl Db {
    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    /// Safe while another process has it open (the `user add` command beside a server).
    pub fn open(path: &Path) -> Result<Db, DbError> {
        if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| DbError::CreateDir {
                path: dir.to_owned(),
                source,
            })?;
        }
        let mut writer = Connection::open(path)?;
        writer.busy_timeout(std::time::Duration::from_secs(10))?;
        let mode: String = writer.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            tracing::warn!(mode, "SQLite refused WAL mode");
        }
        configure(&writer)?;
        migrations().to_latest(&mut writer)?;
        in_transaction(&mut writer, |tx| {
            users::publish_missing_users(tx, now_ms())?;
            sync::settle_legacy_role_changes(tx, now_ms())
        })?;
        Ok(Db {
            inner: Arc::new(Inner {
                path: path.to_owned(),
                writer: Mutex::new(writer),
                readers: Mutex::new(Vec::new()),
            }),
        })
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Runs `f` on the single writer connection, off the async runtime.
    pub async fn write<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, E> + Send + 'static,
    {
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || {
            let mut conn = inner.writer.lock().map_err(|_| DbError::Poisoned)?;
            f(&mut conn)
        })
        .await
        .map_err(DbError::from)?
    }

    /// Runs `f` on a read-only connection, off the async runtime; readers run in parallel.
    pub async fn read<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
        F: FnOnce(&Connection) -> Result<T, E> + Send + 'static,
    {
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || {
            let conn = inner.take_reader()?;
            let result = f(&conn);
            inner.return_reader(conn);
            result
        })
        .await
        .map_err(DbError::from)?
    }

    /// The same as [`Db::write`] but blocking: for the command line, not for handlers.
    pub fn write_blocking<T, E, F>(&self, f: F) -> Result<T, E>
    where
        E: From<DbError>,
        F: FnOnce(&mut Connection) -> Result<T, E>,
    {
        let mut conn = self.inner.writer.lock().map_err(|_| DbError::Poisoned)?;
        f(&mut conn)
    }
}

/// Runs `f` in one transaction on `conn`: committed when `f` succeeds, rolled back when it
/// fails.
pub fn in_transaction<T, E, F>(conn: &mut Connection, f: F) -> Result<T, E>
where
    E: From<DbError>,
    F: FnOnce(&Transaction<'_>) -> Result<T, E>,
{
    let tx = conn.transaction().map_err(DbError::from)?;
    let value = f(&tx)?;
    tx.commit().map_err(DbError::from)?;
    Ok(value)
}

impl Inner {
    fn take_reader(&self) -> Result<Connection, DbError> {
        if let Some(conn) = self.readers.lock().map_err(|_| DbError::Poisoned)?.pop() {
            return Ok(conn);
        }
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        configure(&conn)?;
        Ok(conn)
    }

    fn return_reader(&self, conn: Connection) {
        if let Ok(mut readers) = self.readers.lock()
            && readers.len() < IDLE_READERS
        {
            readers.push(conn);
        }
    }
}

/// Milliseconds since the Unix epoch, the unit of every `*_at` column.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_valid() {
        migrations().validate().unwrap();
    }

    #[test]
    fn open_creates_the_file_in_wal_mode_and_is_idempotent() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/dir/crm.db");
        drop(Db::open(&path).unwrap());
        let db = Db::open(&path).unwrap();
        let mode: String = db
            .write_blocking(|conn| {
                conn.query_row("PRAGMA journal_mode", [], |row| row.get(0))
                    .map_err(DbError::from)
            })
            .unwrap();
        assert_eq!(mode, "wal");
    }
}
