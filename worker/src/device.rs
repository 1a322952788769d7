//! What every part of the worker uses: the device's database, the clock, errors as text.

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::JsValue;

/// A storage error as the user reads it.
pub fn storage_error(err: minicrm_storage::StorageError) -> String {
    err.to_string()
}

/// The device's database (opened once per worker).
pub async fn storage() -> Result<minicrm_storage::Storage, String> {
    minicrm_storage::Storage::shared()
        .await
        .map_err(storage_error)
}

/// Now, in milliseconds since the epoch (the worker's clock).
pub fn now_ms() -> u64 {
    js_sys::Date::now() as u64
}

/// A JS value as text for an error message.
pub fn js_error(value: JsValue) -> String {
    value
        .as_string()
        .or_else(|| {
            value
                .dyn_ref::<js_sys::Error>()
                .map(|err| String::from(err.message()))
        })
        .unwrap_or_else(|| format!("{value:?}"))
}

/// An instant as RFC 3339 (UTC), as the history's fields take it.
pub fn rfc3339(ms: u64) -> String {
    String::from(js_sys::Date::new(&JsValue::from_f64(ms as f64)).to_iso_string())
}
