//! The result: how many rows were created, updated, left unchanged, skipped and not
//! imported (stopped imports say that what was written is kept), and the rows that were
//! not imported as a file to fix and import again.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use minicrm_core::import::job::{Reply, Request, Step};

use super::flow::{Flow, grouped};
use crate::files;
use crate::t;
use crate::worker;

#[component]
pub(super) fn ResultStep(flow: Flow) -> impl IntoView {
    let job = flow.job.get_untracked();
    let counts = job.counts;
    let stopped = job.step == Step::Cancelled;
    let downloading = RwSignal::new(false);
    let download = move |_| {
        if downloading.get_untracked() {
            return;
        }
        downloading.set(true);
        let import_id = flow.id();
        spawn_local(async move {
            let answer = worker::ask(&Request::NotImported { import_id }, |_, _| {}).await;
            downloading.try_set(false);
            match (answer.reply, answer.bytes) {
                (Reply::File { name, mime }, Some(bytes)) => {
                    if let Err(err) = files::save_bytes(&bytes, &mime, &name) {
                        flow.unexpected(Reply::Failed {
                            message: format!("{err:?}"),
                        });
                    }
                }
                (reply, _) => flow.unexpected(reply),
            }
        });
    };
    let lines = [
        ("import-result-created", counts.created),
        ("import-result-updated", counts.updated),
        ("import-result-unchanged", counts.unchanged),
        ("import-result-skipped", counts.skipped),
        ("import-result-failed", counts.failed),
    ];
    view! {
        <h2>{if stopped { t!("import-stopped-title") } else { t!("import-done-title") }}</h2>
        <p role="status">
            {if stopped { t!("import-stopped") } else { t!("import-done") }}
        </p>
        <ul class="import-result">
            {lines.into_iter().map(|(key, count)| view! {
                <li>{t!(key, count = count.to_string(), shown = grouped(count))}</li>
            }).collect_view()}
        </ul>
        <div class="actions">
            {(stopped || counts.skipped + counts.failed > 0).then(|| view! {
                <button type="button" on:click=download disabled=move || downloading.get()>{t!("import-download-not-imported")}</button>
            })}
            <A href="/records" attr:class="button primary">{t!("import-back-to-records")}</A>
            <A href="/records/import" attr:class="button">{t!("import-start-new")}</A>
        </div>
    }
}
