//! `/reports/breakdowns?by=source&view=<id>`: records counted by source, category,
//! segment, campaign, owner, stage or a choice / yes-no custom field, over every record on
//! the device or over a saved view (core's `breakdown`; the view's query is core's
//! `Matcher`), as bars and a table.

use std::collections::HashSet;

use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};
use minicrm_core::input::CustomType;
use minicrm_core::query::{MatchContext, Matcher, Query};
use minicrm_core::report::{Dimension, breakdown};

use minicrm_core::import::job::ExportFormat;
use minicrm_core::import::table::Cell;

use super::common::{ExportButtons, ReportTabs, export_request};
use crate::data::use_replica;
use crate::state::session::use_session;
use crate::t;

/// The dimensions offered: the standard ones, then the custom fields that have values to
/// count (choice, multi-choice, yes/no).
fn dimensions(index: &crate::data::Index) -> Vec<(Dimension, String)> {
    let mut all = vec![
        (Dimension::Source, t!("breakdown-by-source")),
        (Dimension::Category, t!("breakdown-by-category")),
        (Dimension::Segment, t!("breakdown-by-segment")),
        (Dimension::Campaign, t!("breakdown-by-campaign")),
        (Dimension::Owner, t!("breakdown-by-owner")),
        (Dimension::Stage, t!("breakdown-by-stage")),
    ];
    all.extend(
        index
            .field_defs()
            .into_iter()
            .filter(|def| {
                matches!(
                    def.kind,
                    CustomType::Choice | CustomType::MultiChoice | CustomType::YesNo
                )
            })
            .map(|def| (Dimension::Custom(def.key), def.name)),
    );
    all
}

/// A value of a dimension as people read it.
fn value_name(index: &crate::data::Index, by: &Dimension, value: Option<&str>) -> String {
    let Some(value) = value else {
        return t!("breakdown-not-set");
    };
    let named = |entity: &str| index.name_of(entity, value);
    let name = match by {
        Dimension::Source => Some(value.to_owned()),
        Dimension::Category => named("category"),
        Dimension::Segment => named("segment"),
        Dimension::Campaign => named("campaign"),
        Dimension::Owner => named("user"),
        Dimension::Stage => index
            .stage_choices()
            .into_iter()
            .find(|stage| stage.id == value)
            .map(|stage| stage.name),
        Dimension::Custom(_) => Some(match value {
            "true" => t!("breakdown-yes"),
            "false" => t!("breakdown-no"),
            other => other.to_owned(),
        }),
    };
    name.unwrap_or_else(|| t!("breakdown-removed"))
}

/// The saved views the user sees: (id, name, query).
fn saved_views(index: &crate::data::Index, me: &str) -> Vec<(String, String, Query)> {
    let mut views: Vec<(String, String, Query)> = index
        .rows("view")
        .filter(|row| !row.deleted() && row.id != me && !row.name().is_empty())
        .map(|row| {
            let query = row
                .values
                .get("filter")
                .and_then(|filter| serde_json::from_value::<Query>(filter.clone()).ok())
                .unwrap_or_default();
            (row.id.clone(), row.name().to_owned(), query)
        })
        .collect();
    views.sort_by_key(|(_, name, _)| name.to_lowercase());
    views
}

/// `n` of `records` in percent, one decimal (none of none: 0).
fn share_percent(n: u32, records: u32) -> f64 {
    if records == 0 {
        0.0
    } else {
        (f64::from(n) / f64::from(records) * 1000.0).round() / 10.0
    }
}

#[component]
pub fn BreakdownPage() -> impl IntoView {
    let replica = use_replica();
    let session = use_session();
    let query = use_query_map();
    let navigate = use_navigate();
    let me = Memo::new(move |_| session.user().map(|u| u.id.to_string()).unwrap_or_default());
    let dims = Memo::new(move |_| replica.with(dimensions));
    let by = Memo::new(move |_| {
        query
            .with(|q| q.get("by"))
            .and_then(|text| Dimension::parse(&text))
            .unwrap_or(Dimension::Source)
    });
    let views = Memo::new(move |_| replica.with(|index| saved_views(index, &me.get())));
    let view_id = Memo::new(move |_| query.with(|q| q.get("view")).unwrap_or_default());
    let result = Memo::new(move |_| {
        let by = by.get();
        let view = view_id.get();
        let chosen = views.with(|views| views.iter().find(|(id, _, _)| *id == view).cloned());
        replica.with(|index| {
            let contacts = index.contacts();
            let (shares, records) = match &chosen {
                Some((_, _, query)) => {
                    let open_task_records: HashSet<uuid::Uuid> =
                        if query.conditions.iter().any(|c| c.field == "my_open_task") {
                            let me = uuid::Uuid::parse_str(&me.get_untracked()).ok();
                            replica.with_work(|work| {
                                work.tasks()
                                    .filter(|t| t.is_open() && me.is_some() && t.assignee_id == me)
                                    .filter_map(|t| t.record_id)
                                    .collect()
                            })
                        } else {
                            HashSet::new()
                        };
                    let ctx = MatchContext {
                        utc_offset_minutes: -(js_sys::Date::new_0().get_timezone_offset() as i32),
                        open_task_records,
                    };
                    let matcher = Matcher::new(query, &ctx);
                    breakdown(contacts.iter().filter(|c| matcher.matches(c)), &by)
                }
                None => breakdown(contacts, &by),
            };
            let named: Vec<(String, u32)> = shares
                .into_iter()
                .map(|share| {
                    (
                        value_name(index, &by, share.value.as_deref()),
                        share.records,
                    )
                })
                .collect();
            (named, records)
        })
    });
    let request = Callback::new(move |format: ExportFormat| {
        let (shares, records) = result.get_untracked();
        let header = vec![
            t!("breakdown-value"),
            t!("breakdown-count"),
            format!("{} (%)", t!("breakdown-share")),
        ];
        let rows = shares
            .into_iter()
            .map(|(name, n)| {
                vec![
                    Cell::Text(name),
                    Cell::Number(f64::from(n)),
                    Cell::Number(share_percent(n, records)),
                ]
            })
            .collect();
        let by = by.get_untracked();
        let by_name = dims.with_untracked(|dims| {
            dims.iter()
                .find(|(d, _)| *d == by)
                .map_or_else(|| by.key(), |(_, name)| name.clone())
        });
        let name = t!("breakdown-file", by = by_name);
        export_request(&name, header, rows, format)
    });
    let go = move |by: String, view: String| {
        let mut url = format!("/reports/breakdowns?by={by}");
        if !view.is_empty() {
            url.push_str(&format!("&view={view}"));
        }
        navigate(&url, Default::default());
    };
    let go_view = go.clone();
    let caption = move || {
        let by_name = dims.with(|dims| {
            dims.iter()
                .find(|(d, _)| *d == by.get())
                .map(|(_, name)| name.clone())
                .unwrap_or_default()
        });
        let over = views.with(|views| {
            views
                .iter()
                .find(|(id, _, _)| *id == view_id.get())
                .map(|(_, name, _)| name.clone())
        });
        match over {
            Some(view) => t!("breakdown-caption-view", by = by_name, view = view),
            None => t!("breakdown-caption", by = by_name),
        }
    };
    view! {
        <section class="page reports-page">
            <div class="page-head">
                <h1>{t!("reports-title")}</h1>
            </div>
            <ReportTabs current="breakdowns" />
            <div class="report-controls">
                <label for="breakdown-by">{t!("breakdown-by")}</label>
                <select id="breakdown-by" prop:value=move || by.get().key()
                    on:change=move |ev| go(event_target_value(&ev), view_id.get_untracked())>
                    {move || dims.get().into_iter().map(|(dim, name)| {
                        let key = dim.key();
                        let selected = dim == by.get_untracked();
                        view! { <option value=key selected=selected>{name}</option> }
                    }).collect_view()}
                </select>
                <label for="breakdown-view">{t!("breakdown-over")}</label>
                <select id="breakdown-view" prop:value=move || view_id.get()
                    on:change=move |ev| go_view(by.get_untracked().key(), event_target_value(&ev))>
                    <option value="">{t!("breakdown-every-record")}</option>
                    {move || views.get().into_iter().map(|(id, name, _)| {
                        let selected = id == view_id.get_untracked();
                        view! { <option value=id selected=selected>{name}</option> }
                    }).collect_view()}
                </select>
            </div>
            <Show when=move || replica.ready.get() fallback=|| view! { <p class="loading" role="status">{t!("report-loading")}</p> }>
                <p class="hint" role="status">{move || t!("breakdown-records", count = result.with(|r| r.1).to_string())}</p>
                <ul class="agent-bars" aria-hidden="true">
                    {move || {
                        let (shares, _) = result.get();
                        let top = shares.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1);
                        shares.into_iter().map(|(name, n)| {
                            let width = format!("width: {:.1}%", f64::from(n) / f64::from(top) * 100.0);
                            view! {
                                <li>
                                    <span class="agent-bar-name">{name}</span>
                                    <span class="agent-bar"><span class="chart-series-0" style=width></span></span>
                                    <span class="agent-bar-value">{n}</span>
                                </li>
                            }
                        }).collect_view()
                    }}
                </ul>
                <div class="report-scroll">
                    <table class="data-table report-table">
                        <caption>{caption}</caption>
                        <thead>
                            <tr>
                                <th scope="col">{t!("breakdown-value")}</th>
                                <th scope="col">{t!("breakdown-count")}</th>
                                <th scope="col">{t!("breakdown-share")}</th>
                            </tr>
                        </thead>
                        <tbody>
                            {move || {
                                let (shares, records) = result.get();
                                shares.into_iter().map(|(name, n)| {
                                    let share = share_percent(n, records);
                                    view! { <tr><th scope="row">{name}</th><td>{n}</td><td>{format!("{share:.0}%")}</td></tr> }
                                }).collect_view()
                            }}
                        </tbody>
                    </table>
                </div>
                <ExportButtons request=request />
            </Show>
        </section>
    }
}
