//! The current time as a signal, ticking every 15 seconds, for everything that changes
//! with the clock ("synced 2 min ago"; later: deadlines turning red).

use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;

const TICK_MS: i32 = 15_000;

#[derive(Clone, Copy)]
pub struct Now(ReadSignal<f64>);

impl Now {
    /// Milliseconds since the epoch (tracked).
    pub fn get(&self) -> f64 {
        self.0.get()
    }
}

pub fn provide_now() -> Now {
    let (now, set_now) = signal(js_sys::Date::now());
    let tick = Closure::<dyn Fn()>::new(move || set_now.set(js_sys::Date::now()));
    if let Some(window) = web_sys::window() {
        let _ = window.set_interval_with_callback_and_timeout_and_arguments_0(
            tick.as_ref().unchecked_ref(),
            TICK_MS,
        );
    }
    // Lives as long as the page.
    tick.forget();
    let handle = Now(now);
    provide_context(handle);
    handle
}

pub fn use_now() -> Now {
    expect_context::<Now>()
}

/// "just now", "3 min ago", "2 hours ago", else the local date and time.
pub fn ago(then_ms: f64, now_ms: f64) -> String {
    let minutes = ((now_ms - then_ms) / 60_000.0).floor().max(0.0) as u64;
    if minutes < 1 {
        crate::t!("ago-now")
    } else if minutes < 60 {
        crate::t!("ago-minutes", minutes = minutes.to_string())
    } else if minutes < 24 * 60 {
        crate::t!("ago-hours", hours = (minutes / 60).to_string())
    } else {
        local_date_time(then_ms)
    }
}

/// A moment in the user's locale.
pub fn local_date_time(ms: f64) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms));
    String::from(date.to_locale_string("default", &wasm_bindgen::JsValue::UNDEFINED))
}
