//! The review: what every row will do (the worker's counts), the rows worth a look as they
//! will be stored, each problem at its cell — fixable in place — and the record each
//! duplicate matches; rows with problems can be left out. Nothing is written here.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use minicrm_core::import::job::{Fix, Outcome, Reply, Request, Review, ReviewRow, Step};
use minicrm_core::import::mapping::Target;
use minicrm_core::import::rows::{Problem, RowError};

use super::flow::{Flow, grouped};
use super::targets;
use crate::data::use_replica;
use crate::sync::use_sync;
use crate::t;
use crate::worker;

/// Rows of the review a page shows.
const PAGE_ROWS: usize = 25;

/// Asks for the review of the job as stored, and the headers with it; the newest answer
/// wins.
#[derive(Clone, Copy)]
struct Reviewer {
    review: RwSignal<Option<Review>>,
    headers: RwSignal<Vec<String>>,
    asked: RwSignal<u32>,
    answered: RwSignal<u32>,
}

impl Reviewer {
    fn busy(&self) -> bool {
        self.asked.get() != self.answered.get()
    }

    fn ask(self, flow: Flow) {
        // The step may be gone (a change stored after the user left it asks again).
        let Some(number) = self.asked.try_get_untracked().map(|n| n + 1) else {
            return;
        };
        self.asked.set(number);
        let import_id = flow.id();
        spawn_local(async move {
            let answer = worker::ask(&Request::Review { import_id }, |_, _| {}).await;
            // The step may be gone by now (the user went back): then nobody waits.
            if self.asked.try_get_untracked() != Some(number) {
                return;
            }
            match answer.reply {
                Reply::Review(review) => {
                    self.review.try_set(Some(*review));
                }
                other => flow.unexpected(other),
            }
            // The file is read already: the headers come at once.
            if self.headers.try_with_untracked(Vec::is_empty) == Some(true) {
                match worker::ask(&Request::Read { import_id }, |_, _| {})
                    .await
                    .reply
                {
                    Reply::Preview(preview) => {
                        self.headers.try_set(preview.headers);
                    }
                    other => flow.unexpected(other),
                }
            }
            self.answered.try_set(number);
        });
    }
}

/// A problem in the user's words.
fn problem_text(problem: &Problem, target: Option<&Target>) -> String {
    match &problem.error {
        RowError::Field(_, message) => message.clone(),
        RowError::UnknownName => t!(
            "import-problem-unknown",
            thing = target.map(targets::named_thing).unwrap_or_default(),
            value = problem.value.clone()
        ),
        RowError::NameRequired => t!("import-problem-name-required"),
        RowError::TooManyValues => t!("import-problem-too-many"),
    }
}

fn outcome_text(outcome: Outcome, left_out: bool) -> String {
    let key = match outcome {
        Outcome::Skip if left_out => "import-outcome-left-out",
        Outcome::Create => "import-outcome-create",
        Outcome::Update => "import-outcome-update",
        Outcome::Unchanged => "import-outcome-unchanged",
        Outcome::Skip => "import-outcome-skip",
        Outcome::Fail => "import-outcome-fail",
    };
    t!(key)
}

#[component]
pub(super) fn ReviewStep(flow: Flow) -> impl IntoView {
    let reviewer = Reviewer {
        review: RwSignal::new(None),
        headers: RwSignal::new(Vec::new()),
        asked: RwSignal::new(0),
        answered: RwSignal::new(0),
    };
    reviewer.ask(flow);
    let sync = use_sync();
    let review = reviewer.review;
    let counts = move || review.with(|r| r.as_ref().map(|r| r.counts));
    let to_write = move || counts().map_or(0, |c| c.created + c.updated);
    let counts_text = move || {
        counts().map(|c| {
            t!(
                "import-review-counts",
                created = grouped(c.created),
                updated = grouped(c.updated),
                unchanged = grouped(c.unchanged),
                skipped = grouped(c.skipped),
                failed = grouped(c.failed)
            )
        })
    };
    // The rows a page shows: drawing all 200 at once (a fix field in most) held the page
    // for a fifth of a second, then laid the table out for as long again.
    let page = RwSignal::new(0usize);
    let listed = move || review.with(|r| r.as_ref().map_or(0, |r| r.rows.len()));
    let pages = move || listed().div_ceil(PAGE_ROWS).max(1);
    // A review again (after a fix) may list fewer rows: the page stays within them.
    let shown_page = move || page.get().min(pages() - 1);
    let rows = move || {
        let headers = reviewer.headers.get();
        let mapping = flow.job.with_untracked(|job| job.mapping.clone());
        let start = shown_page() * PAGE_ROWS;
        review.with(|review| review.as_ref().map(|review| {
            review
                .rows
                .iter()
                .skip(start)
                .take(PAGE_ROWS)
                .cloned()
                .map(|row| {
                    view! { <ReviewLine flow=flow reviewer=reviewer row=row headers=headers.clone() mapping=mapping.clone() /> }
                })
                .collect_view()
        }))
    };
    // The pager stays in place as pages change (a keyboard user keeps their focus on
    // "Next rows"); only its text and buttons follow the page.
    let range = move || {
        let from = shown_page() * PAGE_ROWS + 1;
        let to = (from + PAGE_ROWS - 1).min(listed());
        t!(
            "import-review-page",
            from = grouped(from as u32),
            to = grouped(to as u32),
            total = grouped(listed() as u32)
        )
    };
    let pager = move || {
        view! {
            <Show when=move || { pages() > 1 }>
                <nav class="pager" aria-label=t!("import-review-pages")>
                    <button type="button" disabled=move || shown_page() == 0
                        on:click=move |_| page.set(shown_page().saturating_sub(1))>{t!("import-review-previous")}</button>
                    <span>{range}</span>
                    <button type="button" disabled=move || { shown_page() + 1 >= pages() }
                        on:click=move |_| page.set(shown_page() + 1)>{t!("import-review-next")}</button>
                </nav>
            </Show>
        }
    };
    // A new page starts at its top.
    let table_wrap = NodeRef::<leptos::html::Div>::new();
    Effect::new(move |_| {
        page.track();
        if let Some(wrap) = table_wrap.get_untracked() {
            wrap.set_scroll_top(0);
        }
    });
    let more = move || review.with(|r| r.as_ref().map_or(0, |r| r.more));
    let write = move |_| {
        if reviewer.busy() || to_write() == 0 {
            return;
        }
        flow.go(Step::Writing);
    };
    view! {
        <h2>{t!("import-review-title")}</h2>
        <p class="hint">{t!("import-review-hint")}</p>
        // Duplicates are found among the records on the device: before its first sync
        // those are not the team's.
        {move || sync.last_sync_ms.get().is_none().then(|| view! { <p class="notice" role="note">{t!("import-never-synced")}</p> })}
        <p class="import-counts" role="status" aria-live="polite">
            {move || if reviewer.busy() { Some(t!("import-reviewing")) } else { counts_text() }}
        </p>
        <div class="import-table-wrap" role="region" aria-label=t!("import-review-rows") tabindex="0" node_ref=table_wrap>
            <table class="data-table import-table import-review">
                <thead>
                    <tr>
                        <th scope="col" class="line">{t!("import-line")}</th>
                        <th scope="col">{t!("import-outcome")}</th>
                        {move || reviewer.headers.get().into_iter().map(|header| view! { <th scope="col">{header}</th> }).collect_view()}
                        <th scope="col">{t!("import-matches")}</th>
                        <th scope="col">{t!("import-leave-out")}</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
        {pager}
        {move || (more() > 0).then(|| view! { <p class="hint">{t!("import-review-more", count = more().to_string(), shown = grouped(more()))}</p> })}
        <div class="actions">
            <button type="button" on:click=move |_| flow.go(Step::Mapping)>{t!("import-back")}</button>
            <button type="button" class="primary" on:click=write disabled=move || reviewer.busy() || to_write() == 0>
                {move || t!("import-write", count = to_write().to_string(), shown = grouped(to_write()))}
            </button>
        </div>
        {move || (!reviewer.busy() && counts().is_some() && to_write() == 0).then(|| view! { <p class="notice">{t!("import-nothing-to-write")}</p> })}
    }
}

/// One row of the review.
#[component]
fn ReviewLine(
    flow: Flow,
    reviewer: Reviewer,
    row: ReviewRow,
    headers: Vec<String>,
    mapping: Vec<Target>,
) -> impl IntoView {
    let replica = use_replica();
    let line = row.line;
    let left_out = flow.job.with_untracked(|job| job.left_out.contains(&line));
    let whole_row: Vec<String> = row
        .problems
        .iter()
        .filter(|problem| problem.column.is_none())
        .map(|problem| problem_text(problem, None))
        .collect();
    let width = headers.len().max(row.cells.len());
    let cells = (0..width)
        .map(|column| {
            let target = mapping.get(column);
            let file_text = row
                .cells
                .get(column)
                .map(|cell| cell.as_text())
                .unwrap_or_default();
            let problems: Vec<String> = row
                .problems
                .iter()
                .filter(|problem| problem.column == Some(column))
                .map(|problem| problem_text(problem, target))
                .collect();
            if problems.is_empty() {
                let stored = target.and_then(|target| {
                    replica.with_untracked(|index| targets::stored_text(target, &row.values, index))
                });
                return view! { <td>{stored.unwrap_or(file_text)}</td> }.into_any();
            }
            let header = headers.get(column).cloned().unwrap_or_default();
            view! {
                <td aria-invalid="true" class="invalid">
                    <FixCell flow=flow reviewer=reviewer line=line column=column header=header text=file_text problems=problems />
                </td>
            }
            .into_any()
        })
        .collect_view();
    let matched = row.matches.map(|matched| {
        let what = match (matched.id, matched.line) {
            (Some(id), _) => {
                let name = if matched.name.is_empty() {
                    id.to_string()
                } else {
                    matched.name
                };
                view! { <A href=format!("/records/{id}")>{name}</A> }.into_any()
            }
            (None, Some(earlier)) => {
                t!("import-repeats-line", line = earlier.to_string()).into_any()
            }
            (None, None) => ().into_any(),
        };
        view! { {what} <span class="hint">{t!("import-match-by", key = matched.key)}</span> }
    });
    let has_problems = !row.problems.is_empty();
    let toggle = move |event: leptos::ev::Event| {
        let on = event_target_checked(&event);
        flow.change(
            move |job| {
                job.left_out.retain(|l| *l != line);
                if on {
                    job.left_out.push(line);
                }
            },
            move || reviewer.ask(flow),
        );
    };
    view! {
        <tr class:failed=row.outcome == Outcome::Fail>
            <td class="line">{line}</td>
            <td class="outcome">
                {outcome_text(row.outcome, left_out)}
                {whole_row.into_iter().map(|text| view! { <span class="problem">{text}</span> }).collect_view()}
            </td>
            {cells}
            <td class="match">{matched}</td>
            <td class="leave-out">
                {has_problems.then(|| view! {
                    <input type="checkbox" aria-label=t!("import-leave-out-line", line = line.to_string())
                        prop:checked=left_out on:change=toggle />
                })}
            </td>
        </tr>
    }
}

/// A cell with problems: the value, why, and an input to fix it (a fix replaces the
/// cell's text; the row is reviewed again).
#[component]
fn FixCell(
    flow: Flow,
    reviewer: Reviewer,
    line: u32,
    column: usize,
    header: String,
    text: String,
    problems: Vec<String>,
) -> impl IntoView {
    let fixed = RwSignal::new(text.clone());
    let problem_id = format!("import-problem-{line}-{column}");
    let save = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let text = fixed.get_untracked();
        flow.change(
            move |job| {
                job.fixes
                    .retain(|fix| !(fix.line == line && fix.column == column));
                job.fixes.push(Fix { line, column, text });
            },
            move || reviewer.ask(flow),
        );
    };
    view! {
        <span class="value">{text}</span>
        <span class="problem" id=problem_id.clone()>{problems.join(" ")}</span>
        <form class="fix" on:submit=save>
            <input bind:value=fixed aria-invalid="true" aria-describedby=problem_id
                aria-label=t!("import-fix", column = header, line = line.to_string()) />
            <button type="submit">{t!("import-fix-save")}</button>
        </form>
    }
}
