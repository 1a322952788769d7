//! miniCRM's worker for heavy work: a Web Worker with its own wasm, so reading a file,
//! planning 100,000 rows and writing them, exporting, or looking for duplicates among every
//! record never holds the page, and none of it is in the app's first load.
//!
//! The page sends `{id, json}` messages (`json`: a [`Request`]); the worker answers each
//! with `{id, json}` (`json`: a [`Reply`]; a file's bytes beside it as `bytes`), progress
//! included, and tells every tab through the sync BroadcastChannel which rows it wrote.
//! Everything a request needs is in the device's database (the job and its file), so a
//! reload or a second tab finds the import where it was.

mod context;
mod device;
mod duplicates;
mod envelope;
mod export;
mod report;
mod revert;
mod review;
mod source;
mod write;

use minicrm_core::import::job::{Reply, Request};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;
use wasm_bindgen_futures::spawn_local;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

fn main() {
    console_error_panic_hook::set_once();
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let handler = Closure::<dyn Fn(MessageEvent)>::new(|event: MessageEvent| {
        let (id, json) = envelope::incoming(&event.data());
        match serde_json::from_str::<Request>(&json) {
            // A cancel is taken at once, between two chunks of the writing it stops.
            Ok(Request::Cancel { import_id }) => {
                write::cancel(import_id);
                envelope::reply(id, &Reply::Accepted, None);
            }
            Ok(request) => spawn_local(async move {
                let (reply, bytes) = match handle(id, request).await {
                    Ok(done) => done,
                    Err(message) => (Reply::Failed { message }, None),
                };
                envelope::reply(id, &reply, bytes);
            }),
            Err(err) => envelope::reply(
                id,
                &Reply::Failed {
                    message: format!("the worker did not understand the request: {err}"),
                },
                None,
            ),
        }
    });
    scope.set_onmessage(Some(handler.as_ref().unchecked_ref()));
    handler.forget();
    duplicates::listen();
    envelope::ready(&scope);
}

/// Carries out one request: its final reply, and a file's bytes if it made one.
async fn handle(id: f64, request: Request) -> Result<(Reply, Option<Vec<u8>>), String> {
    review::keep_only(match &request {
        Request::Read { import_id }
        | Request::Review { import_id }
        | Request::Write { import_id }
        | Request::NotImported { import_id }
        | Request::Revert { import_id, .. }
        | Request::Cancel { import_id } => Some(*import_id),
        Request::Export(_)
        | Request::ExportTable(_)
        | Request::Duplicates
        | Request::PrepareDuplicates => None,
    });
    match request {
        Request::Read { import_id } => Ok((source::preview(import_id).await?, None)),
        Request::Review { import_id } => Ok((review::review(import_id).await?, None)),
        Request::Write { import_id } => Ok((write::write(id, import_id).await?, None)),
        Request::NotImported { import_id } => report::not_imported(import_id).await,
        Request::Revert { import_id, user_id } => {
            Ok((revert::revert(id, import_id, &user_id).await?, None))
        }
        Request::Export(request) => export::export(&request).await,
        Request::ExportTable(request) => export::export_table(&request),
        Request::Duplicates => Ok((duplicates::find().await?, None)),
        Request::PrepareDuplicates => Ok((duplicates::prepare().await?, None)),
        Request::Cancel { .. } => Ok((Reply::Accepted, None)),
    }
}
