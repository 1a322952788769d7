//! Demo changes go in as a device's would: collected, then pushed in batches through
//! `apply_push`.

use minicrm_core::access::Actor;
use minicrm_core::hlc::Clock;
use minicrm_core::sync::{Change, MAX_PUSH_CHANGES, ReadChange};
use rusqlite::Connection;
use serde_json::Value;
use uuid::Uuid;

use crate::db::users::UserError;
use crate::db::{DbError, sync};

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("the database already has accounts; demo data only goes into an empty database")]
    NotEmpty,
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("a demo change was refused (a bug in the generator): {0}")]
    Refused(String),
    #[error("creating a demo account: {0}")]
    User(String),
}

impl From<UserError> for DemoError {
    fn from(err: UserError) -> Self {
        match err {
            UserError::EmailTaken(email) => DemoError::User(format!("{email} exists")),
            UserError::LastAdmin => DemoError::User(err.to_string()),
            UserError::Db(err) => DemoError::Db(err),
        }
    }
}

/// Collects changes and pushes them through the sync path in batches.
pub(super) struct Writer<'a> {
    conn: &'a mut Connection,
    actor: Actor,
    clock: Clock,
    server_clock: Clock,
    pub(super) now_ms: i64,
    pending: Vec<Change>,
    seq: u64,
    pub(super) total: usize,
}

impl<'a> Writer<'a> {
    /// Writes as `actor`, from a device of its own, at `now_ms`.
    pub(super) fn new(
        conn: &'a mut Connection,
        actor: Actor,
        now_ms: i64,
    ) -> Result<Writer<'a>, DemoError> {
        let server_clock = sync::load_clock(conn)?;
        Ok(Writer {
            conn,
            actor,
            clock: Clock::new("demo-data"),
            server_clock,
            now_ms,
            pending: Vec::new(),
            seq: 0,
            total: 0,
        })
    }
}

impl Writer<'_> {
    pub(super) fn set(
        &mut self,
        entity: &str,
        id: &str,
        field: &str,
        value: Value,
    ) -> Result<(), DemoError> {
        self.seq += 1;
        let hlc = self
            .clock
            .tick(u64::try_from(self.now_ms).unwrap_or(0))
            .to_string();
        self.pending
            .push(Change::new(self.seq, entity, id, field, value, hlc));
        if self.pending.len() >= MAX_PUSH_CHANGES {
            self.flush()?;
        }
        Ok(())
    }

    pub(super) fn row(
        &mut self,
        entity: &str,
        id: &str,
        fields: &[(&str, Value)],
    ) -> Result<(), DemoError> {
        for (field, value) in fields {
            self.set(entity, id, field, value.clone())?;
        }
        Ok(())
    }

    pub(super) fn flush(&mut self) -> Result<(), DemoError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let batch: Vec<ReadChange> = self.pending.drain(..).map(ReadChange::Whole).collect();
        self.total += batch.len();
        let reply = sync::apply_push(
            self.conn,
            &self.actor,
            "demo-data",
            batch,
            &mut self.server_clock,
            self.now_ms,
        )?;
        if let Some(rejected) = reply.rejected.first() {
            return Err(DemoError::Refused(rejected.message.clone()));
        }
        Ok(())
    }
}

pub(super) fn new_id() -> String {
    Uuid::now_v7().to_string()
}
