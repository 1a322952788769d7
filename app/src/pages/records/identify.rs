//! Identification: `/identify?phone=…` or `?email=…` (a phone system or click-to-call tool
//! opens it when a call comes in) finds the record on the device by normalized number or
//! address; if none has it, the user creates a record with it or attaches it to one.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_query_map};
use minicrm_core::validate::normalize_email;
use minicrm_core::{phone, record::Contact};
use serde_json::{Value, json};

use crate::data::{CONTACT, use_replica};
use crate::pages::forms::{FormError, TextField};
use crate::storage::Storage;
use crate::t;

/// What was asked for, normalized.
#[derive(Clone, PartialEq)]
enum Wanted {
    Phone(String),
    Email(String),
    Unreadable(String),
    Nothing,
}

#[component]
pub fn IdentifyPage() -> impl IntoView {
    let replica = use_replica();
    let query = use_query_map();
    let navigate = use_navigate();
    let wanted = Memo::new(move |_| {
        let country = replica.with(|index| index.default_country());
        query.with(|q| {
            if let Some(number) = q.get("phone").filter(|p| !p.trim().is_empty()) {
                match phone::normalize(&number, &country) {
                    Ok(e164) => Wanted::Phone(e164),
                    Err(_) => Wanted::Unreadable(number),
                }
            } else if let Some(email) = q.get("email").filter(|e| !e.trim().is_empty()) {
                match normalize_email(&email) {
                    Ok(email) => Wanted::Email(email),
                    Err(_) => Wanted::Unreadable(email),
                }
            } else {
                Wanted::Nothing
            }
        })
    });
    let matches = Memo::new(move |_| {
        let wanted = wanted.get();
        replica.with(|index| {
            let found = |c: &&Contact| {
                !c.deleted
                    && match &wanted {
                        Wanted::Phone(e164) => c.has_phone(e164),
                        Wanted::Email(email) => c.has_email(email),
                        _ => false,
                    }
            };
            index
                .contacts()
                .iter()
                .filter(found)
                .map(|c| {
                    (
                        c.id.to_string(),
                        c.display_name(),
                        c.text("company").to_owned(),
                    )
                })
                .collect::<Vec<_>>()
        })
    });
    let shown_value = move || match wanted.get() {
        Wanted::Phone(e164) => {
            let country = replica.with(|index| index.default_country());
            phone::display(&e164, &country)
        }
        Wanted::Email(email) | Wanted::Unreadable(email) => email,
        Wanted::Nothing => String::new(),
    };
    let new_href = move || match wanted.get() {
        Wanted::Phone(e164) => {
            format!("/records/new?phone={}", js_sys::encode_uri_component(&e164))
        }
        Wanted::Email(email) => format!(
            "/records/new?email={}",
            js_sys::encode_uri_component(&email)
        ),
        _ => "/records/new".to_owned(),
    };
    // Attach to an existing record: search, pick, and the number or address is added.
    let search = RwSignal::new(String::new());
    let candidates = Memo::new(move |_| {
        let text = search.get();
        replica.with(|index| {
            index
                .find_contacts(&text, 10)
                .into_iter()
                .map(|c| (c.id.to_string(), c.display_name()))
                .collect::<Vec<_>>()
        })
    });
    let error = RwSignal::new(None::<String>);
    let attach = move |id: String| {
        let wanted = wanted.get_untracked();
        let navigate = navigate.clone();
        spawn_local(async move {
            let storage = match Storage::shared().await {
                Ok(storage) => storage,
                Err(err) => return error.set(Some(err.to_string())),
            };
            // The record's phones or e-mails are rewritten whole: a failed read must not
            // turn into "it had none".
            let fields = match storage.row(CONTACT, &id).await {
                Ok(Some(row)) => row.shown(),
                Ok(None) => return error.set(Some(t!("record-not-found"))),
                Err(err) => {
                    return error.set(Some(t!("error-unexpected", message = err.to_string())));
                }
            };
            let list = |name: &str| -> Vec<Value> {
                fields
                    .get(name)
                    .and_then(|s| s.value.as_array().cloned())
                    .unwrap_or_default()
            };
            let change = match wanted {
                Wanted::Phone(e164) => {
                    let mut phones = list("phones");
                    phones.push(json!({"type": "mobile", "number": e164}));
                    ("phones".to_owned(), Value::Array(phones))
                }
                Wanted::Email(email) => {
                    let mut emails = list("emails");
                    emails.push(json!(email));
                    ("emails".to_owned(), Value::Array(emails))
                }
                _ => return,
            };
            match replica.write(CONTACT, &id, vec![change]).await {
                Ok(()) => navigate(&format!("/records/{id}"), Default::default()),
                Err(err) => error.set(Some(t!("error-unexpected", message = err.to_string()))),
            }
        });
    };
    view! {
        <section class="page">
            <h1>{t!("identify-title")}</h1>
            {move || match wanted.get() {
                Wanted::Nothing => view! { <p class="empty">{t!("identify-nothing")}</p> }.into_any(),
                Wanted::Unreadable(text) => view! { <p class="form-error" role="alert">{t!("identify-unreadable", value = text)}</p> }.into_any(),
                _ if !replica.ready.get() => view! { <p role="status">{t!("app-loading")}</p> }.into_any(),
                _ => {
                    let found = matches.get();
                    if found.is_empty() {
                        let attach = attach.clone();
                        view! {
                            <p role="status">{t!("identify-none", value = shown_value())}</p>
                            <div class="actions">
                                <A href=new_href() attr:class="button primary">{t!("identify-create")}</A>
                            </div>
                            <section class="panel" aria-labelledby="attach-title">
                                <h2 id="attach-title">{t!("identify-attach-title", value = shown_value())}</h2>
                                <TextField id="identify-search" label=t!("identify-search") value=search kind="search" autocomplete="off" />
                                <ul class="plain-list">
                                    {move || candidates.get().into_iter().map(|(id, name)| {
                                        let attach = attach.clone();
                                        let label = t!("identify-attach-to", name = name.clone());
                                        view! { <li><span>{name}</span>" "<button type="button" on:click=move |_| attach(id.clone())>{label}</button></li> }
                                    }).collect_view()}
                                </ul>
                                <FormError error=error />
                            </section>
                        }.into_any()
                    } else {
                        view! {
                            <p role="status">{t!("identify-found", count = found.len().to_string(), value = shown_value())}</p>
                            <ul class="plain-list identify-results">
                                {found.into_iter().map(|(id, name, company)| view! {
                                    <li>
                                        <A href=format!("/records/{id}")>{name}</A>
                                        {(!company.is_empty()).then(|| view! { <span class="muted">{format!(" · {company}")}</span> })}
                                    </li>
                                }).collect_view()}
                            </ul>
                        }.into_any()
                    }
                }
            }}
        </section>
    }
}
