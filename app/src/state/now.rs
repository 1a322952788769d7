//! The current time as a signal, ticking every 15 seconds, for everything that changes
//! with the clock ("synced 2 min ago", deadlines turning red), and the local-time helpers
//! the forms and lists use.

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

    /// Now and the end of the local day, for classifying deadlines (tracked).
    pub fn moment(&self) -> minicrm_core::deadline::Moment {
        minicrm_core::deadline::Moment::new(self.get() as i64, offset_at)
    }
}

pub fn provide_now() -> Now {
    let (now, set_now) = signal(js_sys::Date::now());
    // Measured as `minicrm-tick`: every deadline view recomputes on it.
    let tick = Closure::<dyn Fn()>::new(move || {
        super::measure::measure("minicrm-tick", || set_now.set(js_sys::Date::now()));
    });
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

/// The user's UTC offset in minutes at an instant (e.g. +60 in Warsaw in winter): what
/// `minicrm_core::deadline` needs to know the local day.
pub fn offset_at(ms: i64) -> i32 {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64));
    -(date.get_timezone_offset() as i32)
}

/// A moment as a `datetime-local` input shows it ("2026-11-22T10:00", local time).
pub fn to_local_input(ms: i64) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64));
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}",
        date.get_full_year(),
        date.get_month() + 1,
        date.get_date(),
        date.get_hours(),
        date.get_minutes()
    )
}

/// What a `datetime-local` input holds, as ms since the epoch (local time); `None` when
/// empty or not a moment.
pub fn from_local_input(text: &str) -> Option<i64> {
    let text = text.trim();
    // Only the input's own shape: a bare date or other forms would be read as UTC.
    let shaped = text.len() >= 16 && text.as_bytes().get(10) == Some(&b'T');
    if !shaped {
        return None;
    }
    let ms = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(text)).get_time();
    ms.is_finite().then_some(ms as i64)
}

/// RFC 3339 in UTC, as stored ("2026-11-22T09:00:00.000Z").
pub fn rfc3339(ms: i64) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64));
    String::from(date.to_iso_string())
}

/// A deadline as the task list shows it: the time alone when it is today, else date and
/// time (in the user's locale).
pub fn deadline_text(due_ms: i64, now: &minicrm_core::deadline::Moment) -> String {
    let due = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(due_ms as f64));
    let same_day = now.is_today(due_ms);
    let options = js_sys::Object::new();
    let set = |key: &str, value: &str| {
        let _ = js_sys::Reflect::set(&options, &key.into(), &value.into());
    };
    set("hour", "2-digit");
    set("minute", "2-digit");
    if !same_day {
        set("year", "numeric");
        set("month", "short");
        set("day", "numeric");
        set("weekday", "short");
    }
    String::from(due.to_locale_string("default", &options))
}
