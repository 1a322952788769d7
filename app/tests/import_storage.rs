//! An import's storage in real Chromium: the job and its file kept on the device, chunks
//! written with the job's progress in one transaction (so an interrupted import resumes
//! without making a record twice), a revert through the same writes, and a logout that
//! takes imports with it.

#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use minicrm_app::storage::rows::StoredRow;
use minicrm_app::storage::{Storage, StorageError};
use minicrm_core::import::job::{Counts, ImportJob, SourceFormat, Step};
use minicrm_core::import::plan::{self, Action, DuplicateMode};
use serde_json::{Value, json};
use uuid::Uuid;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

const USER: &str = "0193a1b2-c3d4-7e5f-8a9b-00000000000a";
const OTHER_USER: &str = "0193a1b2-c3d4-7e5f-8a9b-00000000000b";
const NOW: u64 = 1_764_600_000_000;

fn import_id() -> Uuid {
    Uuid::parse_str("019ada00-0000-7000-8000-000000000001").unwrap()
}

fn job() -> ImportJob {
    ImportJob {
        id: import_id(),
        user_id: USER.to_owned(),
        file_name: "klienci.csv".to_owned(),
        format: SourceFormat::Text,
        step: Step::Writing,
        reading: Default::default(),
        sheet: None,
        mapping: Vec::new(),
        defaults: Default::default(),
        mode: DuplicateMode::Skip,
        left_out: Vec::new(),
        fixes: Vec::new(),
        written: 0,
        planned: 5,
        counts: Counts::default(),
        started_ms: NOW,
        finished_ms: None,
    }
}

/// The values row `line` of the file gives.
fn values(line: u32) -> Vec<(String, Value)> {
    vec![
        ("kind".to_owned(), json!("person")),
        ("last_name".to_owned(), json!(format!("Nowak {line}"))),
        ("city".to_owned(), json!("Łódź")),
    ]
}

/// The plan of a five-row file: each row a new record.
fn plan_of_five() -> Vec<(u32, Action)> {
    (2..7)
        .map(|line| {
            (
                line,
                Action::Create {
                    id: plan::row_id(import_id(), line),
                },
            )
        })
        .collect()
}

/// Writes rows `from..to` of `plan` as the worker does: the records and the job's progress.
async fn write_chunk(
    storage: &Storage,
    job: &ImportJob,
    plan: &[(u32, Action)],
    from: usize,
    to: usize,
) -> Result<ImportJob, StorageError> {
    let chunk = &plan[from..to];
    let keys: Vec<(String, String)> = chunk
        .iter()
        .map(|(_, action)| match action {
            Action::Create { id } => ("contact".to_owned(), id.to_string()),
            _ => unreachable!(),
        })
        .collect();
    let mut next = job.clone();
    next.written = to as u32;
    next.counts.created += chunk.len() as u32;
    let plan_json = (from == 0).then(|| serde_json::to_string(plan).unwrap());
    // As the worker writes: the records it creates are not looked up.
    storage
        .write_new_and_planned(
            &keys,
            |_| true,
            |index, _| plan::create_writes(&values(chunk[index].0), import_id()),
            || Some(next.clone()),
            plan_json.as_deref(),
            Some((&import_id(), from as u32)),
            NOW,
        )
        .await?;
    Ok(next)
}

async fn contacts(storage: &Storage) -> Vec<StoredRow> {
    storage.rows_of("contact").await.unwrap()
}

#[wasm_bindgen_test]
async fn the_job_and_its_file_are_kept_and_a_logout_takes_them() {
    let storage = common::fresh("import-job").await;
    let bytes = "Nazwisko;Miasto\r\nNowak;Łódź\r\n".as_bytes();
    let array = js_sys::Uint8Array::from(bytes);
    let parts = js_sys::Array::of1(&array);
    let file = web_sys::Blob::new_with_u8_array_sequence(&parts).unwrap();
    storage.put_import(&job(), Some(&file)).await.unwrap();
    assert_eq!(storage.import_job(&import_id()).await.unwrap(), Some(job()));
    assert_eq!(storage.import_jobs().await.unwrap(), vec![job()]);
    let stored = storage.import_file(&import_id()).await.unwrap().unwrap();
    let buffer = wasm_bindgen_futures::JsFuture::from(stored.array_buffer())
        .await
        .unwrap();
    assert_eq!(js_sys::Uint8Array::new(&buffer).to_vec(), bytes);

    storage.clear_device().await.unwrap();
    assert_eq!(storage.import_job(&import_id()).await.unwrap(), None);
    assert!(storage.import_file(&import_id()).await.unwrap().is_none());
}

#[wasm_bindgen_test]
async fn an_interrupted_import_resumes_after_its_last_chunk_and_makes_each_record_once() {
    let storage = common::fresh("import-resume").await;
    storage.claim_for_user(USER).await.unwrap();
    let mine = storage.for_user(USER);
    let plan = plan_of_five();
    let job = job();
    storage.put_import(&job, None).await.unwrap();
    let after_first = write_chunk(&mine, &job, &plan, 0, 2).await.unwrap();
    // A second writer of the same import (another tab) going from the start is refused.
    let again = write_chunk(&mine, &job, &plan, 0, 2).await;
    assert_eq!(again.err(), Some(StorageError::ImportMoved));

    // A chunk that fails (here: another user took the device) writes nothing, and the
    // job's progress stays where the last chunk left it.
    let refused = write_chunk(&storage.for_user(OTHER_USER), &after_first, &plan, 2, 4).await;
    assert!(refused.is_err());
    assert_eq!(contacts(&storage).await.len(), 2);

    // The tab closes; the import resumes from what the device holds.
    drop(mine);
    let stored = storage.import_job(&import_id()).await.unwrap().unwrap();
    assert_eq!(stored.written, 2);
    let stored_plan = storage.import_plan(&import_id()).await.unwrap().unwrap();
    assert_eq!(stored_plan, plan, "the plan fixed at the start");
    let mine = storage.for_user(USER);
    let done = write_chunk(&mine, &stored, &stored_plan, 2, 5)
        .await
        .unwrap();
    assert_eq!(done.counts.created, 5);

    let rows = contacts(&storage).await;
    assert_eq!(rows.len(), 5, "each row once");
    let mut names: Vec<String> = rows
        .iter()
        .map(|row| row.shown()["last_name"].value.as_str().unwrap().to_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["Nowak 2", "Nowak 3", "Nowak 4", "Nowak 5", "Nowak 6"]
    );
    // Four writes per record (three values and the import's mark), each once.
    let pending = storage.pending_changes().await.unwrap();
    assert_eq!(pending.len(), 5 * 4);
    let mark = plan::import_field(import_id());
    assert!(
        rows.iter()
            .all(|row| row.shown()[&mark].value == json!({"created": true}))
    );
    let seqs: std::collections::BTreeSet<u64> = pending.iter().map(|c| c.seq).collect();
    assert_eq!(seqs.len(), pending.len());
}

#[wasm_bindgen_test]
async fn a_revert_trashes_what_the_import_created_as_edits_that_sync() {
    let storage = common::fresh("import-revert").await;
    storage.claim_for_user(USER).await.unwrap();
    let mine = storage.for_user(USER);
    let plan = plan_of_five();
    storage.put_import(&job(), None).await.unwrap();
    write_chunk(&mine, &job(), &plan, 0, 5).await.unwrap();
    let before = storage.pending_changes().await.unwrap().len();
    let keys: Vec<(String, String)> = contacts(&storage)
        .await
        .iter()
        .map(|row| ("contact".to_owned(), row.id.clone()))
        .collect();
    mine.write_planned(
        &keys,
        |_, row| {
            let shown = row.map(StoredRow::shown).unwrap_or_default();
            plan::revert(&shown, import_id())
                .map(|revert| revert.writes)
                .unwrap_or_default()
        },
        || None,
        None,
        None,
        NOW + 1000,
    )
    .await
    .unwrap();
    let rows = contacts(&storage).await;
    assert!(
        rows.iter()
            .all(|row| row.shown()["deleted"].value == json!(true))
    );
    // Each record: `deleted` and its mark, as new pending writes.
    assert_eq!(
        storage.pending_changes().await.unwrap().len(),
        before + 5 * 2
    );
    // A second revert finds nothing to undo.
    let again = mine
        .write_planned(
            &keys,
            |_, row| {
                let shown = row.map(StoredRow::shown).unwrap_or_default();
                plan::revert(&shown, import_id())
                    .map(|revert| revert.writes)
                    .unwrap_or_default()
            },
            || None,
            None,
            None,
            NOW + 2000,
        )
        .await
        .unwrap();
    assert!(again.is_empty());
}

#[wasm_bindgen_test]
async fn two_rows_into_one_record_in_one_chunk_both_count_and_the_record_stays_created() {
    let storage = common::fresh("import-same-record").await;
    storage.claim_for_user(USER).await.unwrap();
    let mine = storage.for_user(USER);
    let id = plan::row_id(import_id(), 2);
    // Line 2 creates the record; line 5 repeats it (same e-mail) and overwrites its city.
    let keys = vec![
        ("contact".to_owned(), id.to_string()),
        ("contact".to_owned(), id.to_string()),
    ];
    let later = vec![("city".to_owned(), json!("Brno"))];
    mine.write_planned(
        &keys,
        |index, row| match index {
            0 => plan::create_writes(&values(2), import_id()),
            _ => {
                let shown = row.map(StoredRow::shown).unwrap_or_default();
                plan::update_writes(&shown, &later, DuplicateMode::Overwrite, import_id())
            }
        },
        || None,
        None,
        None,
        NOW,
    )
    .await
    .unwrap();
    let rows = contacts(&storage).await;
    assert_eq!(rows.len(), 1);
    let shown = rows[0].shown();
    assert_eq!(
        shown["last_name"].value,
        json!("Nowak 2"),
        "the first row's values stay"
    );
    assert_eq!(shown["city"].value, json!("Brno"), "the second row's write");
    let mark = plan::import_field(import_id());
    assert_eq!(
        shown[&mark].value,
        json!({"created": true}),
        "still the import's creation"
    );
}

#[wasm_bindgen_test]
async fn a_discarded_import_stops_at_its_last_chunk_and_the_next_writes_nothing() {
    let storage = common::fresh("import-discard").await;
    storage.claim_for_user(USER).await.unwrap();
    let mine = storage.for_user(USER);
    let plan = plan_of_five();
    storage.put_import(&job(), None).await.unwrap();
    let after_first = write_chunk(&mine, &job(), &plan, 0, 2).await.unwrap();
    let pending = storage.pending_count().await.unwrap();
    // Discarded while it writes: the job as it stood comes back, with its counts.
    let removed = storage.delete_import(&import_id()).await.unwrap();
    assert_eq!(
        removed,
        (Some(after_first.clone()), true),
        "the job, planned"
    );
    assert_eq!(storage.import_plan(&import_id()).await.unwrap(), None);
    // The worker's next chunk is refused and writes nothing; nor does a new start.
    let next = write_chunk(&mine, &after_first, &plan, 2, 4).await;
    assert_eq!(next.err(), Some(StorageError::ImportMoved));
    let restart = write_chunk(&mine, &job(), &plan, 0, 2).await;
    assert_eq!(restart.err(), Some(StorageError::ImportMoved));
    assert_eq!(contacts(&storage).await.len(), 2);
    assert_eq!(storage.pending_count().await.unwrap(), pending);
    assert_eq!(storage.import_job(&import_id()).await.unwrap(), None);
    assert_eq!(
        storage.delete_import(&import_id()).await.unwrap(),
        (None, false)
    );
    // A job discarded before its writing began (no plan yet) says so.
    storage.put_import(&job(), None).await.unwrap();
    assert_eq!(
        storage.delete_import(&import_id()).await.unwrap(),
        (Some(job()), false)
    );
}
