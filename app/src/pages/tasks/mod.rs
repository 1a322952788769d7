//! Tasks: the list of open tasks grouped by deadline (following the clock), the task form,
//! and the actions on one task (done, reopen, trash, restore). Every change is an ordinary
//! edit through the outbox, so all of it works offline.

pub mod dialog;

use leptos::prelude::*;
use leptos_router::components::A;
use minicrm_core::deadline::Deadline;
use minicrm_core::work::{self, Task};
use uuid::Uuid;

use crate::data::deadlines::use_deadlines;
use crate::data::tasks::TaskChange;
use crate::data::{Replica, use_replica};
use crate::pages::forms::{ChoiceOptions, FormError, spawn_reported};
use crate::state::now::{deadline_text, local_date_time, rfc3339};
use crate::state::session::{my_id, use_session};
use crate::t;

pub use dialog::{TaskDialog, TaskDraft};

/// The CSS class of a deadline: red when overdue, bold when due today.
pub fn deadline_class(deadline: Deadline) -> &'static str {
    match deadline {
        Deadline::Overdue => "deadline overdue",
        Deadline::Today => "deadline today",
        Deadline::Later | Deadline::Undated => "deadline",
    }
}

/// Writes `change` of task `id`; a failure is reported in `error`.
pub fn change_task(
    replica: Replica,
    id: Uuid,
    change: TaskChange,
    error: RwSignal<Option<String>>,
) {
    spawn_reported(error, replica.write_task(id, change));
}

/// One open task in a list: done button, title (opens the form), deadline, record, assignee.
#[component]
pub fn TaskItem(
    task: Task,
    deadline: Deadline,
    /// Show the record's name (the task list) or not (the record's own page).
    show_record: bool,
    on_edit: Callback<Task>,
    error: RwSignal<Option<String>>,
) -> impl IntoView {
    let replica = use_replica();
    let now = use_deadlines();
    let me = my_id();
    let id = task.id;
    let title = task.title.clone();
    let due = move || {
        task.due_ms
            .map(|due| deadline_text(due, &now.moment()))
            .unwrap_or_else(|| t!("task-undated"))
    };
    let (record, assignee) = replica.with_untracked(|index| {
        let record = task.record_id.map(|record_id| {
            let name = index
                .contact(&record_id)
                .map(|c| c.display_name())
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| t!("record-unnamed"));
            (format!("/records/{record_id}"), name)
        });
        let assignee = task
            .assignee_id
            .filter(|assignee| Some(*assignee) != me)
            .map(|assignee| {
                index
                    .name_of("user", &assignee.to_string())
                    .unwrap_or_else(|| t!("unknown-user"))
            });
        (record, assignee)
    });
    // Many tasks share a title ("Call back"): their buttons say which one they act on.
    let described = t!(
        "task-described",
        title = title.clone(),
        record = record
            .as_ref()
            .map(|(_, name)| name.clone())
            .unwrap_or_else(|| t!("record-unnamed")),
        due = task
            .due_ms
            .map(|due| local_date_time(due as f64))
            .unwrap_or_else(|| t!("task-undated")),
    );
    let done_label = t!("task-done-named", task = described.clone());
    let trash_label = t!("task-trash-named", task = described.clone());
    let edit_task = task.clone();
    view! {
        <li class=format!("task {}", deadline_class(deadline))>
            <button type="button" class="task-done" aria-label=done_label
                on:click=move |_| change_task(replica, id, TaskChange::Done { at: rfc3339(js_sys::Date::now() as i64), by: me }, error)>{t!("task-done")}</button>
            <button type="button" class="link task-title" aria-label=described on:click=move |_| on_edit.run(edit_task.clone())>{title}</button>
            <span class="task-due">{due}</span>
            {show_record.then(|| record.map(|(href, name)| view! { <A href=href attr:class="task-record">{name}</A> }))}
            {assignee.map(|name| view! { <span class="task-assignee">{t!("task-assigned-to", name = name)}</span> })}
            <button type="button" class="link subtle" aria-label=trash_label
                on:click=move |_| change_task(replica, id, TaskChange::Trash(true), error)>
                {t!("task-trash")}
            </button>
        </li>
    }
}

/// Tasks listed per group at first, and added per "Show more".
const GROUP_PAGE: usize = 100;

/// Whose tasks the list shows.
#[derive(Clone, PartialEq)]
enum Whose {
    Mine,
    Everyone,
    User(Uuid),
}

#[component]
pub fn TasksPage() -> impl IntoView {
    let replica = use_replica();
    let session = use_session();
    let now = use_deadlines();
    let me = my_id();
    let sees_team = move || {
        session
            .user()
            .is_some_and(|user| user.role.may_see_team_reports())
    };
    let whose = RwSignal::new(Whose::Mine);
    let limits = RwSignal::new([GROUP_PAGE; 4]);
    let error = RwSignal::new(None::<String>);
    let editing = RwSignal::new(None::<TaskDraft>);
    let groups = Memo::new(move |_| {
        let moment = now.moment();
        let whose = whose.get();
        replica.with_work(|index| {
            // Trashing a record hides its tasks: follow the contacts too.
            replica.version.track();
            let chosen = index.live_tasks().filter(|task| match &whose {
                Whose::Mine => task.assignee_id == me,
                Whose::Everyone => true,
                Whose::User(user) => task.assignee_id == Some(*user),
            });
            let groups = work::group(chosen, &moment);
            let own = |list: Vec<&Task>| list.into_iter().cloned().collect::<Vec<Task>>();
            [
                (Deadline::Overdue, own(groups.overdue)),
                (Deadline::Today, own(groups.today)),
                (Deadline::Later, own(groups.later)),
                (Deadline::Undated, own(groups.undated)),
            ]
        })
    });
    let on_edit = Callback::new(move |task: Task| editing.set(Some(TaskDraft::of(&task))));
    let users = Signal::derive(move || replica.with(|index| index.users()));
    let whose_value = Signal::derive(move || match whose.get() {
        Whose::Mine => "mine".to_owned(),
        Whose::Everyone => "everyone".to_owned(),
        Whose::User(id) => id.to_string(),
    });
    let empty = move || {
        replica.ready.get() && groups.with(|groups| groups.iter().all(|(_, list)| list.is_empty()))
    };
    view! {
        <section class="page tasks-page">
            <div class="page-head">
                <h1>{t!("tasks-title")}</h1>
                <button type="button" class="primary" on:click=move |_| editing.set(Some(TaskDraft::new(None, me)))>
                    {t!("task-new")}
                </button>
            </div>
            <Show when=sees_team>
                <div class="field inline">
                    <label for="tasks-whose">{t!("tasks-whose")}</label>
                    <select id="tasks-whose" prop:value=whose_value on:change=move |ev| {
                        let value = event_target_value(&ev);
                        whose.set(match value.as_str() {
                            "mine" => Whose::Mine,
                            "everyone" => Whose::Everyone,
                            id => Uuid::parse_str(id).map_or(Whose::Mine, Whose::User),
                        });
                    }>
                        <option value="mine">{t!("tasks-whose-mine")}</option>
                        <option value="everyone">{t!("tasks-whose-everyone")}</option>
                        <ChoiceOptions choices=users selected=whose_value />
                    </select>
                </div>
            </Show>
            <FormError error=error />
            <Show when=move || !replica.ready.get()>
                <p role="status">{t!("app-loading")}</p>
            </Show>
            <Show when=empty>
                <p class="empty">{t!("tasks-none-open")}</p>
            </Show>
            {move || groups.get().into_iter().enumerate().filter(|(_, (_, list))| !list.is_empty()).map(|(group, (deadline, list))| {
                let key = match deadline {
                    Deadline::Overdue => "tasks-group-overdue",
                    Deadline::Today => "tasks-group-today",
                    Deadline::Later => "tasks-group-later",
                    Deadline::Undated => "tasks-group-undated",
                };
                let heading_id = format!("{key}-title");
                let labelled_by = heading_id.clone();
                let count = list.len().to_string();
                // A manager's "everyone" can be thousands: a page at a time.
                let limit = limits.with(|limits| limits[group]);
                let rest = list.len().saturating_sub(limit);
                let more = rest.min(GROUP_PAGE).to_string();
                let shown: Vec<Task> = list.into_iter().take(limit).collect();
                view! {
                    <section class=format!("task-group {}", deadline_class(deadline)) aria-labelledby=labelled_by>
                        <h2 id=heading_id>{t!(key, count = count)}</h2>
                        <ul class="task-list">
                            {shown.into_iter().map(|task| view! {
                                <TaskItem task=task deadline=deadline show_record=true on_edit=on_edit error=error />
                            }).collect_view()}
                        </ul>
                        {(rest > 0).then(|| view! {
                            <button type="button" class="link" on:click=move |_| limits.update(|limits| limits[group] += GROUP_PAGE)>
                                {t!("tasks-show-more", count = more.clone(), rest = rest.to_string())}
                            </button>
                        })}
                    </section>
                }
            }).collect_view()}
            {move || editing.get().map(|draft| view! {
                <TaskDialog draft=draft on_close=Callback::new(move |()| editing.set(None)) />
            })}
        </section>
    }
}

/// Overdue and today's counts of my open tasks, following the clock (for the navigation).
pub fn my_counts() -> Memo<(usize, usize)> {
    let replica = use_replica();
    let now = use_deadlines();
    let me = my_id();
    Memo::new(move |_| {
        let moment = now.moment();
        replica.with_tasks(|index| {
            replica.version.track();
            work::counts(
                index
                    .live_open_tasks()
                    .filter(|task| task.assignee_id == me),
                &moment,
            )
        })
    })
}
