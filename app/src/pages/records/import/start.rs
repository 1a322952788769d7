//! `/records/import`: the imports of this device left unfinished, and the source of a new
//! one — a file chosen or dropped, or rows pasted from a spreadsheet.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;
use minicrm_core::import::job::{ImportJob, SourceFormat, Status, Step};
use minicrm_core::import::plan::DuplicateMode;
use minicrm_core::schema::Entity;
use uuid::Uuid;
use wasm_bindgen::JsValue;
use web_sys::{Blob, DragEvent, HtmlInputElement};

use super::flow::{ImportersOnly, grouped, storage_message};
use super::writing;
use crate::pages::forms::FormError;
use crate::pages::records::imports::ImportHistory;
use crate::state::now::local_date_time;
use crate::state::session::use_session;
use crate::storage::Storage;
use crate::t;

/// What the file input offers.
const ACCEPT: &str = ".csv,.txt,.tsv,.xlsx,.xls,.ods";

#[component]
pub fn ImportStartPage() -> impl IntoView {
    view! {
        <section class="page import-page">
            <div class="page-head">
                <h1>{t!("import-title")}</h1>
                <div class="toolbar">
                    <A href="/records" attr:class="button">{t!("import-back-to-records")}</A>
                </div>
            </div>
            <ImportersOnly>
                <Unfinished />
                <Source />
                // The import history's slot (its table: app/src/pages/records/imports.rs).
                <section class="panel" aria-labelledby="import-history-title">
                    <h2 id="import-history-title">{t!("import-history-heading")}</h2>
                    <ImportHistory />
                </section>
            </ImportersOnly>
        </section>
    }
}

/// A new import's job: the file as chosen, at the first step.
fn new_job(user_id: String, file_name: String, format: SourceFormat) -> ImportJob {
    ImportJob {
        id: Uuid::now_v7(),
        user_id,
        file_name,
        format,
        step: Step::Reading,
        reading: Default::default(),
        sheet: None,
        mapping: Vec::new(),
        defaults: Default::default(),
        mode: DuplicateMode::Skip,
        left_out: Vec::new(),
        fixes: Vec::new(),
        written: 0,
        planned: 0,
        counts: Default::default(),
        started_ms: js_sys::Date::now() as u64,
        finished_ms: None,
    }
}

/// The unfinished imports of the user on this device, newest first.
async fn unfinished(user_id: &str) -> Result<Vec<ImportJob>, String> {
    let storage = Storage::shared().await.map_err(storage_message)?;
    let jobs = storage.import_jobs().await.map_err(storage_message)?;
    Ok(jobs
        .into_iter()
        .filter(|job| job.user_id == user_id)
        .filter(|job| !matches!(job.step, Step::Done | Step::Cancelled))
        .collect())
}

fn step_text(job: &ImportJob) -> String {
    match job.step {
        Step::Reading => t!("import-step-reading"),
        Step::Mapping => t!("import-step-mapping"),
        Step::Review => t!("import-step-review"),
        Step::Writing => t!(
            "import-unfinished-writing",
            done = grouped(job.written),
            total = grouped(job.planned)
        ),
        Step::Done | Step::Cancelled => t!("import-step-done"),
    }
}

#[component]
fn Unfinished() -> impl IntoView {
    let session = use_session();
    let me = Memo::new(move |_| session.user().map(|user| user.id.0.to_string()));
    let jobs = RwSignal::new(Vec::<ImportJob>::new());
    let error = RwSignal::new(None::<String>);
    let refresh = move || {
        let Some(me) = me.try_get_untracked().flatten() else {
            return;
        };
        spawn_local(async move {
            match unfinished(&me).await {
                Ok(list) => {
                    jobs.try_set(list);
                }
                Err(message) => {
                    error.try_set(Some(message));
                }
            }
        });
    };
    Effect::new(move || {
        me.track();
        refresh();
    });
    let discard = move |job: ImportJob| {
        // Rows an interrupted writing stored stay; only the job and its file go.
        if job.step == Step::Writing
            && !web_sys::window()
                .and_then(|w| w.confirm_with_message(&t!("import-discard-writing")).ok())
                .unwrap_or(false)
        {
            return;
        }
        spawn_local(async move {
            let result = match Storage::shared().await {
                Ok(storage) => discard_job(&storage, &job.id).await,
                Err(err) => Err(err),
            };
            match result {
                Ok(()) => refresh(),
                Err(err) => {
                    error.try_set(Some(storage_message(err)));
                }
            }
        });
    };
    view! {
        <Show when=move || !jobs.with(Vec::is_empty) || error.with(Option::is_some)>
            <section class="panel import-unfinished" aria-labelledby="import-unfinished-title">
                <h2 id="import-unfinished-title">{t!("import-unfinished-title")}</h2>
                <ul class="import-jobs">
                    <For each=move || jobs.get() key=|job| format!("{}-{:?}-{}", job.id, job.step, job.written) let:job>
                        {
                            let href = format!("/records/import/{}", job.id);
                            let name = job.file_name.clone();
                            let when = local_date_time(job.started_ms as f64);
                            let running = writing::is_running(job.id);
                            let job_for_discard = job.clone();
                            view! {
                                <li>
                                    <span class="import-job-name">{name.clone()}</span>
                                    <span class="import-job-state">{t!("import-unfinished-state", step = step_text(&job), when = when)}</span>
                                    <A href=href attr:class="button primary" attr:aria-label=t!("import-continue-named", name = name.clone())>{t!("import-continue")}</A>
                                    {(!running).then(|| view! {
                                        <button type="button" class="danger" aria-label=t!("import-discard-named", name = name.clone())
                                            on:click=move |_| discard(job_for_discard.clone())>{t!("import-discard")}</button>
                                    })}
                                </li>
                            }
                        }
                    </For>
                </ul>
                <FormError error=error />
            </section>
        </Show>
    }
}

/// Pasted text as the file an import keeps (UTF-8).
fn text_blob(text: &str) -> Result<Blob, JsValue> {
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("text/plain;charset=utf-8");
    Blob::new_with_str_sequence_and_options(&parts, &options)
}

#[component]
fn Source() -> impl IntoView {
    let session = use_session();
    let navigate = use_navigate();
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let dragging = RwSignal::new(false);
    let pasted = RwSignal::new(String::new());
    // Keeps the job and its file, then opens the import's first step.
    let begin = move |blob: Blob, file_name: String, format: SourceFormat| {
        let Some(user) = session.user_untracked() else {
            return;
        };
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        let job = new_job(user.id.0.to_string(), file_name, format);
        let navigate = navigate.clone();
        spawn_local(async move {
            let stored = match Storage::shared().await {
                Ok(storage) => storage.put_import(&job, Some(&blob)).await,
                Err(err) => Err(err),
            };
            busy.try_set(false);
            match stored {
                Ok(()) => navigate(&format!("/records/import/{}", job.id), Default::default()),
                Err(err) => {
                    error.try_set(Some(storage_message(err)));
                }
            }
        });
    };
    let take_file = {
        let begin = begin.clone();
        move |file: web_sys::File| {
            let name = file.name();
            match SourceFormat::of_file_name(&name) {
                Some(format) => begin(file.into(), name, format),
                None => error.set(Some(t!("import-unsupported", name = name))),
            }
        }
    };
    let on_choose = {
        let take_file = take_file.clone();
        move |event: leptos::ev::Event| {
            let input = event_target::<HtmlInputElement>(&event);
            let file = input.files().and_then(|files| files.get(0));
            // The same file chosen again is a new choice.
            input.set_value("");
            if let Some(file) = file {
                take_file(file);
            }
        }
    };
    let on_drop = move |event: DragEvent| {
        event.prevent_default();
        dragging.set(false);
        let file = event
            .data_transfer()
            .and_then(|data| data.files())
            .and_then(|files| files.get(0));
        if let Some(file) = file {
            take_file(file);
        }
    };
    let on_paste = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let text = pasted.get_untracked();
        if text.trim().is_empty() {
            error.set(Some(t!("import-paste-empty")));
            return;
        }
        match text_blob(&text) {
            Ok(blob) => begin(blob, t!("import-pasted-name"), SourceFormat::Paste),
            Err(err) => error.set(Some(storage_message(format!("{err:?}")))),
        }
    };
    view! {
        <section class="panel import-source" aria-labelledby="import-source-title">
            <h2 id="import-source-title">{t!("import-source-title")}</h2>
            <div class="drop-zone" class:dragging=move || dragging.get()
                on:dragover=move |event: DragEvent| { event.prevent_default(); dragging.set(true); }
                on:dragleave=move |_| dragging.set(false)
                on:drop=on_drop>
                <label for="import-file">{t!("import-choose-file")}</label>
                <input type="file" id="import-file" accept=ACCEPT disabled=move || busy.get() on:change=on_choose />
                <p class="hint">{t!("import-drop-hint")}</p>
            </div>
            <form class="import-paste" on:submit=on_paste>
                <div class="field">
                    <label for="import-paste">{t!("import-paste-label")}</label>
                    <textarea id="import-paste" rows="6" bind:value=pasted></textarea>
                    <p class="hint">{t!("import-paste-hint")}</p>
                </div>
                <button type="submit" disabled=move || busy.get()>{t!("import-paste-use")}</button>
            </form>
            {move || busy.get().then(|| view! { <p role="status">{t!("import-storing")}</p> })}
            <FormError error=error />
        </section>
    }
}

/// Forgets an unfinished import on this device. One whose writing had begun stops at the
/// chunk it stands at (the next one is refused), and its entry in the team's import history
/// is closed as cancelled with what was written, so nobody sees it running for ever. (One
/// still being planned has no entry yet: its start is refused, and nothing is entered.)
async fn discard_job(storage: &Storage, id: &Uuid) -> Result<(), crate::storage::StorageError> {
    let (Some(job), true) = storage.delete_import(id).await? else {
        return Ok(());
    };
    if job.step != Step::Writing {
        return Ok(());
    }
    let now = js_sys::Date::now();
    let closing = job.history_end(Status::Cancelled, &crate::state::now::rfc3339(now as i64));
    storage
        .for_user(&job.user_id)
        .edit(
            Entity::Import.as_str(),
            &id.to_string(),
            &closing,
            now as u64,
        )
        .await?;
    Ok(())
}
