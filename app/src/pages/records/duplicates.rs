//! "Find duplicates": the worker looks through every record on the device (offline too)
//! and lists the groups that are probably one customer, the strongest reasons first; a
//! group the user says are not duplicates is marked so (`distinct:` marks, synced) and
//! stays apart.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use minicrm_core::access::{Actor, RowScope, check_write};
use minicrm_core::duplicates::{self, Found, FoundGroup, Reason};
use minicrm_core::import::job::{Reply, Request};
use minicrm_core::keys::MatchKey;
use minicrm_core::schema::Entity;
use serde_json::json;
use uuid::Uuid;

use super::columns::phone_display;
use crate::data::{CONTACT, use_replica};
use crate::pages::forms::{FormDone, FormError};
use crate::state::session::use_session;
use crate::storage::rows::RowEdit;
use crate::{t, worker};

/// "Same phone …", "Same NIP …": a key two records share, in the user's words.
pub fn same_key_text(key: &MatchKey, country: &str) -> String {
    match key {
        MatchKey::Phone(number) => {
            t!(
                "duplicates-same-phone",
                value = phone_display(number, country)
            )
        }
        MatchKey::Email(email) => t!("duplicates-same-email", value = email.clone()),
        MatchKey::Nip(digits) => t!("duplicates-same-id", id = "NIP", value = digits.clone()),
        MatchKey::Pesel(digits) => {
            t!("duplicates-same-id", id = "PESEL", value = digits.clone())
        }
        MatchKey::Regon(digits) => {
            t!("duplicates-same-id", id = "REGON", value = digits.clone())
        }
    }
}

/// A reason in the user's words.
fn reason_text(reason: &Reason, country: &str) -> String {
    match reason {
        Reason::Same { key } => same_key_text(key, country),
        Reason::NameAndCompany { company } => {
            t!("duplicates-name-company", company = company.clone())
        }
        Reason::NameAndCity { city } => t!("duplicates-name-city", city = city.clone()),
    }
}

/// Groups shown at once.
const PAGE_GROUPS: usize = 20;

/// `/records/duplicates`.
#[component]
pub fn DuplicatesPage() -> impl IntoView {
    let replica = use_replica();
    let session = use_session();
    let found = RwSignal::new(None::<Found>);
    let busy = RwSignal::new(false);
    let message = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<String>);
    let look = move || {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        message.set(None);
        spawn_local(async move {
            let answer = worker::ask(&Request::Duplicates, |_, _| {}).await;
            match answer.reply {
                Reply::Duplicates(answer) => {
                    found.try_set(Some(*answer));
                }
                Reply::Failed { message } => {
                    error.try_set(Some(t!("duplicates-failed", message = message)));
                }
                _ => {
                    error.try_set(Some(t!("duplicates-failed", message = String::new())));
                }
            }
            busy.try_set(false);
        });
    };
    look();
    // "Not duplicates": every pair of the group marked apart, on a record of the pair the
    // user may write (core's rule), in one transaction.
    let set_apart = move |ids: Vec<Uuid>| {
        message.set(None);
        error.set(None);
        let Some(user) = session.user_untracked() else {
            return;
        };
        let actor = Actor::from(&user);
        let may_write = |id: &Uuid| {
            replica.with_untracked(|index| {
                index.contact(id).is_some_and(|contact| {
                    let scope = RowScope::Owned {
                        owner: contact.owner_id.map(|owner| owner.to_string()),
                    };
                    check_write(
                        &actor,
                        Entity::Contact,
                        &scope,
                        "distinct:",
                        &json!(true),
                        None,
                    )
                    .is_ok()
                })
            })
        };
        let marks = duplicates::distinct_marks(&ids, may_write);
        if marks.iter().any(Option::is_none) {
            error.set(Some(t!("duplicates-apart-forbidden")));
            return;
        }
        let edits: Vec<RowEdit> = marks
            .into_iter()
            .flatten()
            .map(|(id, field)| RowEdit {
                entity: CONTACT.into(),
                id: id.to_string(),
                changes: vec![(field, json!(true))],
            })
            .collect();
        spawn_local(async move {
            match replica.write_many(edits).await {
                Ok(()) => {
                    // (Groups share no record: the one holding them all is theirs.)
                    found.update(|found| {
                        if let Some(found) = found {
                            found
                                .groups
                                .retain(|group| !ids.iter().all(|id| group.ids.contains(id)));
                        }
                    });
                    message.set(Some(t!("duplicates-apart-done")));
                }
                Err(err) => error.set(Some(t!("duplicates-failed", message = err.to_string()))),
            }
        });
    };
    let country = move || replica.with_untracked(|index| index.default_country());
    // The groups with their members as the replica holds them (it changes as syncs and
    // edits land; a record gone to the trash since leaves its group). Listed once the
    // replica has read the device.
    let groups = Memo::new(move |_| {
        if !replica.ready.get() {
            return None;
        }
        found.with(|found| {
            found.as_ref().map(|found| {
                replica.with(|index| duplicates::listed(&found.groups, |id| index.contact(id)))
            })
        })
    });
    // A page of groups at a time: hundreds of cards drawn at once held the page for
    // hundreds of milliseconds.
    let page = RwSignal::new(0usize);
    let listed = move || groups.with(|groups| groups.as_ref().map_or(0, Vec::len));
    let pages = move || listed().div_ceil(PAGE_GROUPS);
    let shown_page = move || page.get().min(pages().saturating_sub(1));
    let range = move || {
        let from = shown_page() * PAGE_GROUPS + 1;
        let to = (from + PAGE_GROUPS - 1).min(listed());
        t!(
            "duplicates-page",
            from = from.to_string(),
            to = to.to_string(),
            total = listed().to_string()
        )
    };
    view! {
        <section class="page duplicates-page">
            <div class="page-head">
                <h1>{t!("duplicates-title")}</h1>
                <div class="toolbar">
                    <A href="/records" attr:class="button">{t!("duplicates-back")}</A>
                    <button type="button" disabled=move || busy.get() on:click=move |_| look()>{t!("duplicates-again")}</button>
                </div>
            </div>
            <p class="hint">{t!("duplicates-hint")}</p>
            <FormDone message=message />
            <FormError error=error />
            <p role="status" class="count">
                {move || if busy.get() || (found.with(Option::is_some) && !replica.ready.get()) {
                    Some(t!("duplicates-looking"))
                } else {
                    found.with(|found| found.as_ref().map(|found| t!(
                        "duplicates-count",
                        groups = listed().to_string(),
                        records = found.records.to_string()
                    )))
                }}
            </p>
            {move || groups.with(|groups| groups.as_ref().map(|groups| {
                let country = country();
                let more = found.with_untracked(|found| found.as_ref().map_or(0, |found| found.more));
                let first = shown_page() * PAGE_GROUPS;
                view! {
                    <ol class="duplicate-groups" start=(first + 1).to_string()>
                        {groups.iter().skip(first).take(PAGE_GROUPS).map(|group| view! { <GroupCard group=group.clone() country=country.clone() on_apart=set_apart /> }).collect_view()}
                    </ol>
                    {(more > 0).then(|| view! { <p class="hint">{t!("duplicates-more", count = more.to_string())}</p> })}
                }
            }))}
            // The pager stays in place as pages change (focus stays on "Next groups").
            <Show when=move || { pages() > 1 }>
                <nav class="pager" aria-label=t!("duplicates-pages")>
                    <button type="button" disabled=move || shown_page() == 0
                        on:click=move |_| page.set(shown_page().saturating_sub(1))>{t!("duplicates-previous")}</button>
                    <span>{range}</span>
                    <button type="button" disabled=move || { shown_page() + 1 >= pages() }
                        on:click=move |_| page.set(shown_page() + 1)>{t!("duplicates-next")}</button>
                </nav>
            </Show>
        </section>
    }
}

/// One group: why, who, and what can be done.
#[component]
fn GroupCard(
    group: FoundGroup,
    country: String,
    on_apart: impl Fn(Vec<Uuid>) + Copy + 'static,
) -> impl IntoView {
    let reasons: Vec<String> = group
        .reasons
        .iter()
        .map(|r| reason_text(r, &country))
        .collect();
    let names: Vec<String> = group.members.iter().map(|m| m.name.clone()).collect();
    let label = t!("duplicates-group", names = names.join(", "));
    let ids: Vec<Uuid> = group.members.iter().map(|m| m.id).collect();
    let apart_label = t!("duplicates-apart-named", names = names.join(", "));
    let merge_label = t!("duplicates-merge-named", names = names.join(", "));
    let merge_href = format!(
        "/records/merge?from=duplicates&ids={}",
        ids.iter()
            .map(Uuid::to_string)
            .collect::<Vec<_>>()
            .join(",")
    );
    let can_merge = ids.len() <= minicrm_core::combine::MAX_RECORDS;
    view! {
        <li class="duplicate-group panel" aria-label=label>
            <p class="reasons">{reasons.join(" · ")}</p>
            <table class="data-table">
                <thead><tr>
                    <th scope="col">{t!("column-name")}</th>
                    <th scope="col">{t!("column-company")}</th>
                    <th scope="col">{t!("column-city")}</th>
                    <th scope="col">{t!("column-phone")}</th>
                    <th scope="col">{t!("column-email")}</th>
                </tr></thead>
                <tbody>
                    {group.members.into_iter().map(|member| {
                        let phones: Vec<String> = member.phones.iter().map(|n| phone_display(n, &country)).collect();
                        view! {
                            <tr>
                                <td><A href=format!("/records/{}", member.id)>{member.name}</A></td>
                                <td>{member.company}</td>
                                <td>{member.city}</td>
                                <td>{phones.join(", ")}</td>
                                <td>{member.emails.join(", ")}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
            <div class="actions">
                {can_merge.then(|| view! { <A href=merge_href attr:class="button primary" attr:aria-label=merge_label>{t!("duplicates-merge")}</A> })}
                <button type="button" aria-label=apart_label on:click=move |_| on_apart(ids.clone())>{t!("duplicates-apart")}</button>
            </div>
        </li>
    }
}
