//! The background sync: pushes the outbox in order, pulls until the server has nothing
//! more, and tells the UI how it stands. Runs in exactly one tab per browser (a Web Lock);
//! the other tabs learn of changes over a BroadcastChannel and read IndexedDB themselves.
//!
//! It runs at start, when the browser comes online, right after local edits, and every
//! half minute; after a failure it waits with exponential backoff and jitter.

use std::cell::RefCell;

use futures::FutureExt;
use futures::channel::oneshot;
use gloo_timers::future::TimeoutFuture;
use leptos::prelude::*;
use leptos::task::spawn_local;
use minicrm_core::sync::{MAX_PUSH_BYTES, MAX_PUSH_CHANGES, PushRequest};

use crate::api::{self, ApiError};
use crate::state::online::Online;
use crate::state::session::Session;
use crate::storage::changes;
use crate::storage::channel;
use crate::storage::device::{DEVICE_KEY, DeviceState};
use crate::storage::{Storage, StorageError};
use crate::tabs::{
    self, LOGGED_OUT_MESSAGE, LOGOUT_INCOMPLETE_MESSAGE, SESSION_MESSAGE, SYNCED_MESSAGE,
};

const PERIOD_MS: u32 = 30_000;
const FIRST_BACKOFF_MS: u32 = 2_000;
const MAX_BACKOFF_MS: u32 = 5 * 60_000;
const PULL_PAGE: usize = 1000;

#[derive(Debug, Clone, PartialEq)]
pub enum SyncPhase {
    /// Nothing running; see `last_sync_ms`.
    Idle,
    Syncing,
    Offline,
    /// The server wants the password again.
    NeedsLogin,
    /// The last attempt failed; it is retried with backoff.
    Failed(String),
}

/// The sync state the UI shows; `Copy`, so components take it freely. (A bundle of signals
/// like `data::Replica`: the same shape on purpose, each signal its own state.)
#[derive(Clone, Copy)]
pub struct Sync {
    pub phase: RwSignal<SyncPhase>,
    pub pending: RwSignal<u32>,
    pub rejected: RwSignal<u32>,
    /// Of those, edits of a record merged away, made again on the record that stays.
    pub moved: RwSignal<u32>,
    pub last_sync_ms: RwSignal<Option<f64>>,
    /// When the server last acknowledged this device's changes (ms since the epoch).
    pub last_ack_ms: RwSignal<Option<f64>>,
    /// When the oldest change still waiting was made.
    pub oldest_pending_ms: RwSignal<Option<f64>>,
    /// Whether the browser keeps the device's data under storage pressure (`None`: it has
    /// not said).
    pub persisted: RwSignal<Option<bool>>,
    /// Rows pulled in the current sync (for the progress of a long first sync).
    pub pulled_rows: RwSignal<u64>,
    /// Bumped whenever the device's data changed: lists read IndexedDB again.
    pub data_version: RwSignal<u64>,
    /// The owner of a record as the device holds it (the replica's index, given by the
    /// app's root so the sync needs no part of the data layer): for the access checks of
    /// changes made again after a merge.
    owner_of: OwnerOf,
}

/// Looks up the owner of a record the device holds (`None`: not held or unowned).
pub type OwnerOf = fn(&uuid::Uuid) -> Option<String>;

thread_local! {
    static WAKE: RefCell<Option<oneshot::Sender<()>>> = const { RefCell::new(None) };
    /// A sync was asked for while none was waiting (one was running): the next wait ends
    /// at once, so the request is never lost.
    static WAKE_PENDING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// What stops a sync cycle: one error type for the loop, the API's and the storage's
/// errors carried as they are (the `#[from]` shape every such enum has, core's
/// `FieldError` too).
#[derive(Debug, thiserror::Error)]
enum SyncError {
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("the server did not acknowledge the oldest pending change")]
    Stuck,
}

impl SyncError {
    /// The device's data is no longer the session's user's (a logout or another login
    /// happened meanwhile): not a failure to retry, the session is read again instead.
    fn is_not_owner(&self) -> bool {
        matches!(self, SyncError::Storage(StorageError::NotOwner))
    }
}

pub fn use_sync() -> Sync {
    expect_context::<Sync>()
}

fn now_ms() -> f64 {
    js_sys::Date::now()
}

fn log(message: &str) {
    web_sys::console::warn_1(&message.into());
}

impl Sync {
    /// The device's data changed (here or in another tab): re-read counts, refresh lists.
    pub fn notify_changed(&self) {
        let sync = *self;
        sync.data_version.update(|version| *version += 1);
        spawn_local(async move { sync.refresh_counts().await });
    }

    async fn refresh_counts(&self) {
        let Ok(storage) = Storage::shared().await else {
            return;
        };
        if let Ok(summary) = storage.outbox_summary().await {
            self.pending.set(summary.count);
            self.oldest_pending_ms.set(summary.oldest_ms);
        }
        if let Ok(rejected) = storage.rejected_changes().await {
            self.rejected
                .set(u32::try_from(rejected.len()).unwrap_or(u32::MAX));
            let moved = rejected.iter().filter(|c| c.moved == Some(true)).count();
            self.moved.set(u32::try_from(moved).unwrap_or(u32::MAX));
        }
        if let Ok(device) = storage.get_meta::<DeviceState>(DEVICE_KEY).await {
            self.last_sync_ms
                .set(device.as_ref().and_then(|device| device.last_sync_ms));
            self.last_ack_ms
                .set(device.as_ref().and_then(|device| device.last_ack_ms));
        }
    }

    /// Asks the browser whether it keeps the device's data (and, with `ask`, to keep it).
    pub async fn check_persistence(&self, ask: bool) {
        let granted = if ask {
            crate::storage::health::request_persistence().await
        } else {
            crate::storage::health::persisted().await
        };
        self.persisted.set(granted);
    }

    /// Asks for a sync soon: wakes this tab's loop, or the leading tab's.
    pub fn request(&self) {
        if !wake_loop() {
            WAKE_PENDING.with(|pending| pending.set(true));
            tabs::post(channel::SYNC_MESSAGE);
        }
    }

    /// After a local edit: counts change now, the server hears of it soon.
    pub fn edited(&self) {
        self.notify_changed();
        tabs::post(channel::CHANGED_MESSAGE);
        self.request();
    }
}

/// Starts the sync for this tab and provides its state.
pub fn provide_sync(session: Session, online: Online, owner_of: OwnerOf) -> Sync {
    let sync = Sync {
        phase: RwSignal::new(SyncPhase::Idle),
        pending: RwSignal::new(0),
        rejected: RwSignal::new(0),
        moved: RwSignal::new(0),
        last_sync_ms: RwSignal::new(None),
        last_ack_ms: RwSignal::new(None),
        oldest_pending_ms: RwSignal::new(None),
        persisted: RwSignal::new(None),
        pulled_rows: RwSignal::new(0),
        data_version: RwSignal::new(0),
        owner_of,
    };
    provide_context(sync);
    tabs::listen(move |message| match message.as_str() {
        channel::CHANGED_MESSAGE => {
            sync.data_version.update(|version| *version += 1);
            spawn_local(async move { sync.refresh_counts().await });
        }
        rows if channel::rows_of_message(rows).is_some() => {
            // Another tab (or the import worker) wrote these rows: the replica re-reads
            // them, and the counts follow.
            let keys = channel::rows_of_message(rows).flatten();
            crate::storage::changes::note_remote(keys);
            sync.data_version.update(|version| *version += 1);
            spawn_local(async move { sync.refresh_counts().await });
        }
        SYNCED_MESSAGE => spawn_local(async move { sync.refresh_counts().await }),
        // Wake the loop; if it is busy, the next wait ends at once.
        channel::SYNC_MESSAGE if !wake_loop() => WAKE_PENDING.with(|pending| pending.set(true)),
        // The counts follow through the effect below.
        LOGGED_OUT_MESSAGE => session.forget_here(),
        LOGOUT_INCOMPLETE_MESSAGE => {
            session.forget_here();
            session.note_clear_failed(crate::t!("logout-clear-failed-elsewhere"));
        }
        SESSION_MESSAGE => spawn_local(async move { session.recheck().await }),
        _ => {}
    });
    // Logged out (here or in another tab): the counts are of an empty device.
    Effect::new(move |_| {
        if session.user().is_none() {
            sync.notify_changed();
        }
    });
    // Coming online, or logging in: sync now.
    Effect::new(move |_| {
        let is_online = online.get();
        let logged_in = session.user().is_some() && !session.reauth_needed();
        if is_online && logged_in {
            sync.request();
        } else if !is_online {
            sync.phase.set(SyncPhase::Offline);
        }
    });
    spawn_local(async move {
        sync.refresh_counts().await;
        tabs::become_leader().await;
        run(sync, session, online).await;
    });
    sync
}

/// Wakes this tab's waiting loop; false when it is not waiting.
fn wake_loop() -> bool {
    WAKE.with(|wake| wake.borrow_mut().take().map(|sender| sender.send(())))
        .is_some()
}

/// Waits `ms`, or less if someone asks for a sync (or asked while the last one ran).
async fn sleep_or_wake(ms: u32) {
    if WAKE_PENDING.with(|pending| pending.replace(false)) {
        return;
    }
    let (sender, receiver) = oneshot::channel();
    WAKE.with(|wake| *wake.borrow_mut() = Some(sender));
    futures::select! {
        _ = TimeoutFuture::new(ms).fuse() => {},
        _ = receiver.fuse() => {},
    }
    WAKE.with(|wake| wake.borrow_mut().take());
}

fn next_backoff(current: u32) -> u32 {
    let doubled = if current == 0 {
        FIRST_BACKOFF_MS
    } else {
        current.saturating_mul(2)
    };
    let capped = doubled.min(MAX_BACKOFF_MS);
    // ±25 % jitter so many devices coming back at once do not retry in step.
    let jitter = (js_sys::Math::random() - 0.5) * 0.5;
    (f64::from(capped) * (1.0 + jitter)) as u32
}

async fn run(sync: Sync, session: Session, online: Online) {
    let mut backoff = 0;
    loop {
        let ready = online.get_untracked() && session.token().is_some();
        if !ready {
            if !online.get_untracked() {
                sync.phase.set(SyncPhase::Offline);
            }
            sleep_or_wake(PERIOD_MS).await;
            continue;
        }
        if session.reauth_needed_untracked() {
            sync.phase.set(SyncPhase::NeedsLogin);
            sleep_or_wake(PERIOD_MS).await;
            continue;
        }
        sync.phase.set(SyncPhase::Syncing);
        let result = sync_once(&sync, &session).await;
        match result {
            Ok(()) => {
                backoff = 0;
                sync.phase.set(SyncPhase::Idle);
                sleep_or_wake(PERIOD_MS).await;
            }
            Err(err) if err.is_not_owner() => {
                // Logged out or another user logged in while this ran: nothing was written;
                // follow the stored session.
                backoff = 0;
                session.recheck().await;
                sync.phase.set(SyncPhase::Idle);
                sleep_or_wake(PERIOD_MS).await;
            }
            Err(SyncError::Api(err @ ApiError::Unauthorized { .. })) => {
                session.note_api_error(&err).await;
                sync.phase.set(SyncPhase::NeedsLogin);
                sleep_or_wake(PERIOD_MS).await;
            }
            Err(err) => {
                backoff = next_backoff(backoff);
                let phase = match err {
                    SyncError::Api(ApiError::Unreachable) if !online.get_untracked() => {
                        SyncPhase::Offline
                    }
                    SyncError::Api(api_err) => SyncPhase::Failed(api_err.user_message()),
                    other => SyncPhase::Failed(other.to_string()),
                };
                log(&format!("sync failed, retrying in {backoff} ms: {phase:?}"));
                sync.phase.set(phase);
                sleep_or_wake(backoff).await;
            }
        }
    }
}

/// Whether `actor` may write `field` = `value` on `row` (core's rule, as the server
/// applies it: a contact by its owner; a task's or activity's record, and the record a
/// `record_id` points to, by theirs as the device holds them).
fn may_write(
    actor: &minicrm_core::access::Actor,
    owner_of: OwnerOf,
    row: &crate::storage::rows::StoredRow,
    field: &str,
    value: &serde_json::Value,
) -> bool {
    use minicrm_core::access::{RowScope, check_write};
    use minicrm_core::schema::Entity;
    let Ok(entity) = row.entity.parse::<Entity>() else {
        return false;
    };
    let owner_of = |record: Option<uuid::Uuid>| RowScope::Owned {
        owner: record.as_ref().and_then(owner_of),
    };
    let fields = row.shown();
    let pointer = |name: &str| {
        fields
            .get(name)
            .and_then(|s| s.value.as_str())
            .and_then(|id| uuid::Uuid::parse_str(id).ok())
    };
    let scope = match entity {
        Entity::Contact => RowScope::Owned {
            owner: fields
                .get("owner_id")
                .and_then(|s| s.value.as_str())
                .map(str::to_owned),
        },
        _ => owner_of(pointer("record_id")),
    };
    let target = (field == "record_id")
        .then(|| value.as_str().and_then(|id| uuid::Uuid::parse_str(id).ok()))
        .flatten()
        .map(|record| owner_of(Some(record)));
    check_write(actor, entity, &scope, field, value, target.as_ref()).is_ok()
}

async fn sync_once(sync: &Sync, session: &Session) -> Result<(), SyncError> {
    let token = session.token().ok_or(ApiError::Unauthorized {
        message: String::new(),
    })?;
    let user = session.user_untracked().ok_or(ApiError::Unauthorized {
        message: String::new(),
    })?;
    let user_id = user.id.to_string();
    let shared = Storage::shared().await?;
    // The login claimed the device for the user (`Session::establish`); a session kept from
    // before the device recorded its user adopts the stores as they are.
    let owner = shared.adopt_if_unowned(&user_id).await?;
    if owner != user_id {
        let stored = shared.load_session().await?;
        if stored.is_some_and(|stored| stored.user.id == user.id) {
            // The stored session is this user's, the data someone else's: theirs goes.
            if shared.claim_for_user(&user_id).await? {
                changes::forget_everything();
                sync.notify_changed();
            }
        } else {
            // This tab missed a logout or another login: it follows the stored session.
            return Err(StorageError::NotOwner.into());
        }
    }
    // Every write below is refused if the device stops holding this user's data meanwhile.
    let storage = shared.for_user(&user_id);
    let device = storage.device().await?;

    // Push the outbox, oldest first, in batches the server accepts.
    loop {
        let batch = storage
            .outbox_batch(MAX_PUSH_CHANGES as u32, MAX_PUSH_BYTES - 64 * 1024)
            .await?;
        let Some(first) = batch.first().map(|change| change.seq) else {
            break;
        };
        let request = PushRequest {
            client_id: device.client_id.clone(),
            changes: batch,
        };
        let reply = api::push(&token, &request).await?;
        storage
            .acknowledge(
                &request.changes,
                reply.acked_seq,
                &reply.rejected,
                &reply.server_hlc,
                now_ms(),
            )
            .await?;
        sync.notify_changed();
        tabs::post(channel::CHANGED_MESSAGE);
        if reply.acked_seq < first {
            return Err(SyncError::Stuck);
        }
    }

    // Pull until the server has nothing more, one transaction per page. The next page is
    // fetched while this one is written.
    sync.pulled_rows.set(0);
    let mut pulled = 0;
    let cursor = storage.device().await?.cursor;
    // From the start (a first sync, or after a scope change), know which rows exist
    // instead of looking each one up.
    let mut known = if cursor == 0 {
        Some(storage.row_keys().await?)
    } else {
        None
    };
    let mut touched: std::collections::HashSet<uuid::Uuid> = std::collections::HashSet::new();
    let mut page = api::pull(&token, cursor, PULL_PAGE).await?;
    loop {
        let next = page.more.then(|| api::pull(&token, page.cursor, PULL_PAGE));
        let (applied, next) = match next {
            Some(next) => {
                let (applied, next) =
                    futures::join!(storage.apply_pull(&page, known.as_mut()), next);
                (applied, Some(next))
            }
            None => (storage.apply_pull(&page, known.as_mut()).await, None),
        };
        applied?;
        pulled += page.rows.len();
        // The records the pull touched, and those merges it brought stay in: the merges
        // whose carry-over may have something to do.
        for row in &page.rows {
            let id = match row.entity.as_str() {
                "contact" => Some(row.id.as_str()),
                "merge" => row
                    .fields
                    .as_ref()
                    .and_then(|fields| fields.get("record_id"))
                    .and_then(|state| state.value.as_str()),
                _ => None,
            };
            if let Some(id) = id.and_then(|id| uuid::Uuid::parse_str(id).ok()) {
                touched.insert(id);
            }
        }
        if !page.rows.is_empty() {
            sync.pulled_rows.update(|n| *n += page.rows.len() as u64);
        }
        match next {
            Some(next) => page = next?,
            None => break,
        }
    }
    // Lists re-read the device once per sync, not once per page (a first sync of a large
    // base has hundreds of pages).
    if pulled > 0 {
        sync.data_version.update(|version| *version += 1);
        tabs::post(channel::CHANGED_MESSAGE);
    }
    // This pull started after every acknowledgement above: settled edits now show as the
    // server holds them.
    if storage.finish_settling().await? {
        // Settled rows now show the server's state (a refused or lost edit disappears).
        sync.notify_changed();
        tabs::post(channel::CHANGED_MESSAGE);
    }
    // Changes refused because another device merged their record away are made again on
    // the record that stays, now that the pull brought the merge (core's rule).
    let actor = minicrm_core::access::Actor::from(&user);
    let before = storage.pending_count().await?;
    storage
        .retarget_merged(
            |row, field, value| may_write(&actor, sync.owner_of, row, field, value),
            now_ms() as u64,
        )
        .await?;
    // What this user's merges did not see of the records they merged (another device's
    // write that reached the server first), and what another merge into the same record
    // took back of their lists, made on the records that stay (core's rules).
    if !touched.is_empty() {
        storage
            .carry_over_merges(
                &user_id,
                &touched,
                |row, field, value| may_write(&actor, sync.owner_of, row, field, value),
                now_ms() as u64,
            )
            .await?;
    }
    if storage.pending_count().await? > before {
        sync.edited();
    }
    storage.mark_synced(now_ms()).await?;
    sync.refresh_counts().await;
    tabs::post(SYNCED_MESSAGE);
    // For `cargo xtask bench` and the browser's performance panel.
    if let Some(performance) = web_sys::window().and_then(|window| window.performance()) {
        let _ = performance.mark("minicrm-sync-done");
    }
    Ok(())
}
