//! Reports: the team's calendar days in its time zone, periods of them, and each agent's
//! figures over them (calls by outcome, connected share, talk time, messages, meetings,
//! notes, tasks done and overdue; records created and changed and stage changes from the
//! server's history), with totals and the change against the previous period.
//!
//! The caller passes the team's UTC offset as a function of the instant (as `deadline`
//! does), so a day is the team's day across daylight-saving changes whatever the device's
//! own zone: a day is 23 or 25 hours long on the change days.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};
use time::{Date, Month};
use uuid::Uuid;

use crate::work::{Activity, ActivityKind, Task};

pub const DAY_MS: i64 = 86_400_000;
/// The longest period a report covers (two years of days).
pub const MAX_DAYS: u32 = 731;
/// How many days apart [`Days::new`] asks the zone for its offset.
pub const SAMPLE_DAYS: i64 = 7;
/// The Julian day of 1970-01-01: day numbers here count from the epoch.
const EPOCH_JULIAN: i32 = 2_440_588;

/// The team's zone before an admin chooses one: the zone of its default phone country.
pub fn default_zone(country: &str) -> &'static str {
    match country {
        "CZ" => "Europe/Prague",
        "HU" => "Europe/Budapest",
        "SK" => "Europe/Bratislava",
        "DE" => "Europe/Berlin",
        "AT" => "Europe/Vienna",
        "GB" => "Europe/London",
        _ => "Europe/Warsaw",
    }
}

/// The calendar day (days since 1970-01-01 in the zone) of an instant.
pub fn day_of(ms: i64, offset_at: impl Fn(i64) -> i32) -> i64 {
    (ms + i64::from(offset_at(ms)) * 60_000).div_euclid(DAY_MS)
}

/// The first instant of calendar day `day` in the zone (its local midnight).
pub fn day_start(day: i64, offset_at: &impl Fn(i64) -> i32) -> i64 {
    let wall = day * DAY_MS;
    // The offset at midnight may differ from the one a day earlier: ask again at the guess.
    let guess = wall - i64::from(offset_at(wall)) * 60_000;
    wall - i64::from(offset_at(guess)) * 60_000
}

/// The date of a day number (`None` beyond the calendar's range).
pub fn date_of(day: i64) -> Option<Date> {
    let julian = i32::try_from(day).ok()?.checked_add(EPOCH_JULIAN)?;
    Date::from_julian_day(julian).ok()
}

/// The day number of a date.
pub fn day_number(date: Date) -> i64 {
    i64::from(date.to_julian_day() - EPOCH_JULIAN)
}

/// A day number from "2026-12-03" (a date input's value, a report's address).
pub fn parse_day(text: &str) -> Option<i64> {
    let mut parts = text.trim().splitn(3, '-');
    let year = parts.next()?.parse().ok()?;
    let month = Month::try_from(parts.next()?.parse::<u8>().ok()?).ok()?;
    let day = parts.next()?.parse().ok()?;
    Date::from_calendar_date(year, month, day)
        .ok()
        .map(day_number)
}

/// "2026-12-03" for a day number (empty beyond the calendar's range).
pub fn iso_day(day: i64) -> String {
    date_of(day).map_or_else(String::new, |date| {
        format!(
            "{:04}-{:02}-{:02}",
            date.year(),
            u8::from(date.month()),
            date.day()
        )
    })
}

/// The periods a manager picks with one click.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    ThisWeek,
    LastWeek,
    ThisMonth,
    LastMonth,
    ThisQuarter,
    LastQuarter,
}

impl Preset {
    pub const ALL: [Preset; 6] = [
        Preset::ThisWeek,
        Preset::LastWeek,
        Preset::ThisMonth,
        Preset::LastMonth,
        Preset::ThisQuarter,
        Preset::LastQuarter,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Preset::ThisWeek => "this-week",
            Preset::LastWeek => "last-week",
            Preset::ThisMonth => "this-month",
            Preset::LastMonth => "last-month",
            Preset::ThisQuarter => "this-quarter",
            Preset::LastQuarter => "last-quarter",
        }
    }

    pub fn parse(text: &str) -> Option<Preset> {
        Preset::ALL.into_iter().find(|p| p.as_str() == text)
    }

    /// The period as of `today`.
    pub fn period(self, today: i64) -> Period {
        match self {
            Preset::ThisWeek => Period::week_of(today),
            Preset::LastWeek => Period::week_of(today - 7),
            Preset::ThisMonth => Period::month_of(today),
            Preset::LastMonth => Period::month_of(Period::month_of(today).first - 1),
            Preset::ThisQuarter => Period::quarter_of(today),
            Preset::LastQuarter => Period::quarter_of(Period::quarter_of(today).first - 1),
        }
    }
}

/// Of the records that entered each stage of a pipeline (in the pipeline's order), the
/// share that entered the next one: `None` where the stage before had no entries.
pub fn conversion(entered: &[u32]) -> Vec<Option<f64>> {
    entered
        .windows(2)
        .map(|pair| (pair[0] > 0).then(|| f64::from(pair[1]) / f64::from(pair[0])))
        .collect()
}

/// What a breakdown counts records by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dimension {
    Source,
    Category,
    Segment,
    Campaign,
    Owner,
    Stage,
    /// A custom field (choice, multi-choice or yes/no) by its key.
    Custom(String),
}

impl Dimension {
    /// The dimension's name in a report's address: "source", …, "custom.<key>".
    pub fn key(&self) -> String {
        match self {
            Dimension::Source => "source".into(),
            Dimension::Category => "category".into(),
            Dimension::Segment => "segment".into(),
            Dimension::Campaign => "campaign".into(),
            Dimension::Owner => "owner".into(),
            Dimension::Stage => "stage".into(),
            Dimension::Custom(key) => format!("custom.{key}"),
        }
    }

    pub fn parse(text: &str) -> Option<Dimension> {
        Some(match text {
            "source" => Dimension::Source,
            "category" => Dimension::Category,
            "segment" => Dimension::Segment,
            "campaign" => Dimension::Campaign,
            "owner" => Dimension::Owner,
            "stage" => Dimension::Stage,
            _ => Dimension::Custom(text.strip_prefix("custom.")?.to_owned()).filter_empty()?,
        })
    }

    fn filter_empty(self) -> Option<Dimension> {
        match &self {
            Dimension::Custom(key) if key.is_empty() => None,
            _ => Some(self),
        }
    }
}

/// One value of a breakdown: the value (an id, a text, "true"/"false" for yes/no; `None`
/// for records without one) and how many records have it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Share {
    pub value: Option<String>,
    pub records: u32,
}

/// Counts the records not in the trash among `contacts` by `by`: a record with several
/// values (segments, campaigns, a multi-choice field) counts once for each. Most common
/// first, then by value; records without a value last. Also the number of records counted.
pub fn breakdown<'a>(
    contacts: impl IntoIterator<Item = &'a crate::record::Contact>,
    by: &Dimension,
) -> (Vec<Share>, u32) {
    use serde_json::Value;
    let mut counts: HashMap<Option<String>, u32> = HashMap::new();
    let mut records = 0;
    let mut add = |value: Option<String>| *counts.entry(value).or_default() += 1;
    for contact in contacts.into_iter().filter(|c| !c.deleted) {
        records += 1;
        let id = |id: Option<Uuid>| id.map(|id| id.to_string());
        let many = |ids: &[Uuid]| ids.iter().map(Uuid::to_string).collect::<Vec<_>>();
        let values: Vec<String> = match by {
            Dimension::Source => {
                let source = contact.text("source").trim();
                (!source.is_empty())
                    .then(|| source.to_owned())
                    .into_iter()
                    .collect()
            }
            Dimension::Category => id(contact.category_id).into_iter().collect(),
            Dimension::Owner => id(contact.owner_id).into_iter().collect(),
            Dimension::Stage => id(contact.stage_id).into_iter().collect(),
            Dimension::Segment => many(&contact.segments),
            Dimension::Campaign => many(&contact.campaigns),
            Dimension::Custom(key) => match contact.custom(key) {
                Some(Value::String(text)) if !text.trim().is_empty() => vec![text.clone()],
                Some(Value::Bool(yes)) => vec![yes.to_string()],
                Some(Value::Number(n)) => vec![n.to_string()],
                Some(Value::Array(items)) => {
                    let mut texts: Vec<String> = items
                        .iter()
                        .filter_map(Value::as_str)
                        .filter(|t| !t.trim().is_empty())
                        .map(str::to_owned)
                        .collect();
                    texts.sort();
                    texts.dedup();
                    texts
                }
                _ => Vec::new(),
            },
        };
        if values.is_empty() {
            add(None);
        }
        for value in values {
            add(Some(value));
        }
    }
    let mut shares: Vec<Share> = counts
        .into_iter()
        .map(|(value, records)| Share { value, records })
        .collect();
    shares.sort_by(|a, b| {
        a.value
            .is_none()
            .cmp(&b.value.is_none())
            .then(b.records.cmp(&a.records))
            .then_with(|| a.value.cmp(&b.value))
    });
    (shares, records)
}

/// A figure as an exported cell: counts as numbers, a share in percent (one decimal),
/// talk time in seconds.
pub fn cell(measure: Measure, figures: &Figures) -> crate::import::table::Cell {
    use crate::import::table::Cell;
    match (figures.get(measure), measure.unit()) {
        (None, _) => Cell::Empty,
        (Some(share), Unit::Share) => Cell::Number((share * 1000.0).round() / 10.0),
        (Some(value), _) => Cell::Number(value),
    }
}

/// A run of consecutive calendar days: `first` and how many.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Period {
    pub first: i64,
    pub days: u32,
}

/// Why a period cannot be reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    #[error("the period ends before it starts")]
    EndsBeforeStart,
    #[error("a report covers at most {MAX_DAYS} days")]
    TooLong,
}

impl Period {
    pub fn day(day: i64) -> Period {
        Period {
            first: day,
            days: 1,
        }
    }

    /// From `first` to `last`, both included.
    pub fn between(first: i64, last: i64) -> Result<Period, PeriodError> {
        if last < first {
            return Err(PeriodError::EndsBeforeStart);
        }
        let days = u32::try_from(last - first + 1).map_err(|_| PeriodError::TooLong)?;
        if days > MAX_DAYS {
            return Err(PeriodError::TooLong);
        }
        Ok(Period { first, days })
    }

    /// The week (Monday to Sunday) holding `day`.
    pub fn week_of(day: i64) -> Period {
        // 1970-01-01 was a Thursday: Monday is 3 days before it.
        let monday = day - (day + 3).rem_euclid(7);
        Period {
            first: monday,
            days: 7,
        }
    }

    /// The calendar month holding `day`.
    pub fn month_of(day: i64) -> Period {
        match date_of(day) {
            Some(date) => Period::month(date.year(), date.month()),
            None => Period::day(day),
        }
    }

    /// A calendar month.
    pub fn month(year: i32, month: Month) -> Period {
        let first = Date::from_calendar_date(year, month, 1).map_or(0, day_number);
        Period {
            first,
            days: u32::from(time::util::days_in_month(month, year)),
        }
    }

    /// The quarter (January-March, ...) holding `day`.
    pub fn quarter_of(day: i64) -> Period {
        let Some(date) = date_of(day) else {
            return Period::day(day);
        };
        let first_month = (u8::from(date.month()) - 1) / 3 * 3 + 1;
        let months = (first_month..first_month + 3).filter_map(|m| Month::try_from(m).ok());
        let mut period = Period { first: 0, days: 0 };
        for (i, month) in months.enumerate() {
            let one = Period::month(date.year(), month);
            if i == 0 {
                period.first = one.first;
            }
            period.days += one.days;
        }
        period
    }

    /// The month before or after this period's first month (`step` months away).
    pub fn month_step(&self, step: i32) -> Period {
        let Some(date) = date_of(self.first) else {
            return *self;
        };
        let index = date.year() * 12 + i32::from(u8::from(date.month())) - 1 + step;
        let month = u8::try_from(index.rem_euclid(12) + 1)
            .ok()
            .and_then(|m| Month::try_from(m).ok())
            .unwrap_or(Month::January);
        Period::month(index.div_euclid(12), month)
    }

    /// The period of the same length just before this one (what a period is compared with).
    pub fn previous(&self) -> Period {
        Period {
            first: self.first - i64::from(self.days),
            days: self.days,
        }
    }

    pub fn last(&self) -> i64 {
        self.first + i64::from(self.days) - 1
    }

    pub fn contains(&self, day: i64) -> bool {
        (self.first..=self.last()).contains(&day)
    }

    /// The period's days as instants in the zone.
    pub fn in_zone(&self, offset_at: impl Fn(i64) -> i32) -> Days {
        Days::new(*self, offset_at)
    }
}

/// A period's days as instants: `starts[i]` is the first instant of day `i`, and the last
/// entry the end of the period (so `starts` has one entry more than there are days).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Days {
    pub period: Period,
    pub starts: Vec<i64>,
}

impl Days {
    /// The period's day boundaries. The zone is asked at every [`SAMPLE_DAYS`]th midnight
    /// only (asking a browser's zone database is slow, and a year has 366 midnights):
    /// where two samples agree, the days between have the same offset; where they differ
    /// (a daylight-saving change), each midnight between is asked. This assumes no zone
    /// changes its offset and back within a week, which none does.
    pub fn new(period: Period, offset_at: impl Fn(i64) -> i32) -> Days {
        let days = i64::from(period.days);
        let mut starts = Vec::with_capacity(days as usize + 1);
        let exact = |i: i64| day_start(period.first + i, &offset_at);
        let offset_of = |i: i64, start: i64| (period.first + i) * DAY_MS - start;
        let mut at = 0;
        let mut start = exact(0);
        starts.push(start);
        while at < days {
            let next = (at + SAMPLE_DAYS).min(days);
            let next_start = exact(next);
            let offset = offset_of(at, start);
            if offset_of(next, next_start) == offset {
                starts.extend((at + 1..next).map(|i| (period.first + i) * DAY_MS - offset));
            } else {
                starts.extend((at + 1..next).map(exact));
            }
            starts.push(next_start);
            (at, start) = (next, next_start);
        }
        Days { period, starts }
    }

    pub fn count(&self) -> usize {
        self.starts.len().saturating_sub(1)
    }

    pub fn start_ms(&self) -> i64 {
        self.starts.first().copied().unwrap_or(0)
    }

    pub fn end_ms(&self) -> i64 {
        self.starts.last().copied().unwrap_or(0)
    }

    /// Which of the days `ms` falls on.
    pub fn index(&self, ms: i64) -> Option<usize> {
        if ms < self.start_ms() || ms >= self.end_ms() {
            return None;
        }
        Some(self.starts.partition_point(|start| *start <= ms) - 1)
    }
}

/// Checks the day boundaries a report request sends (the server's input): at least one
/// day, at most [`MAX_DAYS`], strictly increasing.
pub fn check_bounds(bounds: &[i64]) -> Result<(), BoundsError> {
    if bounds.len() < 2 {
        return Err(BoundsError::TooFew);
    }
    if bounds.len() > MAX_DAYS as usize + 1 {
        return Err(BoundsError::TooMany);
    }
    if bounds.windows(2).any(|pair| pair[0] >= pair[1]) {
        return Err(BoundsError::NotIncreasing);
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BoundsError {
    #[error("give at least two day boundaries (the start and the end)")]
    TooFew,
    #[error("a report covers at most {MAX_DAYS} days")]
    TooMany,
    #[error("day boundaries must increase")]
    NotIncreasing,
}

/// A call outcome as the reports count it: its id and whether the other side was reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutcomeDef {
    pub id: Uuid,
    pub connected: bool,
}

/// One agent's (or the team's) figures over a day or a period.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Figures {
    pub calls_out: u32,
    pub calls_in: u32,
    /// Calls per outcome, in the settings' order, then calls with no outcome (or one no
    /// longer in the settings).
    pub by_outcome: Vec<u32>,
    /// Calls whose outcome says the other side was reached.
    pub connected: u32,
    pub talk_s: u64,
    pub emails: u32,
    pub sms: u32,
    pub meetings: u32,
    pub notes: u32,
    pub tasks_done: u32,
    /// Open tasks past their due time at the end of the day (or now, for today).
    pub tasks_overdue: u32,
    pub records_created: u32,
    pub records_changed: u32,
    pub stage_changes: u32,
}

impl Figures {
    pub fn empty(outcomes: usize) -> Figures {
        Figures {
            by_outcome: vec![0; outcomes + 1],
            ..Figures::default()
        }
    }

    /// No figure at all.
    pub fn is_zero(&self) -> bool {
        self.by_outcome.iter().all(|n| *n == 0)
            && Figures {
                by_outcome: Vec::new(),
                ..*self
            } == Figures::default()
    }

    pub fn calls(&self) -> u32 {
        self.calls_out + self.calls_in
    }

    /// The share of calls that reached the other side, `None` without calls.
    pub fn connected_share(&self) -> Option<f64> {
        let calls = self.calls();
        (calls > 0).then(|| f64::from(self.connected) / f64::from(calls))
    }

    /// Adds another agent's figures (every figure sums).
    pub fn add(&mut self, other: &Figures) {
        self.add_counts(other);
        self.tasks_overdue += other.tasks_overdue;
    }

    /// Adds a later day's figures: counts sum, overdue tasks are the later day's.
    pub fn then(&mut self, later: &Figures) {
        self.add_counts(later);
        self.tasks_overdue = later.tasks_overdue;
    }

    fn add_counts(&mut self, other: &Figures) {
        self.calls_out += other.calls_out;
        self.calls_in += other.calls_in;
        if self.by_outcome.len() < other.by_outcome.len() {
            self.by_outcome.resize(other.by_outcome.len(), 0);
        }
        for (sum, n) in self.by_outcome.iter_mut().zip(&other.by_outcome) {
            *sum += n;
        }
        self.connected += other.connected;
        self.talk_s += other.talk_s;
        self.emails += other.emails;
        self.sms += other.sms;
        self.meetings += other.meetings;
        self.notes += other.notes;
        self.tasks_done += other.tasks_done;
        self.records_created += other.records_created;
        self.records_changed += other.records_changed;
        self.stage_changes += other.stage_changes;
    }

    pub fn get(&self, measure: Measure) -> Option<f64> {
        let count = |n: u32| Some(f64::from(n));
        match measure {
            Measure::CallsOut => count(self.calls_out),
            Measure::CallsIn => count(self.calls_in),
            Measure::Outcome(i) => count(self.by_outcome.get(i).copied().unwrap_or(0)),
            Measure::ConnectedShare => self.connected_share(),
            Measure::TalkTime => Some(self.talk_s as f64),
            Measure::Emails => count(self.emails),
            Measure::Sms => count(self.sms),
            Measure::Meetings => count(self.meetings),
            Measure::Notes => count(self.notes),
            Measure::TasksDone => count(self.tasks_done),
            Measure::TasksOverdue => count(self.tasks_overdue),
            Measure::RecordsCreated => count(self.records_created),
            Measure::RecordsChanged => count(self.records_changed),
            Measure::StageChanges => count(self.stage_changes),
        }
    }
}

/// One column of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Measure {
    CallsOut,
    CallsIn,
    /// Calls with the outcome at this index of the settings' outcomes; the index just past
    /// them is calls with none.
    Outcome(usize),
    ConnectedShare,
    TalkTime,
    Emails,
    Sms,
    Meetings,
    Notes,
    TasksDone,
    TasksOverdue,
    RecordsCreated,
    RecordsChanged,
    StageChanges,
}

/// How a measure's value reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Count,
    /// A share between 0 and 1.
    Share,
    Seconds,
}

impl Measure {
    /// Every column of the day, month and period tables, in order, for `outcomes` outcomes.
    pub fn columns(outcomes: usize) -> Vec<Measure> {
        let mut columns = vec![Measure::CallsOut, Measure::CallsIn];
        columns.extend((0..=outcomes).map(Measure::Outcome));
        columns.extend([
            Measure::ConnectedShare,
            Measure::TalkTime,
            Measure::Emails,
            Measure::Sms,
            Measure::Meetings,
            Measure::Notes,
            Measure::TasksDone,
            Measure::TasksOverdue,
            Measure::RecordsCreated,
            Measure::RecordsChanged,
            Measure::StageChanges,
        ]);
        columns
    }

    pub fn unit(self) -> Unit {
        match self {
            Measure::ConnectedShare => Unit::Share,
            Measure::TalkTime => Unit::Seconds,
            _ => Unit::Count,
        }
    }

    /// Figures only the server's history gives (the device shows its last answer).
    pub fn from_server(self) -> bool {
        matches!(
            self,
            Measure::RecordsCreated | Measure::RecordsChanged | Measure::StageChanges
        )
    }
}

/// How a figure moved against the previous period.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Change {
    pub direction: Ordering,
    /// The change in percent of the previous value (for a share: in percentage points);
    /// `None` when the previous value was zero.
    pub percent: Option<f64>,
}

/// The change of `measure` from `before` to `now`, `None` when either is undefined.
pub fn change(measure: Measure, now: &Figures, before: &Figures) -> Option<Change> {
    let (now, before) = (now.get(measure)?, before.get(measure)?);
    let direction = now.partial_cmp(&before)?;
    let percent = match measure.unit() {
        Unit::Share => Some((now - before) * 100.0),
        _ if before == 0.0 => None,
        _ => Some((now - before) / before * 100.0),
    };
    Some(Change { direction, percent })
}

/// What the server's history adds to a day of one agent (the wire shape of
/// `GET /api/reports/changes`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayChanges {
    pub records_created: u32,
    pub records_changed: u32,
    pub stage_changes: u32,
}

/// One agent's days in the server's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserChanges {
    pub user_id: Uuid,
    /// One entry per day of the request's bounds.
    pub days: Vec<DayChanges>,
}

/// How many records entered a stage in the period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageEntries {
    pub stage_id: Uuid,
    pub entered: u32,
}

/// The answer of `GET /api/reports/changes`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangesReport {
    pub bounds: Vec<i64>,
    pub users: Vec<UserChanges>,
    pub stages: Vec<StageEntries>,
}

/// One write of the server's history, as the report counts it.
#[derive(Debug, Clone, Copy)]
pub struct HistoryWrite<'a> {
    pub user_id: Uuid,
    /// The contact written.
    pub row_id: &'a str,
    pub field: &'a str,
    /// The value written (JSON text).
    pub value: &'a str,
    /// When it was written (its HLC's wall time).
    pub at_ms: i64,
    /// The row's first write: it created the record.
    pub creates: bool,
    /// It took effect (a write that arrived after a later one never showed).
    pub won: bool,
}

/// The server's part of a report from the contacts' history writes within `bounds`:
/// records created (by whoever wrote first), records changed (each record once a day per
/// agent, not counting one the agent created that day), stage changes and, over the
/// whole period, how many records entered each stage. `creates` marks every write of the
/// change that created its row. Writes outside the bounds are left out.
pub fn count_changes<'a>(
    bounds: &[i64],
    writes: impl IntoIterator<Item = HistoryWrite<'a>>,
) -> ChangesReport {
    let days = Days {
        period: Period {
            first: 0,
            days: u32::try_from(bounds.len().saturating_sub(1)).unwrap_or(0),
        },
        starts: bounds.to_vec(),
    };
    let mut per_user: BTreeMap<Uuid, Vec<DayChanges>> = BTreeMap::new();
    let mut created: BTreeSet<(Uuid, usize, &str)> = BTreeSet::new();
    let mut changed: BTreeSet<(Uuid, usize, &str)> = BTreeSet::new();
    let mut entered: BTreeMap<Uuid, u32> = BTreeMap::new();
    for write in writes {
        let Some(day) = days.index(write.at_ms) else {
            continue;
        };
        let row = per_user
            .entry(write.user_id)
            .or_insert_with(|| vec![DayChanges::default(); days.count()]);
        let key = (write.user_id, day, write.row_id);
        if write.creates && created.insert(key) {
            row[day].records_created += 1;
        } else {
            changed.insert(key);
        }
        if write.field == "stage_id" && write.won && !write.creates {
            row[day].stage_changes += 1;
        }
        if write.field == "stage_id"
            && write.won
            && let Ok(Some(stage)) = serde_json::from_str::<Option<String>>(write.value)
            && let Ok(stage) = Uuid::parse_str(&stage)
        {
            *entered.entry(stage).or_default() += 1;
        }
    }
    for key in changed.difference(&created) {
        if let Some(row) = per_user.get_mut(&key.0) {
            row[key.1].records_changed += 1;
        }
    }
    ChangesReport {
        bounds: bounds.to_vec(),
        users: per_user
            .into_iter()
            .map(|(user_id, days)| UserChanges { user_id, days })
            .collect(),
        stages: entered
            .into_iter()
            .map(|(stage_id, entered)| StageEntries { stage_id, entered })
            .collect(),
    }
}

/// When a task stops being open: never for an open one, when it was done for a done one
/// (the earliest instant for one done without a time). A task matters to a period only
/// when this falls on or after the period's start ([`Counting::settled_from`]), so a
/// device keeps its tasks in this order and counts a period without walking them all.
pub fn settled_at(task: &Task) -> i64 {
    match (task.done, task.done_at_ms) {
        (false, _) => i64::MAX,
        (true, Some(at)) => at,
        (true, None) => i64::MIN,
    }
}

/// A count in progress: fed activities and tasks (in any order, in as many steps as the
/// caller likes), then finished into a [`Tally`]. Feeding an activity outside
/// [`Counting::activity_range`] or a task settled before [`Counting::settled_from`]
/// changes nothing, so a caller may feed only those.
///
/// A count is also kept up to date as activities change: a changed one is taken back in its
/// old form and fed in its new one ([`Counting::retract_activity`]), and
/// [`Counting::extend_activities`] moves the activities' "now" on. Tasks keep the count's
/// now (a task done after it, or falling due, needs a new count).
#[derive(Debug, Clone)]
pub struct Counting {
    tally: Tally,
    now_ms: i64,
    /// Activities count before this instant: just after now, moved on by
    /// [`Counting::extend_activities`].
    until: i64,
    /// The tasks' figures hold for a clock before this instant: the next day begins, or a
    /// task fed falls due, or was done after the count's now (see
    /// [`Counting::tasks_hold_at`]).
    tasks_until: i64,
    only: Option<Uuid>,
    /// Outcome ids by their column, and whether each counts as connected.
    outcome_index: IdMap<(usize, bool)>,
    /// The instant each begun day's overdue tasks are counted at (its end, now for today).
    cutoffs: Vec<i64>,
    overdue_steps: IdMap<Vec<i32>>,
}

/// Adds `by` (1 or -1) to a count.
fn bump(count: &mut u32, by: i32) {
    *count = count.saturating_add_signed(by);
}

impl Counting {
    pub fn new(days: Days, now_ms: i64, outcomes: &[OutcomeDef], only: Option<Uuid>) -> Counting {
        let count = days.count();
        let last_begun = days.starts[..count]
            .iter()
            .rposition(|start| *start <= now_ms);
        let cutoffs: Vec<i64> = match last_begun {
            Some(last) => (0..=last).map(|i| days.starts[i + 1].min(now_ms)).collect(),
            None => Vec::new(),
        };
        let outcome_index = outcomes
            .iter()
            .enumerate()
            .map(|(i, outcome)| (outcome.id, (i, outcome.connected)))
            .collect();
        let until = days.end_ms().min(now_ms.saturating_add(1));
        // A day beginning moves the cut-offs (the period's end too: today's is now until
        // then).
        let tasks_until = days
            .starts
            .iter()
            .copied()
            .find(|start| *start > now_ms)
            .unwrap_or(i64::MAX);
        Counting {
            tally: Tally {
                days,
                outcomes: outcomes.len(),
                rows: IdMap::default(),
                last_begun,
            },
            now_ms,
            until,
            tasks_until,
            only,
            outcome_index,
            cutoffs,
            overdue_steps: IdMap::default(),
        }
    }

    /// The instants (from, until: exclusive) of the activities that can count.
    pub fn activity_range(&self) -> (i64, i64) {
        (self.tally.days.start_ms(), self.until)
    }

    /// Moves the activities' now on to `now_ms`: the caller then feeds the activities in
    /// the returned range (from, until: exclusive; empty when the clock did not move past
    /// the last one), which count from now on.
    pub fn extend_activities(&mut self, now_ms: i64) -> (i64, i64) {
        let from = self.until;
        self.until = self
            .tally
            .days
            .end_ms()
            .min(now_ms.saturating_add(1))
            .max(from);
        (from, self.until)
    }

    /// Whether the tasks' figures counted at the count's now are still those at `now_ms`
    /// (no day began, no task fed fell due or was done in between, the clock did not go
    /// back): when not, a new count is needed (activities follow the clock through [`Counting::extend_activities`]).
    pub fn tasks_hold_at(&self, now_ms: i64) -> bool {
        (self.now_ms..self.tasks_until).contains(&now_ms)
    }

    /// The earliest [`settled_at`] of a task that can count.
    pub fn settled_from(&self) -> i64 {
        self.tally.days.start_ms()
    }

    fn wanted(&self, user: Option<Uuid>) -> Option<Uuid> {
        user.filter(|user| self.only.is_none_or(|only| only == *user))
    }

    pub fn activity(&mut self, activity: &Activity) {
        self.count_activity(activity, 1);
    }

    /// Takes back an activity fed before (its old form, when it changed or went away).
    pub fn retract_activity(&mut self, activity: &Activity) {
        self.count_activity(activity, -1);
    }

    fn count_activity(&mut self, activity: &Activity, by: i32) {
        if activity.deleted || activity.at_ms.is_none_or(|at| at >= self.until) {
            return;
        }
        let (Some(user), Some(day)) = (
            self.wanted(activity.user_id),
            activity.at_ms.and_then(|at| self.tally.days.index(at)),
        ) else {
            return;
        };
        let outcome = activity
            .outcome_id
            .and_then(|id| self.outcome_index.get(&id).copied());
        let unknown = self.tally.outcomes;
        let figures = &mut self.tally.row_mut(user)[day];
        match activity.kind {
            ActivityKind::Call => {
                if activity.incoming {
                    bump(&mut figures.calls_in, by);
                } else {
                    bump(&mut figures.calls_out, by);
                }
                let slot = outcome.map_or(unknown, |(i, _)| i);
                bump(&mut figures.by_outcome[slot], by);
                if outcome.is_some_and(|(_, connected)| connected) {
                    bump(&mut figures.connected, by);
                }
                let talk = i64::from(activity.duration_s) * i64::from(by);
                figures.talk_s = figures.talk_s.saturating_add_signed(talk);
            }
            ActivityKind::Email => bump(&mut figures.emails, by),
            ActivityKind::Sms => bump(&mut figures.sms, by),
            ActivityKind::Meeting => bump(&mut figures.meetings, by),
            ActivityKind::Note => bump(&mut figures.notes, by),
        }
    }

    /// Counts a task done on one of the days, and overdue at each day's end (now, for
    /// today) whose cut-off falls after its due time and before it was done: a range of
    /// days, added up once per task through a running sum in [`Counting::finish`].
    pub fn task(&mut self, task: &Task) {
        if task.deleted {
            return;
        }
        let done_user = task.done_by.or(task.assignee_id);
        // Its figures change with a clock past its time: the overdue cut-off (now, today)
        // passing its due time or the time it was settled, and done after now (a device
        // whose clock runs ahead) counting once that comes.
        let settled = settled_at(task);
        let now = self.now_ms;
        if self.wanted(done_user).is_some()
            && let Some(done) = task.done_at_ms.filter(|at| task.done && *at > now)
            && self.tally.days.index(done).is_some()
        {
            self.tasks_until = self.tasks_until.min(done);
        }
        // Only today's cut-off moves with the clock (a period past or not begun has none).
        let cutoff_moves = self.tally.last_begun.is_some() && now < self.tally.days.end_ms();
        if cutoff_moves && self.wanted(task.assignee_id).is_some() {
            if let Some(due) = task.due_ms.filter(|due| *due >= now) {
                self.tasks_until = self.tasks_until.min(due.saturating_add(1));
            }
            if settled >= now {
                self.tasks_until = self.tasks_until.min(settled.saturating_add(1));
            }
        }
        if task.done
            && let (Some(user), Some(day)) = (
                self.wanted(done_user),
                task.done_at_ms
                    .filter(|at| *at <= self.now_ms)
                    .and_then(|at| self.tally.days.index(at)),
            )
        {
            self.tally.row_mut(user)[day].tasks_done += 1;
        }
        let (Some(user), Some(due)) = (self.wanted(task.assignee_id), task.due_ms) else {
            return;
        };
        let from = self.cutoffs.partition_point(|cutoff| *cutoff <= due);
        let to = self.cutoffs.partition_point(|cutoff| *cutoff <= settled);
        if from < to {
            let len = self.cutoffs.len() + 1;
            let steps = self
                .overdue_steps
                .entry(user)
                .or_insert_with(|| vec![0; len]);
            steps[from] += 1;
            steps[to] -= 1;
        }
    }

    /// The tally as counted so far (the count goes on: for one kept up to date).
    pub fn tally(&self) -> Tally {
        let mut tally = self.tally.clone();
        Counting::add_overdue(&mut tally, &self.overdue_steps);
        tally
    }

    pub fn finish(self) -> Tally {
        let mut tally = self.tally;
        Counting::add_overdue(&mut tally, &self.overdue_steps);
        tally
    }

    /// The overdue figures from their steps; a user left with no figure at all (every
    /// one taken back) has no row, as in a count that never saw them.
    fn add_overdue(tally: &mut Tally, overdue_steps: &IdMap<Vec<i32>>) {
        for (user, steps) in overdue_steps {
            if steps.iter().all(|step| *step == 0) {
                continue;
            }
            let row = tally.row_mut(*user);
            let mut running = 0i32;
            for (figures, step) in row.iter_mut().zip(steps) {
                running += step;
                figures.tasks_overdue = u32::try_from(running).unwrap_or(0);
            }
        }
        tally
            .rows
            .retain(|_, row| row.iter().any(|figures| !figures.is_zero()));
    }
}

/// A hasher for ids that are already random (UUIDv4/v7 and the like): their bytes folded,
/// where SipHash's care for hostile keys costs a count over 300,000 activities more than
/// the counting itself.
#[derive(Default, Clone, Copy)]
pub struct IdHasher(u64);

impl std::hash::Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(word))
                .wrapping_mul(0x517c_c1b7_2722_0a95);
        }
    }

    fn write_usize(&mut self, n: usize) {
        self.write(&n.to_le_bytes());
    }
}

/// A map by id with [`IdHasher`].
pub type IdMap<V> = HashMap<Uuid, V, std::hash::BuildHasherDefault<IdHasher>>;

/// Every agent's figures on every day of a period.
#[derive(Debug, Clone, PartialEq)]
pub struct Tally {
    pub days: Days,
    outcomes: usize,
    rows: IdMap<Vec<Figures>>,
    /// The last day that has begun (its overdue tasks are the period's).
    last_begun: Option<usize>,
}

impl Tally {
    /// Counts the activities and tasks over `days` at `now_ms`, for `only` one user or
    /// everyone. Trashed activities and tasks are left out; so are days not yet begun.
    pub fn count<'a>(
        days: Days,
        now_ms: i64,
        outcomes: &[OutcomeDef],
        only: Option<Uuid>,
        activities: impl IntoIterator<Item = &'a Activity>,
        tasks: impl IntoIterator<Item = &'a Task>,
    ) -> Tally {
        let mut counting = Counting::new(days, now_ms, outcomes, only);
        for activity in activities {
            counting.activity(activity);
        }
        for task in tasks {
            counting.task(task);
        }
        counting.finish()
    }

    fn row_mut(&mut self, user: Uuid) -> &mut Vec<Figures> {
        let (count, outcomes) = (self.days.count(), self.outcomes);
        self.rows
            .entry(user)
            .or_insert_with(|| vec![Figures::empty(outcomes); count])
    }

    /// Adds the server's figures (an answer for the same days; others are left out).
    pub fn add_changes(&mut self, report: &ChangesReport, only: Option<Uuid>) {
        if report.bounds != self.days.starts {
            return;
        }
        for user in &report.users {
            if only.is_some_and(|only| only != user.user_id) {
                continue;
            }
            let row = self.row_mut(user.user_id);
            for (figures, day) in row.iter_mut().zip(&user.days) {
                figures.records_created += day.records_created;
                figures.records_changed += day.records_changed;
                figures.stage_changes += day.stage_changes;
            }
        }
    }

    /// The users with any figure, in no order.
    pub fn users(&self) -> impl Iterator<Item = Uuid> + '_ {
        self.rows.keys().copied()
    }

    /// `user`'s figures on day `index` (empty figures for a user with none).
    pub fn day(&self, user: Uuid, index: usize) -> Figures {
        self.rows
            .get(&user)
            .and_then(|row| row.get(index))
            .cloned()
            .unwrap_or_else(|| Figures::empty(self.outcomes))
    }

    /// `user`'s figures over the whole period.
    pub fn total(&self, user: Uuid) -> Figures {
        let mut total = Figures::empty(self.outcomes);
        if let Some(row) = self.rows.get(&user) {
            for figures in row {
                total.add_counts(figures);
            }
            total.tasks_overdue = self
                .last_begun
                .and_then(|last| row.get(last))
                .map_or(0, |figures| figures.tasks_overdue);
        }
        total
    }

    /// Everyone's figures on day `index`.
    pub fn team_day(&self, index: usize) -> Figures {
        let mut sum = Figures::empty(self.outcomes);
        for user in self.rows.keys() {
            sum.add(&self.day(*user, index));
        }
        sum
    }

    /// Everyone's figures over the whole period.
    pub fn team_total(&self) -> Figures {
        let mut sum = Figures::empty(self.outcomes);
        for user in self.rows.keys() {
            sum.add(&self.total(*user));
        }
        sum
    }
}

#[cfg(test)]
mod tests;
