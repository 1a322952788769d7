//! What every form dialog does alike: Esc closes it (unless it only clears a search box),
//! closing with unsaved input asks first, and the first field has the focus on opening.

use leptos::html::ElementType;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::t;

/// Whether a dialog may close: asks first when the user typed something not yet saved.
pub fn may_discard(dirty: bool) -> bool {
    !dirty
        || web_sys::window()
            .and_then(|w| w.confirm_with_message(&t!("dialog-unsaved")).ok())
            .unwrap_or(false)
}

/// Esc meant for the dialog: not one a search box uses to clear itself, nor one a control
/// already handled.
pub fn is_close_key(event: &web_sys::KeyboardEvent) -> bool {
    if event.key() != "Escape" || event.default_prevented() {
        return false;
    }
    let from_search = event
        .target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        .is_some_and(|input| input.type_() == "search" && !input.value().is_empty());
    !from_search
}

/// Moves the keyboard focus to `node` once it is in the page (a dialog opened by a click
/// would otherwise leave the focus behind its backdrop).
pub fn focus_when_shown<E>(node: NodeRef<E>)
where
    E: ElementType,
    E::Output: JsCast + Clone + 'static,
{
    Effect::new(move || {
        if let Some(el) = node.get()
            && let Some(el) = el.dyn_ref::<web_sys::HtmlElement>()
        {
            let _ = el.focus();
        }
    });
}
