//! The page for an address the app does not know.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::t;

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
