//! Phone numbers: normalized to E.164 with the `phonenumber` crate (Google's libphonenumber
//! metadata), shown in national format for the team's default country and international
//! otherwise, and reduced to digits for searching.

use phonenumber::country::Id as CountryId;
use phonenumber::{Mode, PhoneNumber};
use thiserror::Error;

/// The default country when the admin has not chosen one.
pub const FALLBACK_COUNTRY: &str = "PL";

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PhoneError {
    #[error("enter a phone number")]
    Empty,
    #[error("{0:?} is not a phone number")]
    NotANumber(String),
    #[error(
        "{0:?} is not a valid number for its country; add the country code (+…) if it is foreign"
    )]
    Invalid(String),
    #[error("{0:?} is not a country code we know (use two letters, e.g. PL)")]
    UnknownCountry(String),
}

/// A two-letter country code as the phone metadata knows it (e.g. `PL`, `CZ`, `HU`).
pub fn country(code: &str) -> Result<CountryId, PhoneError> {
    let upper = code.trim().to_ascii_uppercase();
    upper
        .parse::<CountryId>()
        .map_err(|_| PhoneError::UnknownCountry(code.trim().to_owned()))
}

/// Whether `code` is a country the phone metadata knows.
pub fn is_known_country(code: &str) -> bool {
    country(code).is_ok()
}

fn parse(input: &str, default_country: &str) -> Result<PhoneNumber, PhoneError> {
    let text = input.trim();
    if text.is_empty() {
        return Err(PhoneError::Empty);
    }
    let region = country(default_country).ok();
    // "00" is the international prefix across Europe; libphonenumber only knows it for the
    // default country's own dialling rules, so spell it as "+".
    let owned;
    let text = match text.strip_prefix("00") {
        Some(rest) if rest.starts_with(|c: char| c.is_ascii_digit()) => {
            owned = format!("+{rest}");
            owned.as_str()
        }
        _ => text,
    };
    let number = phonenumber::parse(region, text)
        .map_err(|_| PhoneError::NotANumber(input.trim().to_owned()))?;
    if !phonenumber::is_valid(&number) {
        return Err(PhoneError::Invalid(input.trim().to_owned()));
    }
    Ok(number)
}

/// Normalizes what a person typed to E.164 (`+48600100200`), reading numbers without a
/// country code as numbers of `default_country`.
pub fn normalize(input: &str, default_country: &str) -> Result<String, PhoneError> {
    parse(input, default_country).map(|n| n.format().mode(Mode::E164).to_string())
}

/// How to show a stored number: national format when it belongs to `default_country`,
/// international otherwise; a stored value that does not parse is shown as it is.
pub fn display(stored: &str, default_country: &str) -> String {
    match parse(stored, default_country) {
        Ok(number) => {
            let home = country(default_country).ok();
            let mode = if home.is_some() && number.country().id() == home {
                Mode::National
            } else {
                Mode::International
            };
            number.format().mode(mode).to_string()
        }
        Err(_) => stored.to_owned(),
    }
}

/// The digits of a phone number or a query, with the international prefix `00` dropped
/// (`0048 600…` and `+48 600…` both give `48600…`).
pub fn digits(text: &str) -> String {
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    match digits.strip_prefix("00") {
        Some(rest) if !text.trim_start().starts_with('+') => rest.to_owned(),
        _ => digits,
    }
}

/// The digit strings a stored E.164 number should be found by when a query's digits are a
/// substring of one of them: the full international digits, and the national significant
/// number (so `600100200` and `48600100200` both find `+48600100200`).
pub fn search_keys(stored: &str) -> Vec<String> {
    let all = digits(stored);
    let mut keys = vec![all.clone()];
    if let Ok(number) = phonenumber::parse(None, stored) {
        let national = number.national().value().to_string();
        if !national.is_empty() && national != all {
            keys.push(national);
        }
    }
    keys
}

/// A query's digits as they could appear in stored digits: as typed, and without national
/// trunk prefixes (`06 30…` in Hungary, `0…` elsewhere), which E.164 never contains.
pub fn query_variants(query_digits: &str) -> Vec<String> {
    let mut variants = vec![query_digits.to_owned()];
    for prefix in ["06", "0"] {
        if let Some(rest) = query_digits.strip_prefix(prefix)
            && rest.len() >= 3
        {
            variants.push(rest.to_owned());
        }
    }
    variants
}

#[cfg(test)]
mod tests {
    use super::*;

    // The tables below are test data: rows alike in shape to other tables by nature.
    #[test]
    fn normalizes_national_and_international_forms() {
        let cases: &[(&str, &str, &str)] = &[
            ("600100200", "PL", "+48600100200"),
            ("600 100 200", "PL", "+48600100200"),
            ("600-100-200", "PL", "+48600100200"),
            ("+48 600 100 200", "PL", "+48600100200"),
            ("0048 600 100 200", "PL", "+48600100200"),
            ("(+48) 600-100-200", "PL", "+48600100200"),
            ("+48600100200", "CZ", "+48600100200"),
            ("22 123 45 67", "PL", "+48221234567"),
            ("601 123 456", "CZ", "+420601123456"),
            ("+420 601 123 456", "PL", "+420601123456"),
            ("00420601123456", "HU", "+420601123456"),
            ("06 30 123 4567", "HU", "+36301234567"),
            ("06-1-234-5678", "HU", "+3612345678"),
            ("+36 30 123 4567", "PL", "+36301234567"),
            ("030 1234567", "DE", "+49301234567"),
            ("+44 20 7946 0958", "PL", "+442079460958"),
            (" 600100200 ", "pl", "+48600100200"),
        ];
        for (input, country, expected) in cases {
            assert_eq!(
                normalize(input, country).as_deref(),
                Ok(*expected),
                "{input} in {country}"
            );
        }
    }

    #[test]
    fn refuses_what_is_not_a_number() {
        let cases: &[(&str, &str)] = &[
            ("", "PL"),
            ("   ", "PL"),
            ("call me", "PL"),
            ("123", "PL"),
            ("600 100 20", "PL"),
            ("+48 600 100 200 300", "PL"),
            ("+999 123 456", "PL"),
        ];
        for (input, country) in cases {
            assert!(normalize(input, country).is_err(), "{input} in {country}");
        }
        assert_eq!(normalize("", "PL"), Err(PhoneError::Empty));
    }

    #[test]
    fn displays_home_numbers_nationally() {
        assert_eq!(display("+48600100200", "PL"), "600 100 200");
        assert_eq!(display("+48600100200", "CZ"), "+48 600 100 200");
        assert_eq!(display("+36301234567", "HU"), "06 30 123 4567");
        assert_eq!(display("not a number", "PL"), "not a number");
    }

    #[test]
    fn digits_and_search_keys() {
        assert_eq!(digits("+48 600-100-200"), "48600100200");
        assert_eq!(digits("0048 600 100 200"), "48600100200");
        assert_eq!(digits("600 100 200"), "600100200");
        assert_eq!(
            search_keys("+48600100200"),
            vec!["48600100200".to_owned(), "600100200".to_owned()]
        );
        assert_eq!(
            query_variants("06301234567"),
            vec![
                "06301234567".to_owned(),
                "301234567".to_owned(),
                "6301234567".to_owned()
            ]
        );
    }

    #[test]
    fn countries() {
        assert!(is_known_country("PL"));
        assert!(is_known_country("hu"));
        assert!(!is_known_country("XX"));
        assert!(!is_known_country("Poland"));
    }
}
