//! Settings (administrators only): the team's accounts, and the catalog every record uses
//! — custom fields, pipelines and their stages, segments, campaigns, categories, sources,
//! call outcomes, the default phone country. Everything but accounts is rows that sync,
//! so settings can be changed offline too.

mod catalog;
mod users;

use leptos::prelude::*;

use crate::state::session::use_session;
use crate::t;

const TABS: &[&str] = &[
    "general",
    "fields",
    "pipelines",
    "segment",
    "campaign",
    "category",
    "source",
    "outcome",
    "users",
];

#[component]
pub fn SettingsPage() -> impl IntoView {
    let session = use_session();
    let is_admin = move || {
        session
            .user()
            .is_some_and(|user| user.role.may_change_settings())
    };
    let tab = RwSignal::new("general");
    view! {
        <section class="page">
            <h1>{t!("settings-title")}</h1>
            <Show when=is_admin fallback=|| view! { <p class="empty">{t!("settings-admins-only")}</p> }>
                <div role="tablist" class="tabs" aria-label=t!("settings-title")>
                    {TABS.iter().map(|name| {
                        let name = *name;
                        view! {
                            <button
                                type="button"
                                role="tab"
                                id=format!("tab-{name}")
                                aria-controls="settings-panel"
                                aria-selected=move || (tab.get() == name).to_string()
                                on:click=move |_| tab.set(name)
                            >{t!(&format!("settings-tab-{name}"))}</button>
                        }
                    }).collect_view()}
                </div>
                <div id="settings-panel" role="tabpanel" aria-labelledby=move || format!("tab-{}", tab.get())>
                    {move || match tab.get() {
                        "general" => view! { <catalog::GeneralSettings /> }.into_any(),
                        "fields" => view! { <catalog::CustomFields /> }.into_any(),
                        "pipelines" => view! { <catalog::Pipelines /> }.into_any(),
                        "users" => view! { <users::UsersSection /> }.into_any(),
                        entity => view! { <catalog::NamedList entity=entity /> }.into_any(),
                    }}
                </div>
            </Show>
        </section>
    }
}
