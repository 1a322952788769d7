//! The trash: records moved there are listed and can be restored (an ordinary change,
//! offline too); an administrator can delete them for good (the server's purge, online).

use std::collections::HashSet;

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use minicrm_core::combine::MERGED_INTO;
use serde_json::json;

use super::columns::shown_name;
use crate::api;
use crate::data::{CONTACT, use_replica};
use crate::pages::forms::{FormDone, FormError, spawn_reported};
use crate::state::online::use_online;
use crate::state::session::use_session;
use crate::sync::use_sync;
use crate::t;

/// At most this many trashed records are listed at once.
const SHOWN: usize = 500;

/// (Like the tasks page, it starts by taking the contexts it reads: the shape of a page.)
#[component]
pub fn TrashPage() -> impl IntoView {
    let replica = use_replica();
    let session = use_session();
    let online = use_online();
    let sync = use_sync();
    let message = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<String>);
    let confirm = RwSignal::new(None::<Vec<String>>);
    let trashed = Memo::new(move |_| {
        replica.with(|index| {
            let mut rows: Vec<(String, String, f64)> = index
                .contacts()
                .iter()
                .filter(|c| c.deleted)
                .map(|c| (c.id.to_string(), shown_name(c), c.modified_ms as f64))
                .collect();
            rows.sort_by(|a, b| b.2.total_cmp(&a.2));
            rows
        })
    });
    let is_admin = move || session.user().is_some_and(|u| u.role.may_purge_trash());
    let restore = move |id: String| {
        spawn_reported(error, async move {
            // A merged record comes back by undoing its merge (its tasks and activities
            // with it), from the timeline of the record it was merged into.
            let storage = crate::storage::Storage::shared().await?;
            let merged_into = storage.row(CONTACT, &id).await?.and_then(|row| {
                row.shown()
                    .get(MERGED_INTO)
                    .and_then(|s| s.value.as_str().map(str::to_owned))
            });
            if let Some(into) = merged_into {
                let name = uuid::Uuid::parse_str(&into)
                    .ok()
                    .and_then(|into| {
                        replica
                            .with_untracked(|index| index.contact(&into).map(|c| c.display_name()))
                    })
                    .unwrap_or(into);
                error.set(Some(t!("trash-merged", name = name)));
                return Ok(());
            }
            replica
                .write(CONTACT, &id, vec![("deleted".into(), json!(false))])
                .await
                .map(|()| message.set(Some(t!("trash-restored"))))
        });
    };
    let purge = move |ids: Vec<String>| {
        confirm.set(None);
        let Some(token) = session.token() else { return };
        spawn_local(async move {
            match api::purge(&token, &ids).await {
                Ok(reply) => {
                    message.set(Some(t!("trash-purged", count = reply.purged.to_string())));
                    error.set(None);
                    sync.request();
                }
                Err(err) => {
                    session.note_api_error(&err).await;
                    error.set(Some(err.user_message()));
                }
            }
        });
    };
    let all_ids = move || trashed.with(|rows| rows.iter().map(|r| r.0.clone()).collect::<Vec<_>>());
    view! {
        <section class="page">
            <div class="page-head">
                <h1>{t!("trash-title")}</h1>
                <Show when=move || is_admin() && trashed.with(|t| !t.is_empty())>
                    <button type="button" class="danger" disabled=move || !online.get() on:click=move |_| confirm.set(Some(all_ids()))>{t!("trash-empty-all")}</button>
                </Show>
            </div>
            <p class="hint">{move || if is_admin() { t!("trash-hint-admin") } else { t!("trash-hint") }}</p>
            <Show when=move || is_admin() && !online.get()>
                <p class="notice">{t!("trash-purge-offline")}</p>
            </Show>
            <FormDone message=message />
            <FormError error=error />
            {move || {
                let rows = trashed.get();
                if rows.is_empty() {
                    return view! { <p class="empty">{t!("trash-empty")}</p> }.into_any();
                }
                let total = rows.len();
                view! {
                    <p class="count">{t!("trash-count", count = total.to_string())}</p>
                    <table class="data-table">
                        <thead><tr>
                            <th scope="col">{t!("column-name")}</th>
                            <th scope="col">{t!("trash-when")}</th>
                            <th scope="col"><span class="visually-hidden">{t!("trash-actions")}</span></th>
                        </tr></thead>
                        <tbody>
                            {rows.into_iter().take(SHOWN).map(|(id, name, ms)| {
                                let (r, p) = (id.clone(), id.clone());
                                let restore_label = t!("trash-restore-named", name = name.clone());
                                let purge_label = t!("trash-purge-named", name = name.clone());
                                view! {
                                    <tr>
                                        <td><A href=format!("/records/{id}")>{name}</A></td>
                                        <td>{crate::state::now::local_date_time(ms)}</td>
                                        <td class="row-actions">
                                            <button type="button" aria-label=restore_label on:click=move |_| restore(r.clone())>{t!("trash-restore")}</button>
                                            <Show when=is_admin>
                                                <button type="button" class="danger" aria-label=purge_label.clone() disabled=move || !online.get() on:click={ let p = p.clone(); move |_| confirm.set(Some(vec![p.clone()])) }>{t!("trash-purge")}</button>
                                            </Show>
                                        </td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                    {(total > SHOWN).then(|| view! { <p class="hint">{t!("trash-more", count = (total - SHOWN).to_string())}</p> })}
                }.into_any()
            }}
            {move || confirm.get().map(|ids| {
                let count = ids.len();
                let ids_for_purge: HashSet<String> = ids.into_iter().collect();
                view! {
                    <div class="dialog-backdrop">
                        <div class="dialog panel" role="dialog" aria-modal="true" aria-labelledby="purge-title"
                            on:keydown=move |e: web_sys::KeyboardEvent| if e.key() == "Escape" { confirm.set(None) }>
                            <h2 id="purge-title">{t!("trash-confirm-title")}</h2>
                            <p>{t!("trash-confirm", count = count.to_string())}</p>
                            <div class="actions">
                                <button type="button" class="danger" on:click=move |_| purge(ids_for_purge.iter().cloned().collect())>{t!("trash-confirm-yes")}</button>
                                <button type="button" on:click=move |_| confirm.set(None)>{t!("record-cancel")}</button>
                            </div>
                        </div>
                    </div>
                }
            })}
        </section>
    }
}
