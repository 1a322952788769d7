use super::*;
use crate::deadline::zones::{ms, warsaw};

const ADA: Uuid = Uuid::from_u128(0xa0);
const BOB: Uuid = Uuid::from_u128(0xb0);
const DONE: Uuid = Uuid::from_u128(1);
const MISSED: Uuid = Uuid::from_u128(2);
const CALL_BACK: Uuid = Uuid::from_u128(3);

fn outcomes() -> Vec<OutcomeDef> {
    vec![
        OutcomeDef {
            id: DONE,
            connected: true,
        },
        OutcomeDef {
            id: MISSED,
            connected: false,
        },
        OutcomeDef {
            id: CALL_BACK,
            connected: true,
        },
    ]
}

fn day(text: &str) -> i64 {
    let date = Date::parse(
        text,
        &time::macros::format_description!("[year]-[month]-[day]"),
    )
    .unwrap();
    day_number(date)
}

fn call(user: Uuid, at: &str, outcome: Option<Uuid>, incoming: bool, secs: u32) -> Activity {
    Activity {
        id: Uuid::nil(),
        kind: ActivityKind::Call,
        at_ms: Some(ms(at)),
        user_id: Some(user),
        outcome_id: outcome,
        incoming,
        duration_s: secs,
        ..Activity::default()
    }
}

fn other(user: Uuid, at: &str, kind: ActivityKind) -> Activity {
    Activity {
        id: Uuid::nil(),
        kind,
        at_ms: Some(ms(at)),
        user_id: Some(user),
        ..Activity::default()
    }
}

fn task(assignee: Uuid, due: Option<&str>, done_at: Option<&str>) -> Task {
    Task {
        id: Uuid::nil(),
        assignee_id: Some(assignee),
        due_ms: due.map(ms),
        done: done_at.is_some(),
        done_at_ms: done_at.map(ms),
        ..Task::default()
    }
}

#[test]
fn the_team_days_follow_the_zone_across_both_daylight_saving_changes() {
    // (day, its first instant in UTC, its length in hours)
    let table = [
        ("2026-01-15", "2026-01-14T23:00:00Z", 24),
        ("2026-03-28", "2026-03-27T23:00:00Z", 24),
        ("2026-03-29", "2026-03-28T23:00:00Z", 23),
        ("2026-03-30", "2026-03-29T22:00:00Z", 24),
        ("2026-10-24", "2026-10-23T22:00:00Z", 24),
        ("2026-10-25", "2026-10-24T22:00:00Z", 25),
        ("2026-10-26", "2026-10-25T23:00:00Z", 24),
    ];
    for (date, start, hours) in table {
        let days = Period::day(day(date)).in_zone(warsaw);
        assert_eq!(days.start_ms(), ms(start), "{date} starts");
        assert_eq!(
            days.end_ms() - days.start_ms(),
            hours * 3_600_000,
            "{date} length"
        );
    }
}

#[test]
fn an_instant_falls_on_the_team_day_whatever_the_hour() {
    // (instant, the Warsaw date it belongs to)
    let table = [
        ("2026-01-15T22:30:00Z", "2026-01-15"), // 23:30 in winter
        ("2026-01-15T23:00:00Z", "2026-01-16"), // midnight
        ("2026-07-15T21:30:00Z", "2026-07-15"), // 23:30 in summer
        ("2026-07-15T22:00:00Z", "2026-07-16"),
        ("2026-03-29T00:59:59Z", "2026-03-29"), // 01:59 before the clocks go forward
        ("2026-03-29T01:00:00Z", "2026-03-29"), // 03:00 after
        ("2026-10-25T00:30:00Z", "2026-10-25"), // 02:30 the first time
        ("2026-10-25T01:30:00Z", "2026-10-25"), // 02:30 the second time
        ("2026-10-25T22:59:59Z", "2026-10-25"), // 23:59:59 at the end of the long day
        ("2026-10-25T23:00:00Z", "2026-10-26"),
    ];
    let month = Period::between(day("2026-01-01"), day("2026-12-31")).unwrap();
    let days = month.in_zone(warsaw);
    for (at, date) in table {
        assert_eq!(day_of(ms(at), warsaw), day(date), "{at}");
        let index = days.index(ms(at)).unwrap();
        assert_eq!(month.first + index as i64, day(date), "{at} in the year");
    }
    assert_eq!(days.index(ms("2025-12-31T22:59:59Z")), None);
    assert_eq!(days.index(ms("2026-12-31T23:00:00Z")), None);
}

#[test]
fn periods_are_weeks_months_quarters_and_the_same_length_before() {
    // (a day, its week's Monday, its month's first day and length, its quarter's)
    let table = [
        (
            "2026-12-04",
            "2026-11-30",
            "2026-12-01",
            31,
            "2026-10-01",
            92,
        ),
        (
            "2026-03-01",
            "2026-02-23",
            "2026-03-01",
            31,
            "2026-01-01",
            90,
        ),
        (
            "2024-02-29",
            "2024-02-26",
            "2024-02-01",
            29,
            "2024-01-01",
            91,
        ),
        (
            "2026-06-30",
            "2026-06-29",
            "2026-06-01",
            30,
            "2026-04-01",
            91,
        ),
        (
            "1969-12-31",
            "1969-12-29",
            "1969-12-01",
            31,
            "1969-10-01",
            92,
        ),
    ];
    for (date, monday, month_first, month_days, quarter_first, quarter_days) in table {
        let d = day(date);
        assert_eq!(
            Period::week_of(d),
            Period {
                first: day(monday),
                days: 7
            },
            "{date}"
        );
        assert_eq!(
            Period::month_of(d),
            Period {
                first: day(month_first),
                days: month_days
            },
            "{date}"
        );
        assert_eq!(
            Period::quarter_of(d),
            Period {
                first: day(quarter_first),
                days: quarter_days
            },
            "{date}"
        );
    }
    let december = Period::month_of(day("2026-12-04"));
    assert_eq!(december.month_step(1).first, day("2027-01-01"));
    assert_eq!(
        december.month_step(-12),
        Period::month_of(day("2025-12-01"))
    );
    assert_eq!(Period::month_of(day("2026-03-10")).month_step(-1).days, 28);
    assert_eq!(
        Period::week_of(day("2026-12-04")).previous(),
        Period {
            first: day("2026-11-23"),
            days: 7
        }
    );
    assert_eq!(
        Period::between(day("2026-12-02"), day("2026-12-01")),
        Err(PeriodError::EndsBeforeStart)
    );
    assert_eq!(
        Period::between(day("2024-01-01"), day("2026-01-01")),
        Err(PeriodError::TooLong)
    );
    assert_eq!(
        Period::between(day("2026-01-01"), day("2026-12-31"))
            .unwrap()
            .days,
        365
    );
}

#[test]
fn calls_count_by_direction_and_outcome_with_connected_share_and_talk_time() {
    let days = Period::day(day("2026-12-03")).in_zone(warsaw);
    let now = ms("2026-12-04T12:00:00Z");
    let mut trashed = call(ADA, "2026-12-03T10:00:00Z", Some(DONE), false, 60);
    trashed.deleted = true;
    let activities = [
        call(ADA, "2026-12-03T08:00:00Z", Some(DONE), false, 125),
        call(ADA, "2026-12-03T09:00:00Z", Some(MISSED), false, 0),
        call(ADA, "2026-12-03T22:30:00Z", Some(CALL_BACK), true, 30), // 23:30 in Warsaw
        call(ADA, "2026-12-03T23:00:00Z", Some(DONE), false, 10),     // the next day
        call(ADA, "2026-12-02T22:59:00Z", Some(DONE), false, 10),     // the day before
        call(ADA, "2026-12-03T11:00:00Z", None, false, 0),
        call(
            ADA,
            "2026-12-03T11:30:00Z",
            Some(Uuid::from_u128(99)),
            false,
            5,
        ),
        trashed,
        other(ADA, "2026-12-03T12:00:00Z", ActivityKind::Email),
        other(ADA, "2026-12-03T12:00:00Z", ActivityKind::Email),
        other(ADA, "2026-12-03T12:00:00Z", ActivityKind::Sms),
        other(ADA, "2026-12-03T12:00:00Z", ActivityKind::Meeting),
        other(ADA, "2026-12-03T12:00:00Z", ActivityKind::Note),
        call(BOB, "2026-12-03T12:00:00Z", Some(MISSED), true, 0),
    ];
    let tally = Tally::count(days, now, &outcomes(), None, &activities, &[]);
    let ada = tally.day(ADA, 0);
    assert_eq!((ada.calls_out, ada.calls_in), (4, 1));
    assert_eq!(ada.by_outcome, vec![1, 1, 1, 2]);
    assert_eq!(ada.connected, 2);
    assert_eq!(ada.connected_share(), Some(0.4));
    assert_eq!(ada.talk_s, 160);
    assert_eq!((ada.emails, ada.sms, ada.meetings, ada.notes), (2, 1, 1, 1));
    let bob = tally.day(BOB, 0);
    assert_eq!((bob.calls_out, bob.calls_in, bob.connected), (0, 1, 0));
    assert_eq!(bob.connected_share(), Some(0.0));
    let team = tally.team_day(0);
    assert_eq!(team.calls(), 6);
    assert_eq!(team.by_outcome, vec![1, 2, 1, 2]);
    assert_eq!(tally.day(Uuid::from_u128(7), 0).connected_share(), None);

    let only_bob = Tally::count(
        Period::day(day("2026-12-03")).in_zone(warsaw),
        now,
        &outcomes(),
        Some(BOB),
        &activities,
        &[],
    );
    assert_eq!(only_bob.users().collect::<Vec<_>>(), vec![BOB]);
}

#[test]
fn activities_logged_for_later_than_now_wait_for_their_time() {
    let days = Period::day(day("2026-12-04")).in_zone(warsaw);
    let activities = [
        call(ADA, "2026-12-04T09:00:00Z", Some(DONE), false, 0),
        other(ADA, "2026-12-04T15:00:00Z", ActivityKind::Meeting),
    ];
    let tally = Tally::count(
        days,
        ms("2026-12-04T10:00:00Z"),
        &outcomes(),
        None,
        &activities,
        &[],
    );
    assert_eq!(tally.day(ADA, 0).calls_out, 1);
    assert_eq!(tally.day(ADA, 0).meetings, 0);
}

#[test]
fn tasks_done_count_on_their_day_and_overdue_ones_at_each_day_end() {
    // 1 to 5 December in Warsaw, now at 10:00 on the 4th (so the 5th has not begun).
    let period = Period::between(day("2026-12-01"), day("2026-12-05")).unwrap();
    let now = ms("2026-12-04T09:00:00Z");
    let mut trashed = task(ADA, Some("2026-11-01T09:00:00Z"), None);
    trashed.deleted = true;
    let mut done_by_bob = task(
        ADA,
        Some("2026-12-01T09:00:00Z"),
        Some("2026-12-03T10:00:00Z"),
    );
    done_by_bob.done_by = Some(BOB);
    let tasks = [
        // Overdue from the 1st on, never done: overdue at every day's end.
        task(ADA, Some("2026-12-01T08:00:00Z"), None),
        // Due at 23:30 on the 2nd, done at 00:30 on the 3rd: overdue at the end of the 2nd.
        task(
            ADA,
            Some("2026-12-02T22:30:00Z"),
            Some("2026-12-02T23:30:00Z"),
        ),
        // Due on the 4th at 15:00: not yet overdue now.
        task(ADA, Some("2026-12-04T14:00:00Z"), None),
        // Due on the 4th at 08:00: overdue now.
        task(ADA, Some("2026-12-04T07:00:00Z"), None),
        // Undated: never overdue.
        task(ADA, None, None),
        done_by_bob,
        trashed,
        // Done long before, without a time: never overdue, never counted as done.
        {
            let mut old = task(ADA, Some("2026-11-01T09:00:00Z"), None);
            old.done = true;
            old
        },
    ];
    let tally = Tally::count(period.in_zone(warsaw), now, &outcomes(), None, &[], &tasks);
    let overdue: Vec<u32> = (0..5).map(|i| tally.day(ADA, i).tasks_overdue).collect();
    // 1st: the first and done_by_bob; 2nd: +the 23:30 one; 3rd: the first only (bob done
    // at 11:00 on the 3rd, the 23:30 one done); 4th (now): the first and the 08:00 one.
    assert_eq!(overdue, vec![2, 3, 1, 2, 0]);
    let done: Vec<u32> = (0..5).map(|i| tally.day(ADA, i).tasks_done).collect();
    assert_eq!(
        done,
        vec![0, 0, 1, 0, 0],
        "the one done at 00:30 on the 3rd"
    );
    assert_eq!(tally.day(BOB, 2).tasks_done, 1);
    let total = tally.total(ADA);
    assert_eq!(total.tasks_done, 1);
    assert_eq!(total.tasks_overdue, 2, "as of now, not a sum of days");
    let team = tally.team_total();
    assert_eq!((team.tasks_done, team.tasks_overdue), (2, 2));
}

#[test]
fn a_day_not_yet_begun_has_no_figures() {
    let tally = Tally::count(
        Period::day(day("2026-12-05")).in_zone(warsaw),
        ms("2026-12-04T09:00:00Z"),
        &outcomes(),
        None,
        &[],
        &[task(ADA, Some("2026-12-01T08:00:00Z"), None)],
    );
    assert_eq!(tally.total(ADA), Figures::empty(3));
}

#[test]
fn figures_compare_with_the_previous_period() {
    let figures = |calls_out: u32, connected: u32| Figures {
        calls_out,
        connected,
        ..Figures::empty(0)
    };
    // (now, before, measure, direction, percent)
    let table = [
        (
            figures(30, 0),
            figures(20, 0),
            Measure::CallsOut,
            Ordering::Greater,
            Some(50.0),
        ),
        (
            figures(15, 0),
            figures(20, 0),
            Measure::CallsOut,
            Ordering::Less,
            Some(-25.0),
        ),
        (
            figures(20, 0),
            figures(20, 0),
            Measure::CallsOut,
            Ordering::Equal,
            Some(0.0),
        ),
        (
            figures(5, 0),
            figures(0, 0),
            Measure::CallsOut,
            Ordering::Greater,
            None,
        ),
        (
            figures(10, 6),
            figures(10, 5),
            Measure::ConnectedShare,
            Ordering::Greater,
            Some(10.0),
        ),
    ];
    for (now, before, measure, direction, percent) in table {
        let change = change(measure, &now, &before).unwrap();
        assert_eq!(change.direction, direction, "{measure:?}");
        match (change.percent, percent) {
            (Some(got), Some(want)) => assert!((got - want).abs() < 1e-9, "{got} vs {want}"),
            (got, want) => assert_eq!(got, want),
        }
    }
    assert_eq!(
        change(Measure::ConnectedShare, &figures(0, 0), &figures(10, 5)),
        None,
        "no calls now: no share to compare"
    );
}

#[test]
fn the_columns_name_every_outcome_and_then_calls_without_one() {
    let columns = Measure::columns(2);
    assert_eq!(
        &columns[..5],
        &[
            Measure::CallsOut,
            Measure::CallsIn,
            Measure::Outcome(0),
            Measure::Outcome(1),
            Measure::Outcome(2)
        ]
    );
    assert_eq!(columns.len(), 2 + 3 + 11);
    assert!(columns.iter().filter(|m| m.from_server()).count() == 3);
}

#[test]
fn the_history_gives_records_created_changed_and_stage_entries() {
    let bounds = Period::between(day("2026-12-01"), day("2026-12-02"))
        .unwrap()
        .in_zone(warsaw)
        .starts;
    let stage_a = Uuid::from_u128(0x5a);
    let stage_b = Uuid::from_u128(0x5b);
    let quoted = |id: Uuid| format!("\"{id}\"");
    let (a, b) = (quoted(stage_a), quoted(stage_b));
    let write = |user, row, field, value: &'static str, at: &str, creates, won| HistoryWrite {
        user_id: user,
        row_id: row,
        field,
        value,
        at_ms: ms(at),
        creates,
        won,
    };
    let a: &'static str = Box::leak(a.into_boxed_str());
    let b: &'static str = Box::leak(b.into_boxed_str());
    let writes = [
        // Ada creates r1 on the 1st with stage A (two writes of one change), then moves
        // it to B the same day: one created, not also changed; one stage change.
        write(
            ADA,
            "r1",
            "name",
            "\"X\"",
            "2026-12-01T08:00:00Z",
            true,
            true,
        ),
        write(ADA, "r1", "stage_id", a, "2026-12-01T08:00:00Z", true, true),
        write(
            ADA,
            "r1",
            "stage_id",
            b,
            "2026-12-01T09:00:00Z",
            false,
            true,
        ),
        // Bob changes r1 twice on the 1st (one record changed) and once on the 2nd.
        write(
            BOB,
            "r1",
            "city",
            "\"Brno\"",
            "2026-12-01T10:00:00Z",
            false,
            true,
        ),
        write(
            BOB,
            "r1",
            "note",
            "\"n\"",
            "2026-12-01T11:00:00Z",
            false,
            true,
        ),
        write(
            BOB,
            "r1",
            "note",
            "\"m\"",
            "2026-12-02T11:00:00Z",
            false,
            true,
        ),
        // Bob's stage write that lost (a later one was already there): no stage change.
        write(
            BOB,
            "r2",
            "stage_id",
            a,
            "2026-12-02T12:00:00Z",
            false,
            false,
        ),
        // Ada clears r2's stage: a stage change, no stage entered.
        write(
            ADA,
            "r2",
            "stage_id",
            "null",
            "2026-12-02T12:30:00Z",
            false,
            true,
        ),
        // Outside the bounds: nothing.
        write(
            ADA,
            "r3",
            "name",
            "\"Y\"",
            "2026-12-02T23:00:00Z",
            true,
            true,
        ),
        write(
            ADA,
            "r3",
            "name",
            "\"Y\"",
            "2026-11-30T22:59:00Z",
            true,
            true,
        ),
    ];
    let report = count_changes(&bounds, writes);
    let ada = &report.users.iter().find(|u| u.user_id == ADA).unwrap().days;
    assert_eq!(
        ada,
        &vec![
            DayChanges {
                records_created: 1,
                records_changed: 0,
                stage_changes: 1
            },
            DayChanges {
                records_created: 0,
                records_changed: 1,
                stage_changes: 1
            },
        ]
    );
    let bob = &report.users.iter().find(|u| u.user_id == BOB).unwrap().days;
    assert_eq!(
        bob.iter().map(|d| d.records_changed).collect::<Vec<_>>(),
        vec![1, 2]
    );
    assert_eq!(bob.iter().map(|d| d.stage_changes).sum::<u32>(), 0);
    assert_eq!(
        report.stages,
        vec![
            StageEntries {
                stage_id: stage_a,
                entered: 1
            },
            StageEntries {
                stage_id: stage_b,
                entered: 1
            },
        ]
    );

    // The device adds the answer to its own figures for the same days only.
    let mut tally = Tally::count(
        Period::between(day("2026-12-01"), day("2026-12-02"))
            .unwrap()
            .in_zone(warsaw),
        ms("2026-12-04T09:00:00Z"),
        &outcomes(),
        Some(ADA),
        &[],
        &[],
    );
    tally.add_changes(&report, Some(ADA));
    assert_eq!(tally.total(ADA).records_created, 1);
    assert_eq!(tally.total(ADA).stage_changes, 2);
    assert_eq!(tally.users().collect::<Vec<_>>(), vec![ADA]);
    let mut other_days = tally.clone();
    let mut shifted = report.clone();
    shifted.bounds[0] -= 1;
    other_days.add_changes(&shifted, None);
    assert_eq!(other_days, tally);
}

#[test]
fn report_requests_bounds_are_checked() {
    assert_eq!(check_bounds(&[1]), Err(BoundsError::TooFew));
    assert_eq!(check_bounds(&[1, 1]), Err(BoundsError::NotIncreasing));
    assert_eq!(check_bounds(&[2, 1]), Err(BoundsError::NotIncreasing));
    assert_eq!(check_bounds(&[1, 2, 3]), Ok(()));
    let long: Vec<i64> = (0..=i64::from(MAX_DAYS) + 1).collect();
    assert_eq!(check_bounds(&long), Err(BoundsError::TooMany));
    assert_eq!(check_bounds(&long[..long.len() - 1]), Ok(()));
}

#[test]
fn days_read_and_write_as_iso_dates() {
    for text in ["2026-12-03", "2024-02-29", "1969-12-31", "2027-01-01"] {
        assert_eq!(iso_day(parse_day(text).unwrap()), text);
    }
    assert_eq!(parse_day(" 2026-12-03 "), Some(day("2026-12-03")));
    for bad in [
        "",
        "2026-02-30",
        "2026-13-01",
        "2026-12",
        "x-1-1",
        "2026-12-03x",
    ] {
        assert_eq!(parse_day(bad), None, "{bad:?}");
    }
}

#[test]
fn presets_name_the_periods_as_of_today() {
    let today = day("2026-01-14");
    // (preset, first day, days)
    let table = [
        (Preset::ThisWeek, "2026-01-12", 7),
        (Preset::LastWeek, "2026-01-05", 7),
        (Preset::ThisMonth, "2026-01-01", 31),
        (Preset::LastMonth, "2025-12-01", 31),
        (Preset::ThisQuarter, "2026-01-01", 90),
        (Preset::LastQuarter, "2025-10-01", 92),
    ];
    for (preset, first, days) in table {
        assert_eq!(
            preset.period(today),
            Period {
                first: day(first),
                days
            },
            "{preset:?}"
        );
        assert_eq!(Preset::parse(preset.as_str()), Some(preset));
    }
    assert_eq!(Preset::parse("yesterday"), None);
}

#[test]
fn conversion_is_the_share_that_reached_the_next_stage() {
    assert_eq!(conversion(&[10, 5, 0, 3]), vec![Some(0.5), Some(0.0), None]);
    assert_eq!(conversion(&[4]), Vec::<Option<f64>>::new());
}

#[test]
fn exported_cells_are_numbers_in_their_unit() {
    use crate::import::table::Cell;
    let figures = Figures {
        calls_out: 2,
        calls_in: 1,
        connected: 2,
        talk_s: 95,
        ..Figures::empty(0)
    };
    assert_eq!(cell(Measure::CallsOut, &figures), Cell::Number(2.0));
    assert_eq!(cell(Measure::ConnectedShare, &figures), Cell::Number(66.7));
    assert_eq!(cell(Measure::TalkTime, &figures), Cell::Number(95.0));
    assert_eq!(
        cell(Measure::ConnectedShare, &Figures::empty(0)),
        Cell::Empty
    );
}

#[test]
fn breakdowns_count_records_by_a_field_each_value_once_and_the_unset_last() {
    use crate::record::Contact;
    use serde_json::json;
    let seg_a = "0193a1b2-c3d4-7e5f-8a9b-00000000000a";
    let seg_b = "0193a1b2-c3d4-7e5f-8a9b-00000000000b";
    let contact = |n: u128, values: &[(&str, serde_json::Value)]| {
        let fields = crate::merge::fields_at("1763800000000-0000-node", values);
        Contact::from_fields(&Uuid::from_u128(n).to_string(), &fields).unwrap()
    };
    let (in_a, in_b) = (format!("segment:{seg_a}"), format!("segment:{seg_b}"));
    let contacts = [
        contact(
            1,
            &[
                ("kind", json!("person")),
                ("source", json!("Fair")),
                (&in_a, json!(true)),
                (&in_b, json!(true)),
                ("custom.vip", json!(true)),
                ("custom.tags", json!(["x", "y", "x"])),
            ],
        ),
        contact(
            2,
            &[
                ("kind", json!("person")),
                ("source", json!("Fair")),
                (&in_a, json!(true)),
                ("custom.vip", json!(false)),
            ],
        ),
        contact(
            3,
            &[
                ("kind", json!("person")),
                ("source", json!("Web")),
                (&in_b, json!(false)),
                ("custom.tags", json!(["y"])),
            ],
        ),
        contact(4, &[("kind", json!("person")), ("source", json!("  "))]),
        contact(
            5,
            &[
                ("kind", json!("person")),
                ("source", json!("Web")),
                ("deleted", json!(true)),
            ],
        ),
    ];
    let shares = |by: Dimension| {
        let (shares, records) = breakdown(&contacts, &by);
        assert_eq!(records, 4, "{by:?}: trashed records are left out");
        shares
            .into_iter()
            .map(|s| (s.value, s.records))
            .collect::<Vec<_>>()
    };
    let some = |text: &str, n: u32| (Some(text.to_owned()), n);
    assert_eq!(
        shares(Dimension::Source),
        vec![some("Fair", 2), some("Web", 1), (None, 1)]
    );
    assert_eq!(
        shares(Dimension::Segment),
        vec![some(seg_a, 2), some(seg_b, 1), (None, 2)]
    );
    assert_eq!(
        shares(Dimension::Custom("vip".into())),
        vec![some("false", 1), some("true", 1), (None, 2)]
    );
    assert_eq!(
        shares(Dimension::Custom("tags".into())),
        vec![some("y", 2), some("x", 1), (None, 2)]
    );
    assert_eq!(shares(Dimension::Owner), vec![(None, 4)]);
    for by in [
        Dimension::Stage,
        Dimension::Custom("vip".into()),
        Dimension::Campaign,
    ] {
        assert_eq!(Dimension::parse(&by.key()), Some(by));
    }
    assert_eq!(Dimension::parse("custom."), None);
    assert_eq!(Dimension::parse("city"), None);
}

mod counting_in_steps {
    use proptest::prelude::*;

    use super::*;

    const USERS: [Uuid; 3] = [ADA, BOB, Uuid::from_u128(0xc0)];
    /// 2026-11-01T00:00Z: the instants below fall around November and December.
    const BASE: i64 = 1_793_491_200_000;
    const SPAN: i64 = 70 * DAY_MS;

    fn an_activity() -> impl Strategy<Value = Activity> {
        (
            prop_oneof![Just(None), (0..SPAN).prop_map(|at| Some(BASE + at))],
            0..USERS.len() + 1,
            0..4usize,
            0..5usize,
            any::<bool>(),
            0..600u32,
            proptest::bool::weighted(0.1),
        )
            .prop_map(
                |(at, user, outcome, kind, incoming, secs, deleted)| Activity {
                    id: Uuid::nil(),
                    kind: [
                        ActivityKind::Call,
                        ActivityKind::Email,
                        ActivityKind::Sms,
                        ActivityKind::Meeting,
                        ActivityKind::Note,
                    ][kind],
                    at_ms: at,
                    user_id: USERS.get(user).copied(),
                    outcome_id: [DONE, MISSED, CALL_BACK, Uuid::from_u128(9)]
                        .get(outcome)
                        .copied(),
                    incoming,
                    duration_s: secs,
                    deleted,
                    ..Activity::default()
                },
            )
    }

    fn a_task() -> impl Strategy<Value = Task> {
        (
            prop_oneof![Just(None), (0..SPAN).prop_map(|at| Some(BASE + at))],
            any::<bool>(),
            prop_oneof![Just(None), (0..SPAN).prop_map(|at| Some(BASE + at))],
            0..USERS.len() + 1,
            0..USERS.len() + 1,
            proptest::bool::weighted(0.1),
        )
            .prop_map(|(due, done, done_at, assignee, by, deleted)| Task {
                id: Uuid::nil(),
                due_ms: due,
                done,
                done_at_ms: done_at.filter(|_| done),
                assignee_id: USERS.get(assignee).copied(),
                done_by: USERS.get(by).copied().filter(|_| done),
                deleted,
                ..Task::default()
            })
    }

    proptest! {
        // The kept count's edges (a clock just before or at the instant its tasks stop
        // holding) need more cases than the default to be met every run.
        #![proptest_config(ProptestConfig::with_cases(1000))]

        /// What a device does: feeds only the activities in the count's range and the
        /// tasks settled from its start, a few at a time, in its own order — and gets the
        /// tally of counting everything.
        #[test]
        fn feeding_only_the_ranges_in_steps_counts_the_same(
            activities in proptest::collection::vec(an_activity(), 0..60),
            tasks in proptest::collection::vec(a_task(), 0..60),
            first in 0..60i64,
            length in 1..20u32,
            now in 0..SPAN,
            only in 0..USERS.len() + 1,
            step in 1..7usize,
        ) {
            let period = Period { first: day_of(BASE, warsaw) + first, days: length };
            let now = BASE + now;
            let only = USERS.get(only).copied();
            let everything = Tally::count(period.in_zone(warsaw), now, &outcomes(), only, &activities, &tasks);

            let mut counting = Counting::new(period.in_zone(warsaw), now, &outcomes(), only);
            let (from, until) = counting.activity_range();
            let mut by_time: Vec<&Activity> = activities
                .iter()
                .filter(|a| a.at_ms.is_some_and(|at| at >= from && at < until))
                .collect();
            by_time.sort_by_key(|a| (a.at_ms, a.id));
            for chunk in by_time.chunks(step) {
                for activity in chunk {
                    counting.activity(activity);
                }
            }
            let settled_from = counting.settled_from();
            let mut by_settled: Vec<&Task> = tasks.iter().filter(|t| settled_at(t) >= settled_from).collect();
            by_settled.sort_by_key(|t| (settled_at(t), t.id));
            for chunk in by_settled.chunks(step) {
                for task in chunk {
                    counting.task(task);
                }
            }
            prop_assert_eq!(counting.finish(), everything);
        }

        /// What a report kept open does: a count of the rows as they were, then each
        /// changed activity taken back in its old form and fed in its new one, and the
        /// clock moved on now and then — and it has the tally of counting the rows as they
        /// are now, at the clock's time while its tasks hold.
        #[test]
        fn a_count_kept_up_to_date_counts_the_same_as_a_new_one(
            activities in proptest::collection::vec(an_activity(), 0..40),
            tasks in proptest::collection::vec(a_task(), 0..40),
            steps in proptest::collection::vec(
                prop_oneof![
                    (0..50usize, proptest::option::of(an_activity())).prop_map(|(i, new)| Step::Activity(i, new)),
                    (0..3 * DAY_MS).prop_map(Step::Clock),
                    any::<bool>().prop_map(Step::Edge),
                ],
                0..30,
            ),
            first in 0..60i64,
            length in 1..20u32,
            now in 0..SPAN,
            // The count's now at a task's due or done time (edges a uniform draw misses).
            now_at_task in proptest::option::of((0..40usize, any::<bool>())),
            // Mostly a period with today in it: the one whose tasks move with the clock.
            with_today in proptest::bool::weighted(0.7),
            back in 0..20i64,
            only in 0..USERS.len() + 1,
        ) {
            let at_task = now_at_task.and_then(|(i, due)| {
                let task = tasks.get(i)?;
                if due { task.due_ms } else { task.done_at_ms }
            });
            let now = at_task.unwrap_or(BASE + now);
            let first = if with_today {
                day_of(now, warsaw) - back % i64::from(length)
            } else {
                day_of(BASE, warsaw) + first
            };
            let days = Period { first, days: length }.in_zone(warsaw);
            let only = USERS.get(only).copied();
            let with_ids = |rows: Vec<Activity>| -> Vec<Option<Activity>> {
                rows.into_iter().enumerate().map(|(i, row)| Some(Activity { id: Uuid::from_u128(i as u128 + 1), ..row })).collect()
            };
            let mut activities = with_ids(activities);
            let mut kept = Counting::new(days.clone(), now, &outcomes(), only);
            for activity in activities.iter().flatten() {
                kept.activity(activity);
            }
            for task in &tasks {
                kept.task(task);
            }
            prop_assert!(kept.tasks_hold_at(now));
            let mut clock = now;
            for step in steps {
                match step {
                    Step::Activity(i, new) => {
                        let id = Uuid::from_u128(i as u128 + 1);
                        if activities.len() <= i {
                            activities.resize(i + 1, None);
                        }
                        let new = new.map(|row| Activity { id, ..row });
                        if let Some(old) = &activities[i] {
                            kept.retract_activity(old);
                        }
                        if let Some(new) = &new {
                            kept.activity(new);
                        }
                        activities[i] = new;
                    }
                    Step::Clock(_) | Step::Edge(_) => {
                        clock = match step {
                            Step::Clock(by) => clock + by,
                            // Just before or at the instant the tasks stop holding.
                            _ if kept.tasks_until == i64::MAX => clock,
                            Step::Edge(before) => (kept.tasks_until - i64::from(before)).max(clock),
                            Step::Activity(..) => unreachable!(),
                        };
                        let (from, until) = kept.extend_activities(clock);
                        for activity in activities.iter().flatten() {
                            if activity.at_ms.is_some_and(|at| at >= from && at < until) {
                                kept.activity(activity);
                            }
                        }
                    }
                }
                // While the tasks hold, the kept count is a new count's at the clock.
                if kept.tasks_hold_at(clock) {
                    let rows: Vec<Activity> = activities.iter().flatten().cloned().collect();
                    prop_assert_eq!(kept.tally(), Tally::count(days.clone(), clock, &outcomes(), only, &rows, &tasks));
                }
            }
            // A new count of the rows as they are: tasks as of the count's now, activities
            // as of the clock's.
            let mut fresh = Counting::new(days.clone(), now, &outcomes(), only);
            fresh.extend_activities(clock);
            for activity in activities.iter().flatten() {
                fresh.activity(activity);
            }
            for task in &tasks {
                fresh.task(task);
            }
            prop_assert_eq!(kept.tally(), fresh.finish());
            // While the tasks hold, the kept count is a new count's at the clock, tasks too.
            let activities: Vec<Activity> = activities.into_iter().flatten().collect();
            let at_clock = Tally::count(days, clock, &outcomes(), only, &activities, &tasks);
            if kept.tasks_hold_at(clock) {
                prop_assert_eq!(kept.tally(), at_clock);
            }
        }
    }

    #[derive(Debug, Clone)]
    enum Step {
        /// The activity at a place changed (or came, or went away).
        Activity(usize, Option<Activity>),
        /// The clock moved on.
        Clock(i64),
        /// The clock moved to just before (`true`) or at the instant the tasks stop
        /// holding.
        Edge(bool),
    }
}

mod sampled_days {
    use std::cell::Cell;

    use proptest::prelude::*;

    use super::*;

    fn every_midnight(period: Period, offset_at: impl Fn(i64) -> i32) -> Vec<i64> {
        (0..=i64::from(period.days))
            .map(|i| day_start(period.first + i, &offset_at))
            .collect()
    }

    #[test]
    fn a_year_in_warsaw_asks_the_zone_a_few_times_and_gets_every_midnight() {
        let asked = Cell::new(0);
        let counting = |ms: i64| {
            asked.set(asked.get() + 1);
            warsaw(ms)
        };
        let year = Period::between(day("2026-01-01"), day("2026-12-31")).unwrap();
        let days = Days::new(year, counting);
        assert_eq!(days.starts, every_midnight(year, warsaw));
        // 53 samples at two questions each, and two weeks asked day by day.
        assert!(asked.get() < 200, "asked {} times", asked.get());
    }

    proptest! {
        /// A zone whose offset changes at any instants at least a week and a day apart
        /// (by whole quarter-hours, either way): the sampled days are every midnight.
        #[test]
        fn sampled_midnights_are_every_midnight(
            first in 20_000i64..20_800,
            length in 1..MAX_DAYS,
            changes in proptest::collection::vec((0..24 * 8i64, -8..8i32), 0..12),
            base in -12 * 4..14 * 4i32,
        ) {
            let period = Period { first, days: length };
            // Changes at increasing instants, each 8 days and some hours after the last.
            let mut at = first * DAY_MS - DAY_MS;
            let mut offset = base * 15;
            let mut table = vec![(i64::MIN, offset)];
            for (hours, quarters) in changes {
                at += 8 * DAY_MS + hours * 3_600_000;
                offset += if quarters == 0 { 60 } else { quarters * 15 };
                table.push((at, offset));
            }
            let zone = |ms: i64| table.iter().rev().find(|(from, _)| *from <= ms).map_or(0, |(_, o)| *o);
            prop_assert_eq!(Days::new(period, zone).starts, every_midnight(period, zone));
        }
    }
}
