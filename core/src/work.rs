//! Tasks and activities: the compact forms the app keeps in memory, the task list's
//! grouping by deadline, the deadline marks of records, and what the task and activity
//! forms may contain.

use std::collections::HashMap;

use serde_json::Value;
use uuid::Uuid;

use crate::deadline::{Deadline, Moment, parse_ms};
use crate::input::FieldError;
use crate::merge::Fields;
use crate::record::{hlc_ms, id_of};

/// Longest task title (the schema allows 1000; a title is a line, not a letter).
pub const MAX_TITLE: usize = 500;
/// Longest note or message text.
pub const MAX_TEXT: usize = 20_000;
/// Longest short text of an activity (meeting name, phone, subject, ticket).
pub const MAX_SHORT: usize = 200;

fn text_of(value: Option<&Value>) -> String {
    value
        .and_then(Value::as_str)
        .map(str::to_owned)
        .unwrap_or_default()
}

fn time_of(value: Option<&Value>) -> Option<i64> {
    value.and_then(Value::as_str).and_then(parse_ms)
}

/// A task as the device shows it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Task {
    pub id: Uuid,
    pub record_id: Option<Uuid>,
    pub title: String,
    /// The due moment (ms since the epoch), `None` for an undated task.
    pub due_ms: Option<i64>,
    pub assignee_id: Option<Uuid>,
    pub done: bool,
    pub done_at_ms: Option<i64>,
    /// Who marked it done.
    pub done_by: Option<Uuid>,
    pub deleted: bool,
    pub note: String,
    /// Milliseconds of the latest write to any field (from its HLC).
    pub modified_ms: i64,
}

/// The wall-clock milliseconds of the latest HLC among `fields`.
fn modified_ms(fields: &Fields) -> i64 {
    let latest = fields.values().map(|state| hlc_ms(&state.hlc)).max();
    i64::try_from(latest.unwrap_or(0)).unwrap_or(i64::MAX)
}

impl Task {
    /// The task from a row's shown fields; `None` when `id` is not a UUID.
    pub fn from_fields(id: &str, fields: &Fields) -> Option<Task> {
        let get = |name: &str| fields.get(name).map(|state| &state.value);
        Some(Task {
            id: Uuid::parse_str(id).ok()?,
            record_id: id_of(get("record_id")),
            title: text_of(get("title")),
            due_ms: time_of(get("due")),
            assignee_id: id_of(get("assignee_id")),
            done: get("done").and_then(Value::as_bool).unwrap_or(false),
            done_at_ms: time_of(get("done_at")),
            done_by: id_of(get("done_by")),
            deleted: get("deleted").and_then(Value::as_bool).unwrap_or(false),
            note: text_of(get("note")),
            modified_ms: modified_ms(fields),
        })
    }

    /// Neither done nor in the trash.
    pub fn is_open(&self) -> bool {
        !self.done && !self.deleted
    }

    pub fn deadline(&self, now: &Moment) -> Deadline {
        now.classify(self.due_ms)
    }
}

/// The kinds of activity a record's history holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ActivityKind {
    #[default]
    Call,
    Email,
    Sms,
    Meeting,
    Note,
}

impl ActivityKind {
    pub const ALL: [ActivityKind; 5] = [
        ActivityKind::Call,
        ActivityKind::Email,
        ActivityKind::Sms,
        ActivityKind::Meeting,
        ActivityKind::Note,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ActivityKind::Call => "call",
            ActivityKind::Email => "email",
            ActivityKind::Sms => "sms",
            ActivityKind::Meeting => "meeting",
            ActivityKind::Note => "note",
        }
    }

    pub fn parse(text: &str) -> Option<ActivityKind> {
        ActivityKind::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// Calls, e-mails and text messages go one way or the other.
    pub fn has_direction(self) -> bool {
        matches!(
            self,
            ActivityKind::Call | ActivityKind::Email | ActivityKind::Sms
        )
    }
}

/// An activity as the device keeps it in memory (the timeline reads the whole row).
/// (Its fields and `from_fields` parallel `Task`'s on purpose: two kinds of row, each read
/// from its own fields.)
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Activity {
    pub id: Uuid,
    pub record_id: Option<Uuid>,
    pub kind: ActivityKind,
    pub at_ms: Option<i64>,
    pub user_id: Option<Uuid>,
    pub outcome_id: Option<Uuid>,
    /// Calls, e-mails and messages the other side started (`direction` "incoming").
    pub incoming: bool,
    /// A call's length in seconds (0 when not given).
    pub duration_s: u32,
    pub deleted: bool,
}

impl Activity {
    pub fn from_fields(id: &str, fields: &Fields) -> Option<Activity> {
        let get = |name: &str| fields.get(name).map(|state| &state.value);
        Some(Activity {
            id: Uuid::parse_str(id).ok()?,
            record_id: id_of(get("record_id")),
            kind: get("kind")
                .and_then(Value::as_str)
                .and_then(ActivityKind::parse)
                .unwrap_or_default(),
            at_ms: time_of(get("at")),
            user_id: id_of(get("user_id")),
            outcome_id: id_of(get("outcome_id")),
            incoming: get("direction").and_then(Value::as_str) == Some("incoming"),
            duration_s: get("duration_s")
                .and_then(Value::as_f64)
                .filter(|s| s.is_finite() && *s > 0.0)
                .map_or(0, |s| s.min(f64::from(u32::MAX)) as u32),
            deleted: get("deleted").and_then(Value::as_bool).unwrap_or(false),
        })
    }
}

/// Open tasks by where their deadline stands, each group in the order to work through it:
/// overdue and dated ones by due time (oldest first), undated ones by title.
#[derive(Debug, Default, PartialEq)]
pub struct TaskGroups<'a> {
    pub overdue: Vec<&'a Task>,
    pub today: Vec<&'a Task>,
    pub later: Vec<&'a Task>,
    pub undated: Vec<&'a Task>,
}

impl TaskGroups<'_> {
    pub fn len(&self) -> usize {
        self.overdue.len() + self.today.len() + self.later.len() + self.undated.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Groups the open tasks among `tasks` at `now`.
pub fn group<'a>(tasks: impl IntoIterator<Item = &'a Task>, now: &Moment) -> TaskGroups<'a> {
    let mut groups = TaskGroups::default();
    for task in tasks.into_iter().filter(|task| task.is_open()) {
        match task.deadline(now) {
            Deadline::Overdue => groups.overdue.push(task),
            Deadline::Today => groups.today.push(task),
            Deadline::Later => groups.later.push(task),
            Deadline::Undated => groups.undated.push(task),
        }
    }
    let by_due = |a: &&Task, b: &&Task| {
        a.due_ms
            .cmp(&b.due_ms)
            .then_with(|| a.title.cmp(&b.title))
            .then_with(|| a.id.cmp(&b.id))
    };
    groups.overdue.sort_by(by_due);
    groups.today.sort_by(by_due);
    groups.later.sort_by(by_due);
    groups
        .undated
        .sort_by(|a, b| a.title.cmp(&b.title).then_with(|| a.id.cmp(&b.id)));
    groups
}

/// How many open tasks among `tasks` are overdue and due today.
pub fn counts<'a>(tasks: impl IntoIterator<Item = &'a Task>, now: &Moment) -> (usize, usize) {
    tasks.into_iter().filter(|task| task.is_open()).fold(
        (0, 0),
        |(overdue, today), task| match task.deadline(now) {
            Deadline::Overdue => (overdue + 1, today),
            Deadline::Today => (overdue, today + 1),
            _ => (overdue, today),
        },
    )
}

/// For every record with an open task, the most urgent of its tasks' deadlines.
pub fn record_marks<'a>(
    tasks: impl IntoIterator<Item = &'a Task>,
    now: &Moment,
) -> HashMap<Uuid, Deadline> {
    let mut marks: HashMap<Uuid, Deadline> = HashMap::new();
    for task in tasks.into_iter().filter(|task| task.is_open()) {
        let Some(record) = task.record_id else {
            continue;
        };
        let deadline = task.deadline(now);
        marks
            .entry(record)
            .and_modify(|mark| *mark = (*mark).min(deadline))
            .or_insert(deadline);
    }
    marks
}

/// A task's title as typed: trimmed, required, one line of at most [`MAX_TITLE`] characters.
pub fn title(input: &str) -> Result<String, FieldError> {
    let title = input.split_whitespace().collect::<Vec<_>>().join(" ");
    if title.is_empty() {
        return Err(FieldError::Required);
    }
    if title.chars().count() > MAX_TITLE {
        return Err(FieldError::TooLong(MAX_TITLE));
    }
    Ok(title)
}

/// Free text (a note, a message): trimmed; empty is `None`.
pub fn text(input: &str, max: usize) -> Result<Option<String>, FieldError> {
    let text = input.trim();
    if text.chars().count() > max {
        return Err(FieldError::TooLong(max));
    }
    Ok((!text.is_empty()).then(|| text.to_owned()))
}

/// A call's duration as typed, in seconds: "m:ss", "h:mm:ss", or whole minutes ("5");
/// empty is `None`.
pub fn duration(input: &str) -> Result<Option<u32>, FieldError> {
    let input = input.trim();
    if input.is_empty() {
        return Ok(None);
    }
    let parts: Vec<&str> = input.split(':').map(str::trim).collect();
    let numbers: Option<Vec<u32>> = parts
        .iter()
        .map(|part| {
            (!part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()))
                .then(|| part.parse::<u32>().ok())
                .flatten()
        })
        .collect();
    let numbers = numbers.ok_or(FieldError::NotADuration)?;
    let seconds = match numbers.as_slice() {
        [minutes] => minutes.checked_mul(60),
        [minutes, seconds] if *seconds < 60 => minutes
            .checked_mul(60)
            .and_then(|m| m.checked_add(*seconds)),
        [hours, minutes, seconds] if *minutes < 60 && *seconds < 60 => hours
            .checked_mul(3600)
            .and_then(|h| h.checked_add(minutes * 60 + seconds)),
        _ => None,
    };
    // Nothing sensible lasts over a day.
    match seconds {
        Some(seconds) if seconds <= 86_400 => Ok(Some(seconds)),
        _ => Err(FieldError::NotADuration),
    }
}

/// A duration in seconds as the form shows it: "m:ss" or "h:mm:ss".
pub fn duration_text(seconds: u32) -> String {
    let (h, m, s) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

/// A meeting's end must not come before its start.
pub fn period(from_ms: i64, to_ms: Option<i64>) -> Result<(), FieldError> {
    match to_ms {
        Some(to) if to < from_ms => Err(FieldError::EndsBeforeStart),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deadline::zones::{ms, warsaw};
    use serde_json::json;

    /// A row's fields (test data, alike in shape to record.rs's and query.rs's).
    fn fields(pairs: &[(&str, Value)]) -> Fields {
        crate::merge::fields_at("", pairs)
    }

    fn task(n: u128, record: u128, due: Option<&str>) -> Task {
        Task {
            id: Uuid::from_u128(n),
            record_id: Some(Uuid::from_u128(record)),
            title: format!("task {n}"),
            due_ms: due.and_then(parse_ms),
            ..Task::default()
        }
    }

    #[test]
    fn reads_a_task_row() {
        let row = fields(&[
            ("record_id", json!("00000000-0000-0000-0000-000000000007")),
            ("title", json!("Call back")),
            ("due", json!("2026-11-22T10:00:00+01:00")),
            ("assignee_id", json!("00000000-0000-0000-0000-000000000002")),
            ("done", json!(true)),
            ("done_at", json!("2026-11-22T10:05:00Z")),
        ]);
        let task = Task::from_fields("00000000-0000-0000-0000-000000000001", &row);
        let task = task.unwrap_or_default();
        assert_eq!(task.record_id, Some(Uuid::from_u128(7)));
        assert_eq!(task.title, "Call back");
        assert_eq!(task.due_ms, Some(ms("2026-11-22T09:00:00Z")));
        assert_eq!(task.assignee_id, Some(Uuid::from_u128(2)));
        assert!(task.done && !task.is_open());
        assert_eq!(task.done_at_ms, Some(ms("2026-11-22T10:05:00Z")));
        assert!(Task::from_fields("not-a-uuid", &row).is_none());
        // A malformed due date reads as undated rather than hiding the task.
        let odd = fields(&[("due", json!("tomorrow"))]);
        let odd = Task::from_fields("00000000-0000-0000-0000-000000000001", &odd);
        assert_eq!(odd.map(|t| t.due_ms), Some(None));
    }

    #[test]
    fn groups_follow_the_clock() {
        let tasks = [
            task(1, 10, Some("2026-11-22T10:00:00+01:00")),
            task(2, 10, Some("2026-11-22T10:01:00+01:00")),
            task(3, 11, Some("2026-11-23T00:00:00+01:00")),
            task(4, 12, None),
            task(5, 12, Some("2026-11-21T08:00:00+01:00")),
        ];
        let at_nine_fifty_nine = ms("2026-11-22T09:59:00+01:00");
        let groups = group(&tasks, &Moment::new(at_nine_fifty_nine, warsaw));
        let ids = |list: &[&Task]| list.iter().map(|t| t.id.as_u128()).collect::<Vec<_>>();
        assert_eq!(ids(&groups.overdue), vec![5]);
        assert_eq!(ids(&groups.today), vec![1, 2]);
        assert_eq!(ids(&groups.later), vec![3]);
        assert_eq!(ids(&groups.undated), vec![4]);
        assert_eq!(
            counts(&tasks, &Moment::new(at_nine_fifty_nine, warsaw)),
            (1, 2)
        );
        // One minute later the first turns overdue, and is listed after the older one.
        let at_ten = ms("2026-11-22T10:00:00+01:00");
        let groups = group(&tasks, &Moment::new(at_ten, warsaw));
        assert_eq!(ids(&groups.overdue), vec![5, 1]);
        assert_eq!(ids(&groups.today), vec![2]);
        // A millisecond before midnight, tomorrow's task is later; at midnight, today's.
        let before_midnight = ms("2026-11-23T00:00:00+01:00") - 1;
        let groups = group(&tasks, &Moment::new(before_midnight, warsaw));
        assert_eq!(ids(&groups.later), vec![3]);
        assert_eq!(ids(&groups.today), Vec::<u128>::new());
        let tasks_tomorrow = [task(6, 11, Some("2026-11-23T08:00:00+01:00"))];
        let at_midnight = ms("2026-11-23T00:00:00+01:00");
        assert_eq!(
            ids(&group(&tasks_tomorrow, &Moment::new(at_midnight, warsaw)).today),
            vec![6]
        );
        let groups = group(
            &tasks,
            &Moment::new(ms("2026-11-22T23:59:59.999+01:00") + 1, warsaw),
        );
        assert_eq!(ids(&groups.overdue), vec![5, 1, 2, 3]);
    }

    #[test]
    fn done_and_trashed_tasks_are_not_grouped() {
        let mut done = task(1, 10, Some("2026-11-22T10:00:00Z"));
        done.done = true;
        let mut trashed = task(2, 10, Some("2026-11-22T10:00:00Z"));
        trashed.deleted = true;
        let tasks = [done, trashed];
        let now = ms("2026-11-23T10:00:00Z");
        assert!(group(&tasks, &Moment::new(now, |_| 0)).is_empty());
        assert_eq!(counts(&tasks, &Moment::new(now, |_| 0)), (0, 0));
        assert!(record_marks(&tasks, &Moment::new(now, |_| 0)).is_empty());
    }

    #[test]
    fn a_record_is_marked_by_its_most_urgent_task() {
        let tasks = [
            task(1, 10, None),
            task(2, 10, Some("2026-11-22T18:00:00+01:00")),
            task(3, 11, Some("2026-11-25T18:00:00+01:00")),
            task(4, 11, None),
            task(5, 12, Some("2026-11-22T08:00:00+01:00")),
            task(6, 12, Some("2026-11-22T18:00:00+01:00")),
        ];
        let marks = record_marks(
            &tasks,
            &Moment::new(ms("2026-11-22T09:00:00+01:00"), warsaw),
        );
        assert_eq!(marks.get(&Uuid::from_u128(10)), Some(&Deadline::Today));
        assert_eq!(marks.get(&Uuid::from_u128(11)), Some(&Deadline::Later));
        assert_eq!(marks.get(&Uuid::from_u128(12)), Some(&Deadline::Overdue));
        assert_eq!(marks.len(), 3);
    }

    #[test]
    fn daylight_saving_days_keep_today_in_local_time() {
        // 25 October 2026, Warsaw goes from UTC+2 to UTC+1 at 03:00 local. A task at 23:30
        // local that evening is 22:30 UTC: still today at 00:30 local (22:30 UTC the day
        // before), not tomorrow.
        let tasks = [task(1, 10, Some("2026-10-25T23:30:00+01:00"))];
        let groups = group(
            &tasks,
            &Moment::new(ms("2026-10-25T00:30:00+02:00"), warsaw),
        );
        assert_eq!(groups.today.len(), 1);
        // And the spring change: 29 March, 23:30 local (+02:00) is today from 00:30 (+01:00).
        let tasks = [task(1, 10, Some("2026-03-29T23:30:00+02:00"))];
        assert_eq!(
            group(
                &tasks,
                &Moment::new(ms("2026-03-29T00:30:00+01:00"), warsaw)
            )
            .today
            .len(),
            1
        );
    }

    #[test]
    fn reads_an_activity_row() {
        let row = fields(&[
            ("record_id", json!("00000000-0000-0000-0000-000000000007")),
            ("kind", json!("meeting")),
            ("at", json!("2026-11-22T10:00:00Z")),
        ]);
        let activity = Activity::from_fields("00000000-0000-0000-0000-000000000001", &row);
        let activity = activity.unwrap_or_default();
        assert_eq!(activity.kind, ActivityKind::Meeting);
        assert_eq!(activity.at_ms, Some(ms("2026-11-22T10:00:00Z")));
        assert!(ActivityKind::Sms.has_direction() && !ActivityKind::Note.has_direction());
    }

    #[test]
    fn form_input() {
        assert_eq!(title("  Call   back \n"), Ok("Call back".to_owned()));
        assert_eq!(title("   "), Err(FieldError::Required));
        assert_eq!(title(&"x".repeat(501)), Err(FieldError::TooLong(MAX_TITLE)));
        assert_eq!(text("  hi ", 10), Ok(Some("hi".to_owned())));
        assert_eq!(text("  ", 10), Ok(None));
        assert_eq!(text("12345678901", 10), Err(FieldError::TooLong(10)));
        for (typed, seconds) in [
            ("", None),
            ("5", Some(300)),
            ("3:25", Some(205)),
            ("0:07", Some(7)),
            ("1:02:03", Some(3723)),
            (" 2 : 05 ", Some(125)),
        ] {
            assert_eq!(duration(typed), Ok(seconds), "{typed}");
        }
        for typed in [
            "3:75", "abc", "-5", "1:2:3:4", "5 min", ":30", "2000:00", "1.5",
        ] {
            assert_eq!(duration(typed), Err(FieldError::NotADuration), "{typed}");
        }
        assert_eq!(duration_text(205), "3:25");
        assert_eq!(duration_text(3723), "1:02:03");
        assert_eq!(duration(&duration_text(3723)), Ok(Some(3723)));
        assert_eq!(period(10, Some(5)), Err(FieldError::EndsBeforeStart));
        assert_eq!(period(10, Some(10)), Ok(()));
        assert_eq!(period(10, None), Ok(()));
    }
}
