//! What every form dialog does alike: a modal form over a backdrop that Esc closes (unless
//! it only clears a search box), closing with unsaved input asks first, the first field has
//! the focus on opening, and a save writes, then closes. And what a page with a form does:
//! leaving it with unsaved edits asks first.

use std::cell::RefCell;
use std::rc::Rc;

use leptos::ev::SubmitEvent;
use leptos::html::ElementType;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::data::Replica;
use crate::pages::forms::Submit;
use crate::storage::rows::RowEdit;
use crate::t;

/// Whether a dialog may close: asks first when the user typed something not yet saved.
pub fn may_discard(dirty: bool) -> bool {
    !dirty
        || web_sys::window()
            .and_then(|w| w.confirm_with_message(&t!("dialog-unsaved")).ok())
            .unwrap_or(false)
}

/// A form as a modal dialog over a backdrop, titled by its heading (`title_id`); Esc (one
/// meant for the dialog) runs `on_close`.
#[component]
pub fn DialogForm(
    /// The form's classes (`dialog …`).
    class: &'static str,
    title_id: &'static str,
    #[prop(into)] title: Signal<String>,
    on_submit: impl Fn(SubmitEvent) + 'static,
    on_close: Callback<()>,
    children: Children,
) -> impl IntoView {
    view! {
        <div class="dialog-backdrop">
            <form class=class role="dialog" aria-modal="true" aria-labelledby=title_id
                on:submit=on_submit
                on:keydown=move |e: web_sys::KeyboardEvent| if is_close_key(&e) { on_close.run(()) }>
                <h2 id=title_id>{move || title.get()}</h2>
                {children()}
            </form>
        </div>
    }
}

/// A dialog's way out (Cancel, Esc): asks first when `dirty()`, then runs `on_close`.
pub fn close_asking(
    dirty: impl Fn() -> bool + Send + Sync + 'static,
    on_close: Callback<()>,
) -> Callback<()> {
    Callback::new(move |()| {
        if may_discard(dirty()) {
            on_close.run(());
        }
    })
}

/// A dialog's save: writes `edits` in one transaction, then closes; a failure stays in the
/// dialog (its [`Submit::error`]).
pub fn save_and_close(replica: Replica, on_close: Callback<()>) -> Submit<Vec<RowEdit>> {
    Submit::new(move |edits: Vec<RowEdit>| async move {
        replica
            .write_many(edits)
            .await
            .map_err(|err| t!("error-unexpected", message = err.to_string()))?;
        on_close.run(());
        Ok(())
    })
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

/// While the calling component lives, leaving with unsaved edits (`dirty()`) asks first:
/// closing or reloading the tab (the browser's own question), and following a link inside
/// the app (staying cancels the navigation; phone and e-mail links never ask).
pub fn guard_unsaved(dirty: impl Fn() -> bool + 'static) {
    let dirty = Rc::new(dirty);
    let on_unload = Rc::clone(&dirty);
    let unload = window_event_listener(leptos::ev::beforeunload, move |event| {
        if on_unload() {
            event.prevent_default();
            event.set_return_value(&t!("record-unsaved"));
        }
    });
    on_cleanup(move || unload.remove());
    guard_links(Some(Box::new(move || dirty())));
    on_cleanup(|| guard_links(None));
}

type LinkGuard = wasm_bindgen::closure::Closure<dyn Fn(web_sys::MouseEvent)>;

thread_local! {
    /// The click listener that asks before a link leaves a form with unsaved edits.
    static LINK_GUARD: RefCell<Option<LinkGuard>> = const { RefCell::new(None) };
}

/// Installs (or with `None` removes) a capture-phase click listener: when `dirty()` holds,
/// following a link asks first and staying cancels the navigation.
fn guard_links(dirty: Option<Box<dyn Fn() -> bool>>) {
    let Some(window) = web_sys::window() else {
        return;
    };
    LINK_GUARD.with(|slot| {
        if let Some(old) = slot.borrow_mut().take() {
            let _ = window.remove_event_listener_with_callback_and_bool(
                "click",
                old.as_ref().unchecked_ref(),
                true,
            );
        }
        let Some(dirty) = dirty else { return };
        let listener = LinkGuard::new(move |event: web_sys::MouseEvent| {
            let link = event
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                .and_then(|el| el.closest("a[href]").ok().flatten());
            let Some(link) = link else { return };
            let href = link.get_attribute("href").unwrap_or_default();
            if href.starts_with("tel:") || href.starts_with("mailto:") || !dirty() {
                return;
            }
            let leave = web_sys::window()
                .and_then(|w| w.confirm_with_message(&t!("record-unsaved")).ok())
                .unwrap_or(true);
            if !leave {
                event.prevent_default();
                event.stop_immediate_propagation();
            }
        });
        let _ = window.add_event_listener_with_callback_and_bool(
            "click",
            listener.as_ref().unchecked_ref(),
            true,
        );
        *slot.borrow_mut() = Some(listener);
    });
}
