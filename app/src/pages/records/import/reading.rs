//! The first step: the file as the worker reads it — the first rows under their headers —
//! and how it is read (encoding, delimiter, quote, header row; a spreadsheet's sheet),
//! as detected and as the user changes it; every change reads the file again at once.

use std::str::FromStr;

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use minicrm_core::import::encoding::TextEncoding;
use minicrm_core::import::job::{ImportJob, Preview, Reply, Request, SourceFormat, Step};

use super::flow::{Flow, grouped};
use crate::t;
use crate::worker;

/// The delimiters offered, by their option value.
const DELIMITERS: [(&str, u8); 4] = [
    ("comma", b','),
    ("semicolon", b';'),
    ("tab", b'\t'),
    ("pipe", b'|'),
];
/// The quote characters offered (`None`: no quoting).
const QUOTES: [(&str, Option<u8>); 3] = [
    ("double", Some(b'"')),
    ("single", Some(b'\'')),
    ("none", None),
];

/// Reads of the job's file: the newest answer wins (a change made while a read runs
/// asks again).
#[derive(Clone, Copy)]
pub(super) struct Reader {
    pub preview: RwSignal<Option<Preview>>,
    asked: RwSignal<u32>,
    answered: RwSignal<u32>,
}

impl Reader {
    pub fn new() -> Reader {
        Reader {
            preview: RwSignal::new(None),
            asked: RwSignal::new(0),
            answered: RwSignal::new(0),
        }
    }

    /// A read is under way.
    pub fn busy(&self) -> bool {
        self.asked.get() != self.answered.get()
    }

    /// Asks the worker for the preview of the job as stored.
    pub fn read(self, flow: Flow) {
        // The step may be gone (a change stored after the user left it asks again).
        let Some(number) = self.asked.try_get_untracked().map(|n| n + 1) else {
            return;
        };
        self.asked.set(number);
        let import_id = flow.id();
        spawn_local(async move {
            let answer = worker::ask(&Request::Read { import_id }, |_, _| {}).await;
            // The step may be gone by now (the user went back): then nobody waits.
            if self.asked.try_get_untracked() != Some(number) {
                return;
            }
            match answer.reply {
                Reply::Preview(preview) => {
                    self.preview.try_set(Some(*preview));
                }
                other => flow.unexpected(other),
            }
            self.answered.try_set(number);
        });
    }
}

/// The preview's rows under their headers, with the lines of the file.
#[component]
pub(super) fn PreviewTable(preview: Preview) -> impl IntoView {
    view! {
        <div class="import-table-wrap" role="region" aria-label=t!("import-preview") tabindex="0">
            <table class="data-table import-table">
                <thead>
                    <tr>
                        <th scope="col" class="line">{t!("import-line")}</th>
                        {preview.headers.iter().map(|header| view! { <th scope="col">{header.clone()}</th> }).collect_view()}
                    </tr>
                </thead>
                <tbody>
                    {preview.rows.iter().map(|row| view! {
                        <tr>
                            <td class="line">{row.line}</td>
                            {(0..preview.headers.len()).map(|i| {
                                let text = row.cells.get(i).map(|cell| cell.as_text()).unwrap_or_default();
                                view! { <td>{text}</td> }
                            }).collect_view()}
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// A choice of the reading changed: fixes and left-out lines of another reading no longer
/// fit; the file is read again.
fn change_reading(flow: Flow, reader: Reader, edit: impl FnOnce(&mut ImportJob) + 'static) {
    flow.change(
        move |job| {
            edit(job);
            job.fixes.clear();
            job.left_out.clear();
        },
        move || reader.read(flow),
    );
}

#[component]
pub(super) fn ReadingStep(flow: Flow) -> impl IntoView {
    let reader = Reader::new();
    reader.read(flow);
    let format = flow.job.with_untracked(|job| job.format);
    let preview = reader.preview;
    let encoding = move || {
        preview
            .with(|p| p.as_ref().and_then(|p| p.encoding))
            .map(TextEncoding::as_str)
    };
    let delimiter = move || preview.with(|p| p.as_ref().and_then(|p| p.delimiter));
    let quote = move || preview.with(|p| p.as_ref().and_then(|p| p.quote));
    let header = move || preview.with(|p| p.as_ref().is_some_and(|p| p.header));
    let sheet = move || preview.with(|p| p.as_ref().and_then(|p| p.sheet.clone()));
    let sheets = move || preview.with(|p| p.as_ref().map(|p| p.sheets.clone()).unwrap_or_default());
    let next = move |_| {
        let Some(suggested) = preview.with_untracked(|p| p.as_ref().map(|p| p.suggested.clone()))
        else {
            return;
        };
        flow.advance(move |job| {
            if job.mapping.is_empty() || job.mapping.len() != suggested.len() {
                job.mapping = suggested;
            }
            job.step = Step::Mapping;
        });
    };
    let text_pickers = view! {
        <div class="field">
            <label for="import-encoding">{t!("import-encoding")}</label>
            <select id="import-encoding" on:change=move |e| {
                if let Ok(chosen) = TextEncoding::from_str(&event_target_value(&e)) {
                    change_reading(flow, reader, move |job| job.reading.encoding = Some(chosen));
                }
            }>
                {TextEncoding::ALL.into_iter().map(|option| view! {
                    <option value=option.as_str() prop:selected=move || encoding() == Some(option.as_str())>{option.label()}</option>
                }).collect_view()}
            </select>
        </div>
        <div class="field">
            <label for="import-delimiter">{t!("import-delimiter")}</label>
            <select id="import-delimiter" on:change=move |e| {
                let value = event_target_value(&e);
                if let Some((_, chosen)) = DELIMITERS.iter().find(|(name, _)| *name == value) {
                    let chosen = *chosen;
                    change_reading(flow, reader, move |job| job.reading.delimiter = Some(chosen));
                }
            }>
                {DELIMITERS.into_iter().map(|(name, byte)| view! {
                    <option value=name prop:selected=move || delimiter() == Some(byte)>{t!(&format!("import-delimiter-{name}"))}</option>
                }).collect_view()}
            </select>
        </div>
        <div class="field">
            <label for="import-quote">{t!("import-quote")}</label>
            <select id="import-quote" on:change=move |e| {
                let value = event_target_value(&e);
                if let Some((_, chosen)) = QUOTES.iter().find(|(name, _)| *name == value) {
                    let chosen = *chosen;
                    change_reading(flow, reader, move |job| job.reading.quote = Some(chosen));
                }
            }>
                {QUOTES.into_iter().map(|(name, byte)| view! {
                    <option value=name prop:selected=move || quote() == Some(byte)>{t!(&format!("import-quote-{name}"))}</option>
                }).collect_view()}
            </select>
        </div>
    };
    let sheet_picker = view! {
        <div class="field">
            <label for="import-sheet">{t!("import-sheet")}</label>
            <select id="import-sheet" on:change=move |e| {
                let chosen = event_target_value(&e);
                change_reading(flow, reader, move |job| job.sheet = Some(chosen));
            }>
                {move || sheets().into_iter().map(|name| {
                    let this = name.clone();
                    let value = name.clone();
                    view! { <option value=value prop:selected=move || sheet().as_ref() == Some(&this)>{name}</option> }
                }).collect_view()}
            </select>
        </div>
    };
    view! {
        <h2>{t!("import-reading-title")}</h2>
        <p class="hint">{t!("import-reading-hint")}</p>
        <div class="import-pickers">
            {(format == SourceFormat::Text).then_some(text_pickers)}
            {(format == SourceFormat::Spreadsheet).then_some(sheet_picker)}
            <label class="check" for="import-header">
                <input type="checkbox" id="import-header" prop:checked=header on:change=move |e| {
                    let on = event_target_checked(&e);
                    change_reading(flow, reader, move |job| job.reading.header = Some(on));
                } />
                {t!("import-header")}
            </label>
        </div>
        <p class="import-read-state" role="status" aria-live="polite">
            {move || if reader.busy() {
                t!("import-reading")
            } else {
                preview.with(|p| p.as_ref().map(|p| t!("import-rows", count = p.total.to_string(), shown = grouped(p.total)))).unwrap_or_default()
            }}
        </p>
        {move || preview.get().map(|preview| view! { <PreviewTable preview=preview /> })}
        <div class="actions">
            <A href="/records/import" attr:class="button">{t!("import-other-file")}</A>
            <button type="button" class="primary" on:click=next
                disabled=move || reader.busy() || preview.with(Option::is_none)>{t!("import-next-mapping")}</button>
        </div>
    }
}
