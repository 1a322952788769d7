//! Whether the browser believes it is online, following its `online`/`offline` events.

use leptos::ev;
use leptos::prelude::*;

#[derive(Clone, Copy)]
pub struct Online(ReadSignal<bool>);

impl Online {
    pub fn get(&self) -> bool {
        self.0.get()
    }

    pub fn get_untracked(&self) -> bool {
        self.0.get_untracked()
    }
}

pub fn provide_online() -> Online {
    let initial = web_sys::window().is_none_or(|window| window.navigator().on_line());
    let (online, set_online) = signal(initial);
    // The app lives as long as the page: the listeners are never removed.
    let _ = window_event_listener(ev::online, move |_| set_online.set(true));
    let _ = window_event_listener(ev::offline, move |_| set_online.set(false));
    let handle = Online(online);
    provide_context(handle);
    handle
}

pub fn use_online() -> Online {
    expect_context::<Online>()
}
