//! The messages between the page and the worker: `{id, json}` in, `{id, json, bytes?}`
//! out; and the sync channel's notes to every tab.

use js_sys::{Object, Reflect, Uint8Array};
use minicrm_core::import::job::Reply;
use minicrm_storage::channel;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::JsValue;
use web_sys::{BroadcastChannel, DedicatedWorkerGlobalScope};

/// The request's id and its JSON (`-1` and "" where missing: answered as not understood).
pub fn incoming(data: &JsValue) -> (f64, String) {
    let get = |name: &str| Reflect::get(data, &JsValue::from_str(name)).ok();
    let id = get("id").and_then(|v| v.as_f64()).unwrap_or(-1.0);
    let json = get("json").and_then(|v| v.as_string()).unwrap_or_default();
    (id, json)
}

fn scope() -> DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

/// Sends `reply` to request `id`, with `bytes` (moved, not copied) when a file was made.
pub fn reply(id: f64, reply: &Reply, bytes: Option<Vec<u8>>) {
    let json = serde_json::to_string(reply).unwrap_or_else(|err| {
        format!(r#"{{"reply":"failed","message":"the worker's answer did not serialize: {err}"}}"#)
    });
    let message = Object::new();
    let _ = Reflect::set(&message, &"id".into(), &JsValue::from_f64(id));
    let _ = Reflect::set(&message, &"json".into(), &JsValue::from_str(&json));
    let transfer = js_sys::Array::new();
    if let Some(bytes) = bytes {
        let array = Uint8Array::from(bytes.as_slice());
        transfer.push(&array.buffer());
        let _ = Reflect::set(&message, &"bytes".into(), &array);
    }
    let _ = scope().post_message_with_transfer(&message, &transfer);
}

/// Tells the page the worker listens (messages sent before are lost: wasm loads first).
pub fn ready(scope: &DedicatedWorkerGlobalScope) {
    let message = Object::new();
    let _ = Reflect::set(&message, &"ready".into(), &JsValue::TRUE);
    let _ = scope.post_message(&message);
}

/// Tells every tab (this one's page included) that these rows changed, and that there is
/// something to push.
pub fn rows_written(keys: &[(String, String)]) {
    let Ok(sync) = BroadcastChannel::new(channel::CHANNEL_NAME) else {
        return;
    };
    let _ = sync.post_message(&JsValue::from_str(&channel::rows_message(keys)));
    let _ = sync.post_message(&JsValue::from_str(channel::SYNC_MESSAGE));
    sync.close();
}
