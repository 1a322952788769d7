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
///
/// No parsing: the replica computes these for every contact it holds, on the page's main
/// thread, and phonenumber's first parse compiles its metadata's patterns (400 ms there),
/// each later one costing far more than a table lookup. A stored number is E.164, so its
/// national digits are what follows its country calling code.
pub fn search_keys(stored: &str) -> Vec<String> {
    let all = digits(stored);
    let mut keys = vec![all.clone()];
    if let Some(national) = national_digits(stored, &all)
        && !national.is_empty()
        && national != all
    {
        keys.push(national);
    }
    keys
}

/// The country calling codes of phonenumber's metadata, in order (a test holds them to
/// it). ITU's codes are a prefix code: none is the beginning of another, so the first one
/// to three digits of an E.164 number name exactly one.
const CALLING_CODES: [u16; 207] = [
    1, 7, 20, 27, 30, 31, 32, 33, 34, 36, 39, 40, 41, 43, 44, 45, 46, 47, 48, 49, 51, 52, 53, 54,
    55, 56, 57, 58, 60, 61, 62, 63, 64, 65, 66, 81, 82, 84, 86, 90, 91, 92, 93, 94, 95, 98, 211,
    212, 213, 216, 218, 220, 221, 222, 223, 224, 225, 226, 227, 228, 229, 230, 231, 232, 233, 234,
    235, 236, 237, 238, 239, 240, 241, 242, 243, 244, 245, 246, 247, 248, 249, 250, 251, 252, 253,
    254, 255, 256, 257, 258, 260, 261, 262, 263, 264, 265, 266, 267, 268, 269, 290, 291, 297, 298,
    299, 350, 351, 352, 353, 354, 355, 356, 357, 358, 359, 370, 371, 372, 373, 374, 375, 376, 377,
    378, 380, 381, 382, 383, 385, 386, 387, 389, 420, 421, 423, 500, 501, 502, 503, 504, 505, 506,
    507, 508, 509, 590, 591, 592, 593, 594, 595, 596, 597, 598, 599, 670, 672, 673, 674, 675, 676,
    677, 678, 679, 680, 681, 682, 683, 685, 686, 687, 688, 689, 690, 691, 692, 850, 852, 853, 855,
    856, 880, 886, 960, 961, 962, 963, 964, 965, 966, 967, 968, 970, 971, 972, 973, 974, 975, 976,
    977, 979, 992, 993, 994, 995, 996, 998,
];

/// The national significant number of a stored (E.164) number: its digits after the
/// country calling code, as a number (leading zeros dropped, as phonenumber gives it).
fn national_digits(stored: &str, all: &str) -> Option<String> {
    if !stored.trim_start().starts_with('+') {
        return None;
    }
    (1..=3).find_map(|len| {
        let code: u16 = all.get(..len)?.parse().ok()?;
        CALLING_CODES.binary_search(&code).ok()?;
        Some(all[len..].trim_start_matches('0').to_owned())
    })
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

    #[test]
    fn the_calling_codes_are_the_metadatas() {
        let mut codes: Vec<u16> = phonenumber::metadata::DATABASE
            .iter()
            .map(|meta| meta.country_code())
            .collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes, CALLING_CODES);
        // A prefix code: no code begins another.
        for a in CALLING_CODES {
            for b in CALLING_CODES {
                assert!(
                    a == b || !b.to_string().starts_with(&a.to_string()),
                    "{a} {b}"
                );
            }
        }
    }

    /// The keys as phonenumber's parse gave them before (the reference).
    fn parsed_keys(stored: &str) -> Vec<String> {
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

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(400))]
        /// For every number the record form stores (normalized, any region), the keys
        /// are the ones phonenumber's parse gives.
        #[test]
        fn search_keys_of_stored_numbers_are_phonenumbers(
            region in proptest::sample::select(vec!["PL", "CZ", "HU", "SK", "DE", "AT", "GB", "US", "UA", "IT", "FR", "RO", "RU", "IE", "CH"]),
            national in "[0-9]{6,11}",
        ) {
            if let Ok(stored) = normalize(&national, region) {
                proptest::prop_assert_eq!(search_keys(&stored), parsed_keys(&stored), "{}", stored);
            }
        }

        /// Any digits after any code, whenever phonenumber would store them as they are
        /// (what is stored is normalize's output): the same keys.
        #[test]
        fn search_keys_follow_the_calling_code(
            code in proptest::sample::select(CALLING_CODES.to_vec()),
            rest in "[1-9][0-9]{3,11}",
        ) {
            let stored = format!("+{code}{rest}");
            if normalize(&stored, "PL").as_deref() == Ok(stored.as_str()) {
                proptest::prop_assert_eq!(search_keys(&stored), parsed_keys(&stored), "{}", stored);
            }
        }
    }
}
