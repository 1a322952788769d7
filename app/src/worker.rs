//! The import and export worker as the app talks to it (see the `minicrm-worker` crate):
//! started on first use — its wasm is not part of the app's first load — and kept for the
//! page's life. Each request gets an id; the worker's progress and its final reply come back
//! under that id.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use futures::channel::oneshot;
use js_sys::{Object, Reflect, Uint8Array};
use minicrm_core::import::job::{Reply, Request};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::{Closure, JsValue};
use web_sys::{MessageEvent, Worker};

/// The worker's script: Trunk's loader for the worker's wasm (`data-loader-shim`).
const WORKER_URL: &str = "/minicrm-worker_loader.js";

/// What the worker answered: its reply, and a file's bytes when it made one.
pub struct Answer {
    pub reply: Reply,
    pub bytes: Option<Uint8Array>,
}

type OnProgress = Box<dyn Fn(u32, u32)>;

struct Pending {
    on_progress: OnProgress,
    done: oneshot::Sender<Answer>,
}

struct Client {
    worker: Worker,
    ready: Cell<bool>,
    /// Messages posted before the worker said it listens (it would drop them).
    waiting: RefCell<Vec<JsValue>>,
    next_id: Cell<u32>,
    pending: RefCell<HashMap<u32, Pending>>,
}

thread_local! {
    static CLIENT: RefCell<Option<Rc<Client>>> = const { RefCell::new(None) };
}

fn get(data: &JsValue, name: &str) -> JsValue {
    Reflect::get(data, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED)
}

impl Client {
    fn start() -> Result<Rc<Client>, String> {
        let worker = Worker::new(WORKER_URL).map_err(|err| format!("{err:?}"))?;
        let client = Rc::new(Client {
            worker,
            ready: Cell::new(false),
            waiting: RefCell::new(Vec::new()),
            next_id: Cell::new(1),
            pending: RefCell::new(HashMap::new()),
        });
        let weak = Rc::downgrade(&client);
        let on_message = Closure::<dyn Fn(MessageEvent)>::new(move |event: MessageEvent| {
            if let Some(client) = weak.upgrade() {
                client.receive(&event.data());
            }
        });
        client
            .worker
            .set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        on_message.forget();
        let weak = Rc::downgrade(&client);
        let on_error = Closure::<dyn Fn(web_sys::Event)>::new(move |_event: web_sys::Event| {
            if let Some(client) = weak.upgrade() {
                // A worker that failed (its wasm did not load, it panicked) is not asked
                // again: the next request starts a new one.
                client.worker.terminate();
                CLIENT.with(|cell| {
                    let mut cell = cell.borrow_mut();
                    if cell.as_ref().is_some_and(|c| Rc::ptr_eq(c, &client)) {
                        *cell = None;
                    }
                });
                client.waiting.borrow_mut().clear();
                client.fail_all("the import worker stopped");
            }
        });
        client
            .worker
            .set_onerror(Some(on_error.as_ref().unchecked_ref()));
        on_error.forget();
        Ok(client)
    }

    fn receive(&self, data: &JsValue) {
        if get(data, "ready").is_truthy() {
            self.ready.set(true);
            for message in self.waiting.borrow_mut().drain(..) {
                let _ = self.worker.post_message(&message);
            }
            return;
        }
        let Some(id) = get(data, "id").as_f64().map(|id| id as u32) else {
            return;
        };
        let json = get(data, "json").as_string().unwrap_or_default();
        let reply = serde_json::from_str::<Reply>(&json).unwrap_or_else(|err| Reply::Failed {
            message: format!("the import worker's answer was not understood: {err}"),
        });
        if let Reply::Progress { done, total } = reply {
            if let Some(pending) = self.pending.borrow().get(&id) {
                (pending.on_progress)(done, total);
            }
            return;
        }
        let bytes = get(data, "bytes").dyn_into::<Uint8Array>().ok();
        if let Some(pending) = self.pending.borrow_mut().remove(&id) {
            let _ = pending.done.send(Answer { reply, bytes });
        }
    }

    fn fail_all(&self, message: &str) {
        for (_, pending) in self.pending.borrow_mut().drain() {
            let _ = pending.done.send(Answer {
                reply: Reply::Failed {
                    message: message.to_owned(),
                },
                bytes: None,
            });
        }
    }

    fn post(&self, message: JsValue) {
        if self.ready.get() {
            let _ = self.worker.post_message(&message);
        } else {
            self.waiting.borrow_mut().push(message);
        }
    }
}

fn client() -> Result<Rc<Client>, String> {
    if let Some(client) = CLIENT.with(|cell| cell.borrow().clone()) {
        return Ok(client);
    }
    let client = Client::start()?;
    CLIENT.with(|cell| *cell.borrow_mut() = Some(client.clone()));
    Ok(client)
}

/// Sends `request` to the worker; `on_progress(done, total)` hears its progress. The
/// answer is the worker's final reply (a failure comes back as [`Reply::Failed`]).
pub async fn ask(request: &Request, on_progress: impl Fn(u32, u32) + 'static) -> Answer {
    let failed = |message: String| Answer {
        reply: Reply::Failed { message },
        bytes: None,
    };
    let client = match client() {
        Ok(client) => client,
        Err(message) => return failed(format!("the import worker did not start: {message}")),
    };
    let json = match serde_json::to_string(request) {
        Ok(json) => json,
        Err(err) => return failed(err.to_string()),
    };
    let id = client.next_id.get();
    client.next_id.set(id + 1);
    let (done, answer) = oneshot::channel();
    client.pending.borrow_mut().insert(
        id,
        Pending {
            on_progress: Box::new(on_progress),
            done,
        },
    );
    let message = Object::new();
    let _ = Reflect::set(&message, &"id".into(), &JsValue::from(id));
    let _ = Reflect::set(&message, &"json".into(), &JsValue::from_str(&json));
    client.post(message.into());
    answer
        .await
        .unwrap_or_else(|_| failed("the import worker went away".to_owned()))
}
