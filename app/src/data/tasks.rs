//! What is done to one task (done, reopened, to the trash, restored): each an ordinary
//! edit of its row through the outbox.

use serde_json::{Value, json};
use uuid::Uuid;

use super::{Replica, TASK};
use crate::storage::StorageError;

/// A change of one task.
#[derive(Debug, Clone, PartialEq)]
pub enum TaskChange {
    /// Done at `at` (RFC 3339) by `by`: it moves to its record's history.
    Done { at: String, by: Option<Uuid> },
    /// Open again (from the record's history).
    Reopen,
    /// To the trash (`true`) or back from it (`false`).
    Trash(bool),
}

impl TaskChange {
    /// The fields the change writes.
    pub fn fields(self) -> Vec<(String, Value)> {
        let id_value = |id: Option<Uuid>| id.map_or(Value::Null, |id| json!(id.to_string()));
        match self {
            TaskChange::Done { at, by } => vec![
                ("done".into(), json!(true)),
                ("done_at".into(), json!(at)),
                ("done_by".into(), id_value(by)),
            ],
            TaskChange::Reopen => vec![
                ("done".into(), json!(false)),
                ("done_at".into(), Value::Null),
                ("done_by".into(), Value::Null),
            ],
            TaskChange::Trash(deleted) => vec![("deleted".into(), json!(deleted))],
        }
    }
}

impl Replica {
    /// Writes `change` of task `id`.
    pub async fn write_task(self, id: Uuid, change: TaskChange) -> Result<(), StorageError> {
        self.write(TASK, &id.to_string(), change.fields()).await
    }
}
