//! Imports on this device: the job (what each step chose, how far the writing got), the
//! file as chosen, and the plan the writing follows. The writing's chunks store the job's
//! progress in their own transaction ([`Storage::write_planned`]), so an import resumes
//! exactly where it stopped.

use minicrm_core::import::job::ImportJob;
use minicrm_core::import::plan::Action;
use rexie::{Transaction, TransactionMode};
use uuid::Uuid;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::Blob;

use super::{
    IMPORT_FILES_STORE, IMPORT_PLANS_STORE, IMPORTS_STORE, Storage, StorageError, present,
};

/// Stored shape of a job (must stay readable): the [`ImportJob`] as one JSON string.
fn job_to_js(job: &ImportJob) -> Result<JsValue, StorageError> {
    serde_json::to_string(job)
        .map(|text| JsValue::from_str(&text))
        .map_err(|err| StorageError::Shape(err.to_string()))
}

fn from_json<T: serde::de::DeserializeOwned>(value: JsValue) -> Result<T, StorageError> {
    let text = value
        .as_string()
        .ok_or_else(|| StorageError::Shape("a stored import is not a string".into()))?;
    serde_json::from_str(&text).map_err(|err| StorageError::Shape(err.to_string()))
}

fn key(id: &Uuid) -> JsValue {
    JsValue::from_str(&id.to_string())
}

/// Puts the job (and its plan, when given) inside the caller's transaction, which covers
/// the imports and plans stores.
pub(super) async fn put_job(
    tx: &Transaction,
    job: &ImportJob,
    plan: Option<&str>,
) -> Result<(), StorageError> {
    tx.store(IMPORTS_STORE)?
        .put(&job_to_js(job)?, Some(&key(&job.id)))
        .await?;
    if let Some(plan) = plan {
        tx.store(IMPORT_PLANS_STORE)?
            .put(&JsValue::from_str(plan), Some(&key(&job.id)))
            .await?;
    }
    Ok(())
}

/// The stored job `id`, read inside the caller's transaction (over the imports store).
pub(super) async fn job_in(tx: &Transaction, id: &Uuid) -> Result<Option<ImportJob>, StorageError> {
    let found = present(tx.store(IMPORTS_STORE)?.get(key(id)).await?);
    found.map(from_json).transpose()
}

impl Storage {
    /// Keeps the job, and the file when one is given (an import's first step), in one
    /// transaction.
    pub async fn put_import(
        &self,
        job: &ImportJob,
        file: Option<&Blob>,
    ) -> Result<(), StorageError> {
        let tx = self.db().transaction(
            &[IMPORTS_STORE, IMPORT_FILES_STORE],
            TransactionMode::ReadWrite,
        )?;
        tx.store(IMPORTS_STORE)?
            .put(&job_to_js(job)?, Some(&key(&job.id)))
            .await?;
        if let Some(file) = file {
            tx.store(IMPORT_FILES_STORE)?
                .put(file, Some(&key(&job.id)))
                .await?;
        }
        tx.done().await?;
        Ok(())
    }

    pub async fn import_job(&self, id: &Uuid) -> Result<Option<ImportJob>, StorageError> {
        let (tx, store) = self.single(IMPORTS_STORE, TransactionMode::ReadOnly)?;
        let found = present(store.get(key(id)).await?);
        tx.done().await?;
        found.map(from_json).transpose()
    }

    /// Every import on this device, newest first.
    pub async fn import_jobs(&self) -> Result<Vec<ImportJob>, StorageError> {
        let (tx, store) = self.single(IMPORTS_STORE, TransactionMode::ReadOnly)?;
        let values = store.get_all(None, None).await?;
        tx.done().await?;
        let mut jobs = values
            .into_iter()
            .map(from_json)
            .collect::<Result<Vec<ImportJob>, _>>()?;
        jobs.sort_by_key(|job| std::cmp::Reverse(job.started_ms));
        Ok(jobs)
    }

    /// The import's file as chosen.
    pub async fn import_file(&self, id: &Uuid) -> Result<Option<Blob>, StorageError> {
        let (tx, store) = self.single(IMPORT_FILES_STORE, TransactionMode::ReadOnly)?;
        let found = present(store.get(key(id)).await?);
        tx.done().await?;
        found
            .map(|value| {
                value
                    .dyn_into::<Blob>()
                    .map_err(|_| StorageError::Shape("a stored import file is not a Blob".into()))
            })
            .transpose()
    }

    /// The plan the import's writing follows: each row's line and what it does (`None`
    /// before the writing started).
    pub async fn import_plan(&self, id: &Uuid) -> Result<Option<Vec<(u32, Action)>>, StorageError> {
        let (tx, store) = self.single(IMPORT_PLANS_STORE, TransactionMode::ReadOnly)?;
        let found = present(store.get(key(id)).await?);
        tx.done().await?;
        found.map(from_json).transpose()
    }

    /// Forgets the import on this device: its job, file and plan (what it wrote stays).
    /// Returns the job as it was when removed, and whether its writing had begun (its plan
    /// was fixed, with its entry in the import history): a writing stops there (its next
    /// chunk is refused), so the job's counts are exactly what was written.
    pub async fn delete_import(
        &self,
        id: &Uuid,
    ) -> Result<(Option<ImportJob>, bool), StorageError> {
        let stores = [IMPORTS_STORE, IMPORT_FILES_STORE, IMPORT_PLANS_STORE];
        let tx = self.db().transaction(&stores, TransactionMode::ReadWrite)?;
        // A job that no longer reads (stored by another version) can still be discarded.
        let job = job_in(&tx, id).await.ok().flatten();
        let planned = present(tx.store(IMPORT_PLANS_STORE)?.get(key(id)).await?).is_some();
        for store in stores {
            tx.store(store)?.delete(key(id)).await?;
        }
        tx.done().await?;
        Ok((job, planned))
    }
}
