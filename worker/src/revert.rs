//! Undoing an import on the device: every record bearing its mark, chunk by chunk, as
//! ordinary edits that sync. Records it created go to the trash; fields it overwrote get
//! their previous values back unless someone changed them since (those are listed).

use std::cell::RefCell;

use minicrm_core::import::job::{self, Counts, Reply};
use minicrm_core::import::plan;
use minicrm_core::record::Contact;
use minicrm_core::schema::Entity;
use minicrm_storage::rows::{RowScan, StoredRow};
use uuid::Uuid;

use crate::device::{now_ms, rfc3339, storage, storage_error};
use crate::envelope;

const SLICE: u32 = 5000;
const CHUNK: usize = 500;

/// The records the import left its mark on.
async fn marked(import_id: Uuid) -> Result<Vec<(String, String)>, String> {
    let storage = storage().await?;
    let mark = plan::import_field(import_id);
    let mut keys = Vec::new();
    let mut scan = RowScan::new(&storage, "contact", SLICE);
    while let Some(slice) = scan.next().await.map_err(storage_error)? {
        for row in slice.parsed() {
            let row = row.map_err(storage_error)?;
            if row.shown().contains_key(&mark) {
                keys.push(("contact".to_owned(), row.id));
            }
        }
    }
    Ok(keys)
}

/// Reverts the import as `user_id`: progress to request `request_id`, then the counts
/// (created records trashed, updated ones restored) and the fields left alone.
pub async fn revert(request_id: f64, import_id: Uuid, user_id: &str) -> Result<Reply, String> {
    let storage = storage().await?.for_user(user_id);
    let keys = marked(import_id).await?;
    let total = keys.len() as u32;
    let counts = RefCell::new(Counts::default());
    let kept = RefCell::new(Vec::new());
    for (done, chunk) in keys.chunks(CHUNK).enumerate() {
        storage
            .write_planned(
                chunk,
                |index, row| {
                    let shown = row.map(StoredRow::shown).unwrap_or_default();
                    let Some(revert) = plan::revert(&shown, import_id) else {
                        return Vec::new();
                    };
                    let id = &chunk[index].1;
                    let name = Contact::from_fields(id, &shown)
                        .map(|c| c.display_name())
                        .unwrap_or_else(|| id.clone());
                    kept.borrow_mut()
                        .extend(revert.kept.iter().map(|field| format!("{name}: {field}")));
                    let mut counts = counts.borrow_mut();
                    if revert
                        .writes
                        .iter()
                        .any(|(f, v)| f == "deleted" && v == &serde_json::json!(true))
                    {
                        counts.created += 1;
                    } else {
                        counts.updated += 1;
                    }
                    revert.writes
                },
                || None,
                None,
                None,
                now_ms(),
            )
            .await
            .map_err(storage_error)?;
        envelope::rows_written(chunk);
        envelope::reply(
            request_id,
            &Reply::Progress {
                done: ((done + 1) * CHUNK).min(keys.len()) as u32,
                total,
            },
            None,
        );
    }
    let history = vec![(Entity::Import.as_str().to_owned(), import_id.to_string())];
    let writes = job::history_reverted(user_id, &rfc3339(now_ms()));
    storage
        .write_planned(
            &history,
            |_, _| writes.clone(),
            || None,
            None,
            None,
            now_ms(),
        )
        .await
        .map_err(storage_error)?;
    envelope::rows_written(&history);
    Ok(Reply::Finished {
        counts: counts.into_inner(),
        cancelled: false,
        kept: kept.into_inner(),
    })
}
