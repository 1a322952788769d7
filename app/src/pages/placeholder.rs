//! Screens whose content arrives with the reports work: for now they say
//! honestly that this device holds nothing yet.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::t;

#[component]
fn EmptyScreen(title: &'static str, empty: &'static str) -> impl IntoView {
    view! {
        <section class="page">
            <h1>{t!(title)}</h1>
            <p class="empty">{t!(empty)}</p>
        </section>
    }
}

#[component]
pub fn ReportsPage() -> impl IntoView {
    view! { <EmptyScreen title="reports-title" empty="reports-empty" /> }
}

#[component]
pub fn NotFoundPage() -> impl IntoView {
    view! {
        <main class="auth-page">
            <div class="auth-card">
                <h1>{t!("not-found-title")}</h1>
                <A href="/records">{t!("not-found-back")}</A>
            </div>
        </main>
    }
}
