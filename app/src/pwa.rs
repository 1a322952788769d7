//! The service worker: registered at start; when a new version has installed in the
//! background, the user is offered a reload. The new worker takes over only when they
//! accept, and the page then reloads, so old and new files are never mixed.
//!
//! A new version may upgrade the device's database, which waits until every other tab has
//! closed its connection (tabs still running the previous version). The page says so
//! rather than seem to hang, and asks tabs of this version or later to reload once their
//! user's work is saved: a tab is never reloaded under someone typing.

use std::cell::Cell;

use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;
use wasm_bindgen_futures::JsFuture;
use web_sys::{ServiceWorkerContainer, ServiceWorkerRegistration, ServiceWorkerState};

/// How often a long-open app asks the server for a new version.
const UPDATE_CHECK_MS: i32 = 60 * 60 * 1000;
/// How long opening the device's database may take before the page says what it waits for.
const OPEN_WAIT_MS: u32 = 3_000;
/// Posted by a tab whose opening of the database waits for the others, and once it opened.
const UPGRADE_WAITING_MESSAGE: &str = "upgrade-waiting";
const UPGRADE_DONE_MESSAGE: &str = "upgrade-done";

/// What opening the device's database waits for, if anything.
#[derive(Clone, Copy)]
pub struct StorageWait {
    /// This tab's opening waits for other tabs to close theirs.
    blocked: RwSignal<bool>,
    /// Another tab's waits for this one.
    asked: RwSignal<bool>,
}

/// Opens the device's database at start, watching how long it takes.
pub fn provide_storage_wait() -> StorageWait {
    let wait = StorageWait {
        blocked: RwSignal::new(false),
        asked: RwSignal::new(false),
    };
    provide_context(wait);
    crate::tabs::listen(move |message| match message.as_str() {
        UPGRADE_WAITING_MESSAGE => wait.asked.set(true),
        UPGRADE_DONE_MESSAGE => wait.asked.set(false),
        _ => {}
    });
    spawn_local(async move {
        let opened = Box::pin(crate::storage::Storage::shared());
        let waited = gloo_timers::future::TimeoutFuture::new(OPEN_WAIT_MS);
        if let futures::future::Either::Right(((), opened)) =
            futures::future::select(opened, waited).await
        {
            wait.blocked.set(true);
            crate::tabs::post(UPGRADE_WAITING_MESSAGE);
            let _ = opened.await;
            wait.blocked.set(false);
            crate::tabs::post(UPGRADE_DONE_MESSAGE);
        }
    });
    wait
}

/// The banner saying what opening the device's database waits for.
#[component]
pub fn StorageWaitBanner() -> impl IntoView {
    let wait = expect_context::<StorageWait>();
    view! {
        <Show when=move || wait.blocked.get()>
            <div class="banner" role="alert">
                <span>{crate::t!("storage-upgrade-waiting")}</span>
            </div>
        </Show>
        <Show when=move || wait.asked.get() && !wait.blocked.get()>
            <div class="banner" role="alert">
                <span>{crate::t!("storage-upgrade-asked")}</span>
                <button type="button" class="primary" on:click=|_| reload()>{crate::t!("update-reload")}</button>
            </div>
        </Show>
    }
}

thread_local! {
    /// The user accepted the new version: its taking control reloads the page.
    static UPDATE_REQUESTED: Cell<bool> = const { Cell::new(false) };
    /// The wait before registering again after a failed first install (doubles up to
    /// [`RETRY_MAX_MS`]).
    static RETRY_MS: Cell<u32> = const { Cell::new(RETRY_FIRST_MS) };
    /// The hourly update check is set up once per page.
    static CHECKING: Cell<bool> = const { Cell::new(false) };
}

/// A first install that failed (the network dropped while the shell was being cached, or
/// the page opened offline from the HTTP cache) is tried again after this long, then less
/// often: until one succeeds the app would not open offline.
const RETRY_FIRST_MS: u32 = 5_000;
const RETRY_MAX_MS: u32 = 5 * 60 * 1000;

#[derive(Clone, Copy)]
pub struct AppUpdate {
    available: ReadSignal<bool>,
    set_available: WriteSignal<bool>,
}

impl AppUpdate {
    pub fn available(&self) -> bool {
        self.available.get()
    }

    /// Activates the waiting version; the page reloads when it has taken control.
    pub fn apply(&self) {
        UPDATE_REQUESTED.with(|requested| requested.set(true));
        let Some(container) = container() else {
            reload();
            return;
        };
        spawn_local(async move {
            let Ok(ready) = container.ready() else {
                return reload();
            };
            let registration = match JsFuture::from(ready).await {
                Ok(registration) => registration.unchecked_into::<ServiceWorkerRegistration>(),
                Err(_) => return reload(),
            };
            match registration.waiting() {
                Some(waiting) => {
                    if waiting.post_message(&"skip-waiting".into()).is_err() {
                        reload();
                    }
                }
                None => reload(),
            }
        });
    }
}

fn reload() {
    if let Some(window) = web_sys::window() {
        let _ = window.location().reload();
    }
}

fn container() -> Option<ServiceWorkerContainer> {
    let window = web_sys::window()?;
    let navigator = window.navigator();
    // Absent outside secure contexts (plain http on another host than localhost).
    let present = js_sys::Reflect::has(&navigator, &"serviceWorker".into()).unwrap_or(false);
    present.then(|| navigator.service_worker())
}

pub fn provide_app_update() -> AppUpdate {
    let (available, set_available) = signal(false);
    let update = AppUpdate {
        available,
        set_available,
    };
    provide_context(update);
    if let Some(container) = container() {
        register(container, update);
    }
    update
}

pub fn use_app_update() -> AppUpdate {
    expect_context::<AppUpdate>()
}

fn register(container: ServiceWorkerContainer, update: AppUpdate) {
    // A controller that changes after the user accepted the update: load the new version.
    // (The first install also changes the controller, via clients.claim(); no reload then.)
    let on_controller_change = Closure::<dyn FnMut()>::new(move || {
        if UPDATE_REQUESTED.with(Cell::get) {
            reload();
        }
    });
    container.set_oncontrollerchange(Some(on_controller_change.as_ref().unchecked_ref()));
    on_controller_change.forget();
    install(container, update);
}

/// Registers the worker and follows its installs; a first install that fails is tried
/// again later ([`retry_install`]).
fn install(container: ServiceWorkerContainer, update: AppUpdate) {
    let promise = container.register("/sw.js");
    spawn_local(async move {
        let registration = match JsFuture::from(promise).await {
            Ok(registration) => registration.unchecked_into::<ServiceWorkerRegistration>(),
            Err(err) => {
                web_sys::console::warn_2(&"service worker not registered".into(), &err);
                retry_install(container, update);
                return;
            }
        };
        claim_when_ready(container.clone());
        let container_for_update = container.clone();
        let registration_for_update = registration.clone();
        if registration.waiting().is_some() && container.controller().is_some() {
            update.set_available.set(true);
        }
        let on_update_found = Closure::<dyn FnMut()>::new(move || {
            let Some(installing) = registration_for_update.installing() else {
                return;
            };
            let worker = installing.clone();
            let container = container_for_update.clone();
            let registration = registration_for_update.clone();
            let on_state_change = Closure::<dyn FnMut()>::new(move || match worker.state() {
                ServiceWorkerState::Installed if container.controller().is_some() => {
                    update.set_available.set(true);
                }
                ServiceWorkerState::Activated => {
                    RETRY_MS.with(|retry| retry.set(RETRY_FIRST_MS));
                }
                // The first install failed: without a worker the app does not open offline.
                ServiceWorkerState::Redundant if registration.active().is_none() => {
                    web_sys::console::warn_1(&"service worker install failed".into());
                    retry_install(container.clone(), update);
                }
                _ => {}
            });
            installing.set_onstatechange(Some(on_state_change.as_ref().unchecked_ref()));
            on_state_change.forget();
        });
        registration.set_onupdatefound(Some(on_update_found.as_ref().unchecked_ref()));
        on_update_found.forget();

        if CHECKING.with(|checking| checking.replace(true)) {
            return;
        }
        // A long-open app (a call-center day) checks for a new version now and then (on
        // the registration there is then: a failed first install left none behind).
        let check = Closure::<dyn FnMut()>::new(move || {
            let promise = container.get_registration();
            spawn_local(async move {
                if let Ok(Ok(registration)) = JsFuture::from(promise)
                    .await
                    .map(JsCast::dyn_into::<ServiceWorkerRegistration>)
                {
                    let _ = registration.update();
                }
            });
        });
        if let Some(window) = web_sys::window() {
            let _ = window.set_interval_with_callback_and_timeout_and_arguments_0(
                check.as_ref().unchecked_ref(),
                UPDATE_CHECK_MS,
            );
        }
        check.forget();
    });
}

/// Once a worker is active, asks it to take control of this page if it has not: a page
/// whose navigation was in flight while the first worker activated misses that worker's
/// claim, and would not open offline until it was reloaded.
fn claim_when_ready(container: ServiceWorkerContainer) {
    let Ok(ready) = container.ready() else {
        return;
    };
    spawn_local(async move {
        let Ok(registration) = JsFuture::from(ready).await else {
            return;
        };
        let registration = registration.unchecked_into::<ServiceWorkerRegistration>();
        if container.controller().is_none()
            && let Some(active) = registration.active()
        {
            let _ = active.post_message(&"claim".into());
        }
    });
}

/// Registers again after the current wait, which then doubles.
fn retry_install(container: ServiceWorkerContainer, update: AppUpdate) {
    let wait = RETRY_MS.with(|retry| retry.replace((retry.get() * 2).min(RETRY_MAX_MS)));
    spawn_local(async move {
        gloo_timers::future::TimeoutFuture::new(wait).await;
        install(container, update);
    });
}
