//! What every form and dialog shows alike: its error and its confirmation, its labelled
//! inputs, its footer, and one submission at a time (a Leptos `Action`: pending while it
//! runs, its failure shown).

use std::future::Future;

use leptos::prelude::*;

/// A form's failure, announced to screen readers; nothing while there is none.
#[component]
pub fn FormError(#[prop(into)] error: Signal<Option<String>>) -> impl IntoView {
    message_line(error, "form-error", "alert")
}

/// What a form just did ("Saved", "3 records changed"), as a status; nothing while there
/// is none.
#[component]
pub fn FormDone(#[prop(into)] message: Signal<Option<String>>) -> impl IntoView {
    message_line(message, "form-done", "status")
}

/// `<p class=class role=role>message</p>` while there is a message.
fn message_line(
    message: Signal<Option<String>>,
    class: &'static str,
    role: &'static str,
) -> impl IntoView {
    view! {
        <Show when=move || message.with(Option::is_some)>
            <p class=class role=role>{move || message.get()}</p>
        </Show>
    }
}

/// A labelled input bound to `value`: `<div class="field">` with the label for `id` and
/// the input (its `type`, `autocomplete` and `required` only where given).
#[component]
pub fn TextField(
    #[prop(into)] id: String,
    /// The label's text.
    #[prop(into)]
    label: String,
    value: RwSignal<String>,
    /// The input's `type` (none: text).
    #[prop(optional)]
    kind: Option<&'static str>,
    #[prop(optional)] autocomplete: Option<&'static str>,
    #[prop(optional)] required: bool,
    #[prop(optional)] maxlength: Option<&'static str>,
) -> impl IntoView {
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            <input id=id type=kind autocomplete=autocomplete required=required maxlength=maxlength bind:value=value />
        </div>
    }
}

/// A dialog's footer: the primary submit button (disabled while `busy`) and Cancel.
#[component]
pub fn DialogActions(
    /// The submit button's text.
    #[prop(into)]
    submit: Signal<String>,
    /// The second button's text.
    #[prop(into)]
    cancel: Signal<String>,
    #[prop(into)] busy: Signal<bool>,
    on_cancel: Callback<()>,
) -> impl IntoView {
    view! {
        <div class="actions">
            <button type="submit" class="primary" disabled=move || busy.get()>{move || submit.get()}</button>
            <button type="button" on:click=move |_| on_cancel.run(())>{move || cancel.get()}</button>
        </div>
    }
}

/// One submission at a time: `dispatch` starts `run` unless one is still pending, clears
/// the previous error, and shows the new one (the `Err` of `run`) through [`FormError`].
/// Checks that fail before anything is sent set [`Submit::fail`] and do not dispatch.
pub struct Submit<I: 'static> {
    action: Action<I, ()>,
    /// `action.pending()`, made once (each call of it makes a new memo).
    pending: Memo<bool>,
    error: RwSignal<Option<String>>,
}

impl<I: 'static> Clone for Submit<I> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<I: 'static> Copy for Submit<I> {}

impl<I: Clone + 'static> Submit<I> {
    pub fn new<F, Fu>(run: F) -> Self
    where
        F: Fn(I) -> Fu + 'static,
        Fu: Future<Output = Result<(), String>> + 'static,
    {
        let error = RwSignal::new(None::<String>);
        let action = Action::new_unsync_local(move |input: &I| {
            let running = run(input.clone());
            async move {
                if let Err(message) = running.await {
                    error.try_set(Some(message));
                }
            }
        });
        Self {
            action,
            pending: action.pending(),
            error,
        }
    }

    /// Starts a submission, unless one is pending (a double click sends once).
    pub fn dispatch(&self, input: I) {
        if self.pending.get_untracked() {
            return;
        }
        self.error.set(None);
        self.action.dispatch_local(input);
    }

    /// A form's `on:submit`: the page stays, and what `input` reads then is dispatched.
    pub fn on_submit(
        self,
        input: impl Fn() -> I + 'static,
    ) -> impl Fn(leptos::ev::SubmitEvent) + 'static {
        move |event| {
            event.prevent_default();
            self.dispatch(input());
        }
    }

    /// Whether a submission is running.
    pub fn pending(&self) -> Signal<bool> {
        self.pending.into()
    }

    /// The error shown, for [`FormError`].
    pub fn error(&self) -> Signal<Option<String>> {
        self.error.into()
    }

    /// Shows `message` as the form's error without submitting (a check that failed first).
    pub fn fail(&self, message: String) {
        self.error.set(Some(message));
    }

    /// Clears the error (the user changed what it was about).
    pub fn clear(&self) {
        self.error.set(None);
    }
}

/// Runs `work`, a write a click started, and shows its failure in `error` (the place the
/// click's list or panel shows its errors).
pub fn spawn_reported<E: std::fmt::Display>(
    error: RwSignal<Option<String>>,
    work: impl Future<Output = Result<(), E>> + 'static,
) {
    leptos::task::spawn_local(async move {
        if let Err(err) = work.await {
            error.set(Some(crate::t!(
                "error-unexpected",
                message = err.to_string()
            )));
        }
    });
}

/// The options of a select, each selected by itself when it is `selected`: the list may be
/// built after the select's value was set (the replica still loading, a choice added).
#[component]
pub fn ChoiceOptions(
    #[prop(into)] choices: Signal<Vec<crate::data::settings::Choice>>,
    #[prop(into)] selected: Signal<String>,
) -> impl IntoView {
    move || {
        choices
            .get()
            .into_iter()
            .map(|choice| {
                let this = choice.id.clone();
                view! { <option value=choice.id prop:selected=move || selected.get() == this>{choice.name}</option> }
            })
            .collect_view()
    }
}

/// A labelled input bound to `value` that a submission checks: the input says whether it
/// is invalid and points to its error, shown under it (`{id}-error`).
#[component]
pub fn CheckedField(
    id: &'static str,
    /// The label's text.
    #[prop(into)]
    label: Signal<String>,
    value: RwSignal<String>,
    #[prop(into)] error: Signal<Option<String>>,
    /// The input's `type`.
    #[prop(default = "text")]
    kind: &'static str,
    /// A text area of this many rows instead of an input.
    #[prop(optional)]
    rows: Option<&'static str>,
    #[prop(optional)] inputmode: Option<&'static str>,
    #[prop(optional)] placeholder: Option<&'static str>,
    #[prop(optional)] node_ref: NodeRef<leptos::html::Input>,
) -> impl IntoView {
    let error_id = format!("{id}-error");
    let invalid = move || error.with(Option::is_some).to_string();
    let input = match rows {
        Some(rows) => view! {
            <textarea id=id rows=rows bind:value=value aria-invalid=invalid aria-describedby=error_id.clone()></textarea>
        }
        .into_any(),
        None => view! {
            <input id=id type=kind node_ref=node_ref inputmode=inputmode placeholder=placeholder bind:value=value
                aria-invalid=invalid aria-describedby=error_id.clone() />
        }
        .into_any(),
    };
    view! {
        <div class="field">
            <label for=id>{move || label.get()}</label>
            {input}
            <p id=error_id class="field-error">{move || error.get()}</p>
        </div>
    }
}
