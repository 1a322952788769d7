//! A report's table: a row per agent or per day, a column per figure, the totals last.
//! The same columns for the day, the month and the period (core's `Measure::columns`).

use leptos::prelude::*;
use minicrm_core::report::{Figures, Measure, Unit};

use crate::t;

/// A column: what it counts and its heading.
#[derive(Clone, PartialEq)]
pub struct Column {
    pub measure: Measure,
    pub heading: String,
}

/// The report's columns for the settings' outcomes (their names, in order).
pub fn columns(outcome_names: &[String]) -> Vec<Column> {
    Measure::columns(outcome_names.len())
        .into_iter()
        .map(|measure| Column {
            measure,
            heading: heading(measure, outcome_names),
        })
        .collect()
}

fn heading(measure: Measure, outcome_names: &[String]) -> String {
    match measure {
        Measure::Outcome(i) => outcome_names
            .get(i)
            .cloned()
            .unwrap_or_else(|| t!("report-no-outcome")),
        Measure::CallsOut => t!("report-calls-out"),
        Measure::CallsIn => t!("report-calls-in"),
        Measure::ConnectedShare => t!("report-connected"),
        Measure::TalkTime => t!("report-talk-time"),
        Measure::Emails => t!("report-emails"),
        Measure::Sms => t!("report-sms"),
        Measure::Meetings => t!("report-meetings"),
        Measure::Notes => t!("report-notes"),
        Measure::TasksDone => t!("report-tasks-done"),
        Measure::TasksOverdue => t!("report-tasks-overdue"),
        Measure::RecordsCreated => t!("report-records-created"),
        Measure::RecordsChanged => t!("report-records-changed"),
        Measure::StageChanges => t!("report-stage-changes"),
    }
}

/// A figure as the table shows it: a count, a share in percent, a duration (h:mm:ss).
pub fn shown(measure: Measure, figures: &Figures) -> String {
    figures
        .get(measure)
        .map_or_else(|| "–".to_owned(), |value| shown_value(measure, value))
}

/// A value of `measure` as the table shows it.
pub fn shown_value(measure: Measure, value: f64) -> String {
    match measure.unit() {
        Unit::Count => format!("{value}"),
        Unit::Share => format!("{:.0}%", value * 100.0),
        Unit::Seconds => duration(value as u64),
    }
}

/// "0:00", "2:05", "1:02:05".
pub fn duration(seconds: u64) -> String {
    let (h, m, s) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

/// One row: its label (a link when `href` is given) and figures.
#[derive(Clone, PartialEq)]
pub struct Line {
    pub label: String,
    pub href: Option<String>,
    pub figures: Figures,
}

/// A row of text after the totals (the previous period, the change).
#[derive(Clone, PartialEq)]
pub struct TextLine {
    pub label: String,
    /// One text per column.
    pub cells: Vec<String>,
}

/// The table: `first` heads the label column; the totals row closes it, then `after`.
#[component]
pub fn FiguresTable(
    caption: Signal<String>,
    first: String,
    columns: Signal<Vec<Column>>,
    lines: Signal<Vec<Line>>,
    total: Signal<Figures>,
    #[prop(optional)] after: Option<Signal<Vec<TextLine>>>,
) -> impl IntoView {
    view! {
        <div class="report-scroll" tabindex="0" role="region" aria-label=move || caption.get()>
            <table class="data-table report-table">
                <caption>{move || caption.get()}</caption>
                <thead>
                    <tr>
                        <th scope="col">{first}</th>
                        {move || columns.get().into_iter().map(|column| view! {
                            <th scope="col" class:server=column.measure.from_server()>{column.heading}</th>
                        }).collect_view()}
                    </tr>
                </thead>
                <tbody>
                    {move || {
                        let columns = columns.get();
                        lines.get().into_iter().map(|line| {
                            let cells = columns.iter().map(|column| view! {
                                <td>{shown(column.measure, &line.figures)}</td>
                            }).collect_view();
                            let label = match line.href {
                                Some(href) => view! { <a href=href>{line.label}</a> }.into_any(),
                                None => line.label.into_any(),
                            };
                            view! { <tr><th scope="row">{label}</th>{cells}</tr> }
                        }).collect_view()
                    }}
                </tbody>
                <tfoot>
                    <tr>
                        <th scope="row">{t!("report-total")}</th>
                        {move || {
                            let total = total.get();
                            columns.get().into_iter().map(|column| view! {
                                <td>{shown(column.measure, &total)}</td>
                            }).collect_view()
                        }}
                    </tr>
                    {move || after.map(|after| after.get().into_iter().map(|line| view! {
                        <tr class="report-after">
                            <th scope="row">{line.label}</th>
                            {line.cells.into_iter().map(|cell| view! { <td>{cell}</td> }).collect_view()}
                        </tr>
                    }).collect_view())}
                </tfoot>
            </table>
        </div>
    }
}

/// The change of a figure as the period report writes it: "↑ 50%", "↓ 25%", "=", "↑ new".
pub fn change_text(change: Option<minicrm_core::report::Change>, measure: Measure) -> String {
    use std::cmp::Ordering;
    let Some(change) = change else {
        return "–".to_owned();
    };
    let arrow = match change.direction {
        Ordering::Greater => "↑",
        Ordering::Less => "↓",
        Ordering::Equal => return "=".to_owned(),
    };
    match (change.percent, measure.unit()) {
        (None, _) => format!("{arrow} {}", t!("report-change-new")),
        (Some(points), Unit::Share) => t!(
            "report-change-points",
            arrow = arrow,
            points = format!("{:.0}", points.abs())
        ),
        (Some(percent), _) => format!("{arrow} {:.0}%", percent.abs()),
    }
}
