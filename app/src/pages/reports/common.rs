//! What the report pages share: the settings they read, the count with the server's
//! part, days as dates, the tabs, the note on the server's part, export of a table.

use std::ops::Bound;

use leptos::prelude::*;
use minicrm_core::import::export::CsvOptions;
use minicrm_core::import::job::{ExportFormat, Reply, Request, TableExport};
use minicrm_core::import::table::Cell;
use minicrm_core::report::{Counting, Days, Figures, OutcomeDef, Period, Tally, Unit, cell};
pub(super) use minicrm_core::report::{iso_day, parse_day};
use minicrm_core::work::{Activity, Task};
use uuid::Uuid;

use super::server::ServerPart;
use super::table::{Column, Line};
use crate::data::settings::Choice;
use crate::data::{Index, Replica, Steps};
use crate::pages::forms::{FormError, Submit};
use crate::state::measure::{Span, measured};
use crate::state::now::ago;
use crate::state::session::Session;
use crate::state::zone::Zone;
use crate::t;

/// What every report needs of the settings.
#[derive(Clone, PartialEq)]
pub(super) struct Setup {
    pub(super) outcomes: Vec<(Choice, OutcomeDef)>,
    pub(super) zone: String,
    /// Active users by name.
    pub(super) users: Vec<Choice>,
}

impl Setup {
    pub(super) fn of(index: &Index) -> Setup {
        Setup {
            outcomes: index.outcome_defs(),
            zone: index.time_zone(),
            users: index.users(),
        }
    }

    pub(super) fn zone(&self) -> Zone {
        Zone::new(&self.zone)
    }

    pub(super) fn outcome_names(&self) -> Vec<String> {
        self.outcomes.iter().map(|(c, _)| c.name.clone()).collect()
    }

    pub(super) fn defs(&self) -> Vec<OutcomeDef> {
        self.outcomes.iter().map(|(_, def)| *def).collect()
    }
}

/// The days of `period` in the team's zone.
pub(super) fn days_of(setup: &Setup, period: Period) -> Days {
    let zone = setup.zone();
    period.in_zone(|ms| zone.offset_at(ms))
}

/// The team's day now.
pub(super) fn today(setup: &Setup, now_ms: f64) -> i64 {
    let zone = setup.zone();
    minicrm_core::report::day_of(now_ms as i64, |ms| zone.offset_at(ms))
}

/// What a count is of: the days, whose figures, the outcomes' columns.
#[derive(Clone, PartialEq)]
struct Asked {
    days: Days,
    only: Option<Uuid>,
    defs: Vec<OutcomeDef>,
}

/// The count running now, if any, and whether the rows changed while it ran.
#[derive(Default)]
struct Run {
    generation: u64,
    running: Option<Asked>,
    again: bool,
}

/// A finished count kept up to date as activities change: where the replica's work stood
/// when it was counted (see `Index::work_mark`).
struct Kept {
    asked: Asked,
    counting: Counting,
    mark: (u64, u64),
}

/// What a count needs to run and to publish (all handles: copied into its task).
#[derive(Clone, Copy)]
struct Counter {
    replica: Replica,
    setup: Memo<Setup>,
    days: Memo<Days>,
    only: Signal<Option<Uuid>>,
    counted: RwSignal<Option<(Asked, Tally)>>,
    run: StoredValue<Run>,
    kept: StoredValue<Option<Kept>>,
}

impl Counter {
    /// The count asked for now (`None` once the page is gone).
    fn asked(&self) -> Option<Asked> {
        Some(Asked {
            days: self.days.try_get_untracked()?,
            only: self.only.try_get_untracked()?,
            defs: self.setup.try_with_untracked(Setup::defs)?,
        })
    }

    /// Asks for a count of `asked`: a new one, or the one running for it once more when
    /// it is done.
    fn request(self, asked: Asked) {
        let same_running = self
            .run
            .with_value(|run| run.running.as_ref() == Some(&asked));
        if same_running {
            self.run.update_value(|run| run.again = true);
        } else {
            self.begin(asked);
        }
    }

    /// Starts a count of `asked`; one running for something else stops at its next pause.
    /// When the rows changed meanwhile it runs once more when done (a count is never
    /// cancelled by changes alone: a busy sync would keep the page counting).
    fn begin(self, asked: Asked) {
        self.kept.set_value(None);
        let Some(generation) = self.run.try_update_value(|run| {
            run.generation += 1;
            run.running = Some(asked.clone());
            run.again = false;
            run.generation
        }) else {
            return;
        };
        let now_ms = js_sys::Date::now() as i64;
        leptos::task::spawn_local(async move {
            let run = self.run;
            let current = move || {
                run.try_with_value(|run| run.generation == generation)
                    .unwrap_or(false)
            };
            let Some((counting, mark)) = count(
                self.replica,
                asked.days.clone(),
                now_ms,
                &asked.defs,
                asked.only,
                current,
            )
            .await
            else {
                return;
            };
            self.counted
                .try_set(Some((asked.clone(), counting.tally())));
            let held = mark.is_some();
            if let Some(mark) = mark {
                self.kept.try_set_value(Some(Kept {
                    asked,
                    counting,
                    mark,
                }));
            }
            // Rows changed while it walked: once more (what changed may be missed).
            let again = run
                .try_update_value(|run| {
                    run.running = None;
                    std::mem::take(&mut run.again) || !held
                })
                .unwrap_or(false);
            if let Some(asked) = again.then(|| self.asked()).flatten() {
                self.begin(asked);
            }
        });
    }

    /// Brings the kept count up to now (see [`Kept::catch_up`]) and publishes it. False
    /// when it cannot (none kept, or of something else, tasks changed or no longer hold,
    /// or too many changes since): then a count is asked for.
    fn catch_up(self, asked: &Asked) -> bool {
        let now_ms = js_sys::Date::now() as i64;
        let caught = measured("minicrm-report", || {
            self.kept
                .try_update_value(|slot| {
                    let kept = slot.as_mut().filter(|kept| kept.asked == *asked)?;
                    let caught = self
                        .replica
                        .with_untracked(|index| kept.catch_up(index, now_ms));
                    match caught {
                        Some(fed) => Some(fed.then(|| kept.counting.tally())),
                        None => {
                            *slot = None;
                            None
                        }
                    }
                })
                .flatten()
        });
        match caught {
            Some(Some(tally)) => {
                self.counted.set(Some((asked.clone(), tally)));
                true
            }
            Some(None) => true,
            None => false,
        }
    }
}

impl Kept {
    /// Takes back the old form of each activity changed since the count and counts its new
    /// one, then counts those whose time came since: whether anything was fed, `None` when
    /// this count no longer holds (tasks changed, a day began or a task fell due since —
    /// core's `Counting::tasks_hold_at` — or the log no longer reaches back).
    fn catch_up(&mut self, index: &Index, now_ms: i64) -> Option<bool> {
        let mark = index.work_mark();
        if mark.1 != self.mark.1 || !self.counting.tasks_hold_at(now_ms) {
            return None;
        }
        let mut fed = false;
        for (old, new) in index.activity_changes_since(self.mark.0)? {
            if let Some(old) = old {
                self.counting.retract_activity(old);
            }
            if let Some(new) = new {
                self.counting.activity(new);
            }
            fed = true;
        }
        let (from, until) = self.counting.extend_activities(now_ms);
        for (_, activity) in index.activities_by_time(Bound::Included((from, Uuid::nil())), until) {
            self.counting.activity(activity);
            fed = true;
        }
        self.mark = mark;
        Some(fed)
    }
}

/// `days`' figures (for `only` one user or everyone) with the server's part, counted on
/// the device in steps the page paints between; kept up to date as activities change (a
/// call logged shows at once), counted again when tasks change or fall due and when a
/// day begins. `None` until a
/// count of exactly these days, user and outcomes is done; a recount keeps the last
/// figures of the same until it is done.
pub(super) fn use_tally(
    replica: Replica,
    setup: Memo<Setup>,
    days: Memo<Days>,
    only: Signal<Option<Uuid>>,
    server: RwSignal<ServerPart>,
) -> Memo<Option<Tally>> {
    let now = crate::state::now::use_now();
    let counter = Counter {
        replica,
        setup,
        days,
        only,
        counted: RwSignal::new(None),
        run: StoredValue::new(Run::default()),
        kept: StoredValue::new(None),
    };
    let asked = move || Asked {
        days: days.get(),
        only: only.get(),
        defs: setup.with(Setup::defs),
    };
    // What needs a new count: other days, user or outcomes, the rows read anew, tasks
    // changed.
    Effect::new(move || {
        replica.task_version.track();
        replica.ready.track();
        counter.request(asked());
    });
    // What a kept count follows: activities changed, the clock (a new count when its
    // tasks no longer hold: a day began, a task fell due). A count running now sees the
    // change or runs once more (it did not hold).
    Effect::new(move |first: Option<()>| {
        replica.activity_version.track();
        now.get();
        if first.is_none() || counter.run.with_value(|run| run.running.is_some()) {
            return;
        }
        if let Some(asked) = counter.asked()
            && !counter.catch_up(&asked)
        {
            counter.request(asked);
        }
    });
    Memo::new(move |_| {
        let wanted = asked();
        counter.counted.with(|counted| {
            let (asked, tally) = counted.as_ref().filter(|(asked, _)| *asked == wanted)?;
            let mut tally = tally.clone();
            server.with(|part| {
                if let Some(report) = &part.report {
                    tally.add_changes(report, asked.only);
                }
            });
            Some(tally)
        })
    })
}

/// One count: the activities in its range and the tasks settled since it began, walked in
/// time order (`None` when a newer count made this one moot), and where the replica's work
/// stood when it began if the rows did not change while it walked (then it can be kept up
/// to date).
async fn count(
    replica: Replica,
    days: Days,
    now_ms: i64,
    defs: &[OutcomeDef],
    only: Option<Uuid>,
    current: impl Fn() -> bool + Copy,
) -> Option<(Counting, Option<(u64, u64)>)> {
    if !current() {
        return None;
    }
    let mut steps = Steps::new();
    let span = Span::begin("minicrm-report");
    let mark = replica.with_untracked(Index::work_mark);
    let mut counting = Counting::new(days, now_ms, defs, only);
    let (from, until) = counting.activity_range();
    let each = |activity: &Activity| counting.activity(activity);
    if !replica
        .walk_activities(from, until, each, current, &mut steps)
        .await
    {
        return None;
    }
    let from = counting.settled_from();
    let each = |task: &Task| counting.task(task);
    if !replica.walk_tasks(from, each, current, &mut steps).await {
        return None;
    }
    span.end();
    let held = replica.with_untracked(Index::work_mark) == mark;
    Some((counting, held.then_some(mark)))
}

/// A user's name, also for one no longer active (and for the viewer, whose device may hold
/// no directory of the team).
pub(super) fn user_name(replica: Replica, session: Session, setup: &Setup, id: Uuid) -> String {
    let id_text = id.to_string();
    setup
        .users
        .iter()
        .find(|user| user.id == id_text)
        .map(|user| user.name.clone())
        .or_else(|| replica.with_untracked(|index| index.name_of("user", &id_text)))
        .or_else(|| {
            session
                .user_untracked()
                .filter(|user| user.id.0 == id)
                .map(|user| user.name)
        })
        .unwrap_or_else(|| t!("report-unknown-user"))
}

/// The rows of a team report: the active users, then anyone else with figures (a user
/// since deactivated), by name.
pub(super) fn agents(
    replica: Replica,
    session: Session,
    setup: &Setup,
    with_figures: impl Iterator<Item = Uuid>,
) -> Vec<(Uuid, String)> {
    let mut users: Vec<Uuid> = setup
        .users
        .iter()
        .filter_map(|user| Uuid::parse_str(&user.id).ok())
        .collect();
    for id in with_figures {
        if !users.contains(&id) {
            users.push(id);
        }
    }
    let mut named: Vec<(Uuid, String)> = users
        .into_iter()
        .map(|id| (id, user_name(replica, session, setup, id)))
        .collect();
    named.sort_by_key(|(_, name)| name.to_lowercase());
    named
}

/// "2026-12" for the month of a day number.
pub(super) fn iso_month(day: i64) -> String {
    iso_day(day).get(..7).unwrap_or_default().to_owned()
}

/// The first day of a month from "2026-12".
pub(super) fn parse_month(text: &str) -> Option<i64> {
    parse_day(&format!("{}-01", text.trim()))
}

/// What the page says of the server's part: how old it is, or why it is missing.
#[component]
pub(super) fn ServerNote(part: RwSignal<ServerPart>) -> impl IntoView {
    let now = crate::state::now::use_now();
    let text = move || {
        let part = part.get();
        match (part.fetched_ms, part.error) {
            (Some(fetched), None) if now.get() - fetched < 60_000.0 => t!("report-server-fresh"),
            (Some(fetched), _) => t!("report-server-from", ago = ago(fetched, now.get())),
            (None, Some(error)) => t!("report-server-missing-error", error = error),
            (None, None) if part.loading => t!("report-server-loading"),
            (None, None) => t!("report-server-missing"),
        }
    };
    view! { <p class="hint report-server" role="status">{text}</p> }
}

/// A report's table as a file.
#[derive(Clone, PartialEq)]
pub(super) struct TableFile {
    /// The file's name without its extension.
    pub(super) name: String,
    pub(super) first: String,
    pub(super) columns: Vec<Column>,
    pub(super) lines: Vec<Line>,
    pub(super) total: Figures,
}

impl TableFile {
    fn request(&self, format: ExportFormat) -> TableExport {
        let mut header = vec![self.first.clone()];
        header.extend(
            self.columns
                .iter()
                .map(|column| match column.measure.unit() {
                    Unit::Share => format!("{} (%)", column.heading),
                    Unit::Seconds => format!("{} (s)", column.heading),
                    Unit::Count => column.heading.clone(),
                }),
        );
        let row = |label: &str, figures: &Figures| {
            let mut cells = vec![Cell::Text(label.to_owned())];
            cells.extend(
                self.columns
                    .iter()
                    .map(|column| cell(column.measure, figures)),
            );
            cells
        };
        let mut rows: Vec<Vec<Cell>> = self
            .lines
            .iter()
            .map(|line| row(&line.label, &line.figures))
            .collect();
        rows.push(row(&t!("report-total"), &self.total));
        export_request(&self.name, header, rows, format)
    }

    /// What the export buttons ask for, from the table as it is when clicked.
    pub(super) fn exported(file: Signal<TableFile>) -> Callback<ExportFormat, TableExport> {
        Callback::new(move |format| file.with_untracked(|file| file.request(format)))
    }
}

/// A table as the worker writes it into a file: CSV in the language's delimiter and
/// decimal mark with a BOM (Excel opens it right), or XLSX.
pub(super) fn export_request(
    name: &str,
    header: Vec<String>,
    rows: Vec<Vec<Cell>>,
    format: ExportFormat,
) -> TableExport {
    let mut csv = CsvOptions::for_language(&crate::i18n::language());
    csv.bom = true;
    TableExport {
        header,
        rows,
        format,
        csv,
        name: name.to_owned(),
        created: String::from(js_sys::Date::new_0().to_iso_string())
            .chars()
            .take(19)
            .collect(),
    }
}

/// "Export XLSX" and "Export CSV" of a report's table (the worker writes the file).
#[component]
pub(super) fn ExportButtons(request: Callback<ExportFormat, TableExport>) -> impl IntoView {
    let submit = Submit::new(move |request: TableExport| async move {
        let answer = crate::worker::ask(&Request::ExportTable(Box::new(request)), |_, _| {}).await;
        match (answer.reply, answer.bytes) {
            (Reply::File { name, mime }, Some(bytes)) => {
                crate::files::save_bytes(&bytes, &mime, &name).map_err(|err| {
                    t!(
                        "export-failed",
                        message = err.as_string().unwrap_or_else(|| format!("{err:?}"))
                    )
                })?;
                Ok(())
            }
            (Reply::Failed { message }, _) => Err(t!("export-failed", message = message)),
            (other, _) => Err(t!("export-failed", message = format!("{other:?}"))),
        }
    });
    let export = move |format: ExportFormat| submit.dispatch(request.run(format));
    view! {
        <div class="report-export" role="group" aria-label=t!("report-export")>
            <button type="button" on:click=move |_| export(ExportFormat::Xlsx) disabled=move || { submit.pending().get() }>{t!("report-export-xlsx")}</button>
            <button type="button" on:click=move |_| export(ExportFormat::Csv) disabled=move || { submit.pending().get() }>{t!("report-export-csv")}</button>
            <FormError error=submit.error() />
        </div>
    }
}

/// The reports' own navigation: the day and the breakdowns for everyone, the period for
/// managers.
#[component]
pub(super) fn ReportTabs(current: &'static str) -> impl IntoView {
    let session = crate::state::session::use_session();
    let sees_team = move || {
        session
            .user()
            .is_some_and(|user| user.role.may_see_team_reports())
    };
    let tab = move |name: &'static str, href: &'static str, label: String| {
        view! {
            <a href=href aria-current=(current == name).then_some("page")>{label}</a>
        }
    };
    view! {
        <nav class="report-tabs" aria-label=t!("report-tabs")>
            {tab("day", "/reports", t!("report-tab-day"))}
            <Show when=sees_team>
                {tab("period", "/reports/period", t!("report-tab-period"))}
            </Show>
            {tab("breakdowns", "/reports/breakdowns", t!("report-tab-breakdowns"))}
        </nav>
    }
}
