//! "Find duplicates": every contact on the device profiled and grouped by core's rules; the
//! groups answered as ids (the page shows their members from its replica).
//!
//! The profiles stay in the worker between scans (for the page's life): the sync channel
//! names every row a tab or this worker writes, and a scan re-reads only those. Everything
//! is read again when a message says "everything", when the device's data changed hands
//! (another user), or when the number of contacts on the device is not the number kept
//! (a message missed).

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};

use futures::lock::Mutex;
use minicrm_core::duplicates::{self, Found, Profile};
use minicrm_core::import::job::Reply;
use minicrm_storage::Storage;
use minicrm_storage::channel;
use minicrm_storage::rows::RowScan;
use uuid::Uuid;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;
use web_sys::{BroadcastChannel, MessageEvent};

use crate::device::{storage, storage_error};

/// Contacts read per slice.
const SLICE: u32 = 5000;
/// Contacts re-read by key at most; beyond, reading them all is as quick.
const MOST_BY_KEY: usize = 20_000;
/// Groups listed at most (the strongest first); the rest are counted.
const MOST_GROUPS: usize = 500;
const CONTACT: &str = "contact";

/// Contacts written since the profiles were made.
#[derive(Default)]
struct Dirty {
    all: bool,
    ids: HashSet<Uuid>,
}

/// The profiles kept between scans: every contact on the device, `None` for one in the
/// trash (so that their number is the device's).
#[derive(Default)]
struct Warm {
    /// Whose data they are of (`None`: nothing kept).
    user: Option<String>,
    profiles: HashMap<Uuid, Option<Profile>>,
    /// Rows whose id is not a UUID (no record of the app's): counted, never compared.
    unreadable: usize,
}

thread_local! {
    /// Held while the profiles are brought up to date (a scan asked for while the page's
    /// early preparing reads waits for it rather than read everything a second time).
    static UPDATING: std::rc::Rc<Mutex<()>> = std::rc::Rc::new(Mutex::new(()));
    static DIRTY: RefCell<Dirty> = RefCell::new(Dirty { all: true, ids: HashSet::new() });
    static WARM: RefCell<Warm> = RefCell::new(Warm::default());
}

/// Listens on the sync channel for the rows written (by any tab, or by this worker), for
/// the worker's life.
pub fn listen() {
    let Ok(sync) = BroadcastChannel::new(channel::CHANNEL_NAME) else {
        // No channel: every scan reads everything.
        return;
    };
    let on_message = Closure::<dyn Fn(MessageEvent)>::new(|event: MessageEvent| {
        let Some(text) = event.data().as_string() else {
            return;
        };
        let Some(rows) = channel::rows_of_message(&text) else {
            return;
        };
        DIRTY.with(|dirty| {
            let mut dirty = dirty.borrow_mut();
            match rows {
                None => dirty.all = true,
                Some(keys) => dirty.ids.extend(
                    keys.iter()
                        .filter(|(entity, _)| entity == CONTACT)
                        .filter_map(|(_, id)| Uuid::parse_str(id).ok()),
                ),
            }
        });
    });
    sync.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    // Kept open for the worker's life (a closed channel hears nothing).
    std::mem::forget(sync);
}

/// Every contact read and profiled again, and how many rows were no record of the app's.
async fn read_all(storage: &Storage) -> Result<(HashMap<Uuid, Option<Profile>>, usize), String> {
    let mut profiles = HashMap::new();
    let mut unreadable = 0;
    let mut scan = RowScan::new(storage, CONTACT, SLICE);
    while let Some(slice) = scan.next().await.map_err(storage_error)? {
        // (Only the fields a profile reads: notes and the rest are skipped unmade.)
        for row in slice.parsed_keeping(Profile::reads) {
            let row = row.map_err(storage_error)?;
            let Ok(id) = Uuid::parse_str(&row.id) else {
                unreadable += 1;
                continue;
            };
            profiles.insert(id, Profile::of(id, &row.into_shown()));
        }
    }
    Ok((profiles, unreadable))
}

/// The kept profiles brought up to date with the device.
async fn profiles(storage: &Storage) -> Result<(), String> {
    let lock = UPDATING.with(std::rc::Rc::clone);
    let _updating = lock.lock().await;
    // What was written from now on is read by the next scan (the marks stay until then).
    let dirty = DIRTY.with(|dirty| std::mem::take(&mut *dirty.borrow_mut()));
    let result = refresh(storage, &dirty).await;
    if result.is_err() {
        // Not read: read again next time.
        WARM.with(|warm| *warm.borrow_mut() = Warm::default());
        DIRTY.with(|kept| kept.borrow_mut().all = true);
    }
    result
}

async fn refresh(storage: &Storage, dirty: &Dirty) -> Result<(), String> {
    let user = storage.device().await.map_err(storage_error)?.user_id;
    let kept_user = WARM.with(|warm| warm.borrow().user.clone());
    let whole = dirty.all || user.is_none() || user != kept_user || dirty.ids.len() > MOST_BY_KEY;
    if whole {
        let (profiles, unreadable) = read_all(storage).await?;
        WARM.with(|warm| {
            *warm.borrow_mut() = Warm {
                user,
                profiles,
                unreadable,
            }
        });
    } else if !dirty.ids.is_empty() {
        let ids: Vec<Uuid> = dirty.ids.iter().copied().collect();
        let keys: Vec<(String, String)> = ids
            .iter()
            .map(|id| (CONTACT.to_owned(), id.to_string()))
            .collect();
        let rows = storage.rows_by_keys(&keys).await.map_err(storage_error)?;
        WARM.with(|warm| {
            let profiles = &mut warm.borrow_mut().profiles;
            for (id, row) in ids.into_iter().zip(rows) {
                match row {
                    Some(row) => {
                        profiles.insert(id, Profile::of(id, &row.shown()));
                    }
                    None => {
                        profiles.remove(&id);
                    }
                }
            }
        });
    }
    // A write no message told of (a tab closed before it told): the count differs.
    let count = storage.count_of(CONTACT).await.map_err(storage_error)? as usize;
    let kept = WARM.with(|warm| {
        let warm = warm.borrow();
        warm.profiles.len() + warm.unreadable
    });
    if !whole && kept != count {
        let (profiles, unreadable) = read_all(storage).await?;
        WARM.with(|warm| {
            let mut warm = warm.borrow_mut();
            warm.profiles = profiles;
            warm.unreadable = unreadable;
        });
    }
    Ok(())
}

/// The profiles made (or brought up to date) ahead of a scan: the records page asks when it
/// opens, so that "Find duplicates" finds them ready.
pub async fn prepare() -> Result<Reply, String> {
    let storage = storage().await?;
    profiles(&storage).await?;
    Ok(Reply::Accepted)
}

pub async fn find() -> Result<Reply, String> {
    let storage = storage().await?;
    profiles(&storage).await?;
    let (records, mut groups) = WARM.with(|warm| {
        let warm = warm.borrow();
        // (Grouped in the ids' order whatever order they come in.)
        let profiles: Vec<&Profile> = warm.profiles.values().flatten().collect();
        (profiles.len() as u32, duplicates::find_groups(&profiles))
    });
    // (find_groups gives them the strongest first.)
    let more = groups.len().saturating_sub(MOST_GROUPS) as u32;
    groups.truncate(MOST_GROUPS);
    Ok(Reply::Duplicates(Box::new(Found {
        records,
        groups,
        more,
    })))
}
