//! `/reports/period?preset=this-month` or `?from=2026-11-01&to=2026-11-30` (managers and
//! admins): every agent side by side, the team's totals against the previous period of
//! the same length, calls per day by outcome and per agent, and each pipeline's stages:
//! records there now and how many entered them in the period.

use std::collections::HashMap;

use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};
use minicrm_core::report::{
    Figures, Measure, Period, PeriodError, Preset, Tally, change, conversion,
};
use uuid::Uuid;

use super::chart::{Series, StackedBars, TrendLine};
use super::common::{
    ExportButtons, ReportTabs, ServerNote, Setup, TableFile, agents, days_of, iso_day, parse_day,
    today, use_tally,
};
use super::server::server_part;
use super::table::{FiguresTable, Line, TextLine, change_text, columns, shown, shown_value};
use crate::data::use_replica;
use crate::state::now::use_now;
use crate::state::session::use_session;
use crate::state::zone::{DayFormat, day_label};
use crate::t;

/// The longest period drawn a bar per day.
const LONGEST_BY_DAY: u32 = 62;

/// The figures the tiles above the table compare with the previous period.
const TILES: [Measure; 7] = [
    Measure::CallsOut,
    Measure::CallsIn,
    Measure::ConnectedShare,
    Measure::TalkTime,
    Measure::TasksDone,
    Measure::RecordsCreated,
    Measure::StageChanges,
];

fn preset_label(preset: Preset) -> String {
    t!(&format!("report-preset-{}", preset.as_str()))
}

#[component]
pub fn PeriodPage() -> impl IntoView {
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
    let today = Memo::new(move |_| setup.with(|setup| today(setup, now.get())));
    let preset = Memo::new(move |_| {
        let asked = query.with(|q| q.get("preset"));
        let dated = query.with(|q| q.get("from").is_some() || q.get("to").is_some());
        match asked.as_deref().and_then(Preset::parse) {
            Some(preset) => Some(preset),
            None if dated => None,
            None => Some(Preset::ThisMonth),
        }
    });
    let chosen: Memo<Result<Period, String>> = Memo::new(move |_| {
        if let Some(preset) = preset.get() {
            return Ok(preset.period(today.get()));
        }
        let day = |key: &str| query.with(|q| q.get(key)).and_then(|text| parse_day(&text));
        let (Some(from), Some(to)) = (day("from"), day("to")) else {
            return Err(t!("report-period-dates-needed"));
        };
        Period::between(from, to).map_err(|err| match err {
            PeriodError::EndsBeforeStart => t!("report-period-backwards"),
            PeriodError::TooLong => t!(
                "report-period-too-long",
                days = minicrm_core::report::MAX_DAYS.to_string()
            ),
        })
    });
    // A period that cannot be reported shows its error over the month's figures.
    let period = Memo::new(move |_| {
        chosen
            .get()
            .unwrap_or_else(|_| Preset::ThisMonth.period(today.get()))
    });
    let days = Memo::new(move |_| setup.with(|setup| days_of(setup, period.get())));
    let before = Memo::new(move |_| setup.with(|setup| days_of(setup, period.get().previous())));
    let bounds = Memo::new(move |_| days.with(|days| days.starts.clone()));
    let before_bounds = Memo::new(move |_| before.with(|days| days.starts.clone()));
    let everyone = Signal::derive(|| None::<Uuid>);
    let part = server_part(bounds, everyone);
    let before_part = server_part(before_bounds, everyone);
    let tally = use_tally(replica, setup, days, everyone, part);
    let before_tally = use_tally(replica, setup, before, everyone, before_part);
    let columns = Signal::derive(move || setup.with(|setup| columns(&setup.outcome_names())));
    let agents = Memo::new(move |_| {
        setup.with(|setup| {
            tally.with(|tally| {
                tally
                    .as_ref()
                    .map(|tally| agents(replica, session, setup, tally.users()))
                    .unwrap_or_default()
            })
        })
    });
    let lines = Memo::new(move |_| {
        let month = super::common::iso_month(period.get().first);
        tally.with(|tally| {
            let Some(tally) = tally else {
                return Vec::new();
            };
            agents.with(|agents| {
                agents
                    .iter()
                    .map(|(id, name)| Line {
                        label: name.clone(),
                        href: Some(format!("/reports/agent/{id}?month={month}")),
                        figures: tally.total(*id),
                    })
                    .collect::<Vec<_>>()
            })
        })
    });
    // Each agent's tiles against their own previous period.
    let agent_changes = Memo::new(move |_| {
        let columns = columns.get();
        let headings: Vec<String> = TILES
            .iter()
            .map(|measure| {
                columns
                    .iter()
                    .find(|c| c.measure == *measure)
                    .map(|c| c.heading.clone())
                    .unwrap_or_default()
            })
            .collect();
        let rows = tally.with(|now| {
            before_tally.with(|then| {
                let (Some(now), Some(then)) = (now, then) else {
                    return Vec::new();
                };
                agents.with(|agents| {
                    agents
                        .iter()
                        .map(|(id, name)| {
                            let (now, then) = (now.total(*id), then.total(*id));
                            let cells = TILES
                                .iter()
                                .map(|measure| {
                                    (
                                        shown(*measure, &now),
                                        change_text(change(*measure, &now, &then), *measure),
                                    )
                                })
                                .collect::<Vec<_>>();
                            (name.clone(), cells)
                        })
                        .collect::<Vec<_>>()
                })
            })
        });
        (headings, rows)
    });
    let outcomes = move || setup.with(|s| s.outcomes.len());
    let total = Signal::derive(move || {
        tally
            .with(|tally| tally.as_ref().map(Tally::team_total))
            .unwrap_or_else(|| Figures::empty(outcomes()))
    });
    let before_total = Signal::derive(move || {
        before_tally
            .with(|tally| tally.as_ref().map(Tally::team_total))
            .unwrap_or_else(|| Figures::empty(outcomes()))
    });
    let after = Signal::derive(move || {
        let (now_total, then_total) = (total.get(), before_total.get());
        let columns = columns.get();
        vec![
            TextLine {
                label: t!("report-previous-period"),
                cells: columns
                    .iter()
                    .map(|c| shown(c.measure, &then_total))
                    .collect(),
            },
            TextLine {
                label: t!("report-change"),
                cells: columns
                    .iter()
                    .map(|c| change_text(change(c.measure, &now_total, &then_total), c.measure))
                    .collect(),
            },
        ]
    });
    let range_text = move |period: Period| {
        let options = [("day", "numeric"), ("month", "short"), ("year", "numeric")];
        t!(
            "report-period-range",
            from = day_label(period.first, &options),
            to = day_label(period.last(), &options)
        )
    };
    let caption =
        Signal::derive(move || t!("report-period-caption", range = range_text(period.get())));
    let compared = Signal::derive(move || {
        t!(
            "report-period-compared",
            range = range_text(period.get().previous()),
            days = period.get().days.to_string()
        )
    });
    let names = Signal::derive(move || setup.with(|s| s.outcome_names()));
    let outcome_series = move |rows: Vec<minicrm_core::report::Figures>| {
        let names = names.get();
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
                    .map(|f| f.get(Measure::Outcome(s)).unwrap_or(0.0) as u32)
                    .collect(),
            })
            .collect::<Vec<_>>()
    };
    // A long period is drawn a bar per week (a year of days would be 365 thin bars).
    let step = Memo::new(move |_| {
        if period.get().days > LONGEST_BY_DAY {
            7
        } else {
            1
        }
    });
    let day_labels = Signal::derive(move || {
        let period = period.get();
        let format = DayFormat::new(&[("day", "numeric"), ("month", "numeric")]);
        (0..i64::from(period.days))
            .step_by(step.get())
            .map(|i| format.label(period.first + i))
            .collect::<Vec<_>>()
    });
    // Days not yet begun have no value to draw.
    let begun = Memo::new(move |_| {
        let now_ms = now.get() as i64;
        days.with(|days| {
            days.starts[..days.count()]
                .iter()
                .filter(|start| **start <= now_ms)
                .count()
        })
    });
    // The team's figures per bar: a day, or a week of a long period (of its days begun:
    // a week's overdue tasks are those at its last begun day's end).
    let grouped = Memo::new(move |_| {
        let count = days.with(|days| days.count());
        let (step, begun) = (step.get(), begun.get());
        tally.with(|tally| {
            let Some(tally) = tally else {
                return Vec::new();
            };
            (0..count)
                .step_by(step)
                .map(|first| {
                    let mut sum = tally.team_day(first);
                    for i in first + 1..(first + step).min(count).min(begun) {
                        sum.then(&tally.team_day(i));
                    }
                    sum
                })
                .collect::<Vec<_>>()
        })
    });
    let day_series = Signal::derive(move || outcome_series(grouped.get()));
    let trend_measure = RwSignal::new(Measure::CallsOut);
    let trend_values = Signal::derive(move || {
        let (measure, step, begun) = (trend_measure.get(), step.get(), begun.get());
        grouped.with(|rows| {
            rows.iter()
                .enumerate()
                .map(|(i, f)| {
                    if i * step < begun {
                        f.get(measure)
                    } else {
                        None
                    }
                })
                .collect::<Vec<_>>()
        })
    });
    let trend_format = Callback::new(move |value: f64| {
        let measure = trend_measure.get_untracked();
        shown_value(measure, value)
    });
    let trend_title = Signal::derive(move || {
        let measure = trend_measure.get();
        let figure = columns.with(|columns| {
            columns
                .iter()
                .find(|c| c.measure == measure)
                .map(|c| c.heading.clone())
                .unwrap_or_default()
        });
        let range = range_text(period.get());
        if step.get() == 1 {
            t!("report-trend-days", figure = figure, range = range)
        } else {
            t!("report-trend-weeks", figure = figure, range = range)
        }
    });
    let day_title = Signal::derive(move || {
        let range = range_text(period.get());
        if step.get() == 1 {
            t!("report-period-chart-days", range = range)
        } else {
            t!("report-period-chart-weeks", range = range)
        }
    });
    let agent_bars = Signal::derive(move || {
        let lines = lines.get();
        let top = lines
            .iter()
            .map(|l| l.figures.calls())
            .max()
            .unwrap_or(0)
            .max(1);
        lines
            .into_iter()
            .map(|line| (line.label, line.figures.calls(), top))
            .collect::<Vec<_>>()
    });
    // Records per stage now (kept by the replica as records come and go).
    let stages_now = Memo::new(move |_| {
        replica.with(|index| {
            index
                .records_in_stage()
                .iter()
                .map(|(stage, n)| (stage.to_string(), *n))
                .collect::<HashMap<String, u32>>()
        })
    });
    let pipelines = Memo::new(move |_| {
        let entered: HashMap<String, u32> = part.with(|part| {
            part.report
                .as_ref()
                .map(|report| {
                    report
                        .stages
                        .iter()
                        .map(|s| (s.stage_id.to_string(), s.entered))
                        .collect()
                })
                .unwrap_or_default()
        });
        stages_now.with(|now_in| {
            replica.with(|index| {
                index
                    .pipelines()
                    .into_iter()
                    .map(|pipeline| {
                        let entries: Vec<u32> = pipeline
                            .stages
                            .iter()
                            .map(|stage| entered.get(&stage.id).copied().unwrap_or(0))
                            .collect();
                        let reached = conversion(&entries);
                        let stages = pipeline
                            .stages
                            .iter()
                            .enumerate()
                            .map(|(i, stage)| {
                                let next = reached
                                    .get(i)
                                    .map(|share| {
                                        share.map_or_else(
                                            || "–".to_owned(),
                                            |s| format!("{:.0}%", s * 100.0),
                                        )
                                    })
                                    .unwrap_or_default();
                                (
                                    stage.name.clone(),
                                    now_in.get(&stage.id).copied().unwrap_or(0),
                                    entries[i],
                                    next,
                                )
                            })
                            .collect::<Vec<_>>();
                        let name = if pipeline.name.is_empty() {
                            t!("report-pipeline-other")
                        } else {
                            pipeline.name
                        };
                        (name, stages)
                    })
                    .collect::<Vec<_>>()
            })
        })
    });
    let file = Signal::derive(move || {
        let period = period.get();
        TableFile {
            name: t!(
                "report-period-file",
                from = iso_day(period.first),
                to = iso_day(period.last())
            ),
            first: t!("report-agent"),
            columns: columns.get(),
            lines: lines.get(),
            total: total.get(),
        }
    });
    let from_input = RwSignal::new(String::new());
    let to_input = RwSignal::new(String::new());
    Effect::new(move || {
        let period = period.get();
        from_input.set(iso_day(period.first));
        to_input.set(iso_day(period.last()));
    });
    let show_dates = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        navigate(
            &format!(
                "/reports/period?from={}&to={}",
                from_input.get_untracked(),
                to_input.get_untracked()
            ),
            Default::default(),
        );
    };
    view! {
        <section class="page reports-page">
            <div class="page-head">
                <h1>{t!("reports-title")}</h1>
            </div>
            <ReportTabs current="period" />
            <Show when=move || sees_team.get() fallback=|| view! { <p class="empty" role="alert">{t!("report-period-managers")}</p> }>
                <nav class="report-controls" aria-label=t!("report-period-choose")>
                    {Preset::ALL.into_iter().map(|one| view! {
                        <a href=format!("/reports/period?preset={}", one.as_str())
                            aria-current=move || (preset.get() == Some(one)).then_some("page")>{preset_label(one)}</a>
                    }).collect_view()}
                </nav>
                <form class="report-controls" on:submit={
                    let show_dates = show_dates.clone();
                    move |event| show_dates(event)
                }>
                    <label for="report-from">{t!("report-from")}</label>
                    <input id="report-from" type="date" bind:value=from_input required />
                    <label for="report-to">{t!("report-to")}</label>
                    <input id="report-to" type="date" bind:value=to_input required />
                    <button type="submit">{t!("report-show")}</button>
                </form>
                {move || chosen.get().err().map(|error| view! { <p class="form-error" role="alert">{error}</p> })}
                <Show when=move || replica.ready.get() fallback=|| view! { <p class="loading" role="status">{t!("report-loading")}</p> }>
                <Show when=move || { tally.with(Option::is_some) && before_tally.with(Option::is_some) } fallback=|| view! { <p class="loading" role="status">{t!("report-loading")}</p> }>
                    <p class="hint">{move || compared.get()}</p>
                    <ul class="report-tiles" aria-label=t!("report-tiles")>
                        {move || {
                            let (now_total, then_total) = (total.get(), before_total.get());
                            let columns = columns.get();
                            TILES.into_iter().map(|measure| {
                                let heading = columns.iter().find(|c| c.measure == measure).map(|c| c.heading.clone()).unwrap_or_default();
                                let moved = change(measure, &now_total, &then_total);
                                let class = match moved.map(|m| m.direction) {
                                    Some(std::cmp::Ordering::Greater) => "tile-change up",
                                    Some(std::cmp::Ordering::Less) => "tile-change down",
                                    _ => "tile-change",
                                };
                                view! {
                                    <li class="report-tile">
                                        <span class="tile-name">{heading}</span>
                                        <strong class="tile-value">{shown(measure, &now_total)}</strong>
                                        <span class=class>{change_text(moved, measure)}</span>
                                    </li>
                                }
                            }).collect_view()
                        }}
                    </ul>
                    <StackedBars title=day_title labels=day_labels series=day_series />
                    <div class="report-controls">
                        <label for="report-trend">{t!("report-trend-figure")}</label>
                        <select id="report-trend" on:change=move |ev| {
                            let chosen = event_target_value(&ev).parse::<usize>().ok();
                            if let Some(column) = chosen.and_then(|i| columns.get_untracked().into_iter().nth(i)) {
                                trend_measure.set(column.measure);
                            }
                        }>
                            {move || columns.get().into_iter().enumerate().map(|(i, column)| {
                                let measure = column.measure;
                                view! { <option value=i.to_string() selected=move || trend_measure.get() == measure>{column.heading}</option> }
                            }).collect_view()}
                        </select>
                    </div>
                    {move || {
                        let share = trend_measure.get().unit() == minicrm_core::report::Unit::Share;
                        view! { <TrendLine title=trend_title labels=day_labels values=trend_values format=trend_format share=share /> }
                    }}
                    <section class="chart-figure" aria-labelledby="agent-bars-title">
                        <h2 id="agent-bars-title" class="chart-heading">{t!("report-period-chart-agents")}</h2>
                        <ul class="agent-bars">
                            {move || agent_bars.get().into_iter().map(|(name, calls, top)| {
                                let width = format!("width: {:.1}%", f64::from(calls) / f64::from(top) * 100.0);
                                view! {
                                    <li>
                                        <span class="agent-bar-name">{name}</span>
                                        <span class="agent-bar" aria-hidden="true"><span class="chart-series-0" style=width></span></span>
                                        <span class="agent-bar-value">{calls}</span>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    </section>
                    <FiguresTable caption=caption first=t!("report-agent") columns=columns lines=lines.into() total=total after=after />
                    <ExportButtons request=TableFile::exported(file) />
                    <div class="report-scroll" tabindex="0" role="region" aria-label=move || t!("report-agent-changes", range = range_text(period.get().previous()))>
                        <table class="data-table report-table">
                            <caption>{move || t!("report-agent-changes", range = range_text(period.get().previous()))}</caption>
                            <thead>
                                <tr>
                                    <th scope="col">{t!("report-agent")}</th>
                                    {move || agent_changes.with(|(headings, _)| headings.iter().map(|heading| view! {
                                        <th scope="col">{heading.clone()}</th>
                                    }).collect_view())}
                                </tr>
                            </thead>
                            <tbody>
                                {move || agent_changes.get().1.into_iter().map(|(name, cells)| view! {
                                    <tr>
                                        <th scope="row">{name}</th>
                                        {cells.into_iter().map(|(value, moved)| {
                                            // Nothing to compare ("–") says so once.
                                            let moved = (value != "–").then_some(moved);
                                            view! { <td>{value}{moved.map(|moved| view! { " "<span class="report-moved">{moved}</span> })}</td> }
                                        }).collect_view()}
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                    <ServerNote part=part />
                    <h2>{t!("report-pipelines")}</h2>
                    {move || pipelines.get().into_iter().map(|(name, stages)| {
                        let top = stages.iter().map(|(_, now_in, entered, _)| (*now_in).max(*entered)).max().unwrap_or(0).max(1);
                        let width = move |n: u32| format!("width: {:.1}%", f64::from(n) / f64::from(top) * 100.0);
                        let bars = stages.iter().map(|(stage, now_in, entered, _)| view! {
                            <li>
                                <span class="agent-bar-name">{stage.clone()}</span>
                                <span class="agent-bar stage-bar">
                                    <span class="chart-series-0" style=width(*now_in) title=t!("report-stage-now")></span>
                                    <span class="chart-series-1" style=width(*entered) title=t!("report-stage-entered")></span>
                                </span>
                                <span class="agent-bar-value">{format!("{now_in} / {entered}")}</span>
                            </li>
                        }).collect_view();
                        view! {
                        <section class="chart-figure" aria-label=t!("report-pipeline-bars", name = name.clone())>
                            <h3 class="chart-heading">{t!("report-pipeline-bars", name = name.clone())}</h3>
                            <ul class="chart-legend" aria-hidden="true">
                                <li><span class="chart-swatch chart-series-0"></span>{t!("report-stage-now")}</li>
                                <li><span class="chart-swatch chart-series-1"></span>{t!("report-stage-entered")}</li>
                            </ul>
                            <ul class="agent-bars" aria-hidden="true">{bars}</ul>
                        </section>
                        <div class="report-scroll">
                            <table class="data-table report-table">
                                <caption>{t!("report-pipeline-caption", name = name)}</caption>
                                <thead>
                                    <tr>
                                        <th scope="col">{t!("report-stage")}</th>
                                        <th scope="col">{t!("report-stage-now")}</th>
                                        <th scope="col" class="server">{t!("report-stage-entered")}</th>
                                        <th scope="col" class="server">{t!("report-stage-next")}</th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {stages.into_iter().map(|(stage, now_in, entered, next)| view! {
                                        <tr><th scope="row">{stage}</th><td>{now_in}</td><td>{entered}</td><td>{next}</td></tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                    }}).collect_view()}
                </Show>
                </Show>
            </Show>
        </section>
    }
}
