//! Every row prepared, matched and decided: the review the user confirms, and the plan
//! the writing follows.

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};
use std::rc::{Rc, Weak};

use minicrm_core::import::job::{Counts, Fix, ImportJob, Match, Outcome, Reply, Review, ReviewRow};
use minicrm_core::import::mapping::{Context, Target};
use minicrm_core::import::matching::{self, Duplicate, KeyIndex};
use minicrm_core::import::plan::{self, Action};
use minicrm_core::import::rows::{self, Defaults, Prepared};
use minicrm_core::import::table::{Cell, Row};
use minicrm_core::keys::{self, MatchKey};
use minicrm_core::merge::Fields;
use minicrm_core::record::Contact;
use minicrm_storage::rows::RowScan;
use uuid::Uuid;

use crate::context;
use crate::device::{storage, storage_error};
use crate::source::{self, Read};

/// Contacts read per slice while building the index of existing records.
const SLICE: u32 = 5000;
/// Rows the review shows from the top, and at most in all (the rest are counted, and in
/// the report). Leaving a review of 500 rows, each with its inputs, held the page for
/// 60 ms while the browser took the table down.
const FIRST_ROWS: usize = 50;
const MOST_ROWS: usize = 200;

/// A row as the plan has it.
pub struct Planned<'p> {
    pub prepared: &'p Prepared,
    pub duplicate: Option<&'p Duplicate>,
    pub action: Action,
}

/// Every row prepared, matched and decided.
pub struct Plan {
    pub prepared: Rc<Vec<Prepared>>,
    pub duplicates: Vec<Option<Duplicate>>,
    pub actions: Vec<Action>,
}

impl Plan {
    /// Rows already decided (a stored plan): no duplicate is named.
    pub fn decided(rows: Vec<(Prepared, Action)>) -> Plan {
        let duplicates = vec![None; rows.len()];
        let (prepared, actions) = rows.into_iter().unzip();
        Plan {
            prepared: Rc::new(prepared),
            duplicates,
            actions,
        }
    }

    pub fn len(&self) -> usize {
        self.actions.len()
    }

    pub fn rows(&self) -> impl Iterator<Item = Planned<'_>> {
        self.prepared
            .iter()
            .zip(&self.duplicates)
            .zip(&self.actions)
            .map(|((prepared, duplicate), action)| Planned {
                prepared,
                duplicate: duplicate.as_ref(),
                action: action.clone(),
            })
    }
}

/// What preparing a row depends on besides its cells.
#[derive(PartialEq)]
struct Inputs {
    mapping: Vec<Target>,
    defaults: Defaults,
    fixes: Vec<Fix>,
    ctx: Context,
}

impl Inputs {
    fn of(job: &ImportJob, ctx: &Context) -> Inputs {
        Inputs {
            mapping: job.mapping.clone(),
            defaults: job.defaults.clone(),
            fixes: job.fixes.clone(),
            ctx: ctx.clone(),
        }
    }
}

/// The import, the file as read (not kept alive by the cache: when the worker reads the
/// file anew the old sheet goes), what the rows were prepared under, and the rows.
type PreparedCache = Option<(Uuid, Weak<Read>, Inputs, Rc<Vec<Prepared>>)>;

thread_local! {
    /// The rows the last review prepared: the writing that follows it (on the same
    /// file, mapping, fixes and settings) plans and writes from them instead of preparing
    /// every row again.
    static PREPARED: RefCell<PreparedCache> = const { RefCell::new(None) };
}

/// The rows of `read` prepared for `job` under `ctx`, if the last review prepared them.
pub fn cached_prepared(
    job: &ImportJob,
    read: &Rc<Read>,
    ctx: &Context,
) -> Option<Rc<Vec<Prepared>>> {
    PREPARED.with(|cache| {
        let cache = cache.borrow();
        let (import_id, at, inputs, prepared) = cache.as_ref()?;
        let same_read = at.upgrade().is_some_and(|at| Rc::ptr_eq(&at, read));
        (*import_id == job.id && same_read && *inputs == Inputs::of(job, ctx))
            .then(|| prepared.clone())
    })
}

/// Every row of `read` prepared for `job` (kept for the steps after).
pub fn prepared_rows(job: &ImportJob, read: &Rc<Read>, ctx: &Context) -> Rc<Vec<Prepared>> {
    if let Some(prepared) = cached_prepared(job, read, ctx) {
        return prepared;
    }
    // The old rows go before the new are made (unless a writing still holds them).
    PREPARED.with(|cache| cache.borrow_mut().take());
    let prepared: Rc<Vec<Prepared>> = Rc::new(
        read.data()
            .iter()
            .map(|row| prepare(job, ctx, row))
            .collect(),
    );
    PREPARED.with(|cache| {
        *cache.borrow_mut() = Some((
            job.id,
            Rc::downgrade(read),
            Inputs::of(job, ctx),
            prepared.clone(),
        ));
    });
    prepared
}

/// Lets the kept rows go unless they are `import_id`'s and its file as read is still
/// held: called as each request comes, so rows of an import the user left (discarded,
/// read anew, another import or an export begun) are not held for the page's life.
pub fn keep_only(import_id: Option<Uuid>) {
    PREPARED.with(|cache| {
        let mut cache = cache.borrow_mut();
        let keep = cache
            .as_ref()
            .is_some_and(|(held, at, _, _)| Some(*held) == import_id && at.strong_count() > 0);
        if !keep {
            cache.take();
        }
    });
}

/// Lets the kept rows go if they were prepared from `read` (its import is written).
pub fn forget_prepared(read: &Rc<Read>) {
    PREPARED.with(|cache| {
        let mut cache = cache.borrow_mut();
        let of_read = cache
            .as_ref()
            .is_some_and(|(_, at, _, _)| at.upgrade().is_some_and(|at| Rc::ptr_eq(&at, read)));
        if of_read {
            cache.take();
        }
    });
}

/// The row's cells with the user's fixes in place.
pub fn fixed_cells(job: &ImportJob, row: &Row) -> Vec<Cell> {
    let mut cells = row.cells.clone();
    for fix in job.fixes.iter().filter(|fix| fix.line == row.line) {
        if cells.len() <= fix.column {
            cells.resize(fix.column + 1, Cell::Empty);
        }
        cells[fix.column] = Cell::Text(fix.text.clone());
    }
    cells
}

/// A row prepared as the job maps it, fixes applied.
pub fn prepare(job: &ImportJob, ctx: &Context, row: &Row) -> Prepared {
    let row = Row {
        line: row.line,
        cells: fixed_cells(job, row),
    };
    rows::prepare(&row, &job.mapping, &job.defaults, ctx)
}

/// Every contact on the device by its phones, e-mails and identifiers (records in the
/// trash left out).
pub async fn existing_index() -> Result<KeyIndex, String> {
    let storage = storage().await?;
    let mut index = KeyIndex::default();
    let mut scan = RowScan::new(&storage, "contact", SLICE);
    while let Some(slice) = scan.next().await.map_err(storage_error)? {
        for row in slice.parsed() {
            let row = row.map_err(storage_error)?;
            let Ok(id) = Uuid::parse_str(&row.id) else {
                continue;
            };
            index.add(id, &keys::keys_of_fields(&row.shown()));
        }
    }
    Ok(index)
}

/// Every row of the file prepared, matched and decided.
pub async fn plan_rows(job: &ImportJob, read: &Rc<Read>, ctx: &Context) -> Result<Plan, String> {
    let prepared = prepared_rows(job, read, ctx);
    let index = existing_index().await?;
    let duplicates = matching::find_duplicates(&prepared, &index);
    let left_out: BTreeSet<u32> = job.left_out.iter().copied().collect();
    let actions = plan::plan_all(&prepared, &duplicates, job.mode, job.id, &left_out);
    Ok(Plan {
        prepared,
        duplicates,
        actions,
    })
}

/// The records `ids` as the device shows them now (absent ones left out).
pub async fn shown_records(ids: &[Uuid]) -> Result<HashMap<Uuid, Fields>, String> {
    let storage = storage().await?;
    let mut found = HashMap::new();
    for chunk in ids.chunks(1000) {
        let keys: Vec<(String, String)> = chunk
            .iter()
            .map(|id| ("contact".to_owned(), id.to_string()))
            .collect();
        let rows = storage.rows_by_keys(&keys).await.map_err(storage_error)?;
        for (id, row) in chunk.iter().zip(rows) {
            if let Some(row) = row {
                found.insert(*id, row.shown());
            }
        }
    }
    Ok(found)
}

fn key_text(key: &MatchKey) -> String {
    match key {
        MatchKey::Phone(number) => format!("phone {number}"),
        MatchKey::Email(email) => format!("e-mail {email}"),
        MatchKey::Nip(digits) => format!("NIP {digits}"),
        MatchKey::Pesel(digits) => format!("PESEL {digits}"),
        MatchKey::Regon(digits) => format!("REGON {digits}"),
    }
}

fn display_name(id: &Uuid, fields: &Fields) -> String {
    Contact::from_fields(&id.to_string(), fields)
        .map(|contact| contact.display_name())
        .unwrap_or_default()
}

/// Prepares, matches and decides every row: the counts and the rows worth a look.
pub async fn review(import_id: Uuid) -> Result<Reply, String> {
    let job = source::job(import_id).await?;
    let read = source::read(&job).await?;
    let ctx = context::load().await?;
    let plan = plan_rows(&job, &read, &ctx).await?;
    // The records rows update or match: to tell "unchanged" from "updated", and to name them.
    let touched: BTreeSet<Uuid> = plan
        .rows()
        .flat_map(|p| {
            let updated = match p.action {
                Action::Update { id } => Some(id),
                _ => None,
            };
            let matched = match p.duplicate {
                Some(Duplicate::Existing { id, .. }) => Some(*id),
                _ => None,
            };
            updated.into_iter().chain(matched)
        })
        .collect();
    let records = shown_records(&touched.into_iter().collect::<Vec<_>>()).await?;
    let mut counts = Counts::default();
    let mut rows = Vec::new();
    let mut more = 0;
    let data = read.data();
    for (index, (planned, row)) in plan.rows().zip(data).enumerate() {
        let (outcome, values) = match planned.action {
            Action::Create { .. } => (Outcome::Create, planned.prepared.values.clone()),
            Action::Update { id } => {
                let empty = Fields::default();
                let existing = records.get(&id).unwrap_or(&empty);
                let mut writes =
                    plan::update_writes(existing, &planned.prepared.values, job.mode, job.id);
                writes.retain(|(field, _)| !field.starts_with(plan::IMPORT_PREFIX));
                if writes.is_empty() {
                    (Outcome::Unchanged, writes)
                } else {
                    (Outcome::Update, writes)
                }
            }
            Action::Skip => (Outcome::Skip, Vec::new()),
            Action::Fail => (Outcome::Fail, Vec::new()),
        };
        match outcome {
            Outcome::Create => counts.created += 1,
            Outcome::Update => counts.updated += 1,
            Outcome::Unchanged => counts.unchanged += 1,
            Outcome::Skip => counts.skipped += 1,
            Outcome::Fail => counts.failed += 1,
        }
        let notable = !planned.prepared.problems.is_empty() || planned.duplicate.is_some();
        if index >= FIRST_ROWS && !notable {
            continue;
        }
        if rows.len() >= MOST_ROWS {
            more += 1;
            continue;
        }
        let matches = planned.duplicate.map(|duplicate| match duplicate {
            Duplicate::Existing { id, key } => Match {
                id: Some(*id),
                line: None,
                name: records
                    .get(id)
                    .map(|fields| display_name(id, fields))
                    .unwrap_or_default(),
                key: key_text(key),
            },
            Duplicate::InFile { line, key } => Match {
                id: None,
                line: Some(*line),
                name: String::new(),
                key: key_text(key),
            },
        });
        rows.push(ReviewRow {
            line: planned.prepared.line,
            outcome,
            cells: fixed_cells(&job, row),
            values,
            problems: planned.prepared.problems.clone(),
            matches,
        });
    }
    Ok(Reply::Review(Box::new(Review { counts, rows, more })))
}
