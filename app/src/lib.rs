//! miniCRM's app: a Leptos single-page app compiled to wasm, working from the device's
//! IndexedDB and talking to the server when it can.

pub mod api;
pub mod data;
pub mod files;
pub mod i18n;
pub mod pages;
pub mod pwa;
pub mod state;
pub mod sync;
pub mod tabs;
pub mod worker;

/// The device's database, its own crate so the import worker writes with the same code.
pub use minicrm_storage as storage;

use leptos::prelude::*;
use leptos_router::components::{ParentRoute, Redirect, Route, Router, Routes};
use leptos_router::path;

use pages::login::LoginPage;
use pages::placeholder::NotFoundPage;
use pages::records::import::{ImportPage, ImportStartPage};
use pages::records::{
    DuplicatesPage, IdentifyPage, ImportsPage, MergePage, RecordPage, RecordsPage, TrashPage,
};
use pages::reports::{AgentMonthPage, BreakdownPage, PeriodPage, ReportsPage};
use pages::settings::SettingsPage;
use pages::setup::SetupPage;
use pages::shell::Shell;
use pages::sync::SyncPage;
use pages::tasks::TasksPage;

#[component]
pub fn App() -> impl IntoView {
    let online = state::online::provide_online();
    let session = state::session::provide_session();
    let now = state::now::provide_now();
    let sync = sync::provide_sync(session, online, data::owner_of);
    let replica = data::provide_replica(sync, session);
    data::deadlines::provide_deadlines(replica, now);
    pwa::provide_app_update();
    pwa::provide_storage_wait();
    view! {
        <pwa::StorageWaitBanner />
        <Router>
            <Routes fallback=NotFoundPage>
                <Route path=path!("/login") view=LoginPage />
                <Route path=path!("/setup") view=SetupPage />
                <ParentRoute path=path!("") view=Shell>
                    <Route path=path!("") view=|| view! { <Redirect path="/records" /> } />
                    <Route path=path!("records") view=RecordsPage />
                    <Route path=path!("records/imports") view=ImportsPage />
                    <Route path=path!("records/duplicates") view=DuplicatesPage />
                    <Route path=path!("records/merge") view=MergePage />
                    // Before `records/:id`: the first route that matches wins.
                    <Route path=path!("records/import") view=ImportStartPage />
                    <Route path=path!("records/import/:id") view=ImportPage />
                    <Route path=path!("records/:id") view=RecordPage />
                    <Route path=path!("identify") view=IdentifyPage />
                    <Route path=path!("sync") view=SyncPage />
                    <Route path=path!("tasks") view=TasksPage />
                    <Route path=path!("reports") view=ReportsPage />
                    <Route path=path!("reports/agent/:id") view=AgentMonthPage />
                    <Route path=path!("reports/period") view=PeriodPage />
                    <Route path=path!("reports/breakdowns") view=BreakdownPage />
                    <Route path=path!("settings") view=SettingsPage />
                    <Route path=path!("trash") view=TrashPage />
                </ParentRoute>
            </Routes>
        </Router>
    }
}

/// The wasm entry point.
pub fn start() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(App);
}
