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

/// Classifies a deadline at `now_ms`. `offset_at(ms)` is the user's UTC offset in minutes
/// at that instant (e.g. +60 in Warsaw in winter, +120 in summer).
pub fn classify(due_ms: Option<i64>, now_ms: i64, offset_at: impl Fn(i64) -> i32) -> Deadline {
    let Some(due) = due_ms else {
        return Deadline::Undated;
    };
    if due <= now_ms {
        return Deadline::Overdue;
    }
    if local_day(due, offset_at(due)) == local_day(now_ms, offset_at(now_ms)) {
        Deadline::Today
    } else {
        Deadline::Later
    }
}

/// When the classification of `due_ms` next changes after `now_ms` (for a timer), or
/// `None` when it never will (overdue, undated). At most the next local midnight or the
/// deadline itself.
pub fn next_change(
    due_ms: Option<i64>,
    now_ms: i64,
    offset_at: impl Fn(i64) -> i32,
) -> Option<i64> {
    let due = due_ms?;
    if due <= now_ms {
        return None;
    }
    let offset = offset_at(now_ms);
    let next_midnight = (local_day(now_ms, offset) + 1) * 86_400_000 - i64::from(offset) * 60_000;
    Some(due.min(next_midnight))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(text: &str) -> i64 {
        parse_ms(text).unwrap_or(i64::MIN)
    }

    /// Europe/Warsaw: UTC+1, UTC+2 from 2026-03-29 01:00 UTC to 2026-10-25 01:00 UTC.
    fn warsaw(at: i64) -> i32 {
        if at >= ms("2026-03-29T01:00:00Z") && at < ms("2026-10-25T01:00:00Z") {
            120
        } else {
            60
        }
    }

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
    fn parses_rfc3339_only() {
        assert_eq!(parse_ms("1970-01-01T00:00:01Z"), Some(1000));
        assert_eq!(parse_ms("1970-01-01T01:00:01+01:00"), Some(1000));
        assert_eq!(parse_ms("2026-11-22 10:00"), None);
    }
}
