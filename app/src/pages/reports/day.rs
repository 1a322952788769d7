//! `/reports?day=2026-12-03`: the team's day, a row per agent (an agent sees their own);
//! a click on an agent opens their month.

use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};
use minicrm_core::report::{Figures, Period};

use super::common::{
    ExportButtons, ReportTabs, ServerNote, Setup, TableFile, agents, days_of, iso_day, iso_month,
    parse_day, today, use_tally, user_name,
};
use super::server::server_part;
use super::table::{FiguresTable, Line, columns};
use crate::data::use_replica;
use crate::state::now::use_now;
use crate::state::session::use_session;
use crate::state::zone::day_label;
use crate::t;

#[component]
pub fn ReportsPage() -> impl IntoView {
    let replica = use_replica();
    let session = use_session();
    let now = use_now();
    let query = use_query_map();
    let navigate = use_navigate();
    let setup = Memo::new(move |_| replica.with(Setup::of));
    let sees_team = Memo::new(move |_| {
        session
            .user()
            .is_some_and(|user| user.role.may_see_team_reports())
    });
    let me = Memo::new(move |_| session.user().map(|user| user.id.0));
    let only = Signal::derive(move || if sees_team.get() { None } else { me.get() });
    let today = Memo::new(move |_| setup.with(|setup| today(setup, now.get())));
    let day = Memo::new(move |_| {
        query
            .with(|q| q.get("day"))
            .and_then(|text| parse_day(&text))
            .unwrap_or_else(|| today.get())
    });
    let days = Memo::new(move |_| setup.with(|setup| days_of(setup, Period::day(day.get()))));
    let bounds = Memo::new(move |_| days.with(|days| days.starts.clone()));
    let part = server_part(bounds, only);
    let tally = use_tally(replica, setup, days, only, part);
    let columns = Signal::derive(move || setup.with(|setup| columns(&setup.outcome_names())));
    let lines = Memo::new(move |_| {
        let month = iso_month(day.get());
        setup.with(|setup| {
            tally.with(|tally| {
                let Some(tally) = tally else {
                    return Vec::new();
                };
                let named = match only.get() {
                    Some(me) => vec![(me, user_name(replica, session, setup, me))],
                    None => agents(replica, session, setup, tally.users()),
                };
                named
                    .into_iter()
                    .map(|(id, label)| Line {
                        label,
                        href: Some(format!("/reports/agent/{id}?month={month}")),
                        figures: tally.day(id, 0),
                    })
                    .collect::<Vec<_>>()
            })
        })
    });
    let total = Signal::derive(move || {
        let mut sum = Figures::empty(setup.with(|s| s.outcomes.len()));
        for line in lines.get() {
            sum.add(&line.figures);
        }
        sum
    });
    let file = Signal::derive(move || TableFile {
        name: t!("report-day-file", day = iso_day(day.get())),
        first: t!("report-agent"),
        columns: columns.get(),
        lines: lines.get(),
        total: total.get(),
    });
    let go = move |to: i64| {
        navigate(&format!("/reports?day={}", iso_day(to)), Default::default());
    };
    let go_input = go.clone();
    let go_back = go.clone();
    let go_on = go.clone();
    let caption = Signal::derive(move || {
        t!(
            "report-day-caption",
            day = day_label(
                day.get(),
                &[
                    ("weekday", "long"),
                    ("day", "numeric"),
                    ("month", "long"),
                    ("year", "numeric")
                ]
            )
        )
    });
    view! {
        <section class="page reports-page">
            <div class="page-head">
                <h1>{t!("reports-title")}</h1>
            </div>
            <ReportTabs current="day" />
            <div class="report-controls" role="group" aria-label=t!("report-day-choose")>
                <button type="button" on:click=move |_| go_back(day.get_untracked() - 1)>{t!("report-previous-day")}</button>
                <label for="report-day">{t!("report-day")}</label>
                <input id="report-day" type="date" prop:value=move || iso_day(day.get())
                    on:change=move |ev| {
                        if let Some(to) = parse_day(&event_target_value(&ev)) {
                            go_input(to);
                        }
                    } />
                <button type="button" on:click=move |_| go_on(day.get_untracked() + 1)
                    disabled=move || { day.get() >= today.get() }>{t!("report-next-day")}</button>
                <button type="button" on:click=move |_| go(today.get_untracked())
                    disabled=move || { day.get() == today.get() }>{t!("report-today")}</button>
            </div>
            <p class="hint">{move || t!("report-zone", zone = setup.with(|s| s.zone.clone()))}</p>
            <Show when=move || replica.ready.get() && tally.with(Option::is_some) fallback=|| view! { <p class="loading" role="status">{t!("report-loading")}</p> }>
                <FiguresTable caption=caption first=t!("report-agent") columns=columns lines=lines.into() total=total />
                <ExportButtons request=TableFile::exported(file) />
                <ServerNote part=part />
            </Show>
        </section>
    }
}
