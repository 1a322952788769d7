//! The team's time zone (Settings → General): its UTC offset at any instant, from the
//! browser's own time-zone database (Intl), so the reports' days are the team's days
//! whatever zone the device is set to. Core works out the days from the offset.

use wasm_bindgen::{JsCast, JsValue};

/// A named zone the browser knows, or the device's own zone when it does not.
#[derive(Clone)]
pub struct Zone {
    pub name: String,
    /// The zone's `Intl.DateTimeFormat(…).format` (en-US, numeric, 24 h).
    format: Option<js_sys::Function>,
}

fn intl_date_time_format() -> Option<js_sys::Function> {
    let intl = js_sys::Reflect::get(&js_sys::global(), &"Intl".into()).ok()?;
    js_sys::Reflect::get(&intl, &"DateTimeFormat".into())
        .ok()?
        .dyn_into::<js_sys::Function>()
        .ok()
}

thread_local! {
    /// Zones made so far, by name: making an Intl formatter takes a while, and every
    /// report asks for the team's zone.
    static ZONES: std::cell::RefCell<std::collections::HashMap<String, Zone>> =
        std::cell::RefCell::new(std::collections::HashMap::new());
}

impl Zone {
    pub fn new(name: &str) -> Zone {
        if let Some(zone) = ZONES.with(|zones| zones.borrow().get(name).cloned()) {
            return zone;
        }
        let options = js_sys::Object::new();
        let set = |key: &str, value: &str| {
            let _ = js_sys::Reflect::set(&options, &key.into(), &value.into());
        };
        set("timeZone", name);
        set("hourCycle", "h23");
        for part in ["year", "month", "day", "hour", "minute", "second"] {
            set(part, "numeric");
        }
        // An unknown name throws a RangeError: construct through Reflect to catch it.
        let format = intl_date_time_format().and_then(|constructor| {
            let args = js_sys::Array::of2(&"en-US".into(), &options);
            js_sys::Reflect::construct(&constructor, &args)
                .ok()
                .map(JsCast::unchecked_into::<js_sys::Intl::DateTimeFormat>)
        });
        let zone = Zone {
            name: name.to_owned(),
            format: format.map(|format| format.format()),
        };
        ZONES.with(|zones| zones.borrow_mut().insert(name.to_owned(), zone.clone()));
        zone
    }

    /// The browser knows this zone (else the device's own offsets are used).
    pub fn known(&self) -> bool {
        self.format.is_some()
    }

    /// The zone's UTC offset in minutes at `ms` (e.g. +60 in Warsaw in winter).
    pub fn offset_at(&self, ms: i64) -> i32 {
        let Some(format) = &self.format else {
            return super::now::offset_at(ms);
        };
        let seconds = ms.div_euclid(1000) * 1000;
        let date = js_sys::Date::new(&JsValue::from_f64(seconds as f64));
        // "12/4/2026, 23:05:09": month, day, year, hour, minute, second (one call, where
        // formatToParts made a dozen).
        let text = format
            .call1(&JsValue::UNDEFINED, &date)
            .ok()
            .and_then(|text| text.as_string())
            .unwrap_or_default();
        let mut numbers = text
            .split(|c: char| !c.is_ascii_digit())
            .filter(|part| !part.is_empty())
            .map(|part| part.parse::<f64>().unwrap_or(0.0));
        let mut next = || numbers.next().unwrap_or(0.0);
        let (month, day, year, hour, minute, second) =
            (next(), next(), next(), next(), next(), next());
        // Some engines write midnight as 24:00 even in h23.
        let hour = hour % 24.0;
        let wall_ms = js_sys::Date::utc(year, month - 1.0)
            + ((day - 1.0) * 86_400.0 + hour * 3_600.0 + minute * 60.0 + second) * 1000.0;
        ((wall_ms - seconds as f64) / 60_000.0).round() as i32
    }
}

/// Every zone the browser knows, for the setting's list (empty when it cannot say).
pub fn zone_names() -> Vec<String> {
    let names = js_sys::Reflect::get(&js_sys::global(), &"Intl".into())
        .and_then(|intl| {
            let of = js_sys::Reflect::get(&intl, &"supportedValuesOf".into())?;
            of.dyn_into::<js_sys::Function>()?
                .call1(&intl, &"timeZone".into())
        })
        .ok();
    names
        .and_then(|names| names.dyn_into::<js_sys::Array>().ok())
        .map(|names| names.iter().filter_map(|name| name.as_string()).collect())
        .unwrap_or_default()
}

/// The zone the device is set to (a default for the setting's list).
pub fn device_zone() -> Option<String> {
    let format = intl_date_time_format()?;
    let instance = js_sys::Reflect::construct(&format, &js_sys::Array::new()).ok()?;
    let resolved = js_sys::Reflect::get(&instance, &"resolvedOptions".into())
        .ok()?
        .dyn_into::<js_sys::Function>()
        .ok()?
        .call0(&instance)
        .ok()?;
    js_sys::Reflect::get(&resolved, &"timeZone".into())
        .ok()?
        .as_string()
}

/// Calendar days (core's day numbers) written out in the user's language with one set of
/// Intl options (weekday, day, month, year), e.g. "Thu, 3 Dec 2026": one formatter for
/// many days (making one per day is slow).
pub struct DayFormat(Option<js_sys::Intl::DateTimeFormat>);

impl DayFormat {
    pub fn new(options: &[(&str, &str)]) -> DayFormat {
        let object = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&object, &"timeZone".into(), &"UTC".into());
        for (key, value) in options {
            let _ = js_sys::Reflect::set(&object, &(*key).into(), &(*value).into());
        }
        let format = intl_date_time_format().and_then(|constructor| {
            let locales = js_sys::Array::of1(&crate::i18n::language().into());
            js_sys::Reflect::construct(&constructor, &js_sys::Array::of2(&locales, &object))
                .or_else(|_| {
                    js_sys::Reflect::construct(
                        &constructor,
                        &js_sys::Array::of2(&JsValue::UNDEFINED, &object),
                    )
                })
                .ok()
                .map(JsCast::unchecked_into::<js_sys::Intl::DateTimeFormat>)
        });
        DayFormat(format)
    }

    pub fn label(&self, day: i64) -> String {
        let ms = day as f64 * minicrm_core::report::DAY_MS as f64;
        match &self.0 {
            Some(format) => format
                .format()
                .call1(
                    &JsValue::UNDEFINED,
                    &js_sys::Date::new(&JsValue::from_f64(ms)),
                )
                .ok()
                .and_then(|text| text.as_string())
                .unwrap_or_else(|| minicrm_core::report::iso_day(day)),
            None => minicrm_core::report::iso_day(day),
        }
    }
}

/// One calendar day written out (see [`DayFormat`]).
pub fn day_label(day: i64, options: &[(&str, &str)]) -> String {
    DayFormat::new(options).label(day)
}
