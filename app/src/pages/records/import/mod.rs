//! The guided import: choose a source → check the reading → map the columns → review →
//! write → the result. What each step chose lives in the import's job on the device
//! (IndexedDB, with the file), so the flow can be left and taken up again, after a reload
//! too; the heavy work (reading, matching, writing) is the import worker's
//! (`crate::worker`), which works from the stored job: a step stores the job before it
//! asks the worker anything.

mod flow;
mod mapping;
mod reading;
mod result;
mod review;
mod start;
mod targets;
mod writing;

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;
use minicrm_core::import::job::{ImportJob, Step};
use uuid::Uuid;

use self::flow::{Flow, ImportersOnly, load};
use crate::pages::forms::FormError;
use crate::state::session::use_session;
use crate::t;

pub use start::ImportStartPage;
pub use writing::resume_writing;

/// The steps of the flow, with the one the import is at.
#[component]
fn Steps(step: Memo<Step>) -> impl IntoView {
    let steps = [
        (Step::Reading, "import-step-reading"),
        (Step::Mapping, "import-step-mapping"),
        (Step::Review, "import-step-review"),
        (Step::Writing, "import-step-writing"),
        (Step::Done, "import-step-done"),
    ];
    let at = move || match step.get() {
        Step::Cancelled => Step::Done,
        step => step,
    };
    view! {
        <ol class="import-steps" aria-label=t!("import-steps")>
            {steps.into_iter().map(|(this, key)| view! {
                <li aria-current=move || (at() == this).then_some("step")>{t!(key)}</li>
            }).collect_view()}
        </ol>
    }
}

#[derive(Clone, PartialEq)]
enum Loaded {
    Loading,
    Missing,
    Found(Box<ImportJob>),
}

/// `/records/import/:id`: the import at its step.
#[component]
pub fn ImportPage() -> impl IntoView {
    let session = use_session();
    let params = use_params_map();
    let id = Memo::new(move |_| {
        params
            .with(|params| params.get("id"))
            .and_then(|id| Uuid::parse_str(&id).ok())
    });
    // The user's id, not the user: a refreshed name never reloads the flow.
    let me = Memo::new(move |_| session.user().map(|user| user.id.0.to_string()));
    let loaded = RwSignal::new(Loaded::Loading);
    let failure = RwSignal::new(None::<String>);
    Effect::new(move || {
        let id = id.get();
        let me = me.get();
        loaded.set(Loaded::Loading);
        spawn_local(async move {
            let found = match id {
                Some(id) => load(id).await,
                None => Ok(None),
            };
            // try_: the page may be gone by now.
            let shown = match found {
                Ok(Some(job)) if Some(&job.user_id) == me.as_ref() => Loaded::Found(Box::new(job)),
                Ok(_) => Loaded::Missing,
                Err(message) => {
                    failure.try_set(Some(message));
                    Loaded::Missing
                }
            };
            loaded.try_set(shown);
        });
    });
    view! {
        <section class="page import-page">
            <div class="page-head">
                <h1>{t!("import-title")}</h1>
                <div class="toolbar">
                    <A href="/records" attr:class="button">{t!("import-back-to-records")}</A>
                </div>
            </div>
            <ImportersOnly>
                <FormError error=failure />
                {move || match loaded.get() {
                    Loaded::Loading => view! { <p class="loading" role="status">{t!("import-loading")}</p> }.into_any(),
                    Loaded::Missing => view! {
                        <div class="panel">
                            <p>{t!("import-gone")}</p>
                            <A href="/records/import" attr:class="button">{t!("import-start-new")}</A>
                        </div>
                    }.into_any(),
                    Loaded::Found(job) => view! { <ImportFlow job=*job /> }.into_any(),
                }}
            </ImportersOnly>
        </section>
    }
}

/// One import's flow: the step it is at, with its file's name.
#[component]
fn ImportFlow(job: ImportJob) -> impl IntoView {
    let flow = Flow {
        job: RwSignal::new(job),
        error: RwSignal::new(None),
    };
    let step = Memo::new(move |_| flow.job.with(|job| job.step));
    let file_name = move || flow.job.with(|job| job.file_name.clone());
    view! {
        <p class="import-file">{move || t!("import-file", name = file_name())}</p>
        <Steps step=step />
        <div class="panel import-step">
            {move || match step.get() {
                Step::Reading => view! { <reading::ReadingStep flow=flow /> }.into_any(),
                Step::Mapping => view! { <mapping::MappingStep flow=flow /> }.into_any(),
                Step::Review => view! { <review::ReviewStep flow=flow /> }.into_any(),
                Step::Writing => view! { <writing::WritingStep flow=flow /> }.into_any(),
                Step::Done | Step::Cancelled => view! { <result::ResultStep flow=flow /> }.into_any(),
            }}
            <FormError error=flow.error />
        </div>
    }
}
