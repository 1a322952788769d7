//! The writing: the worker writes the import in chunks and tells its progress; this tab
//! keeps each writing it started (so leaving the page and coming back shows it again) and
//! holds a Web Lock per import while its worker writes, so two tabs never write one import
//! at once — a second tab shows the first one's progress from the stored job. A job found
//! in the Writing step that no tab writes (a reload, a crash) is resumed: the worker goes on
//! after the last chunk it stored.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use futures::channel::oneshot;
use gloo_timers::future::TimeoutFuture;
use js_sys::{Function, Object, Promise, Reflect};
use leptos::prelude::*;
use leptos::task::spawn_local;
use minicrm_core::import::job::{ImportJob, Reply, Request, Step};
use uuid::Uuid;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::{Closure, JsValue};

use super::flow::{Flow, grouped, load, storage_message};
use crate::state::session::use_session;
use crate::storage::Storage;
use crate::t;
use crate::worker;

/// How often a tab that does not write the import reads its progress.
const WATCH_MS: u32 = 1_500;

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Phase {
    /// Asked; the worker is preparing the rows.
    Starting,
    Writing,
    /// Another tab's worker writes it.
    Elsewhere,
    /// Cancel was asked; the chunk being written finishes.
    Stopping,
    Failed,
    Finished,
}

/// How a writing stands, for the page.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Progress {
    pub phase: Phase,
    pub done: u32,
    pub total: u32,
    /// When the rate began to be measured, and the rows done then.
    since: Option<(f64, u32)>,
    /// The time left, from the rate so far.
    pub left_ms: Option<f64>,
    pub failure: Option<String>,
}

impl Progress {
    fn new(job: &ImportJob) -> Progress {
        Progress {
            phase: Phase::Starting,
            done: job.written,
            total: job.planned,
            since: None,
            left_ms: None,
            failure: None,
        }
    }

    fn heard(&mut self, done: u32, total: u32, now: f64) {
        self.done = done;
        self.total = total;
        match self.since {
            None => self.since = Some((now, done)),
            Some((then, at)) if done > at && now > then => {
                let rate = f64::from(done - at) / (now - then);
                self.left_ms = Some(f64::from(total.saturating_sub(done)) / rate);
            }
            Some(_) => {}
        }
    }
}

thread_local! {
    /// The writings this tab started, by import.
    static RUNS: RefCell<HashMap<Uuid, ArcRwSignal<Progress>>> = RefCell::new(HashMap::new());
}

/// Whether this tab is writing the import now.
pub(super) fn is_running(id: Uuid) -> bool {
    RUNS.with(|runs| runs.borrow().contains_key(&id))
}

/// The writing of `job` in this tab: the one running, or a new one (which resumes the
/// import where its stored progress says).
fn ensure(job: &ImportJob) -> ArcRwSignal<Progress> {
    if let Some(run) = RUNS.with(|runs| runs.borrow().get(&job.id).cloned()) {
        return run;
    }
    let run = ArcRwSignal::new(Progress::new(job));
    RUNS.with(|runs| runs.borrow_mut().insert(job.id, run.clone()));
    spawn_local(drive(job.id, run.clone()));
    run
}

/// Writes the import under its lock, or watches another tab write it.
async fn drive(id: Uuid, run: ArcRwSignal<Progress>) {
    loop {
        let progress = run.clone();
        let written = with_lock(&format!("minicrm-import-{id}"), async move {
            progress.update(|p| {
                if p.phase != Phase::Stopping {
                    p.phase = Phase::Starting;
                }
            });
            let heard = progress.clone();
            let on_progress = move |done, total| {
                heard.update(|p| {
                    p.heard(done, total, js_sys::Date::now());
                    if p.phase == Phase::Starting {
                        p.phase = Phase::Writing;
                    }
                });
            };
            worker::ask(&Request::Write { import_id: id }, on_progress).await
        })
        .await;
        match written {
            Some(answer) => {
                match answer.reply {
                    Reply::Finished { .. } => run.update(|p| p.phase = Phase::Finished),
                    Reply::Failed { message } => run.update(|p| {
                        p.phase = Phase::Failed;
                        p.failure = Some(message);
                    }),
                    other => run.update(|p| {
                        p.phase = Phase::Failed;
                        p.failure = Some(format!("{other:?}"));
                    }),
                }
                break;
            }
            None => match load(id).await {
                Ok(Some(job)) if job.step == Step::Writing => {
                    run.update(|p| {
                        p.phase = Phase::Elsewhere;
                        p.heard(job.written, job.planned, js_sys::Date::now());
                    });
                    TimeoutFuture::new(WATCH_MS).await;
                }
                Ok(_) => {
                    run.update(|p| p.phase = Phase::Finished);
                    break;
                }
                Err(message) => {
                    run.update(|p| {
                        p.phase = Phase::Failed;
                        p.failure = Some(message);
                    });
                    break;
                }
            },
        }
    }
    // A finished writing is no longer this tab's; a failed one stays (the page offers to
    // try again).
    if run.with_untracked(|p| p.phase == Phase::Finished) {
        RUNS.with(|runs| runs.borrow_mut().remove(&id));
    }
}

/// Runs `work` holding the Web Lock `name`, or returns `None` at once when another tab
/// holds it. Without Web Locks the work just runs.
async fn with_lock<T: 'static>(
    name: &str,
    work: impl std::future::Future<Output = T> + 'static,
) -> Option<T> {
    let locks = web_sys::window()
        .map(|window| Reflect::get(&window.navigator(), &"locks".into()))
        .and_then(Result::ok)
        .filter(|locks| !locks.is_undefined());
    let request = locks
        .as_ref()
        .and_then(|locks| Reflect::get(locks, &"request".into()).ok())
        .and_then(|request| request.dyn_into::<Function>().ok());
    let (Some(locks), Some(request)) = (locks, request) else {
        return Some(work.await);
    };
    let (granted, on_granted) = oneshot::channel::<bool>();
    let release: Rc<RefCell<Option<Function>>> = Rc::new(RefCell::new(None));
    let keep = release.clone();
    let callback = Closure::once_into_js(move |lock: JsValue| -> JsValue {
        if lock.is_null() {
            let _ = granted.send(false);
            return JsValue::UNDEFINED;
        }
        let _ = granted.send(true);
        // Held until the work is done.
        Promise::new(&mut |resolve, _reject| *keep.borrow_mut() = Some(resolve)).into()
    });
    let options = Object::new();
    let _ = Reflect::set(&options, &"ifAvailable".into(), &JsValue::TRUE);
    if request
        .call3(&locks, &JsValue::from_str(name), &options, &callback)
        .is_err()
    {
        return Some(work.await);
    }
    if !on_granted.await.unwrap_or(false) {
        return None;
    }
    let out = work.await;
    if let Some(resolve) = release.borrow_mut().take() {
        let _ = resolve.call0(&JsValue::NULL);
    }
    Some(out)
}

/// Resumes, once per logged-in user, every import of theirs left in the Writing step on
/// this device (a crash or a closed tab mid-import), so it finishes without the user
/// opening its page. For the app's shell.
pub fn resume_writing() {
    let session = use_session();
    let me = Memo::new(move |_| session.user().map(|user| user.id.0.to_string()));
    Effect::new(move || {
        let Some(me) = me.get() else {
            return;
        };
        spawn_local(async move {
            let Ok(storage) = Storage::shared().await else {
                return;
            };
            let jobs = match storage.import_jobs().await {
                Ok(jobs) => jobs,
                Err(err) => {
                    web_sys::console::warn_1(&storage_message(err).into());
                    return;
                }
            };
            for job in jobs
                .iter()
                .filter(|job| job.user_id == me && job.step == Step::Writing)
            {
                ensure(job);
            }
        });
    });
}

/// "About 3 minutes left".
fn time_left(ms: f64) -> String {
    let seconds = (ms / 1000.0).ceil().max(1.0) as u32;
    if seconds < 90 {
        t!("import-left-seconds", count = seconds.to_string())
    } else {
        t!(
            "import-left-minutes",
            count = seconds.div_ceil(60).to_string()
        )
    }
}

#[component]
pub(super) fn WritingStep(flow: Flow) -> impl IntoView {
    let arc = StoredValue::new(ensure(&flow.job.get_untracked()));
    let run = RwSignal::from(arc.get_value());
    let phase = Memo::new(move |_| run.with(|p| p.phase));
    // Done (or stopped): the job as the worker left it shows the result.
    Effect::new(move || {
        if phase.get() == Phase::Finished {
            flow.reload();
        }
    });
    let cancel = move |_| {
        run.update(|p| p.phase = Phase::Stopping);
        let import_id = flow.id();
        spawn_local(async move {
            let answer = worker::ask(&Request::Cancel { import_id }, |_, _| {}).await;
            if !matches!(answer.reply, Reply::Accepted) {
                flow.unexpected(answer.reply);
            }
        });
    };
    let retry = move |_| {
        if phase.get_untracked() == Phase::Failed {
            restart(flow.id(), arc.get_value());
        }
    };
    let counted = move || {
        run.with(|p| {
            t!(
                "import-progress",
                done = grouped(p.done),
                total = grouped(p.total)
            )
        })
    };
    let status = move || {
        run.with(|p| match p.phase {
            Phase::Starting if p.total == 0 => t!("import-preparing"),
            Phase::Stopping => t!("import-stopping"),
            Phase::Failed => t!("import-write-failed"),
            Phase::Finished => t!("import-finishing"),
            phase => {
                let mut text = counted();
                if let Some(left) = p.left_ms.filter(|_| p.done < p.total) {
                    text = t!(
                        "import-progress-left",
                        progress = text,
                        left = time_left(left)
                    );
                }
                if phase == Phase::Elsewhere {
                    text = t!("import-elsewhere", progress = text);
                }
                text
            }
        })
    };
    let percent = move || {
        run.with(|p| {
            if p.total == 0 {
                0.0
            } else {
                f64::from(p.done) * 100.0 / f64::from(p.total)
            }
        })
    };
    view! {
        <h2>{t!("import-writing-title")}</h2>
        <p class="hint">{t!("import-writing-hint")}</p>
        <div class="import-progress">
            <div class="import-bar" role="progressbar" aria-label=t!("import-progress-label")
                aria-valuemin="0"
                aria-valuemax=move || run.with(|p| p.total.to_string())
                aria-valuenow=move || run.with(|p| p.done.to_string())
                aria-valuetext=counted>
                <div class="import-bar-fill" style:width=move || format!("{:.1}%", percent())></div>
            </div>
            <p role="status" aria-live="polite">{status}</p>
        </div>
        {move || run.with(|p| p.failure.clone()).map(|failure| view! {
            <p class="form-error" role="alert">{t!("import-worker-failed", message = failure)}</p>
        })}
        <div class="actions">
            {move || match phase.get() {
                Phase::Starting | Phase::Writing => view! {
                    <button type="button" class="danger" on:click=cancel>{t!("import-cancel")}</button>
                }.into_any(),
                Phase::Failed => view! {
                    <button type="button" class="primary" on:click=retry>{t!("import-retry")}</button>
                }.into_any(),
                _ => ().into_any(),
            }}
        </div>
    }
}

/// Tries a failed writing again, reporting into the same progress.
fn restart(id: Uuid, run: ArcRwSignal<Progress>) {
    run.update(|p| {
        p.phase = Phase::Starting;
        p.failure = None;
        p.since = None;
        p.left_ms = None;
    });
    RUNS.with(|runs| runs.borrow_mut().insert(id, run.clone()));
    spawn_local(drive(id, run));
}
