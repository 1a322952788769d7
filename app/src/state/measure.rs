//! The app's own work in the browser's performance timeline, for `cargo xtask bench` and
//! the performance panel.

use wasm_bindgen::JsCast;

/// Runs `update` and measures, as `name` in the performance timeline, the main-thread work
/// it causes in the app: the update and every reactive change after it (they all run before
/// the next microtask queued here). The browser's own style, layout and paint come after
/// and are not included.
pub fn measure(name: &'static str, update: impl FnOnce()) {
    let window = web_sys::window();
    let performance = window.as_ref().and_then(|w| w.performance());
    let start = format!("{name}-start");
    if let Some(performance) = &performance {
        let _ = performance.mark(&start);
    }
    update();
    if let (Some(window), Some(performance)) = (window, performance) {
        let done = wasm_bindgen::closure::Closure::once_into_js(move || {
            let _ = performance.measure_with_start_mark(name, &start);
        });
        window.queue_microtask(done.unchecked_ref());
    }
}

/// Runs `work` and measures it alone, as `name` in the performance timeline (for work done
/// inside a memo: what it computes, not the updates after).
pub fn measured<R>(name: &'static str, work: impl FnOnce() -> R) -> R {
    let performance = web_sys::window().and_then(|w| w.performance());
    let start = format!("{name}-start");
    if let Some(performance) = &performance {
        let _ = performance.mark(&start);
    }
    let result = work();
    if let Some(performance) = &performance {
        let _ = performance.measure_with_start_mark(name, &start);
    }
    result
}

/// Work that spans tasks (a count in steps), measured as `name` from [`Span::begin`] to
/// [`Span::end`]: its wall time, pauses included.
pub struct Span {
    name: &'static str,
    start: String,
}

thread_local! {
    static SPANS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

impl Span {
    pub fn begin(name: &'static str) -> Span {
        let n = SPANS.with(|spans| {
            spans.set(spans.get() + 1);
            spans.get()
        });
        let start = format!("{name}-start-{n}");
        if let Some(performance) = web_sys::window().and_then(|w| w.performance()) {
            let _ = performance.mark(&start);
        }
        Span { name, start }
    }

    pub fn end(self) {
        if let Some(performance) = web_sys::window().and_then(|w| w.performance()) {
            let _ = performance.measure_with_start_mark(self.name, &self.start);
        }
    }
}

/// Work given up (or ended) leaves no mark behind.
impl Drop for Span {
    fn drop(&mut self) {
        if let Some(performance) = web_sys::window().and_then(|w| w.performance()) {
            performance.clear_marks_with_mark_name(&self.start);
        }
    }
}
