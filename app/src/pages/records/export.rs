//! Export from the records list: the records found or the selected ones, as XLSX or CSV,
//! with the list's columns or every field. The worker reads the records from the device
//! and writes the file, so it works offline and the page stays responsive; the page only
//! says which records and how, then saves what comes back.

use std::collections::HashSet;
use std::sync::Arc;

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use minicrm_core::import::csv::DELIMITERS;
use minicrm_core::import::encoding::TextEncoding;
use minicrm_core::import::export::{Column, CsvOptions, ExportColumn, ExportOptions};
use minicrm_core::import::job::{ExportFormat, ExportRequest, Reply, Request};
use minicrm_core::record::TEXT_FIELDS;
use uuid::Uuid;

use super::columns;
use super::views::ListState;
use crate::data::{Index, use_replica};
use crate::pages::dialogs::{DialogForm, focus_when_shown};
use crate::pages::forms::{DialogActions, FormError, Submit};
use crate::{files, i18n, t, worker};

/// The list's columns (by key, in order) as exported columns, with the list's headers. A
/// list column that is several fields exports as several columns: the name as first and
/// last name (and the company, unless the list shows it too), the address as its two
/// lines; the phone column holds every phone. Keys no longer known are left out.
fn export_columns(keys: &[String], index: &Index) -> Vec<ExportColumn> {
    let shows_company = keys.iter().any(|key| key == "company");
    let field = |name: &str| Column::Field {
        field: name.to_owned(),
    };
    let mut out = Vec::new();
    for key in keys {
        let header = columns::header(key, index);
        let mut push = |header: String, column: Column| out.push(ExportColumn { header, column });
        match key.as_str() {
            "name" => {
                push(t!("export-first-name"), field("first_name"));
                push(t!("export-last-name"), field("last_name"));
                if !shows_company {
                    push(t!("column-company"), field("company"));
                }
            }
            "address" => {
                push(header, field("address_line1"));
                push(t!("export-address-line2"), field("address_line2"));
            }
            "kind" => push(header, Column::Kind),
            "phone" => push(header, Column::Phones { kind: None }),
            "email" => push(header, Column::Emails),
            "stage" => push(header, Column::Stage),
            "owner" => push(header, Column::Owner),
            "category" => push(header, Column::Category),
            "segments" => push(header, Column::Segments),
            "campaigns" => push(header, Column::Campaigns),
            "modified" => push(header, Column::Modified),
            _ if key.starts_with("custom.") => {
                let key = key["custom.".len()..].to_owned();
                push(header, Column::Custom { key });
            }
            name if TEXT_FIELDS.contains(&name) => push(header, field(name)),
            _ => {}
        }
    }
    out
}

/// The ids to export: the found records in the list's order; or the selected ones — those
/// found first, in the list's order, then any selected record the list no longer shows.
fn chosen_ids(index: &Index, found: &[u32], selection: Option<&HashSet<Uuid>>) -> Vec<String> {
    let contacts = index.contacts();
    let listed = found.iter().filter_map(|i| contacts.get(*i as usize));
    let Some(selection) = selection else {
        return listed.map(|c| c.id.to_string()).collect();
    };
    let mut seen = HashSet::new();
    let mut ids: Vec<String> = listed
        .filter(|c| selection.contains(&c.id) && seen.insert(c.id))
        .map(|c| c.id.to_string())
        .collect();
    ids.extend(
        contacts
            .iter()
            .filter(|c| selection.contains(&c.id) && !seen.contains(&c.id))
            .map(|c| c.id.to_string()),
    );
    ids
}

/// Today's local date (`YYYY-MM-DD`) for the file's name, and now in UTC
/// (`YYYY-MM-DDTHH:MM:SS`) for the workbook's creation time.
fn today_and_now() -> (String, String) {
    let now = js_sys::Date::new_0();
    let date = format!(
        "{:04}-{:02}-{:02}",
        now.get_full_year(),
        now.get_month() + 1,
        now.get_date()
    );
    let iso = String::from(now.to_iso_string());
    (date, iso.chars().take(19).collect())
}

fn delimiter_label(delimiter: u8) -> String {
    match delimiter {
        b';' => t!("export-delimiter-semicolon"),
        b',' => t!("export-delimiter-comma"),
        b'\t' => t!("export-delimiter-tab"),
        _ => t!("export-delimiter-bar"),
    }
}

/// "Export" on the records toolbar, and its dialog.
#[component]
pub fn ExportButton(
    /// The records found, as indexes into the replica's contacts, in the list's order.
    #[prop(into)]
    found: Signal<Arc<Vec<u32>>>,
    selected: RwSignal<HashSet<Uuid>>,
    state: ListState,
) -> impl IntoView {
    let open = RwSignal::new(false);
    let close = Callback::new(move |()| open.set(false));
    view! {
        <button type="button" aria-haspopup="dialog" on:click=move |_| open.set(true)>{t!("export-button")}</button>
        <Show when=move || open.get()>
            <ExportDialog found=found selected=selected state=state on_close=close />
        </Show>
    }
}

/// A radio button with its label around it.
#[component]
fn Radio(
    name: &'static str,
    #[prop(into)] label: Signal<String>,
    checked: Signal<bool>,
    on_pick: impl Fn() + 'static,
    #[prop(optional)] node_ref: NodeRef<leptos::html::Input>,
) -> impl IntoView {
    view! {
        <label><input type="radio" name=name node_ref=node_ref prop:checked=move || checked.get() on:change=move |_| on_pick() />{move || label.get()}</label>
    }
}

#[component]
fn ExportDialog(
    found: Signal<Arc<Vec<u32>>>,
    selected: RwSignal<HashSet<Uuid>>,
    state: ListState,
    on_close: Callback<()>,
) -> impl IntoView {
    let replica = use_replica();
    let found_count = move || found.with(|f| f.len());
    let selected_count = move || selected.with(HashSet::len);
    let only_selected = RwSignal::new(selected.with_untracked(|s| !s.is_empty()));
    let format = RwSignal::new(ExportFormat::Xlsx);
    let every_field = RwSignal::new(false);
    let phones_as_shown = RwSignal::new(false);
    let csv = RwSignal::new(CsvOptions::for_language(&i18n::language()));
    let submit = Submit::new(move |request: ExportRequest| async move {
        let answer = worker::ask(&Request::Export(Box::new(request)), |_, _| {}).await;
        let failed = |message: String| Err(t!("export-failed", message = message));
        match (answer.reply, answer.bytes) {
            (Reply::File { name, mime }, Some(bytes)) => {
                if let Err(err) = files::save_bytes(&bytes, &mime, &name) {
                    return failed(err.as_string().unwrap_or_else(|| format!("{err:?}")));
                }
                on_close.run(());
                Ok(())
            }
            (Reply::Failed { message }, _) => failed(message),
            _ => failed(t!("export-unexpected")),
        }
    });
    let start = move |event: SubmitEvent| {
        event.prevent_default();
        let found = found.get_untracked();
        let selection = selected.get_untracked();
        let use_selection = only_selected.get_untracked() && !selection.is_empty();
        let (ids, columns) = replica.with_untracked(|index| {
            let ids = chosen_ids(index, &found, use_selection.then_some(&selection));
            let columns = (!every_field.get_untracked()).then(|| {
                let keys: Vec<String> = state.columns.with_untracked(|shown| {
                    shown.iter().map(|column| column.key.clone()).collect()
                });
                export_columns(&keys, index)
            });
            (ids, columns)
        });
        if ids.is_empty() {
            submit.fail(t!("export-nothing"));
            return;
        }
        let (date, created) = today_and_now();
        let mut csv = csv.get_untracked();
        csv.bom = csv.encoding == TextEncoding::Utf8;
        submit.dispatch(ExportRequest {
            ids,
            columns,
            format: format.get_untracked(),
            csv,
            options: ExportOptions {
                phones_as_shown: phones_as_shown.get_untracked(),
            },
            name: t!("export-file-name", date = date),
            created,
        });
    };
    let first = NodeRef::<leptos::html::Input>::new();
    focus_when_shown(first);
    let is_csv = move || format.get() == ExportFormat::Csv;
    view! {
        <DialogForm class="dialog export-dialog" title_id="export-title" title=t!("export-title") on_submit=start on_close=on_close>
            <fieldset class="choice-group">
                <legend>{t!("export-what")}</legend>
                <Radio name="export-what" node_ref=first
                    label=Signal::derive(move || t!("export-found", count = found_count().to_string()))
                    checked=Signal::derive(move || !only_selected.get() || selected_count() == 0)
                    on_pick=move || only_selected.set(false) />
                <Show when=move || selected_count() != 0>
                    <Radio name="export-what"
                        label=Signal::derive(move || t!("export-selected", count = selected_count().to_string()))
                        checked=Signal::derive(move || only_selected.get())
                        on_pick=move || only_selected.set(true) />
                </Show>
            </fieldset>
            <fieldset class="choice-group">
                <legend>{t!("export-format")}</legend>
                <Radio name="export-format" label=t!("export-format-xlsx")
                    checked=Signal::derive(move || format.get() == ExportFormat::Xlsx)
                    on_pick=move || format.set(ExportFormat::Xlsx) />
                <Radio name="export-format" label=t!("export-format-csv")
                    checked=Signal::derive(is_csv) on_pick=move || format.set(ExportFormat::Csv) />
            </fieldset>
            <fieldset class="choice-group">
                <legend>{t!("export-columns")}</legend>
                <Radio name="export-columns" label=t!("export-columns-shown")
                    checked=Signal::derive(move || !every_field.get()) on_pick=move || every_field.set(false) />
                <Radio name="export-columns" label=t!("export-columns-all")
                    checked=Signal::derive(move || every_field.get()) on_pick=move || every_field.set(true) />
            </fieldset>
            <fieldset class="choice-group">
                <legend>{t!("export-phones")}</legend>
                <Radio name="export-phones" label=t!("export-phones-stored")
                    checked=Signal::derive(move || !phones_as_shown.get()) on_pick=move || phones_as_shown.set(false) />
                <Radio name="export-phones" label=t!("export-phones-shown")
                    checked=Signal::derive(move || phones_as_shown.get()) on_pick=move || phones_as_shown.set(true) />
            </fieldset>
            <Show when=is_csv>
                <div class="export-csv">
                    <div class="field">
                        <label for="export-delimiter">{t!("export-delimiter")}</label>
                        <select id="export-delimiter"
                            on:change=move |e| {
                                let picked = event_target_value(&e).parse::<u8>().ok().filter(|d| DELIMITERS.contains(d));
                                if let Some(delimiter) = picked {
                                    csv.update(|csv| csv.delimiter = delimiter);
                                }
                            }>
                            {DELIMITERS.iter().map(|d| {
                                let d = *d;
                                view! { <option value=d.to_string() prop:selected=move || csv.with(|c| c.delimiter == d)>{delimiter_label(d)}</option> }
                            }).collect_view()}
                        </select>
                    </div>
                    <div class="field">
                        <label for="export-encoding">{t!("export-encoding")}</label>
                        <select id="export-encoding"
                            on:change=move |e| {
                                if let Ok(encoding) = event_target_value(&e).parse::<TextEncoding>() {
                                    csv.update(|csv| csv.encoding = encoding);
                                }
                            }>
                            {[(TextEncoding::Utf8, "export-encoding-utf8"), (TextEncoding::Windows1250, "export-encoding-1250")].into_iter().map(|(encoding, key)| view! {
                                <option value=encoding.as_str() prop:selected=move || csv.with(|c| c.encoding == encoding)>{t!(key)}</option>
                            }).collect_view()}
                        </select>
                    </div>
                    <div class="field checkbox">
                        <input id="export-raw" type="checkbox" prop:checked=move || csv.with(|c| c.raw)
                            on:change=move |e| csv.update(|csv| csv.raw = event_target_checked(&e)) />
                        <label for="export-raw">{t!("export-raw")}</label>
                    </div>
                </div>
            </Show>
            <Show when=move || submit.pending().get()>
                <p class="export-busy" role="status">{t!("export-busy")}</p>
            </Show>
            <FormError error=submit.error() />
            <DialogActions submit=t!("export-submit") cancel=t!("record-cancel") busy=submit.pending() on_cancel=on_close />
        </DialogForm>
    }
}
