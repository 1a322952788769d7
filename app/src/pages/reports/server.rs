//! The part of a report only the server's history knows (records created and changed,
//! stage changes, stage entries): asked for when the report opens and after each sync,
//! kept on the device for offline use, with how old it is.

use leptos::prelude::*;
use leptos::task::spawn_local;
use minicrm_core::report::ChangesReport;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::api;
use crate::state::online::use_online;
use crate::state::session::use_session;
use crate::storage::Storage;
use crate::sync::use_sync;

/// Where the last answers are kept (the device's meta store, cleared at logout).
const KEPT_KEY: &str = "report-changes";
/// Answers kept: the reports opened last.
const KEPT: usize = 16;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Kept {
    key: String,
    report: ChangesReport,
    fetched_ms: f64,
}

/// The server's part of one report as the page has it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ServerPart {
    pub report: Option<ChangesReport>,
    /// When the server gave it (ms since the epoch).
    pub fetched_ms: Option<f64>,
    /// Why the last attempt to refresh it failed.
    pub error: Option<String>,
    pub loading: bool,
}

fn key_of(bounds: &[i64], only: Option<Uuid>) -> String {
    let whose = only.map_or_else(|| "team".to_owned(), |id| id.to_string());
    format!(
        "{whose}:{}:{}",
        bounds.first().copied().unwrap_or(0),
        bounds.len()
    )
}

async fn kept_answers() -> Vec<Kept> {
    match Storage::shared().await {
        Ok(storage) => storage
            .get_meta::<Vec<Kept>>(KEPT_KEY)
            .await
            .ok()
            .flatten()
            .unwrap_or_default(),
        Err(_) => Vec::new(),
    }
}

async fn keep(answer: Kept) {
    let mut answers = kept_answers().await;
    answers.retain(|kept| kept.key != answer.key);
    answers.insert(0, answer);
    answers.truncate(KEPT);
    if let Ok(storage) = Storage::shared().await {
        // Only a copy for offline use: the next opening asks the server again.
        let _ = storage.put_meta(KEPT_KEY, &answers).await;
    }
}

/// The server's part for the days `bounds` (of `only` one user, or everyone the viewer may
/// see): the kept answer at once, then the server's when online, again after each sync.
pub fn server_part(bounds: Memo<Vec<i64>>, only: Signal<Option<Uuid>>) -> RwSignal<ServerPart> {
    let part = RwSignal::new(ServerPart::default());
    let session = use_session();
    let online = use_online();
    let sync = use_sync();
    let (bounds_signal, only_signal) = (bounds, only);
    Effect::new(move || {
        let bounds = bounds.get();
        let only = only.get();
        let online = online.get();
        sync.last_sync_ms.track();
        let key = key_of(&bounds, only);
        part.update(|part| part.loading = online);
        spawn_local(async move {
            let kept = kept_answers()
                .await
                .into_iter()
                .find(|kept| kept.key == key);
            // The page may have moved to other days meanwhile: an old answer is dropped.
            let asked = bounds.clone();
            let current = move || {
                bounds_signal.get_untracked() == asked && only_signal.get_untracked() == only
            };
            if let Some(kept) = kept.clone()
                && current()
            {
                part.update(|part| {
                    if part
                        .report
                        .as_ref()
                        .is_none_or(|r| r.bounds != kept.report.bounds)
                    {
                        part.report = Some(kept.report);
                        part.fetched_ms = Some(kept.fetched_ms);
                    }
                });
            }
            let Some(token) = session.token().filter(|_| online) else {
                part.update(|part| part.loading = false);
                return;
            };
            let answer = api::report_changes(&token, &bounds, only).await;
            if !current() {
                return;
            }
            match answer {
                Ok(report) => {
                    let fetched_ms = js_sys::Date::now();
                    part.set(ServerPart {
                        report: Some(report.clone()),
                        fetched_ms: Some(fetched_ms),
                        error: None,
                        loading: false,
                    });
                    keep(Kept {
                        key,
                        report,
                        fetched_ms,
                    })
                    .await;
                }
                Err(err) => {
                    session.note_api_error(&err).await;
                    part.update(|part| {
                        part.error = Some(err.user_message());
                        part.loading = false;
                        if kept.is_none() {
                            part.report = None;
                            part.fetched_ms = None;
                        }
                    });
                }
            }
        });
    });
    part
}
