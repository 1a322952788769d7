//! The one error type of the storage layer.

use std::path::PathBuf;

use thiserror::Error;

#[derive(Debug, Error)]
pub enum DbError {
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("migrating the database: {0}")]
    Migration(#[from] rusqlite_migration::Error),
    #[error("creating the database directory {path}: {source}")]
    CreateDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("a database task panicked or was cancelled: {0}")]
    Task(#[from] tokio::task::JoinError),
    #[error("the database lock is poisoned by an earlier panic")]
    Poisoned,
}
