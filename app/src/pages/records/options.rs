//! The `<option>`s of a select over choices (segments, stages, users, views…): one per
//! choice, and the "nobody" one.

use leptos::prelude::*;

use crate::data::settings::Choice;
use crate::t;

/// One option per choice (value: its id, text: its name), selected while `selected`
/// returns its id.
pub fn choice_options(
    choices: impl IntoIterator<Item = Choice>,
    selected: impl Fn() -> String + Clone + Send + Sync + 'static,
) -> impl IntoView {
    choices
        .into_iter()
        .map(|choice| {
            let this = choice.id.clone();
            let selected = selected.clone();
            view! { <option value=choice.id prop:selected=move || selected() == this>{choice.name}</option> }
        })
        .collect_view()
}

/// The "nobody" / "none" option (value `-`), selected while `selected` returns `-`.
pub fn nobody_option(selected: impl Fn() -> String + Send + Sync + 'static) -> impl IntoView {
    view! { <option value="-" prop:selected=move || selected() == "-">{t!("filter-nobody")}</option> }
}
