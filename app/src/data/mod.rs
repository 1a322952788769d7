//! The in-memory replica of the device's rows: every contact in compact form (so search
//! and filters over 100k records answer within a keystroke) and every settings row
//! (segments, stages, custom fields, users, views…).
//!
//! IndexedDB stays the source of truth. The replica loads it once, in slices that never
//! hold the page for long, and then re-reads exactly the rows the storage layer reports as
//! changed (this tab's edits and pulls, and other tabs' via the BroadcastChannel).

pub mod deadlines;
pub mod merges;
mod setting_row;
pub mod settings;
pub mod tasks;

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::ops::Bound;

use gloo_timers::future::TimeoutFuture;
use leptos::prelude::*;
use leptos::task::spawn_local;
use minicrm_core::query::{MatchContext, Matcher, Query};
use minicrm_core::record::Contact;
use minicrm_core::report::settled_at;
use minicrm_core::work::{Activity, Task};
use serde_json::Value;
use uuid::Uuid;

use crate::state::session::Session;
use crate::storage::changes::{self, RowKey};
use crate::storage::channel;
use crate::storage::rows::{RowEdit, RowScan, StoredRow};
use crate::storage::{Storage, StorageError};
use crate::sync::Sync;
use crate::tabs;

pub use setting_row::SettingRow;

pub const CONTACT: &str = "contact";
pub const TASK: &str = "task";
pub const ACTIVITY: &str = "activity";
/// Entities of the daily work, kept whole in memory (compact): their changes bump
/// [`Replica::work_version`], not [`Replica::version`], so a ticked-off task never
/// re-sorts 100k records.
pub const WORK_ENTITIES: &[&str] = &[TASK, ACTIVITY];
/// Entities kept whole in memory (small: settings, the user directory, saved views, the
/// import history).
pub const SETTING_ENTITIES: &[&str] = &[
    "segment",
    "campaign",
    "category",
    "source",
    "module",
    "stage",
    "outcome",
    "field_def",
    "view",
    "user",
    "config",
    // The import history (the records' pages and the import flow read it; no settings list
    // shows it).
    "import",
    // Merges (a record's timeline shows them, with their undo).
    "merge",
];
/// Rows read per request while loading (parsed in steps, see [`Steps`]).
const LOAD_SLICE: u32 = 1000;
/// Changed rows read back per request.
const APPLY_SLICE: usize = 100;
/// The longest the replica works on the page's thread before it lets the page go on.
const STEP_MS: f64 = 20.0;

/// Work on the page's thread in steps of about [`STEP_MS`]: the page handles input and
/// paints between them (a long task is what a user feels as a frozen page).
///
/// The step is the page's, not the walker's: every stepped work that runs in the same task
/// shares it ([`STEP_BEGAN`]). Two counts begun by one click run their first rows in the
/// click's task; with a step each they held it for two steps and the click's own work.
pub struct Steps(());

thread_local! {
    /// When the step under way began: when stepped work last resumed in a task of its own.
    static STEP_BEGAN: Cell<f64> = const { Cell::new(f64::NEG_INFINITY) };
}

impl Default for Steps {
    fn default() -> Self {
        Self::new()
    }
}

impl Steps {
    pub fn new() -> Self {
        Steps(())
    }

    /// Yields to the page when this step has run its time. A hidden page goes on: nobody
    /// waits on it, and a hidden tab's timers fire at most once a second.
    async fn breathe(&mut self) {
        if self.spent() {
            self.pause().await;
        }
    }

    /// This step has run its time (a hidden page's never does: see [`Steps::breathe`]).
    fn spent(&self) -> bool {
        now() - STEP_BEGAN.with(Cell::get) >= STEP_MS && !page_hidden()
    }

    /// Lets the page go on, then begins a new step.
    pub async fn pause(&mut self) {
        TimeoutFuture::new(0).await;
        self.resumed();
    }

    /// A request to IndexedDB was waited on (its answer always comes in a task of its
    /// own): a new step began.
    fn resumed(&mut self) {
        STEP_BEGAN.with(|began| began.set(now()));
    }
}

/// An index let go a step at a time (a hundred thousand contacts freed at once held the
/// page for a few hundred milliseconds right after the first sync).
fn release_in_steps(old: Index) {
    leptos::task::spawn_local(async move {
        let Index {
            mut contacts,
            by_id,
            pending,
            settings,
            tasks,
            activities,
            task_keys,
            activity_keys,
            in_stage,
            activity_log,
            task_mark: _,
        } = old;
        drop((by_id, pending, settings));
        drop((task_keys, activity_keys, in_stage, activity_log));
        let mut steps = Steps::new();
        while contacts.pop().is_some() {
            steps.breathe().await;
        }
        let mut tasks = tasks.into_iter();
        while tasks.next().is_some() {
            steps.breathe().await;
        }
        let mut activities = activities.into_iter();
        while activities.next().is_some() {
            steps.breathe().await;
        }
    });
}

/// The page's monotonic clock (ms).
fn now() -> f64 {
    web_sys::window()
        .and_then(|window| window.performance())
        .map_or_else(js_sys::Date::now, |performance| performance.now())
}

fn page_hidden() -> bool {
    web_sys::window()
        .and_then(|window| window.document())
        .is_some_and(|document| document.hidden())
}

/// Rows of the index in an order, from a key on.
type RowsFrom<T> = Box<
    dyn for<'a> Fn(&'a Index, Bound<TimeKey>) -> Box<dyn Iterator<Item = (TimeKey, &'a T)> + 'a>,
>;

/// Rows between two checks of the clock.
const ROWS_PER_CHECK: usize = 512;

async fn walk_in_steps<T>(
    from: i64,
    rows: RowsFrom<T>,
    each: &mut impl FnMut(&T),
    current: &impl Fn() -> bool,
    steps: &mut Steps,
) -> bool {
    let mut next = Bound::Included((from, Uuid::nil()));
    loop {
        let finished = INDEX.with(|index| {
            let index = index.borrow();
            for (n, (key, row)) in rows(&index, next).enumerate() {
                each(row);
                next = Bound::Excluded(key);
                if n % ROWS_PER_CHECK == ROWS_PER_CHECK - 1 && steps.spent() {
                    return false;
                }
            }
            true
        });
        if finished {
            return true;
        }
        steps.pause().await;
        if !current() {
            return false;
        }
    }
}

/// Everything the replica holds.
#[derive(Default)]
pub struct Index {
    contacts: Vec<Contact>,
    by_id: HashMap<Uuid, usize>,
    /// Contacts with edits the server has not acknowledged yet.
    pending: HashSet<Uuid>,
    settings: HashMap<String, BTreeMap<String, SettingRow>>,
    /// Every task by when it stopped being open (`report::settled_at`), open ones last:
    /// a report counts those settled after its period began, walking them in place.
    tasks: BTreeMap<TimeKey, Task>,
    task_keys: HashMap<Uuid, TimeKey>,
    /// Every activity in time order (those without a time first): a report counts a
    /// period's alone.
    activities: BTreeMap<TimeKey, Activity>,
    activity_keys: HashMap<Uuid, TimeKey>,
    /// Records (not in the trash) per stage, kept as contacts come and go: the period
    /// report's "records there now" without a walk over every record.
    in_stage: HashMap<Uuid, u32>,
    /// The activities' changes as the replica took them in: a report kept open takes
    /// back each one's old form and counts its new one instead of counting again.
    activity_log: ActivityLog,
    /// Bumped by every change of a task (a count over them knows whether it still holds).
    task_mark: u64,
}

/// The last [`ActivityLog::LIMIT`] changes of activities, each its old and new form.
#[derive(Default)]
struct ActivityLog {
    changes: VecDeque<ActivityChange>,
    /// The mark after the last change: the first change kept is `end - changes.len()`.
    end: u64,
}

/// An activity's form before and after a change (none: it was not there, or went away).
type ActivityChange = (Option<Activity>, Option<Activity>);

impl ActivityLog {
    /// Changes kept (a sync or an import's thousands go by: a count after them begins
    /// again).
    const LIMIT: usize = 2000;

    fn push(&mut self, change: ActivityChange) {
        if self.changes.len() == Self::LIMIT {
            self.changes.pop_front();
        }
        self.changes.push_back(change);
        self.end += 1;
    }

    /// An empty log going on after this one, with none of its changes: for an index read
    /// anew, which no change before it leads to.
    fn restarted(&self) -> ActivityLog {
        ActivityLog {
            changes: VecDeque::new(),
            end: self.end + 1,
        }
    }

    /// The changes after `mark`, `None` when the log no longer reaches back there.
    fn since(&self, mark: u64) -> Option<impl Iterator<Item = &ActivityChange>> {
        let first = self.end - self.changes.len() as u64;
        (first..=self.end)
            .contains(&mark)
            .then(|| self.changes.iter().skip((mark - first) as usize))
    }
}

/// An instant and a row's id: an order of rows by time.
pub type TimeKey = (i64, Uuid);

impl Index {
    pub fn contacts(&self) -> &[Contact] {
        &self.contacts
    }

    pub fn contact(&self, id: &Uuid) -> Option<&Contact> {
        self.by_id.get(id).map(|i| &self.contacts[*i])
    }

    /// Up to `limit` contacts not in the trash that the search box would find for `text`
    /// (in storage order); none for blank text. For pickers: attach to, a task's record.
    pub fn find_contacts(&self, text: &str, limit: usize) -> Vec<&Contact> {
        if text.trim().is_empty() {
            return Vec::new();
        }
        let query = Query {
            text: text.to_owned(),
            conditions: Vec::new(),
        };
        let matcher = Matcher::new(&query, &MatchContext::default());
        self.contacts
            .iter()
            .filter(|c| !c.deleted && matcher.matches(c))
            .take(limit)
            .collect()
    }

    pub fn is_pending(&self, id: &Uuid) -> bool {
        self.pending.contains(id)
    }

    /// The rows of a settings entity, including deleted ones, by id.
    pub fn rows(&self, entity: &str) -> impl Iterator<Item = &SettingRow> {
        self.settings
            .get(entity)
            .into_iter()
            .flat_map(|rows| rows.values())
    }

    pub fn row(&self, entity: &str, id: &str) -> Option<&SettingRow> {
        self.settings.get(entity).and_then(|rows| rows.get(id))
    }

    /// Every task on the device, including done ones and those in the trash.
    pub fn tasks(&self) -> impl Iterator<Item = &Task> {
        self.tasks.values()
    }

    /// Tasks whose record is not in the trash: what task lists and counts show.
    pub fn live_tasks(&self) -> impl Iterator<Item = &Task> {
        self.tasks.values().filter(|task| self.is_live(task))
    }

    /// The open tasks whose record is not in the trash (the navigation's counts).
    pub fn live_open_tasks(&self) -> impl Iterator<Item = &Task> {
        self.open_tasks().filter(|task| self.is_live(task))
    }

    fn is_live(&self, task: &Task) -> bool {
        task.record_id
            .and_then(|record| self.contact(&record))
            .is_none_or(|contact| !contact.deleted)
    }

    /// Every activity on the device.
    pub fn activities(&self) -> impl Iterator<Item = &Activity> {
        self.activities.values()
    }

    fn put_work(&mut self, row: &StoredRow) {
        let fields = row.shown();
        if row.entity == TASK {
            if let Some(task) = Task::from_fields(&row.id, &fields) {
                let key = (settled_at(&task), task.id);
                if let Some(old) = self.task_keys.insert(task.id, key) {
                    self.tasks.remove(&old);
                }
                self.tasks.insert(key, task);
            }
        } else if let Some(activity) = Activity::from_fields(&row.id, &fields) {
            let key = (activity.at_ms.unwrap_or(i64::MIN), activity.id);
            if let Some(old) = self.activity_keys.insert(activity.id, key) {
                self.activities.remove(&old);
            }
            self.activities.insert(key, activity);
        }
    }

    fn remove_work(&mut self, entity: &str, id: &str) {
        let Ok(id) = Uuid::parse_str(id) else {
            return;
        };
        if entity == TASK {
            if let Some(key) = self.task_keys.remove(&id) {
                self.tasks.remove(&key);
            }
        } else if let Some(key) = self.activity_keys.remove(&id) {
            self.activities.remove(&key);
        }
    }

    /// The activities from `from` (a key already passed, for a walk resumed in steps, is
    /// excluded) up to `until` (exclusive), in time order.
    pub fn activities_by_time(
        &self,
        from: Bound<TimeKey>,
        until: i64,
    ) -> impl Iterator<Item = (TimeKey, &Activity)> {
        // A range that starts past its end would panic.
        let starts_before = match from {
            Bound::Included((at, _)) | Bound::Excluded((at, _)) => at < until,
            Bound::Unbounded => true,
        };
        starts_before
            .then(|| {
                self.activities
                    .range((from, Bound::Excluded((until, Uuid::nil()))))
            })
            .into_iter()
            .flatten()
            .map(|(key, activity)| (*key, activity))
    }

    /// The tasks settled from `from` on (open ones last), in that order.
    pub fn tasks_by_settled(&self, from: Bound<TimeKey>) -> impl Iterator<Item = (TimeKey, &Task)> {
        self.tasks
            .range((from, Bound::Unbounded))
            .map(|(key, task)| (*key, task))
    }

    /// The open tasks (they come last in the order of [`Index::tasks_by_settled`]).
    pub fn open_tasks(&self) -> impl Iterator<Item = &Task> {
        self.tasks
            .range((Bound::Included((i64::MAX, Uuid::nil())), Bound::Unbounded))
            .map(|(_, task)| task)
    }

    fn put_contact(&mut self, row: &StoredRow) {
        let Ok(id) = Uuid::parse_str(&row.id) else {
            return;
        };
        let Some(contact) = Contact::from_fields(&row.id, &row.shown()) else {
            return;
        };
        if row.local.is_empty() {
            self.pending.remove(&id);
        } else {
            self.pending.insert(id);
        }
        self.count_stage(&contact, 1);
        match self.by_id.get(&id) {
            Some(i) => {
                let old = std::mem::replace(&mut self.contacts[*i], contact);
                self.count_stage(&old, -1);
            }
            None => {
                self.by_id.insert(id, self.contacts.len());
                self.contacts.push(contact);
            }
        }
    }

    /// Adds (or takes away) a contact from its stage's count.
    fn count_stage(&mut self, contact: &Contact, by: i32) {
        if let (Some(stage), false) = (contact.stage_id, contact.deleted) {
            let count = self.in_stage.entry(stage).or_default();
            *count = count.saturating_add_signed(by);
        }
    }

    /// How many records (not in the trash) are in each stage now.
    pub fn records_in_stage(&self) -> &HashMap<Uuid, u32> {
        &self.in_stage
    }

    fn remove_contact(&mut self, id: &str) {
        let Ok(id) = Uuid::parse_str(id) else {
            return;
        };
        self.pending.remove(&id);
        let Some(i) = self.by_id.remove(&id) else {
            return;
        };
        let old = self.contacts.swap_remove(i);
        self.count_stage(&old, -1);
        if let Some(moved) = self.contacts.get(i) {
            self.by_id.insert(moved.id, i);
        }
    }

    fn put_setting(&mut self, row: &StoredRow) {
        let values: BTreeMap<String, Value> = row
            .shown()
            .into_iter()
            .map(|(field, state)| (field, state.value))
            .collect();
        self.settings.entry(row.entity.clone()).or_default().insert(
            row.id.clone(),
            SettingRow {
                id: row.id.clone(),
                values,
                pending: !row.local.is_empty(),
            },
        );
    }

    fn remove_setting(&mut self, entity: &str, id: &str) {
        if let Some(rows) = self.settings.get_mut(entity) {
            rows.remove(id);
        }
    }

    /// Where the replica's work stands: the activities' log and the tasks' changes (a
    /// count walked in steps holds for the rows only when this did not move meanwhile).
    pub fn work_mark(&self) -> (u64, u64) {
        (self.activity_log.end, self.task_mark)
    }

    /// The activities' changes after `mark` (of [`Index::work_mark`]), each its old and
    /// new form, in order; `None` when the log no longer reaches back there (many changes
    /// since, or the rows were read anew).
    pub fn activity_changes_since(
        &self,
        mark: u64,
    ) -> Option<impl Iterator<Item = (Option<&Activity>, Option<&Activity>)>> {
        let changes = self.activity_log.since(mark)?;
        Some(changes.map(|(old, new)| (old.as_ref(), new.as_ref())))
    }

    fn activity(&self, id: &str) -> Option<&Activity> {
        let id = Uuid::parse_str(id).ok()?;
        let key = self.activity_keys.get(&id)?;
        self.activities.get(key)
    }

    /// An empty index that goes on from this one's marks (nothing of this one's log
    /// leads to it).
    fn emptied(&self) -> Index {
        Index {
            activity_log: self.activity_log.restarted(),
            task_mark: self.task_mark + 1,
            ..Index::default()
        }
    }

    /// Takes in the new form of a row, logged for the counts kept over activities and
    /// tasks.
    fn put(&mut self, key: &RowKey, row: Option<&StoredRow>) {
        let (entity, id) = key;
        if entity == ACTIVITY {
            let old = self.activity(id).cloned();
            self.put_row(key, row);
            let new = self.activity(id).cloned();
            if old != new {
                self.activity_log.push((old, new));
            }
            return;
        }
        if entity == TASK {
            self.task_mark += 1;
        }
        self.put_row(key, row);
    }

    fn put_row(&mut self, key: &RowKey, row: Option<&StoredRow>) {
        let (entity, id) = key;
        let is_contact = entity == CONTACT;
        let is_work = WORK_ENTITIES.contains(&entity.as_str());
        match row {
            Some(row) if is_contact => self.put_contact(row),
            Some(row) if is_work => self.put_work(row),
            None if is_work => self.remove_work(entity, id),
            Some(row) if SETTING_ENTITIES.contains(&entity.as_str()) => self.put_setting(row),
            None if is_contact => self.remove_contact(id),
            None => self.remove_setting(entity, id),
            Some(_) => {}
        }
    }
}

thread_local! {
    static INDEX: RefCell<Index> = RefCell::new(Index::default());
    static REFRESHING: Cell<bool> = const { Cell::new(false) };
    static AGAIN: Cell<bool> = const { Cell::new(false) };
    /// Bumped by [`forget`]: a read that began before it never puts back what it read.
    static GENERATION: Cell<u64> = const { Cell::new(0) };
    static PROVIDED: Cell<Option<Replica>> = const { Cell::new(None) };
}

/// The owner of a record the replica holds (the sync's access checks, `sync::OwnerOf`).
pub fn owner_of(record: &Uuid) -> Option<String> {
    INDEX.with(|index| {
        index
            .borrow()
            .contact(record)
            .and_then(|contact| contact.owner_id)
            .map(|owner| owner.to_string())
    })
}

/// The user logged out (here or in another tab) or another user's session arrived: the
/// replica drops every row at once, reads still under way are discarded, and it loads
/// again from the device (which then holds nothing, or the new user's rows).
fn forget() {
    GENERATION.with(|generation| generation.set(generation.get() + 1));
    INDEX.with(|index| {
        let mut index = index.borrow_mut();
        *index = index.emptied();
    });
    if let Some(replica) = PROVIDED.with(Cell::get) {
        replica.ready.set(false);
        replica.loading.set(None);
        replica.version.update(|v| *v += 1);
        replica.work_changed(true, true);
        replica.refresh();
    }
}

fn generation() -> u64 {
    GENERATION.with(Cell::get)
}

/// Whether a read that began at `started` is out of date (see [`forget`]); then the
/// refresh runs again.
fn forgotten_since(started: u64) -> bool {
    let stale = generation() != started;
    if stale {
        AGAIN.with(|again| again.set(true));
    }
    stale
}

/// The replica's state for the UI; `Copy`.
#[derive(Clone, Copy)]
pub struct Replica {
    /// Bumped after every change of contacts or settings: lists and pages recompute.
    pub version: RwSignal<u64>,
    /// Bumped after every change of tasks or activities.
    pub work_version: RwSignal<u64>,
    /// Bumped after every change of tasks (with [`Replica::work_version`]).
    pub task_version: RwSignal<u64>,
    /// Bumped after every change of activities (with [`Replica::work_version`]).
    pub activity_version: RwSignal<u64>,
    /// The first load finished.
    pub ready: RwSignal<bool>,
    /// Contacts read so far during a full load.
    pub loading: RwSignal<Option<usize>>,
    sync: Sync,
    /// Whose edits this tab writes: every write is checked against the device's owner.
    session: Session,
}

pub fn use_replica() -> Replica {
    expect_context::<Replica>()
}

pub fn provide_replica(sync: Sync, session: Session) -> Replica {
    let replica = Replica {
        version: RwSignal::new(0),
        work_version: RwSignal::new(0),
        task_version: RwSignal::new(0),
        activity_version: RwSignal::new(0),
        ready: RwSignal::new(false),
        loading: RwSignal::new(None),
        sync,
        session,
    };
    provide_context(replica);
    PROVIDED.with(|provided| provided.set(Some(replica)));
    changes::on_forget(forget);
    Effect::new(move || {
        sync.data_version.track();
        replica.refresh();
    });
    replica
}

impl Replica {
    /// Reads the index; re-runs when the replica changes.
    pub fn with<R>(&self, f: impl FnOnce(&Index) -> R) -> R {
        self.version.track();
        INDEX.with(|index| f(&index.borrow()))
    }

    /// Reads the index; re-runs when tasks or activities change (not for contacts).
    pub fn with_work<R>(&self, f: impl FnOnce(&Index) -> R) -> R {
        self.work_version.track();
        INDEX.with(|index| f(&index.borrow()))
    }

    /// Reads the index; re-runs when tasks change (not for activities or contacts).
    pub fn with_tasks<R>(&self, f: impl FnOnce(&Index) -> R) -> R {
        self.task_version.track();
        INDEX.with(|index| f(&index.borrow()))
    }

    pub fn with_untracked<R>(&self, f: impl FnOnce(&Index) -> R) -> R {
        INDEX.with(|index| f(&index.borrow()))
    }

    /// Brings the replica up to date with what the storage layer reports as changed.
    pub fn refresh(&self) {
        if REFRESHING.with(Cell::get) {
            AGAIN.with(|again| again.set(true));
            return;
        }
        REFRESHING.with(|running| running.set(true));
        let replica = *self;
        spawn_local(async move {
            loop {
                AGAIN.with(|again| again.set(false));
                if let Err(err) = replica.refresh_once().await {
                    web_sys::console::warn_1(&format!("reading the device failed: {err}").into());
                }
                if !AGAIN.with(Cell::get) {
                    break;
                }
            }
            REFRESHING.with(|running| running.set(false));
        });
    }

    async fn refresh_once(&self) -> Result<(), StorageError> {
        let changed = changes::take();
        // Tell the other tabs which rows this tab wrote.
        if changed.local_all {
            tabs::post(&format!("{}*", channel::ROWS_PREFIX));
        } else if !changed.local.is_empty() {
            let keys: Vec<RowKey> = changed.local.into_iter().collect();
            tabs::post(&channel::rows_message(&keys));
        }
        let reload_all = changed.all || !self.ready.get_untracked();
        let keys: Vec<RowKey> = changed.keys.into_iter().collect();
        let result = self.apply(reload_all, &keys).await;
        if result.is_err() {
            // Read them again next time rather than keep stale rows.
            changes::note_remote(if reload_all { None } else { Some(keys) });
        }
        result
    }

    async fn apply(&self, reload_all: bool, keys: &[RowKey]) -> Result<(), StorageError> {
        let started = generation();
        let storage = Storage::shared().await?;
        if reload_all {
            self.load_everything(&storage, started).await?;
        } else if !keys.is_empty() {
            // A slice per request: an import's chunk or a pull's page changes hundreds of
            // rows, and reading them back at once held the page for 60 ms and more.
            let mut steps = Steps::new();
            for slice in keys.chunks(APPLY_SLICE) {
                let rows = storage.unparsed_rows_by_keys(slice).await?;
                steps.resumed();
                if forgotten_since(started) {
                    return Ok(());
                }
                for (key, row) in slice.iter().zip(rows.parsed_or_none()) {
                    let row = row?;
                    INDEX.with(|index| index.borrow_mut().put(key, row.as_ref()));
                    steps.breathe().await;
                    if forgotten_since(started) {
                        return Ok(());
                    }
                }
            }
            let of = |kind: &str| keys.iter().any(|(entity, _)| entity == kind);
            self.work_changed(of(TASK), of(ACTIVITY));
            if keys
                .iter()
                .any(|(entity, _)| !WORK_ENTITIES.contains(&entity.as_str()))
            {
                self.version.update(|v| *v += 1);
            }
        }
        Ok(())
    }

    async fn load_everything(&self, storage: &Storage, started: u64) -> Result<(), StorageError> {
        let mut fresh = Index::default();
        for entity in SETTING_ENTITIES {
            for row in storage.rows_of(entity).await? {
                fresh.put_setting(&row);
            }
        }
        self.loading.set(Some(0));
        let mut steps = Steps::new();
        for entity in [CONTACT, TASK, ACTIVITY] {
            let mut scan = RowScan::new(storage, entity, LOAD_SLICE);
            // No new step after `next`: the slice asked for meanwhile may be there already,
            // and then nothing yielded.
            while let Some(slice) = scan.next().await? {
                for row in slice.parsed() {
                    let row = row?;
                    if entity == CONTACT {
                        fresh.put_contact(&row);
                    } else {
                        fresh.put_work(&row);
                    }
                    steps.breathe().await;
                }
                if entity == CONTACT {
                    self.loading.set(Some(fresh.contacts.len()));
                }
            }
        }
        if forgotten_since(started) {
            return Ok(());
        }
        let old = INDEX.with(|index| {
            let mut index = index.borrow_mut();
            let marks = index.emptied();
            fresh.activity_log = marks.activity_log;
            fresh.task_mark = marks.task_mark;
            std::mem::replace(&mut *index, fresh)
        });
        release_in_steps(old);
        self.loading.set(None);
        self.ready.set(true);
        self.version.update(|v| *v += 1);
        self.work_changed(true, true);
        Ok(())
    }

    /// Tells the pages that tasks, activities or both changed.
    fn work_changed(&self, tasks: bool, activities: bool) {
        if tasks {
            self.task_version.update(|v| *v += 1);
        }
        if activities {
            self.activity_version.update(|v| *v += 1);
        }
        if tasks || activities {
            self.work_version.update(|v| *v += 1);
        }
    }

    /// Feeds `each` the activities from `from` until `until` (exclusive) in time order, in
    /// `steps` the page paints between, as long as `current()` holds; false when it stopped
    /// for that. A row changed meanwhile may be missed or seen twice: the change moves
    /// [`Index::work_mark`] and bumps [`Replica::work_version`], and the caller walks again.
    pub async fn walk_activities(
        &self,
        from: i64,
        until: i64,
        mut each: impl FnMut(&Activity),
        current: impl Fn() -> bool,
        steps: &mut Steps,
    ) -> bool {
        let rows: RowsFrom<Activity> =
            Box::new(move |index, from| Box::new(index.activities_by_time(from, until)));
        walk_in_steps(from, rows, &mut each, &current, steps).await
    }

    /// Feeds `each` the tasks settled from `from` on (see [`Index::tasks_by_settled`]), as
    /// [`Replica::walk_activities`] does.
    pub async fn walk_tasks(
        &self,
        from: i64,
        mut each: impl FnMut(&Task),
        current: impl Fn() -> bool,
        steps: &mut Steps,
    ) -> bool {
        let rows: RowsFrom<Task> = Box::new(|index, from| Box::new(index.tasks_by_settled(from)));
        walk_in_steps(from, rows, &mut each, &current, steps).await
    }

    /// Writes an edit of one row through the outbox, updates the replica and wakes the sync.
    pub async fn write(
        &self,
        entity: &str,
        id: &str,
        changes: Vec<(String, Value)>,
    ) -> Result<(), StorageError> {
        self.write_many(vec![RowEdit {
            entity: entity.to_owned(),
            id: id.to_owned(),
            changes,
        }])
        .await
    }

    /// Writes edits of many rows in one transaction.
    pub async fn write_many(&self, edits: Vec<RowEdit>) -> Result<(), StorageError> {
        self.write_quietly(edits).await?;
        self.sync.edited();
        Ok(())
    }

    /// Writes edits of many rows in one transaction without refreshing the replica or
    /// waking the sync: for a long bulk action, which calls [`Replica::written`] now and
    /// then instead of after every chunk.
    ///
    /// Written for the session's user only: once the device no longer holds their data (a
    /// logout here or in another tab, another user's login) the write is refused with
    /// [`StorageError::NotOwner`] inside its transaction and nothing is written.
    pub async fn write_quietly(&self, edits: Vec<RowEdit>) -> Result<(), StorageError> {
        let user = self
            .session
            .user_untracked()
            .ok_or(StorageError::NotOwner)?;
        let storage = Storage::shared().await?.for_user(&user.id.to_string());
        storage
            .edit_many(&edits, js_sys::Date::now() as u64)
            .await?;
        Ok(())
    }

    /// Quiet writes happened: refresh the replica and wake the sync.
    pub fn written(&self) {
        self.sync.edited();
    }
}
