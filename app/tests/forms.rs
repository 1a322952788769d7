//! The forms' one submission at a time (`pages::forms::Submit`), in real Chromium: a second
//! submit while one runs is not started, the failure of a finished one is what the form
//! shows, and the next submit clears it.

#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::cell::RefCell;
use std::rc::Rc;

use futures::channel::oneshot;
use gloo_timers::future::TimeoutFuture;
use leptos::prelude::*;
use minicrm_app::pages::forms::Submit;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

type Outcome = Result<(), String>;
/// The runs started so far: each one's input and how to end it.
type Started = Rc<RefCell<Vec<(u32, oneshot::Sender<Outcome>)>>>;

/// Waits (at most 100 turns of the event loop) until no submission is pending.
async fn settled(submit: Submit<u32>) {
    for _ in 0..100 {
        if !submit.pending().get_untracked() {
            return;
        }
        TimeoutFuture::new(0).await;
    }
    panic!("the submission never finished");
}

#[wasm_bindgen_test]
async fn a_form_submits_once_at_a_time_and_shows_what_failed() {
    let _ = any_spawner::Executor::init_wasm_bindgen();
    let owner = Owner::new();
    owner.set();

    // Each run records its input and waits until the test says how it ends.
    let started: Started = Rc::default();
    let runs = started.clone();
    let submit = Submit::new(move |input: u32| {
        let (end, ended) = oneshot::channel::<Outcome>();
        runs.borrow_mut().push((input, end));
        async move { ended.await.unwrap_or(Ok(())) }
    });

    submit.dispatch(1);
    assert!(submit.pending().get_untracked());
    // A double click while the first runs starts nothing.
    submit.dispatch(2);
    assert_eq!(started.borrow().len(), 1);
    assert_eq!(started.borrow()[0].0, 1);

    let (_, end) = started.borrow_mut().remove(0);
    end.send(Err("The server refused it.".into())).unwrap();
    settled(submit).await;
    assert_eq!(
        submit.error().get_untracked().as_deref(),
        Some("The server refused it.")
    );

    // The next submit runs, and clears the last failure at once.
    submit.dispatch(3);
    assert_eq!(submit.error().get_untracked(), None);
    assert_eq!(started.borrow().len(), 1);
    assert_eq!(started.borrow()[0].0, 3);
    let (_, end) = started.borrow_mut().remove(0);
    end.send(Ok(())).unwrap();
    settled(submit).await;
    assert_eq!(submit.error().get_untracked(), None);

    // A check that fails before anything is sent shows without a run.
    submit.fail("Enter a name.".into());
    assert_eq!(
        submit.error().get_untracked().as_deref(),
        Some("Enter a name.")
    );
    assert!(started.borrow().is_empty());
}
