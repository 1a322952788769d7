//! What the report pages share: the settings they read, the count with the server's
//! part, days as dates, the tabs, the note on the server's part, export of a table.

use leptos::prelude::*;
use minicrm_core::import::export::CsvOptions;
use minicrm_core::import::job::{ExportFormat, Reply, Request, TableExport};
use minicrm_core::import::table::Cell;
use minicrm_core::report::{Days, Figures, OutcomeDef, Period, Tally, Unit, cell};
pub(super) use minicrm_core::report::{iso_day, parse_day};
use uuid::Uuid;

use super::server::ServerPart;
use super::table::{Column, Line};
use crate::data::settings::Choice;
use crate::data::{Index, Replica};
use crate::pages::forms::{FormError, Submit};
use crate::state::measure::measured;
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

/// Counts the figures of `days` (for `only` one user or everyone) with the server's part.
pub(super) fn count(
    replica: Replica,
    setup: &Setup,
    days: Days,
    now_ms: f64,
    only: Option<Uuid>,
    server: Option<&ServerPart>,
) -> Tally {
    measured("minicrm-report", || {
        let defs = setup.defs();
        let mut tally = replica.with_work(|index| {
            Tally::count(
                days,
                now_ms as i64,
                &defs,
                only,
                index.activities(),
                index.tasks(),
            )
        });
        if let Some(report) = server.and_then(|part| part.report.as_ref()) {
            tally.add_changes(report, only);
        }
        tally
    })
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
        let mut csv = CsvOptions::for_language(&crate::i18n::language());
        csv.bom = true;
        TableExport {
            header,
            rows,
            format,
            csv,
            name: self.name.clone(),
            created: String::from(js_sys::Date::new_0().to_iso_string())
                .chars()
                .take(19)
                .collect(),
        }
    }
}

/// "Export XLSX" and "Export CSV" of a report's table (the worker writes the file).
#[component]
pub(super) fn ExportButtons(file: Signal<TableFile>) -> impl IntoView {
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
    let export = move |format: ExportFormat| submit.dispatch(file.get_untracked().request(format));
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
