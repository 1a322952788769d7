//! One syncing tab per browser: a Web Lock held for the tab's lifetime; and a
//! BroadcastChannel over which tabs tell each other that data changed or a sync is wanted.

use std::cell::RefCell;

use crate::storage::channel::CHANNEL_NAME;
use futures::channel::oneshot;
use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::{Closure, JsValue};
use web_sys::{BroadcastChannel, MessageEvent};

const LOCK_NAME: &str = "minicrm-sync";

/// Posted by the tab that logged out, after the device's stores were emptied: every other
/// tab drops its replica and its session at once.
pub const LOGGED_OUT_MESSAGE: &str = "logged-out";
/// Posted by the tab that logged out when emptying the device's stores failed (the session
/// at least went, where it could): every other tab leaves too, saying the data may remain.
pub const LOGOUT_INCOMPLETE_MESSAGE: &str = "logged-out-incomplete";
/// Posted by the leading tab after a sync finished: the other tabs re-read the counts and
/// the time of the last sync (nothing else changed).
pub const SYNCED_MESSAGE: &str = "synced";
/// Posted whenever a tab stored a session (login, password entered again, 401): the other
/// tabs re-read it.
pub const SESSION_MESSAGE: &str = "session";

thread_local! {
    static CHANNEL: RefCell<Option<BroadcastChannel>> = const { RefCell::new(None) };
}

fn channel() -> Option<BroadcastChannel> {
    CHANNEL.with(|cell| {
        let mut cell = cell.borrow_mut();
        if cell.is_none() {
            *cell = BroadcastChannel::new(CHANNEL_NAME).ok();
        }
        cell.clone()
    })
}

/// Tells the other tabs.
pub fn post(message: &str) {
    if let Some(channel) = channel() {
        let _ = channel.post_message(&JsValue::from_str(message));
    }
}

/// Calls `on_message` with every message another tab posts (as well as the listeners
/// added before).
pub fn listen(on_message: impl Fn(String) + 'static) {
    let Some(channel) = channel() else {
        return;
    };
    let handler = Closure::<dyn Fn(MessageEvent)>::new(move |event: MessageEvent| {
        if let Some(text) = event.data().as_string() {
            on_message(text);
        }
    });
    let _ = channel.add_event_listener_with_callback("message", handler.as_ref().unchecked_ref());
    handler.forget();
}

/// Resolves when this tab holds the sync lock (at once where Web Locks are missing).
/// The lock is kept until the tab closes; then the next waiting tab takes over.
pub async fn become_leader() {
    let Some(window) = web_sys::window() else {
        return;
    };
    let navigator = window.navigator();
    let locks = Reflect::get(&navigator, &JsValue::from_str("locks")).unwrap_or(JsValue::UNDEFINED);
    let request = Reflect::get(&locks, &JsValue::from_str("request"))
        .ok()
        .and_then(|request| request.dyn_into::<Function>().ok());
    let Some(request) = request.filter(|_| !locks.is_undefined()) else {
        return;
    };
    let (granted, on_granted) = oneshot::channel::<()>();
    let callback = Closure::once_into_js(move |_lock: JsValue| -> JsValue {
        let _ = granted.send(());
        // Never settles: the lock is held as long as the page lives.
        Promise::new(&mut |_resolve, _reject| {}).into()
    });
    if request
        .call2(&locks, &JsValue::from_str(LOCK_NAME), &callback)
        .is_err()
    {
        return;
    }
    let _ = on_granted.await;
}
