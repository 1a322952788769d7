//! Charts drawn as SVG by the app, in the theme's colours (`--chart-N`): bars stacked by
//! series (calls per day by outcome). Hovering or focusing a bar says its value; the same
//! numbers are in a table under the chart, for screen readers and for reading.

use leptos::prelude::*;

use crate::t;

/// Colours the theme defines (`--chart-0` … `--chart-7`); more series reuse them.
const COLOURS: usize = 8;
const HEIGHT: f64 = 200.0;
const BAR: f64 = 18.0;
const GAP: f64 = 6.0;
const LEFT: f64 = 36.0;
const BOTTOM: f64 = 22.0;

/// One series: its name and a value per bar.
#[derive(Clone, PartialEq)]
pub struct Series {
    pub name: String,
    pub values: Vec<u32>,
}

/// The height of the tallest bar rounded up to a figure the axis can show.
fn axis_top(max: u32) -> u32 {
    match max {
        0..=4 => 4,
        5..=10 => 10,
        _ => {
            let step = 10u32.pow(max.ilog10());
            max.div_ceil(step) * step
        }
    }
}

/// Whether the chart may draw: false for its first task, so a report's table comes on
/// screen first and each chart is drawn in a task of its own.
fn drawn_later() -> RwSignal<bool> {
    let ready = RwSignal::new(false);
    leptos::prelude::set_timeout(
        move || {
            ready.try_set(true);
        },
        std::time::Duration::ZERO,
    );
    ready
}

/// The value a bar or point says (its accessible name), for the line under the chart: one
/// listener on the chart for every mark in it.
fn said_of(event: &web_sys::Event) -> Option<String> {
    use wasm_bindgen::JsCast;
    event
        .target()?
        .dyn_into::<web_sys::Element>()
        .ok()?
        .get_attribute("aria-label")
}

/// The chart's own table, built when "Show the numbers" is opened.
#[component]
fn Numbers(table: Callback<(), AnyView>) -> impl IntoView {
    let open = RwSignal::new(false);
    view! {
        <details class="chart-numbers" on:toggle=move |event| {
            use wasm_bindgen::JsCast;
            let opened = event
                .target()
                .and_then(|target| target.dyn_into::<web_sys::Element>().ok())
                .is_some_and(|details| details.has_attribute("open"));
            open.set(opened);
        }>
            <summary>{t!("chart-numbers")}</summary>
            {move || open.get().then(|| table.run(()))}
        </details>
    }
}

#[component]
pub fn StackedBars(
    /// What the chart shows (its accessible name and the table's caption).
    title: Signal<String>,
    /// A label per bar (days).
    labels: Signal<Vec<String>>,
    series: Signal<Vec<Series>>,
) -> impl IntoView {
    let said = RwSignal::new(None::<String>);
    let ready = drawn_later();
    let chart_id = format!("chart-{}", uuid::Uuid::now_v7().simple());
    let title_id = format!("{chart_id}-title");
    let labelled_by = title_id.clone();
    let svg = move || {
        if !ready.get() {
            return None;
        }
        let labels = labels.get();
        let series = series.get();
        let totals: Vec<u32> = (0..labels.len())
            .map(|i| {
                series
                    .iter()
                    .map(|s| s.values.get(i).copied().unwrap_or(0))
                    .sum()
            })
            .collect();
        let top = axis_top(totals.iter().copied().max().unwrap_or(0));
        let width = LEFT + labels.len() as f64 * (BAR + GAP) + GAP;
        let scale = (HEIGHT - BOTTOM - 8.0) / f64::from(top);
        let base = HEIGHT - BOTTOM;
        let grid = [0, top / 2, top]
            .into_iter()
            .map(|value| {
                let y = base - f64::from(value) * scale;
                view! {
                    <line class="chart-grid" x1=LEFT x2=width y1=y y2=y />
                    <text class="chart-axis" x=LEFT - 4.0 y=y + 4.0 text-anchor="end">{value}</text>
                }
            })
            .collect_view();
        let bars = labels.iter().enumerate().map(|(i, label)| {
            let x = LEFT + GAP + i as f64 * (BAR + GAP);
            let mut y = base;
            let segments = series.iter().enumerate().filter_map(|(s, one)| {
                let value = one.values.get(i).copied().unwrap_or(0);
                if value == 0 {
                    return None;
                }
                let height = f64::from(value) * scale;
                y -= height;
                let text = t!("chart-value", label = label.clone(), series = one.name.clone(), value = value.to_string());
                let name = text.clone();
                Some(view! {
                    <rect class=format!("chart-series-{}", s % COLOURS) x=x y=y width=BAR height=height
                        tabindex="0" role="img" aria-label=name>
                        <title>{text}</title>
                    </rect>
                })
            }).collect_view();
            // Every bar is labelled when they fit, else every seventh.
            let labelled = labels.len() <= 16 || i % 7 == 0;
            view! {
                {segments}
                {labelled.then(|| view! {
                    <text class="chart-axis" x=x + BAR / 2.0 y=HEIGHT - 6.0 text-anchor="middle">{label.clone()}</text>
                })}
            }
        }).collect_view();
        Some(view! {
            <svg class="chart" viewBox=format!("0 0 {width} {HEIGHT}") width=width height=HEIGHT
                role="group" aria-labelledby=labelled_by.clone()
                on:focusin=move |event| said.set(said_of(&event))
                on:mouseover=move |event| said.set(said_of(&event))
                on:mouseleave=move |_| said.set(None)>
                {grid}
                {bars}
            </svg>
        })
    };
    let legend = move || {
        series.get().into_iter().enumerate().map(|(s, one)| view! {
        <li><span class=format!("chart-swatch chart-series-{}", s % COLOURS) aria-hidden="true"></span>{one.name}</li>
    }).collect_view()
    };
    let table = Callback::new(move |()| {
        let labels = labels.get();
        let series = series.get();
        view! {
            <table class="data-table chart-table">
                <caption>{title.get()}</caption>
                <thead>
                    <tr>
                        <th scope="col">{t!("chart-day")}</th>
                        {series.iter().map(|one| view! { <th scope="col">{one.name.clone()}</th> }).collect_view()}
                    </tr>
                </thead>
                <tbody>
                    {labels.into_iter().enumerate().map(|(i, label)| view! {
                        <tr>
                            <th scope="row">{label}</th>
                            {series.iter().map(|one| view! {
                                <td>{one.values.get(i).copied().unwrap_or(0)}</td>
                            }).collect_view()}
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        }
        .into_any()
    });
    view! {
        <figure class="chart-figure">
            <figcaption id=title_id.clone()>{move || title.get()}</figcaption>
            <div class="chart-scroll" style=format!("min-height: {HEIGHT}px")>{svg}</div>
            <ul class="chart-legend">{legend}</ul>
            <p class="chart-said" aria-live="polite">{move || said.get().unwrap_or_default()}</p>
            <Numbers table=table />
        </figure>
    }
}

/// A figure's trend over the period: a point per day (or week), a line through them, the
/// figure chosen from the report's columns. Points without a value (a share of no calls)
/// break the line.
#[component]
pub fn TrendLine(
    title: Signal<String>,
    /// A label per point.
    labels: Signal<Vec<String>>,
    /// A value per point (`None`: nothing to show there).
    values: Signal<Vec<Option<f64>>>,
    /// How a value reads ("12", "40%", "1:05:00").
    format: Callback<f64, String>,
    /// The axis' top for shares (1.0); else from the values.
    #[prop(optional)]
    share: bool,
) -> impl IntoView {
    let said = RwSignal::new(None::<String>);
    let ready = drawn_later();
    let chart_id = format!("chart-{}", uuid::Uuid::now_v7().simple());
    let title_id = format!("{chart_id}-title");
    let labelled_by = title_id.clone();
    let svg = move || {
        if !ready.get() {
            return None;
        }
        let labels = labels.get();
        let values = values.get();
        let top = if share {
            1.0
        } else {
            let max = values.iter().flatten().fold(0.0_f64, |a, b| a.max(*b));
            f64::from(axis_top(max.ceil() as u32))
        };
        let width = LEFT + labels.len() as f64 * (BAR + GAP) + GAP;
        let scale = (HEIGHT - BOTTOM - 8.0) / top;
        let base = HEIGHT - BOTTOM;
        let x_of = |i: usize| LEFT + GAP + i as f64 * (BAR + GAP) + BAR / 2.0;
        let grid = [0.0, top / 2.0, top]
            .into_iter()
            .map(|value| {
                let y = base - value * scale;
                view! {
                    <line class="chart-grid" x1=LEFT x2=width y1=y y2=y />
                    <text class="chart-axis" x=LEFT - 4.0 y=y + 4.0 text-anchor="end">{format.run(value)}</text>
                }
            })
            .collect_view();
        // Runs of points with a value, each drawn as one line.
        let mut runs: Vec<Vec<(f64, f64)>> = Vec::new();
        let mut run: Vec<(f64, f64)> = Vec::new();
        for (i, value) in values.iter().enumerate() {
            match value {
                Some(value) => run.push((x_of(i), base - value * scale)),
                None if !run.is_empty() => runs.push(std::mem::take(&mut run)),
                None => {}
            }
        }
        if !run.is_empty() {
            runs.push(run);
        }
        let lines = runs
            .into_iter()
            .map(|run| {
                let points = run
                    .iter()
                    .map(|(x, y)| format!("{x:.1},{y:.1}"))
                    .collect::<Vec<_>>()
                    .join(" ");
                view! { <polyline class="chart-line" points=points /> }
            })
            .collect_view();
        // Every point's day is labelled (when they fit, else every seventh), with or
        // without a value.
        let axis = labels
            .iter()
            .enumerate()
            .filter(|(i, _)| labels.len() <= 16 || i % 7 == 0)
            .map(|(i, label)| {
                view! {
                    <text class="chart-axis" x=x_of(i) y=HEIGHT - 6.0 text-anchor="middle">{label.clone()}</text>
                }
            })
            .collect_view();
        let dots = labels
            .iter()
            .enumerate()
            .filter_map(|(i, label)| {
                let value = values.get(i).copied().flatten()?;
                let text = t!(
                    "chart-point",
                    label = label.clone(),
                    value = format.run(value)
                );
                let name = text.clone();
                Some(view! {
                    <circle class="chart-dot" cx=x_of(i) cy=base - value * scale r=4
                        tabindex="0" role="img" aria-label=name>
                        <title>{text}</title>
                    </circle>
                })
            })
            .collect_view();
        Some(view! {
            <svg class="chart" viewBox=format!("0 0 {width} {HEIGHT}") width=width height=HEIGHT
                role="group" aria-labelledby=labelled_by.clone()
                on:focusin=move |event| said.set(said_of(&event))
                on:mouseover=move |event| said.set(said_of(&event))
                on:mouseleave=move |_| said.set(None)>
                {grid}
                {axis}
                {lines}
                {dots}
            </svg>
        })
    };
    let table = Callback::new(move |()| {
        let values = values.get();
        view! {
            <table class="data-table chart-table">
                <caption>{title.get()}</caption>
                <tbody>
                    {labels.get().into_iter().enumerate().map(|(i, label)| view! {
                        <tr>
                            <th scope="row">{label}</th>
                            <td>{values.get(i).copied().flatten().map_or_else(|| "–".to_owned(), |v| format.run(v))}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        }
        .into_any()
    });
    view! {
        <figure class="chart-figure">
            <figcaption id=title_id.clone()>{move || title.get()}</figcaption>
            <div class="chart-scroll" style=format!("min-height: {HEIGHT}px")>{svg}</div>
            <p class="chart-said" aria-live="polite">{move || said.get().unwrap_or_default()}</p>
            <Numbers table=table />
        </figure>
    }
}
