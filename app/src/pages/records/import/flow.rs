//! What the import's steps share: the job being gone through (kept on the device as it
//! changes), counts as the user reads them, and who may import at all.

use leptos::prelude::*;
use leptos::task::spawn_local;
use minicrm_core::import::job::{ImportJob, Reply, Step};
use uuid::Uuid;

use crate::state::session::use_session;
use crate::storage::Storage;
use crate::t;

/// The import being gone through: its job as stored, and the failure to show (a save
/// that failed, the worker's refusal).
#[derive(Clone, Copy)]
pub(super) struct Flow {
    pub job: RwSignal<ImportJob>,
    pub error: RwSignal<Option<String>>,
}

impl Flow {
    pub fn id(&self) -> Uuid {
        self.job.with_untracked(|job| job.id)
    }

    /// Changes the job, stores it as it is now, then runs `then` (the request that needs it
    /// stored). What runs after the store uses `try_` access: the user may have left the
    /// step or the page meanwhile.
    pub fn change(self, edit: impl FnOnce(&mut ImportJob), then: impl FnOnce() + 'static) {
        self.job.update(edit);
        self.error.set(None);
        let job = self.job.get_untracked();
        spawn_local(async move {
            match store(&job).await {
                Ok(()) => then(),
                Err(message) => {
                    self.error.try_set(Some(message));
                }
            }
        });
    }

    /// Moves to another step: the job changed by `edit` is stored first, then shown (the
    /// next step may ask the worker at once, which reads the stored job).
    pub fn advance(self, edit: impl FnOnce(&mut ImportJob)) {
        let mut job = self.job.get_untracked();
        edit(&mut job);
        self.error.set(None);
        spawn_local(async move {
            // try_: the page may be gone by now.
            match store(&job).await {
                Ok(()) => {
                    self.job.try_set(job);
                }
                Err(message) => {
                    self.error.try_set(Some(message));
                }
            }
        });
    }

    /// Moves to `step`.
    pub fn go(self, step: Step) {
        self.advance(|job| job.step = step);
    }

    /// Reads the job again from the device (the worker changed it).
    pub fn reload(self) {
        let id = self.id();
        spawn_local(async move {
            let shown = match load(id).await {
                Ok(Some(job)) => {
                    self.job.try_set(job);
                    return;
                }
                Ok(None) => t!("import-gone"),
                Err(message) => message,
            };
            self.error.try_set(Some(shown));
        });
    }

    /// Shows a reply the step did not expect (a failure, or a wrong kind of answer).
    pub fn unexpected(self, reply: Reply) {
        let message = match reply {
            Reply::Failed { message } => message,
            other => format!("{other:?}"),
        };
        // try_: the flow may be gone (the user left the page) when a worker answers.
        self.error
            .try_set(Some(t!("import-worker-failed", message = message)));
    }
}

pub(super) fn storage_message(err: impl std::fmt::Display) -> String {
    t!("error-unexpected", message = err.to_string())
}

/// Keeps `job` on the device (its file stays).
pub(super) async fn store(job: &ImportJob) -> Result<(), String> {
    let storage = Storage::shared().await.map_err(storage_message)?;
    storage.put_import(job, None).await.map_err(storage_message)
}

pub(super) async fn load(id: Uuid) -> Result<Option<ImportJob>, String> {
    let storage = Storage::shared().await.map_err(storage_message)?;
    storage.import_job(&id).await.map_err(storage_message)
}

/// A count with the thousands grouped as the catalog's language writes them ("1,200").
pub(super) fn grouped(count: u32) -> String {
    js_sys::Number::from(f64::from(count))
        .to_locale_string(&t!("import-number-locale"))
        .into()
}

/// The import pages only for those who may import; others are told why.
#[component]
pub(super) fn ImportersOnly(children: ChildrenFn) -> impl IntoView {
    let session = use_session();
    let allowed = move || session.user().is_some_and(|user| user.role.may_import());
    view! {
        <Show when=allowed fallback=|| view! { <p class="notice">{t!("import-not-allowed")}</p> }>
            {children()}
        </Show>
    }
}
