//! The message catalog. Every user-facing string is looked up here by key, so translators
//! can reorder whole sentences (Fluent placeables), never pieces glued together in code.

use std::cell::RefCell;

use fluent_bundle::{FluentArgs, FluentBundle, FluentResource, FluentValue};
use minicrm_core::input::FieldError;
use unic_langid::LanguageIdentifier;

/// (language, catalog). English first; Polish, Czech and Hungarian follow.
const CATALOGS: &[(&str, &str)] = &[("en", include_str!("../locales/en.ftl"))];

thread_local! {
    static BUNDLE: RefCell<Option<FluentBundle<FluentResource>>> = const { RefCell::new(None) };
}

/// The user's language as the browser reports it, lowercase (`pl-pl`): the catalog is
/// chosen by it, and what follows the user's other programs (the CSV delimiter their Excel
/// expects) reads it, whether or not the catalog has that language yet.
pub fn language() -> String {
    web_sys::window()
        .and_then(|window| window.navigator().language())
        .unwrap_or_default()
        .to_lowercase()
}

fn preferred_language() -> &'static str {
    let wanted = language();
    CATALOGS
        .iter()
        .find(|(lang, _)| wanted.starts_with(lang))
        .map_or(CATALOGS[0].0, |(lang, _)| lang)
}

fn build_bundle(lang: &str) -> FluentBundle<FluentResource> {
    let source = CATALOGS
        .iter()
        .find(|(l, _)| *l == lang)
        .map_or(CATALOGS[0].1, |(_, source)| source);
    let langid: LanguageIdentifier = lang.parse().unwrap_or_default();
    let mut bundle = FluentBundle::new(vec![langid]);
    // No Unicode isolation marks: they would end up in copied text and in tests.
    bundle.set_use_isolating(false);
    let resource = match FluentResource::try_new(source.to_owned()) {
        Ok(resource) => resource,
        Err((resource, errors)) => {
            web_sys::console::error_1(&format!("message catalog {lang}: {errors:?}").into());
            resource
        }
    };
    if let Err(errors) = bundle.add_resource(resource) {
        web_sys::console::error_1(&format!("message catalog {lang}: {errors:?}").into());
    }
    bundle
}

/// The message `key` with `args` filled in. A missing key shows the key itself, so a
/// forgotten translation is visible rather than blank.
pub fn message(key: &str, args: &[(&str, &str)]) -> String {
    BUNDLE.with(|cell| {
        let mut cell = cell.borrow_mut();
        let bundle = cell.get_or_insert_with(|| build_bundle(preferred_language()));
        let Some(pattern) = bundle.get_message(key).and_then(|message| message.value()) else {
            return key.to_owned();
        };
        let mut fluent_args = FluentArgs::new();
        for (name, value) in args {
            // Whole numbers go in as numbers, so plural forms choose by them; digits that are
            // not written as a number would be ("062624", the tail of a device id) stay text.
            let is_count = !value.is_empty()
                && value.len() < 16
                && value.bytes().all(|b| b.is_ascii_digit())
                && (*value == "0" || !value.starts_with('0'));
            match value.parse::<f64>() {
                Ok(number) if is_count => fluent_args.set(*name, FluentValue::from(number)),
                _ => fluent_args.set(*name, FluentValue::from(*value)),
            }
        }
        let mut errors = Vec::new();
        let text = bundle.format_pattern(pattern, Some(&fluent_args), &mut errors);
        text.into_owned()
    })
}

/// Why a field's input cannot be saved, in the user's words.
pub fn field_error(err: &FieldError) -> String {
    use minicrm_core::phone::PhoneError;
    use minicrm_core::polish_ids::PolishIdError as P;
    use minicrm_core::validate::InputError;
    let key = match err {
        FieldError::Required => "error-required",
        FieldError::TooLong(max) => return crate::t!("error-too-long", max = max.to_string()),
        FieldError::Email(InputError::EmailEmpty) => "error-email-empty",
        FieldError::Email(_) => "error-email",
        FieldError::Phone(PhoneError::Empty) => "error-phone-empty",
        FieldError::Phone(PhoneError::Invalid(_)) => "error-phone-invalid",
        FieldError::Phone(_) => "error-phone",
        FieldError::PolishId(P::NipLength) => "error-nip-length",
        FieldError::PolishId(P::NipCheckDigit) => "error-nip-check",
        FieldError::PolishId(P::PeselLength) => "error-pesel-length",
        FieldError::PolishId(P::PeselCheckDigit) => "error-pesel-check",
        FieldError::PolishId(P::PeselDate) => "error-pesel-date",
        FieldError::PolishId(P::RegonLength) => "error-regon-length",
        FieldError::PolishId(P::RegonCheckDigit) => "error-regon-check",
        FieldError::PolishId(P::Characters) => "error-id-characters",
        FieldError::NotANumber => "error-number",
        FieldError::NotADate => "error-date",
        FieldError::NotAnOption => "error-option",
        FieldError::PhoneType => "error-phone-type",
        FieldError::NotADuration => "error-duration",
        FieldError::EndsBeforeStart => "error-ends-before-start",
        FieldError::NameRequired => "error-name-required",
    };
    message(key, &[])
}

/// `t!("key")` or `t!("key", name = value, …)`.
#[macro_export]
macro_rules! t {
    ($key:expr) => {
        $crate::i18n::message($key, &[])
    };
    ($key:expr, $($name:ident = $value:expr),+ $(,)?) => {
        $crate::i18n::message($key, &[$((stringify!($name), &*$value)),+])
    };
}
