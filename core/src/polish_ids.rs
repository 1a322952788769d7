//! Polish identifiers and their check digits: NIP (tax number), PESEL (personal number),
//! REGON (statistical number of a business, 9 or 14 digits).
//!
//! People type them with dashes, spaces and (for NIP) a `PL` prefix; the normalized form is
//! the bare digits, which is what is stored and searched.

use thiserror::Error;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum PolishIdError {
    #[error("a NIP has 10 digits")]
    NipLength,
    #[error("this NIP's check digit is wrong; check for a typing mistake")]
    NipCheckDigit,
    #[error("a PESEL has 11 digits")]
    PeselLength,
    #[error("this PESEL's check digit is wrong; check for a typing mistake")]
    PeselCheckDigit,
    #[error("this PESEL does not encode a real date of birth")]
    PeselDate,
    #[error("a REGON has 9 or 14 digits")]
    RegonLength,
    #[error("this REGON's check digit is wrong; check for a typing mistake")]
    RegonCheckDigit,
    #[error("only digits, spaces and dashes are allowed")]
    Characters,
}

/// The digits of `input`, allowing spaces, dashes and dots between them (and a leading
/// country prefix `PL` when `allow_prefix`).
fn digits(input: &str, allow_prefix: bool) -> Result<Vec<u32>, PolishIdError> {
    let mut text = input.trim();
    if allow_prefix && let Some(rest) = text.strip_prefix("PL").or_else(|| text.strip_prefix("pl"))
    {
        text = rest.trim_start();
    }
    let mut out = Vec::with_capacity(14);
    for c in text.chars() {
        match c {
            '0'..='9' => out.push(u32::from(c) - u32::from('0')),
            ' ' | '-' | '.' => {}
            _ => return Err(PolishIdError::Characters),
        }
    }
    Ok(out)
}

fn weighted(digits: &[u32], weights: &[u32]) -> u32 {
    digits.iter().zip(weights).map(|(d, w)| d * w).sum()
}

fn to_text(digits: &[u32]) -> String {
    digits
        .iter()
        .filter_map(|d| char::from_digit(*d, 10))
        .collect()
}

/// Checks a NIP and returns its 10 digits.
pub fn normalize_nip(input: &str) -> Result<String, PolishIdError> {
    let d = digits(input, true)?;
    if d.len() != 10 {
        return Err(PolishIdError::NipLength);
    }
    let check = weighted(&d[..9], &[6, 5, 7, 2, 3, 4, 5, 6, 7]) % 11;
    // A remainder of 10 is never issued.
    if check == 10 || check != d[9] {
        return Err(PolishIdError::NipCheckDigit);
    }
    Ok(to_text(&d))
}

/// Checks a PESEL (check digit and the date of birth it encodes) and returns its 11 digits.
pub fn normalize_pesel(input: &str) -> Result<String, PolishIdError> {
    let d = digits(input, false)?;
    if d.len() != 11 {
        return Err(PolishIdError::PeselLength);
    }
    let sum = weighted(&d[..10], &[1, 3, 7, 9, 1, 3, 7, 9, 1, 3]);
    if (10 - sum % 10) % 10 != d[10] {
        return Err(PolishIdError::PeselCheckDigit);
    }
    let year = d[0] * 10 + d[1];
    let coded_month = d[2] * 10 + d[3];
    let day = d[4] * 10 + d[5];
    // The century is coded by adding 80, 0, 20, 40 or 60 to the month.
    let (century, month) = match coded_month {
        81..=92 => (1800, coded_month - 80),
        1..=12 => (1900, coded_month),
        21..=32 => (2000, coded_month - 20),
        41..=52 => (2100, coded_month - 40),
        61..=72 => (2200, coded_month - 60),
        _ => return Err(PolishIdError::PeselDate),
    };
    let full_year = i32::try_from(century + year).map_err(|_| PolishIdError::PeselDate)?;
    let month = time::Month::try_from(u8::try_from(month).map_err(|_| PolishIdError::PeselDate)?)
        .map_err(|_| PolishIdError::PeselDate)?;
    let day = u8::try_from(day).map_err(|_| PolishIdError::PeselDate)?;
    time::Date::from_calendar_date(full_year, month, day).map_err(|_| PolishIdError::PeselDate)?;
    Ok(to_text(&d))
}

/// Checks a REGON (9 or 14 digits; a 14-digit one also carries its 9-digit parent's check
/// digit) and returns its digits.
pub fn normalize_regon(input: &str) -> Result<String, PolishIdError> {
    let d = digits(input, false)?;
    let check = |d: &[u32], weights: &[u32]| (weighted(d, weights) % 11) % 10;
    match d.len() {
        9 => {
            if check(&d[..8], &[8, 9, 2, 3, 4, 5, 6, 7]) != d[8] {
                return Err(PolishIdError::RegonCheckDigit);
            }
        }
        14 => {
            if check(&d[..8], &[8, 9, 2, 3, 4, 5, 6, 7]) != d[8]
                || check(&d[..13], &[2, 4, 8, 5, 0, 9, 7, 3, 6, 1, 2, 4, 8]) != d[13]
            {
                return Err(PolishIdError::RegonCheckDigit);
            }
        }
        _ => return Err(PolishIdError::RegonLength),
    }
    Ok(to_text(&d))
}

/// Makes a valid PESEL from its first ten digits (for demo data and tests).
pub fn pesel_with_check_digit(first_ten: &str) -> Option<String> {
    let d = digits(first_ten, false).ok()?;
    if d.len() != 10 {
        return None;
    }
    let sum = weighted(&d, &[1, 3, 7, 9, 1, 3, 7, 9, 1, 3]);
    Some(format!("{}{}", to_text(&d), (10 - sum % 10) % 10))
}

/// Makes a valid NIP from its first nine digits, or `None` when no check digit exists.
pub fn nip_with_check_digit(first_nine: &str) -> Option<String> {
    let d = digits(first_nine, false).ok()?;
    if d.len() != 9 {
        return None;
    }
    let check = weighted(&d, &[6, 5, 7, 2, 3, 4, 5, 6, 7]) % 11;
    (check != 10).then(|| format!("{}{check}", to_text(&d)))
}

/// Makes a valid 9-digit REGON from its first eight digits.
pub fn regon_with_check_digit(first_eight: &str) -> Option<String> {
    let d = digits(first_eight, false).ok()?;
    if d.len() != 8 {
        return None;
    }
    let check = (weighted(&d, &[8, 9, 2, 3, 4, 5, 6, 7]) % 11) % 10;
    Some(format!("{}{check}", to_text(&d)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each input normalizes to its expected digits or is refused with its error. (The NIP,
    /// PESEL and REGON tables below are alike on purpose: one table per identifier.)
    #[track_caller]
    fn check(
        normalize: fn(&str) -> Result<String, PolishIdError>,
        cases: &[(&str, Result<&str, PolishIdError>)],
    ) {
        for (input, expected) in cases {
            assert_eq!(
                normalize(input).as_deref().map_err(|e| *e),
                *expected,
                "{input}"
            );
        }
    }

    #[test]
    fn nip() {
        check(
            normalize_nip,
            &[
                ("5260250274", Ok("5260250274")),
                ("526-025-02-74", Ok("5260250274")),
                ("526 02 50 274", Ok("5260250274")),
                ("PL5260250274", Ok("5260250274")),
                ("pl 526-025-02-74", Ok("5260250274")),
                ("7740001454", Ok("7740001454")),
                ("5260250275", Err(PolishIdError::NipCheckDigit)),
                ("1234567890", Err(PolishIdError::NipCheckDigit)),
                ("526025027", Err(PolishIdError::NipLength)),
                ("52602502741", Err(PolishIdError::NipLength)),
                ("", Err(PolishIdError::NipLength)),
                ("526O250274", Err(PolishIdError::Characters)),
            ],
        );
    }

    #[test]
    fn pesel() {
        check(
            normalize_pesel,
            &[
                ("44051401359", Ok("44051401359")),
                ("440514 01359", Ok("44051401359")),
                ("02070803628", Ok("02070803628")),
                // Month 27: July of a year in the 2000s.
                ("02270803624", Ok("02270803624")),
                ("44051401358", Err(PolishIdError::PeselCheckDigit)),
                ("4405140135", Err(PolishIdError::PeselLength)),
                // Valid check digit, month 13 does not exist.
                ("44131401350", Err(PolishIdError::PeselDate)),
                // 31 February.
                ("44023101353", Err(PolishIdError::PeselDate)),
            ],
        );
    }

    #[test]
    fn regon() {
        check(
            normalize_regon,
            &[
                ("123456785", Ok("123456785")),
                ("732065814", Ok("732065814")),
                ("123-456-785", Ok("123456785")),
                ("12345678512347", Ok("12345678512347")),
                ("123456786", Err(PolishIdError::RegonCheckDigit)),
                ("12345678512348", Err(PolishIdError::RegonCheckDigit)),
                ("1234567", Err(PolishIdError::RegonLength)),
            ],
        );
    }

    #[test]
    fn generators_make_valid_numbers() {
        for n in 0..500u32 {
            let ten = format!(
                "{:02}{:02}{:02}{:04}",
                50 + n % 50,
                1 + n % 12,
                1 + n % 28,
                n
            );
            let pesel = pesel_with_check_digit(&ten).unwrap_or_default();
            assert!(normalize_pesel(&pesel).is_ok(), "{pesel}");
            if let Some(nip) = nip_with_check_digit(&format!("{:09}", 100_000_000 + n * 7919)) {
                assert!(normalize_nip(&nip).is_ok(), "{nip}");
            }
            let regon = regon_with_check_digit(&format!("{:08}", 10_000_000 + n * 104_729))
                .unwrap_or_default();
            assert!(normalize_regon(&regon).is_ok(), "{regon}");
        }
    }
}
