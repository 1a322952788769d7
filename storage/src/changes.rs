//! Which rows changed on the device since the in-memory replica last looked: every store
//! write notes its keys here, so the replica refreshes exactly those rows (or everything,
//! after a large pull or a change of user).

use std::cell::{Cell, RefCell};
use std::collections::BTreeSet;

/// Beyond this many changed rows the replica reloads everything instead. Reading rows by
/// key costs about what a reload costs per row, so the bound only keeps the log's memory
/// small: a lower one turned an import's steady stream of chunks into repeated reloads of
/// the whole base, each longer than the last, once the page fell a few chunks behind.
const MAX_KEYS: usize = 50_000;

pub type RowKey = (String, String);

#[derive(Debug, Default)]
pub struct Changed {
    /// Reload everything.
    pub all: bool,
    /// Rows to re-read.
    pub keys: BTreeSet<RowKey>,
    /// The subset written by this tab, which the other tabs should hear of.
    pub local: BTreeSet<RowKey>,
    pub local_all: bool,
}

thread_local! {
    static LOG: RefCell<Changed> = RefCell::new(Changed::default());
    static FORGET: Cell<Option<fn()>> = const { Cell::new(None) };
}

/// What drops the in-memory replica at once (the data layer registers it when it provides
/// the replica): the session and the sync, below the replica, call [`forget_everything`].
pub fn on_forget(forget: fn()) {
    FORGET.with(|cell| cell.set(Some(forget)));
}

/// The device's data went or was replaced (logout, another user's session): the replica
/// drops every row at once and loads again (the change log says "everything" even before a
/// replica exists).
pub fn forget_everything() {
    note_remote(None);
    if let Some(forget) = FORGET.with(Cell::get) {
        forget();
    }
}

fn with(f: impl FnOnce(&mut Changed)) {
    LOG.with(|log| {
        let mut log = log.borrow_mut();
        f(&mut log);
        if log.keys.len() > MAX_KEYS {
            log.all = true;
            log.keys.clear();
        }
        if log.local.len() > MAX_KEYS {
            log.local_all = true;
            log.local.clear();
        }
    });
}

/// This tab wrote the row.
pub fn note(entity: &str, id: &str) {
    with(|log| {
        let key = (entity.to_owned(), id.to_owned());
        log.keys.insert(key.clone());
        log.local.insert(key);
    });
}

/// This tab replaced everything (another user's data was removed).
pub fn note_all() {
    with(|log| {
        log.all = true;
        log.local_all = true;
    });
}

/// Another tab wrote these rows (`None`: reload everything).
pub fn note_remote(keys: Option<Vec<RowKey>>) {
    with(|log| match keys {
        Some(keys) => log.keys.extend(keys),
        None => log.all = true,
    });
}

/// Takes what changed since the last call.
pub fn take() -> Changed {
    LOG.with(|log| std::mem::take(&mut *log.borrow_mut()))
}
