//! `/reports/agent/:id?month=2026-12`: one agent's month, a row per day with the day's
//! figures, the month's totals, and a chart of calls per day stacked by outcome.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};
use minicrm_core::report::{Measure, Period};
use uuid::Uuid;

use super::chart::{Series, StackedBars};
use super::common::{
    ExportButtons, ServerNote, Setup, TableFile, days_of, iso_day, iso_month, parse_month, today,
    use_tally, user_name,
};
use super::server::server_part;
use super::table::{FiguresTable, Line, columns};
use crate::data::use_replica;
use crate::state::now::use_now;
use crate::state::session::use_session;
use crate::state::zone::{DayFormat, day_label};
use crate::t;

#[component]
pub fn AgentMonthPage() -> impl IntoView {
    let replica = use_replica();
    let session = use_session();
    let now = use_now();
    let params = use_params_map();
    let query = use_query_map();
    let setup = Memo::new(move |_| replica.with(Setup::of));
    let agent = Memo::new(move |_| {
        params
            .with(|p| p.get("id"))
            .and_then(|id| Uuid::parse_str(&id).ok())
    });
    let allowed = Memo::new(move |_| {
        session
            .user()
            .is_some_and(|user| user.role.may_see_team_reports() || agent.get() == Some(user.id.0))
    });
    let today = Memo::new(move |_| setup.with(|setup| today(setup, now.get())));
    let month = Memo::new(move |_| {
        let first = query
            .with(|q| q.get("month"))
            .and_then(|text| parse_month(&text))
            .unwrap_or_else(|| today.get());
        Period::month_of(first)
    });
    let days = Memo::new(move |_| setup.with(|setup| days_of(setup, month.get())));
    let bounds = Memo::new(move |_| days.with(|days| days.starts.clone()));
    let only = Signal::derive(move || agent.get());
    let part = server_part(bounds, only);
    let tally = use_tally(replica, setup, days, only, part);
    let columns = Signal::derive(move || setup.with(|setup| columns(&setup.outcome_names())));
    let lines = Signal::derive(move || {
        let (Some(agent), period) = (agent.get(), month.get()) else {
            return Vec::new();
        };
        let shown_until = today.get();
        let format =
            DayFormat::new(&[("weekday", "short"), ("day", "numeric"), ("month", "short")]);
        tally.with(|tally| {
            let Some(tally) = tally else {
                return Vec::new();
            };
            (0..period.days as usize)
                .map(|i| period.first + i as i64)
                .take_while(|day| *day <= shown_until)
                .enumerate()
                .map(|(i, day)| Line {
                    label: format.label(day),
                    href: None,
                    figures: tally.day(agent, i),
                })
                .collect()
        })
    });
    let total = Signal::derive(move || {
        let outcomes = setup.with(|s| s.outcomes.len());
        agent
            .get()
            .and_then(|agent| tally.with(|tally| tally.as_ref().map(|tally| tally.total(agent))))
            .unwrap_or_else(|| minicrm_core::report::Figures::empty(outcomes))
    });
    let name = Signal::derive(move || {
        agent
            .get()
            .map(|id| setup.with(|setup| user_name(replica, session, setup, id)))
            .unwrap_or_default()
    });
    let month_name = Signal::derive(move || {
        day_label(month.get().first, &[("month", "long"), ("year", "numeric")])
    });
    let caption = Signal::derive(move || {
        t!(
            "report-month-caption",
            name = name.get(),
            month = month_name.get()
        )
    });
    let chart_title = Signal::derive(move || {
        t!(
            "report-month-chart",
            name = name.get(),
            month = month_name.get()
        )
    });
    let chart_labels = Signal::derive(move || {
        let period = month.get();
        (0..period.days)
            .map(|i| (i + 1).to_string())
            .collect::<Vec<_>>()
    });
    let chart_series = Signal::derive(move || {
        let Some(agent) = agent.get() else {
            return Vec::new();
        };
        let names = setup.with(|s| s.outcome_names());
        let count = days.with(|days| days.count());
        tally.with(|tally| {
            let Some(tally) = tally else {
                return Vec::new();
            };
            let rows: Vec<_> = (0..count).map(|i| tally.day(agent, i)).collect();
            // The settings' outcomes keep their place in the legend even without calls;
            // "no outcome" shows only when some call has none.
            (0..=names.len())
                .filter(|s| {
                    *s < names.len()
                        || rows
                            .iter()
                            .any(|f| f.get(Measure::Outcome(*s)).unwrap_or(0.0) > 0.0)
                })
                .map(|s| Series {
                    name: names
                        .get(s)
                        .cloned()
                        .unwrap_or_else(|| t!("report-no-outcome")),
                    values: rows
                        .iter()
                        .map(|figures| figures.get(Measure::Outcome(s)).unwrap_or(0.0) as u32)
                        .collect(),
                })
                .collect()
        })
    });
    let file = Signal::derive(move || TableFile {
        name: t!(
            "report-month-file",
            name = name.get(),
            month = iso_month(month.get().first)
        ),
        first: t!("report-day"),
        columns: columns.get(),
        lines: lines.get(),
        total: total.get(),
    });
    let link = move |step: i32| {
        let agent = agent.get().map(|id| id.to_string()).unwrap_or_default();
        format!(
            "/reports/agent/{agent}?month={}",
            iso_month(month.get().month_step(step).first)
        )
    };
    view! {
        <section class="page reports-page">
            <div class="page-head">
                <h1>{move || name.get()}</h1>
                <A href=move || format!("/reports?day={}", iso_day(today.get()))>{t!("report-back-to-day")}</A>
            </div>
            <Show when=move || replica.ready.get() fallback=|| view! { <p class="loading" role="status">{t!("report-loading")}</p> }>
            <Show when=move || allowed.get() fallback=|| view! { <p class="empty" role="alert">{t!("report-own-only")}</p> }>
                <nav class="report-controls" aria-label=t!("report-month-choose")>
                    <a href=move || link(-1)>{t!("report-previous-month")}</a>
                    <strong>{move || month_name.get()}</strong>
                    <Show when=move || { month.get().last() < today.get() }>
                        <a href=move || link(1)>{t!("report-next-month")}</a>
                    </Show>
                </nav>
                <Show when=move || tally.with(Option::is_some) fallback=|| view! { <p class="loading" role="status">{t!("report-loading")}</p> }>
                    <StackedBars title=chart_title labels=chart_labels series=chart_series />
                    <FiguresTable caption=caption first=t!("report-day") columns=columns lines=lines total=total />
                    <ExportButtons request=TableFile::exported(file) />
                </Show>
                <ServerNote part=part />
            </Show>
            </Show>
        </section>
    }
}
