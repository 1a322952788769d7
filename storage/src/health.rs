//! The browser's side of the device's storage: whether it promised to keep the data
//! (persistent storage, not evicted under storage pressure), and how much space the app
//! uses of the quota it may use. `None` wherever the browser does not say.

use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;

fn manager() -> Option<web_sys::StorageManager> {
    web_sys::window().map(|window| window.navigator().storage())
}

async fn boolean(promise: Result<js_sys::Promise, JsValue>) -> Option<bool> {
    let value = JsFuture::from(promise.ok()?).await.ok()?;
    value.as_bool()
}

/// Whether the browser granted persistent storage to the app.
pub async fn persisted() -> Option<bool> {
    boolean(manager()?.persisted()).await
}

/// Asks the browser for persistent storage; its answer (Chromium decides by itself, other
/// browsers may ask the user).
pub async fn request_persistence() -> Option<bool> {
    boolean(manager()?.persist()).await
}

/// Space the app's origin uses and may use, in bytes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    pub usage: f64,
    pub quota: f64,
}

/// The browser's estimate of the space used and the quota.
pub async fn estimate() -> Option<Estimate> {
    let value = JsFuture::from(manager()?.estimate().ok()?).await.ok()?;
    let number = |key: &str| {
        js_sys::Reflect::get(&value, &JsValue::from_str(key))
            .ok()
            .and_then(|v| v.as_f64())
    };
    Some(Estimate {
        usage: number("usage")?,
        quota: number("quota")?,
    })
}
