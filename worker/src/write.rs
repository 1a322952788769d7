//! The writing of an import: the plan fixed when it starts (kept on the device with the
//! job), then chunk by chunk, each chunk's records, the outbox entries and the job's
//! progress in one transaction — so a closed tab or a crash resumes exactly after the last
//! chunk written, and a record is never made twice (its id comes from the import and the
//! row's line).

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};
use std::rc::Rc;

use minicrm_core::import::job::{ImportJob, Reply, Status, Step};
use minicrm_core::import::mapping;
use minicrm_core::import::plan::{self, Action};
use minicrm_core::import::rows::Prepared;
use minicrm_core::schema::Entity;
use minicrm_storage::rows::StoredRow;
use serde_json::Value;
use uuid::Uuid;

use crate::device::{now_ms, rfc3339, storage, storage_error};
use crate::source::{self, Read};
use crate::{context, envelope, review};

/// Rows per transaction: large enough that the writing goes at IndexedDB's pace, small
/// enough that a cancel or a crash loses little and other tabs' writes are not held up.
const CHUNK: usize = 500;

thread_local! {
    static CANCELLED: RefCell<BTreeSet<Uuid>> = const { RefCell::new(BTreeSet::new()) };
}

/// Asks the writing of `import_id` to stop after its current chunk.
pub fn cancel(import_id: Uuid) {
    CANCELLED.with(|set| set.borrow_mut().insert(import_id));
}

fn take_cancel(import_id: Uuid) -> bool {
    CANCELLED.with(|set| set.borrow_mut().remove(&import_id))
}

/// The import's row in the import history.
fn history_key(import_id: Uuid) -> (String, String) {
    (Entity::Import.as_str().to_owned(), import_id.to_string())
}

/// What one row of a chunk writes: a new record's values, or an existing one's update.
enum Item {
    Create(Vec<(String, Value)>),
    Update(Vec<(String, Value)>),
}

/// Writes the import (or goes on writing it): progress to request `request_id` after
/// every chunk, then the counts.
pub async fn write(request_id: f64, import_id: Uuid) -> Result<Reply, String> {
    let result = write_all(request_id, import_id).await;
    // A cancel asked for before or during this run is used up by it (one asked before
    // the run started stops it at its first chunk).
    take_cancel(import_id);
    result
}

async fn write_all(request_id: f64, import_id: Uuid) -> Result<Reply, String> {
    let mut job = source::job(import_id).await?;
    if matches!(job.step, Step::Done) {
        return Ok(Reply::Finished {
            counts: job.counts,
            cancelled: false,
            kept: Vec::new(),
        });
    }
    let storage = storage().await?.for_user(&job.user_id);
    let read = source::read(&job).await?;
    let ctx = context::load().await?;
    let plan: Vec<(u32, Action)> =
        match storage.import_plan(&job.id).await.map_err(storage_error)? {
            Some(plan) => plan,
            None => {
                source::freeze(&mut job, &read);
                start(&mut job, &read, &ctx).await?
            }
        };
    let rows: HashMap<u32, &minicrm_core::import::table::Row> =
        read.data().iter().map(|row| (row.line, row)).collect();
    // The rows as the review (or the plan just fixed) prepared them; a resumed import in a
    // new worker prepares each row as its chunk comes.
    let prepared = review::cached_prepared(&job, &read, &ctx);
    let prepared: HashMap<u32, &Prepared> = prepared
        .iter()
        .flat_map(|rows| rows.iter())
        .map(|row| (row.line, row))
        .collect();
    let total = plan.len() as u32;
    let mut cancelled = false;
    while (job.written as usize) < plan.len() {
        if take_cancel(import_id) {
            cancelled = true;
            break;
        }
        let start = job.written as usize;
        let chunk = &plan[start..(start + CHUNK).min(plan.len())];
        let mut keys = Vec::new();
        let mut items = Vec::new();
        let mut next = job.clone();
        for (line, action) in chunk {
            let values = || match prepared.get(line) {
                Some(row) => row.values.clone(),
                None => rows
                    .get(line)
                    .map(|row| review::prepare(&job, &ctx, row).values)
                    .unwrap_or_default(),
            };
            match action {
                Action::Create { id } => {
                    keys.push(("contact".to_owned(), id.to_string()));
                    items.push(Item::Create(values()));
                }
                Action::Update { id } => {
                    keys.push(("contact".to_owned(), id.to_string()));
                    items.push(Item::Update(values()));
                }
                Action::Skip => next.counts.skipped += 1,
                Action::Fail => next.counts.failed += 1,
            }
        }
        next.written = (start + chunk.len()) as u32;
        let counts = RefCell::new(next.counts);
        let (mode, id) = (job.mode, job.id);
        storage
            .write_new_and_planned(
                &keys,
                // A record the import creates is not on the device (see plan::row_id).
                |index| matches!(items[index], Item::Create(_)),
                |index, row| match &items[index] {
                    Item::Create(values) => {
                        counts.borrow_mut().created += 1;
                        plan::create_writes(values, id)
                    }
                    Item::Update(values) => {
                        let shown = row.map(StoredRow::shown).unwrap_or_default();
                        let writes = plan::update_writes(&shown, values, mode, id);
                        let mut counts = counts.borrow_mut();
                        if writes.is_empty() {
                            counts.unchanged += 1;
                        } else {
                            counts.updated += 1;
                        }
                        writes
                    }
                },
                || {
                    let mut stored = next.clone();
                    stored.counts = *counts.borrow();
                    Some(stored)
                },
                None,
                Some((&job.id, job.written)),
                now_ms(),
            )
            .await
            .map_err(storage_error)?;
        next.counts = counts.into_inner();
        job = next;
        envelope::rows_written(&keys);
        envelope::reply(
            request_id,
            &Reply::Progress {
                done: job.written,
                total,
            },
            None,
        );
    }
    // The history entry is closed with the counts, in the transaction that marks the job.
    job.step = if cancelled {
        Step::Cancelled
    } else {
        Step::Done
    };
    let status = if cancelled {
        Status::Cancelled
    } else {
        Status::Done
    };
    let now = now_ms();
    job.finished_ms = Some(now);
    let history = job.history_end(status, &rfc3339(now));
    let keys = vec![history_key(job.id)];
    storage
        .write_planned(
            &keys,
            |_, _| history.clone(),
            || Some(job.clone()),
            None,
            Some((&import_id, job.written)),
            now,
        )
        .await
        .map_err(storage_error)?;
    envelope::rows_written(&keys);
    // Written or stopped: the rows prepared for it are not needed again (a stopped import
    // goes on by preparing each chunk's rows).
    review::forget_prepared(&read);
    Ok(Reply::Finished {
        counts: job.counts,
        cancelled,
        kept: Vec::new(),
    })
}

/// Fixes the plan and enters the import in the history, in one transaction: from here a
/// resumed import follows this plan.
async fn start(
    job: &mut ImportJob,
    read: &Rc<Read>,
    ctx: &mapping::Context,
) -> Result<Vec<(u32, Action)>, String> {
    // Where the stored job stands: the plan is fixed only over it (not over a job
    // discarded or started by another tab meanwhile).
    let was = job.written;
    let planned = review::plan_rows(job, read, ctx).await?;
    let plan: Vec<(u32, Action)> = planned
        .rows()
        .map(|p| (p.prepared.line, p.action))
        .collect();
    job.step = Step::Writing;
    job.planned = plan.len() as u32;
    job.written = 0;
    job.counts = Default::default();
    let headers = read.headers();
    let layout = mapping::layout_key(&headers);
    let now = now_ms();
    let writes = job.history_start(&rfc3339(now), &headers, &layout);
    let keys = vec![history_key(job.id)];
    let storage = storage().await?.for_user(&job.user_id);
    let plan_json = serde_json::to_string(&plan).map_err(|err| err.to_string())?;
    storage
        .write_planned(
            &keys,
            |_, _| writes.clone(),
            || Some(job.clone()),
            Some(&plan_json),
            Some((&job.id, was)),
            now,
        )
        .await
        .map_err(storage_error)?;
    envelope::rows_written(&keys);
    Ok(plan)
}
