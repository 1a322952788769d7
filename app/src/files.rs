//! Files the app hands to the user: a download of bytes or text, named.

use gloo_timers::future::TimeoutFuture;
use leptos::task::spawn_local;
use wasm_bindgen::{JsCast, JsValue};

/// Offers `blob` as a file download named `name`.
pub fn save_blob(blob: &web_sys::Blob, name: &str) -> Result<(), JsValue> {
    let window = web_sys::window().ok_or_else(|| JsValue::from_str("no window"))?;
    let document = window
        .document()
        .ok_or_else(|| JsValue::from_str("no document"))?;
    let url = web_sys::Url::create_object_url_with_blob(blob)?;
    let link: web_sys::HtmlAnchorElement = document.create_element("a")?.dyn_into()?;
    link.set_href(&url);
    link.set_download(name);
    link.click();
    // The download has its own copy once it started; the URL goes a while later.
    spawn_local(async move {
        TimeoutFuture::new(60_000).await;
        let _ = web_sys::Url::revoke_object_url(&url);
    });
    Ok(())
}

/// Offers `parts` (text, joined) as a file of type `mime` named `name`.
pub fn save_text(parts: Vec<String>, mime: &str, name: &str) -> Result<(), JsValue> {
    let sequence = js_sys::Array::new();
    for part in parts {
        sequence.push(&JsValue::from_str(&part));
    }
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&sequence, &options)?;
    save_blob(&blob, name)
}

/// Offers `bytes` as a file of type `mime` named `name`.
pub fn save_bytes(bytes: &js_sys::Uint8Array, mime: &str, name: &str) -> Result<(), JsValue> {
    let sequence = js_sys::Array::of1(bytes);
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&sequence, &options)?;
    save_blob(&blob, name)
}
