//! The team's zone from the browser's time-zone database, in real Chromium: offsets in
//! winter and summer, the days across a daylight-saving change, and an unknown name.

#![cfg(target_arch = "wasm32")]

use minicrm_app::state::zone::Zone;
use minicrm_core::report::{Period, parse_day};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

fn ms(iso: &str) -> i64 {
    js_sys::Date::parse(iso) as i64
}

#[wasm_bindgen_test]
fn offsets_follow_the_zone_in_winter_and_summer() {
    let warsaw = Zone::new("Europe/Warsaw");
    assert!(warsaw.known());
    assert_eq!(warsaw.offset_at(ms("2026-01-15T12:00:00Z")), 60);
    assert_eq!(warsaw.offset_at(ms("2026-07-15T12:00:00Z")), 120);
    // Just before and after the clocks go forward (01:00 UTC on 29 March).
    assert_eq!(warsaw.offset_at(ms("2026-03-29T00:59:59Z")), 60);
    assert_eq!(warsaw.offset_at(ms("2026-03-29T01:00:00Z")), 120);
    let new_york = Zone::new("America/New_York");
    assert_eq!(new_york.offset_at(ms("2026-12-03T23:30:00Z")), -300);
    assert_eq!(new_york.offset_at(ms("2026-07-01T03:00:00Z")), -240);
    let kolkata = Zone::new("Asia/Kolkata");
    assert_eq!(kolkata.offset_at(ms("2026-12-03T23:30:00Z")), 330);
}

#[wasm_bindgen_test]
fn a_year_of_days_has_the_short_and_the_long_day() {
    let warsaw = Zone::new("Europe/Warsaw");
    let (Some(first), Some(last)) = (parse_day("2026-01-01"), parse_day("2026-12-31")) else {
        panic!("dates");
    };
    let Ok(year) = Period::between(first, last) else {
        panic!("a year");
    };
    let days = year.in_zone(|at| warsaw.offset_at(at));
    let hours: Vec<i64> = days
        .starts
        .windows(2)
        .map(|pair| (pair[1] - pair[0]) / 3_600_000)
        .collect();
    assert_eq!(hours.len(), 365);
    assert_eq!(hours.iter().filter(|h| **h == 23).count(), 1);
    assert_eq!(hours.iter().filter(|h| **h == 25).count(), 1);
    assert_eq!(days.starts[0], ms("2025-12-31T23:00:00Z"));
    assert_eq!(days.starts[365], ms("2026-12-31T23:00:00Z"));
}

#[wasm_bindgen_test]
fn an_unknown_zone_is_said_to_be_unknown() {
    assert!(!Zone::new("Europe/Atlantis").known());
}
