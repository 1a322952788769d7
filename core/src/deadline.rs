//! Where a task's deadline stands against the clock: overdue, due today, later, or undated.
//! "Today" is the user's local calendar day; the caller passes the local UTC offset as a
//! function of the instant, so daylight-saving changes between now and the deadline count.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Deadline {
    /// Due at or before now.
    Overdue,
    /// Due later today (local time).
    Today,
    /// Due after today.
    Later,
    /// No due date.
    Undated,
}

/// Milliseconds since the epoch of an RFC 3339 timestamp.
pub fn parse_ms(text: &str) -> Option<i64> {
    let at = OffsetDateTime::parse(text, &Rfc3339).ok()?;
    i64::try_from(at.unix_timestamp_nanos() / 1_000_000).ok()
}

/// The local calendar day (days since the epoch) of an instant.
fn local_day(ms: i64, offset_minutes: i32) -> i64 {
    (ms + i64::from(offset_minutes) * 60_000).div_euclid(86_400_000)
}

const DAY_MS: i64 = 86_400_000;

/// "Now" for classifying many deadlines at once: the instant and the end of the user's
/// local day (the next local midnight), worked out once, so each deadline is two
/// comparisons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Moment {
    pub now_ms: i64,
    /// The first instant of today, local time.
    pub today_starts_ms: i64,
    /// The first instant of tomorrow, local time.
    pub today_ends_ms: i64,
}

impl Moment {
    /// `offset_at(ms)` is the user's UTC offset in minutes at that instant (e.g. +60 in
    /// Warsaw in winter, +120 in summer).
    pub fn new(now_ms: i64, offset_at: impl Fn(i64) -> i32) -> Moment {
        let offset = offset_at(now_ms);
        let today = local_day(now_ms, offset);
        // A midnight on the local wall clock (as if it were UTC) as an instant. The offset
        // in force then may differ from now's (a daylight-saving change in between): ask
        // again at the first guess.
        let instant = |wall_midnight: i64| {
            let guess = wall_midnight - i64::from(offset) * 60_000;
            wall_midnight - i64::from(offset_at(guess)) * 60_000
        };
        Moment {
            now_ms,
            today_starts_ms: instant(today * DAY_MS),
            today_ends_ms: instant((today + 1) * DAY_MS),
        }
    }

    pub fn classify(&self, due_ms: Option<i64>) -> Deadline {
        match due_ms {
            None => Deadline::Undated,
            Some(due) if due <= self.now_ms => Deadline::Overdue,
            Some(due) if due < self.today_ends_ms => Deadline::Today,
            Some(_) => Deadline::Later,
        }
    }

    /// Whether `ms` falls on the user's today.
    pub fn is_today(&self, ms: i64) -> bool {
        (self.today_starts_ms..self.today_ends_ms).contains(&ms)
    }

    /// When the classification of `due_ms` next changes (for a timer), or `None` when it
    /// never will (overdue, undated): the deadline itself or the next local midnight.
    pub fn next_change(&self, due_ms: Option<i64>) -> Option<i64> {
        let due = due_ms?;
        (due > self.now_ms).then(|| due.min(self.today_ends_ms))
    }
}

/// Classifies a deadline at `now_ms` (see [`Moment::new`] for `offset_at`).
pub fn classify(due_ms: Option<i64>, now_ms: i64, offset_at: impl Fn(i64) -> i32) -> Deadline {
    Moment::new(now_ms, offset_at).classify(due_ms)
}

/// When the classification of `due_ms` next changes after `now_ms` (see
/// [`Moment::next_change`]).
pub fn next_change(
    due_ms: Option<i64>,
    now_ms: i64,
    offset_at: impl Fn(i64) -> i32,
) -> Option<i64> {
    Moment::new(now_ms, offset_at).next_change(due_ms)
}

/// Time zones for tests here and in `work`.
#[cfg(test)]
pub(crate) mod zones {
    use super::parse_ms;

    pub(crate) fn ms(text: &str) -> i64 {
        parse_ms(text).unwrap_or(i64::MIN)
    }

    /// Europe/Warsaw in 2026: UTC+1, UTC+2 from 29 March 01:00 UTC to 25 October 01:00 UTC.
    pub(crate) fn warsaw(at: i64) -> i32 {
        if at >= ms("2026-03-29T01:00:00Z") && at < ms("2026-10-25T01:00:00Z") {
            120
        } else {
            60
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use super::zones::{ms, warsaw};

    fn utc(_: i64) -> i32 {
        0
    }

    #[test]
    fn classifies_at_the_edges() {
        type Case = (Option<&'static str>, &'static str, fn(i64) -> i32, Deadline);
        let cases: &[Case] = &[
            (None, "2026-11-22T10:00:00+01:00", warsaw, Deadline::Undated),
            // A minute before, exactly at, and after the deadline.
            (
                Some("2026-11-22T10:00:00+01:00"),
                "2026-11-22T09:59:00+01:00",
                warsaw,
                Deadline::Today,
            ),
            (
                Some("2026-11-22T10:00:00+01:00"),
                "2026-11-22T10:00:00+01:00",
                warsaw,
                Deadline::Overdue,
            ),
            (
                Some("2026-11-22T10:00:00+01:00"),
                "2026-11-22T10:01:00+01:00",
                warsaw,
                Deadline::Overdue,
            ),
            // Midnight: the last minute of today, the first of tomorrow.
            (
                Some("2026-11-22T23:59:00+01:00"),
                "2026-11-22T08:00:00+01:00",
                warsaw,
                Deadline::Today,
            ),
            (
                Some("2026-11-23T00:00:00+01:00"),
                "2026-11-22T08:00:00+01:00",
                warsaw,
                Deadline::Later,
            ),
            (
                Some("2026-11-23T00:30:00+01:00"),
                "2026-11-22T23:59:00+01:00",
                warsaw,
                Deadline::Later,
            ),
            // The same instants in UTC fall on other days.
            (
                Some("2026-11-22T23:30:00Z"),
                "2026-11-22T22:30:00Z",
                warsaw,
                Deadline::Later,
            ),
            (
                Some("2026-11-22T23:30:00Z"),
                "2026-11-22T22:30:00Z",
                utc,
                Deadline::Today,
            ),
            // Written with another offset: the instant counts, not the text.
            (
                Some("2026-11-22T18:00:00-05:00"),
                "2026-11-22T20:00:00+01:00",
                warsaw,
                Deadline::Later,
            ),
            // Spring forward (02:00 -> 03:00 on 29 March): 23:30 local is still that day.
            (
                Some("2026-03-29T23:30:00+02:00"),
                "2026-03-29T00:30:00+01:00",
                warsaw,
                Deadline::Today,
            ),
            // Fall back (03:00 -> 02:00 on 25 October): a 25-hour day.
            (
                Some("2026-10-25T23:59:00+01:00"),
                "2026-10-25T00:01:00+02:00",
                warsaw,
                Deadline::Today,
            ),
            (
                Some("2026-10-26T00:00:00+01:00"),
                "2026-10-25T00:01:00+02:00",
                warsaw,
                Deadline::Later,
            ),
            (
                Some("2027-01-01T09:00:00+01:00"),
                "2026-11-22T10:00:00+01:00",
                warsaw,
                Deadline::Later,
            ),
        ];
        for (due, now, offset, expected) in cases {
            let got = classify(due.map(ms), ms(now), offset);
            assert_eq!(got, *expected, "due {due:?} at {now}");
        }
    }

    #[test]
    fn the_next_change_is_the_deadline_or_midnight() {
        let now = ms("2026-11-22T09:00:00+01:00");
        assert_eq!(
            next_change(Some(ms("2026-11-22T09:01:00+01:00")), now, warsaw),
            Some(ms("2026-11-22T09:01:00+01:00"))
        );
        assert_eq!(
            next_change(Some(ms("2026-11-24T09:00:00+01:00")), now, warsaw),
            Some(ms("2026-11-23T00:00:00+01:00"))
        );
        assert_eq!(
            next_change(Some(ms("2026-11-22T08:00:00+01:00")), now, warsaw),
            None
        );
        assert_eq!(next_change(None, now, warsaw), None);
    }

    #[test]
    fn the_day_ends_at_local_midnight_across_offset_changes() {
        // An ordinary day, and the two days whose midnight follows a change of offset.
        for (now, start, end) in [
            (
                "2026-11-22T09:00:00+01:00",
                "2026-11-22T00:00:00+01:00",
                "2026-11-23T00:00:00+01:00",
            ),
            // 23 hours: spring forward.
            (
                "2026-03-29T12:00:00+02:00",
                "2026-03-29T00:00:00+01:00",
                "2026-03-30T00:00:00+02:00",
            ),
            // 25 hours: fall back.
            (
                "2026-10-25T00:01:00+02:00",
                "2026-10-25T00:00:00+02:00",
                "2026-10-26T00:00:00+01:00",
            ),
            // Exactly at midnight, today has just begun.
            (
                "2026-11-23T00:00:00+01:00",
                "2026-11-23T00:00:00+01:00",
                "2026-11-24T00:00:00+01:00",
            ),
        ] {
            let moment = Moment::new(ms(now), warsaw);
            assert_eq!(moment.today_starts_ms, ms(start), "{now}");
            assert_eq!(moment.today_ends_ms, ms(end), "{now}");
            assert!(moment.is_today(ms(now)) && moment.is_today(ms(start)));
            assert!(!moment.is_today(ms(end)) && !moment.is_today(ms(start) - 1));
        }
        // A zone west of UTC.
        let new_york = |_: i64| -300;
        assert_eq!(
            Moment::new(ms("2026-11-22T23:30:00-05:00"), new_york).today_ends_ms,
            ms("2026-11-23T00:00:00-05:00")
        );
    }

    #[test]
    fn parses_rfc3339_only() {
        assert_eq!(parse_ms("1970-01-01T00:00:01Z"), Some(1000));
        assert_eq!(parse_ms("1970-01-01T01:00:01+01:00"), Some(1000));
        assert_eq!(parse_ms("2026-11-22 10:00"), None);
    }
}
