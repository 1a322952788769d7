//! The message catalog's arguments, in real Chromium: counts choose plural forms, and
//! digits that are not a number as written (a device id's tail such as `062624`) are
//! shown exactly as given.

#![cfg(target_arch = "wasm32")]

use minicrm_app::i18n::message;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn counts_choose_the_plural_form() {
    assert!(message("logout-pending", &[("count", "1")]).starts_with("1 change has not"));
    assert!(message("logout-pending", &[("count", "12")]).starts_with("12 changes have not"));
    assert!(message("logout-pending", &[("count", "0")]).starts_with("0 changes have not"));
}

#[wasm_bindgen_test]
fn digits_with_a_leading_zero_stay_as_typed() {
    let text = message(
        "record-history-device",
        &[("device", "062624"), ("received", "today")],
    );
    assert_eq!(text, "device …062624, reached the server today");
}
