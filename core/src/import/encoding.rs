//! Which character set a text file is in, and its text.
//!
//! A file's encoding is detected in this order: a byte order mark; UTF-16 without a mark
//! (by where its zero bytes fall); valid UTF-8 (plain ASCII included); else the likeliest
//! of the single-byte sets Central-European and Western offices use: Windows-1250 (what
//! Excel writes in Polish, Czech and Hungarian locales), ISO-8859-2, Windows-1252 and the
//! DOS code page 852. chardetng guesses among the Web's encodings from letter statistics;
//! a plausibility score over the text each candidate decodes to (letters of the languages
//! we expect against box drawing, control codes and odd symbols) confirms or overrules it,
//! and is the only judge of CP852, which the Web (and encoding_rs) does not know.

use std::str::FromStr;

use encoding_rs::{EncoderResult, Encoding};
use serde::{Deserialize, Serialize};

/// The encodings a text file is read in (and a CSV export written in).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TextEncoding {
    #[serde(rename = "utf-8")]
    Utf8,
    #[serde(rename = "utf-16le")]
    Utf16Le,
    #[serde(rename = "utf-16be")]
    Utf16Be,
    #[serde(rename = "windows-1250")]
    Windows1250,
    #[serde(rename = "iso-8859-2")]
    Iso8859_2,
    #[serde(rename = "windows-1252")]
    Windows1252,
    #[serde(rename = "cp852")]
    Cp852,
}

impl TextEncoding {
    /// Every encoding, in the order a picker lists them.
    pub const ALL: [TextEncoding; 7] = [
        TextEncoding::Utf8,
        TextEncoding::Windows1250,
        TextEncoding::Iso8859_2,
        TextEncoding::Windows1252,
        TextEncoding::Cp852,
        TextEncoding::Utf16Le,
        TextEncoding::Utf16Be,
    ];

    /// The name on the wire and in stored settings (the same as serde's).
    pub fn as_str(self) -> &'static str {
        match self {
            TextEncoding::Utf8 => "utf-8",
            TextEncoding::Utf16Le => "utf-16le",
            TextEncoding::Utf16Be => "utf-16be",
            TextEncoding::Windows1250 => "windows-1250",
            TextEncoding::Iso8859_2 => "iso-8859-2",
            TextEncoding::Windows1252 => "windows-1252",
            TextEncoding::Cp852 => "cp852",
        }
    }

    /// The name a person picks it by.
    pub fn label(self) -> &'static str {
        match self {
            TextEncoding::Utf8 => "UTF-8",
            TextEncoding::Utf16Le => "UTF-16 LE",
            TextEncoding::Utf16Be => "UTF-16 BE",
            TextEncoding::Windows1250 => "Windows-1250 (Central European)",
            TextEncoding::Iso8859_2 => "ISO-8859-2 (Latin-2)",
            TextEncoding::Windows1252 => "Windows-1252 (Western)",
            TextEncoding::Cp852 => "CP852 (DOS Latin-2)",
        }
    }

    /// encoding_rs's encoding of the same name (CP852 has none).
    fn whatwg(self) -> Option<&'static Encoding> {
        match self {
            TextEncoding::Utf8 => Some(encoding_rs::UTF_8),
            TextEncoding::Utf16Le => Some(encoding_rs::UTF_16LE),
            TextEncoding::Utf16Be => Some(encoding_rs::UTF_16BE),
            TextEncoding::Windows1250 => Some(encoding_rs::WINDOWS_1250),
            TextEncoding::Iso8859_2 => Some(encoding_rs::ISO_8859_2),
            TextEncoding::Windows1252 => Some(encoding_rs::WINDOWS_1252),
            TextEncoding::Cp852 => None,
        }
    }
}

/// A name [`TextEncoding::from_str`] does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown text encoding: {0}")]
pub struct UnknownEncoding(pub String);

impl FromStr for TextEncoding {
    type Err = UnknownEncoding;

    /// The wire names ([`TextEncoding::as_str`]) and the usual aliases, in any case.
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        let folded = name.trim().to_ascii_lowercase();
        let encoding = match folded.as_str() {
            "utf-8" | "utf8" => TextEncoding::Utf8,
            "utf-16le" | "utf16le" | "utf-16" => TextEncoding::Utf16Le,
            "utf-16be" | "utf16be" => TextEncoding::Utf16Be,
            "windows-1250" | "cp1250" | "win1250" => TextEncoding::Windows1250,
            "iso-8859-2" | "iso8859-2" | "latin2" | "latin-2" => TextEncoding::Iso8859_2,
            "windows-1252" | "cp1252" | "win1252" => TextEncoding::Windows1252,
            "cp852" | "ibm852" | "dos-852" => TextEncoding::Cp852,
            _ => return Err(UnknownEncoding(name.to_string())),
        };
        Ok(encoding)
    }
}

/// What [`detect`] found: the encoding, and whether the file starts with its byte order
/// mark.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Detected {
    pub encoding: TextEncoding,
    pub bom: bool,
}

/// The encoding a text file is most likely in.
///
/// UTF-16 without a mark is looked for before UTF-8 because ASCII text in UTF-16 is also
/// valid UTF-8 (full of NUL characters), which no real UTF-8 table is.
pub fn detect(bytes: &[u8]) -> Detected {
    if let Some((found, _)) = Encoding::for_bom(bytes) {
        let encoding = if found == encoding_rs::UTF_16LE {
            TextEncoding::Utf16Le
        } else if found == encoding_rs::UTF_16BE {
            TextEncoding::Utf16Be
        } else {
            TextEncoding::Utf8
        };
        return Detected {
            encoding,
            bom: true,
        };
    }
    let encoding = if let Some(utf16) = utf16_by_zeros(bytes) {
        utf16
    } else if std::str::from_utf8(bytes).is_ok() {
        TextEncoding::Utf8
    } else {
        likeliest_single_byte(bytes)
    };
    Detected {
        encoding,
        bom: false,
    }
}

/// The text of `bytes` read in `encoding`. A byte order mark of that encoding is dropped;
/// bytes that are not valid in it become U+FFFD.
pub fn decode(bytes: &[u8], encoding: TextEncoding) -> String {
    match encoding.whatwg() {
        Some(whatwg) => match encoding {
            TextEncoding::Utf8 | TextEncoding::Utf16Le | TextEncoding::Utf16Be => {
                whatwg.decode_with_bom_removal(bytes).0.into_owned()
            }
            _ => whatwg.decode_without_bom_handling(bytes).0.into_owned(),
        },
        None => decode_cp852(bytes),
    }
}

/// `text` in `encoding`, without a byte order mark; a character the encoding cannot hold
/// becomes `?`.
pub fn encode(text: &str, encoding: TextEncoding) -> Vec<u8> {
    match encoding {
        TextEncoding::Utf8 => text.as_bytes().to_vec(),
        TextEncoding::Utf16Le => text.encode_utf16().flat_map(u16::to_le_bytes).collect(),
        TextEncoding::Utf16Be => text.encode_utf16().flat_map(u16::to_be_bytes).collect(),
        TextEncoding::Cp852 => encode_cp852(text),
        TextEncoding::Windows1250 => encode_single_byte(text, encoding_rs::WINDOWS_1250),
        TextEncoding::Iso8859_2 => encode_single_byte(text, encoding_rs::ISO_8859_2),
        TextEncoding::Windows1252 => encode_single_byte(text, encoding_rs::WINDOWS_1252),
    }
}

/// One of encoding_rs's single-byte encodings, `?` for what it cannot hold (its own
/// `encode` would write HTML character references instead).
fn encode_single_byte(text: &str, encoding: &'static Encoding) -> Vec<u8> {
    let mut encoder = encoding.new_encoder();
    let mut out = Vec::with_capacity(text.len());
    let mut buffer = [0u8; 8192];
    let mut rest = text;
    loop {
        let (result, read, written) =
            encoder.encode_from_utf8_without_replacement(rest, &mut buffer, true);
        out.extend_from_slice(&buffer[..written]);
        rest = &rest[read..];
        match result {
            EncoderResult::InputEmpty => return out,
            EncoderResult::OutputFull => {}
            EncoderResult::Unmappable(_) => out.push(b'?'),
        }
    }
}

/// Code page 852 (IBM PC "Latin-2", the DOS code page of Central Europe): the characters
/// of bytes 0x80..=0xFF (0x00..=0x7F are ASCII). As in the Unicode Consortium's mapping
/// file CP852.TXT.
const CP852_UPPER: [char; 128] = [
    // 0x80
    '\u{00C7}', '\u{00FC}', '\u{00E9}', '\u{00E2}', '\u{00E4}', '\u{016F}', '\u{0107}', '\u{00E7}',
    '\u{0142}', '\u{00EB}', '\u{0150}', '\u{0151}', '\u{00EE}', '\u{0179}', '\u{00C4}', '\u{0106}',
    // 0x90
    '\u{00C9}', '\u{0139}', '\u{013A}', '\u{00F4}', '\u{00F6}', '\u{013D}', '\u{013E}', '\u{015A}',
    '\u{015B}', '\u{00D6}', '\u{00DC}', '\u{0164}', '\u{0165}', '\u{0141}', '\u{00D7}', '\u{010D}',
    // 0xA0
    '\u{00E1}', '\u{00ED}', '\u{00F3}', '\u{00FA}', '\u{0104}', '\u{0105}', '\u{017D}', '\u{017E}',
    '\u{0118}', '\u{0119}', '\u{00AC}', '\u{017A}', '\u{010C}', '\u{015F}', '\u{00AB}', '\u{00BB}',
    // 0xB0
    '\u{2591}', '\u{2592}', '\u{2593}', '\u{2502}', '\u{2524}', '\u{00C1}', '\u{00C2}', '\u{011A}',
    '\u{015E}', '\u{2563}', '\u{2551}', '\u{2557}', '\u{255D}', '\u{017B}', '\u{017C}', '\u{2510}',
    // 0xC0
    '\u{2514}', '\u{2534}', '\u{252C}', '\u{251C}', '\u{2500}', '\u{253C}', '\u{0102}', '\u{0103}',
    '\u{255A}', '\u{2554}', '\u{2569}', '\u{2566}', '\u{2560}', '\u{2550}', '\u{256C}', '\u{00A4}',
    // 0xD0
    '\u{0111}', '\u{0110}', '\u{010E}', '\u{00CB}', '\u{010F}', '\u{0147}', '\u{00CD}', '\u{00CE}',
    '\u{011B}', '\u{2518}', '\u{250C}', '\u{2588}', '\u{2584}', '\u{0162}', '\u{016E}', '\u{2580}',
    // 0xE0
    '\u{00D3}', '\u{00DF}', '\u{00D4}', '\u{0143}', '\u{0144}', '\u{0148}', '\u{0160}', '\u{0161}',
    '\u{0154}', '\u{00DA}', '\u{0155}', '\u{0170}', '\u{00FD}', '\u{00DD}', '\u{0163}', '\u{00B4}',
    // 0xF0
    '\u{00AD}', '\u{02DD}', '\u{02DB}', '\u{02C7}', '\u{02D8}', '\u{00A7}', '\u{00F7}', '\u{00B8}',
    '\u{00B0}', '\u{00A8}', '\u{02D9}', '\u{0171}', '\u{0158}', '\u{0159}', '\u{25A0}', '\u{00A0}',
];

fn decode_cp852(bytes: &[u8]) -> String {
    let upper = bytes.iter().filter(|&&b| b >= 0x80).count();
    let mut text = String::with_capacity(bytes.len() + upper * 2);
    let mut rest = bytes;
    while !rest.is_empty() {
        let ascii = rest.iter().position(|&b| b >= 0x80).unwrap_or(rest.len());
        // The bytes before `ascii` are ASCII, so valid UTF-8.
        text.push_str(std::str::from_utf8(&rest[..ascii]).unwrap_or_default());
        if let Some(&byte) = rest.get(ascii) {
            text.push(CP852_UPPER[usize::from(byte - 0x80)]);
            rest = &rest[ascii + 1..];
        } else {
            rest = &[];
        }
    }
    text
}

fn encode_cp852(text: &str) -> Vec<u8> {
    let mut reverse: Vec<(char, u8)> = CP852_UPPER
        .iter()
        .zip(0x80u8..=0xFF)
        .map(|(&c, b)| (c, b))
        .collect();
    reverse.sort_unstable();
    let mut out = Vec::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii() {
            out.push(c as u8);
        } else {
            match reverse.binary_search_by_key(&c, |&(c, _)| c) {
                Ok(at) => out.push(reverse[at].1),
                Err(_) => out.push(b'?'),
            }
        }
    }
    out
}

/// UTF-16 without a byte order mark: text of Latin letters in UTF-16 has a zero byte in
/// nearly every other position (the high byte of ASCII characters), little-endian at odd
/// offsets, big-endian at even ones; no 8-bit text has NUL bytes in it.
fn utf16_by_zeros(bytes: &[u8]) -> Option<TextEncoding> {
    let sample = &bytes[..bytes.len().min(8192) & !1];
    let pairs = sample.len() / 2;
    if pairs < 2 {
        return None;
    }
    let (mut even, mut odd) = (0usize, 0usize);
    for pair in sample.chunks_exact(2) {
        even += usize::from(pair[0] == 0);
        odd += usize::from(pair[1] == 0);
    }
    if odd * 10 >= pairs * 3 && even * 4 < odd {
        Some(TextEncoding::Utf16Le)
    } else if even * 10 >= pairs * 3 && odd * 4 < even {
        Some(TextEncoding::Utf16Be)
    } else {
        None
    }
}

/// The single-byte encodings a file that is not UTF is weighed in, in the order a tie is
/// settled (Windows-1250 first: what Excel writes in Polish, Czech and Hungarian locales).
const SINGLE_BYTE: [TextEncoding; 4] = [
    TextEncoding::Windows1250,
    TextEncoding::Iso8859_2,
    TextEncoding::Windows1252,
    TextEncoding::Cp852,
];

/// How many bytes of lines holding non-ASCII bytes chardetng reads (it is the slow part:
/// about 20 MB/s; the score reads the whole file).
const GUESS_SAMPLE: usize = 128 * 1024;

fn likeliest_single_byte(bytes: &[u8]) -> TextEncoding {
    let guess = chardetng_guess(bytes);
    let scores = plausibility(bytes);
    let mut best = 0;
    for (at, score) in scores.iter().enumerate() {
        if *score > scores[best] {
            best = at;
        }
    }
    if let Some(guess) = guess
        && let Some(at) = SINGLE_BYTE.iter().position(|&e| e == guess)
        && scores[at] >= scores[best]
    {
        return guess;
    }
    SINGLE_BYTE[best]
}

/// chardetng's guess from the lines that hold non-ASCII bytes (the others tell it
/// nothing), when it is one of ours.
fn chardetng_guess(bytes: &[u8]) -> Option<TextEncoding> {
    let mut detector = chardetng::EncodingDetector::new();
    let mut fed = 0;
    for line in bytes.split_inclusive(|&b| b == b'\n') {
        if fed >= GUESS_SAMPLE {
            break;
        }
        if !line.is_ascii() {
            detector.feed(line, false);
            fed += line.len();
        }
    }
    detector.feed(&[], true);
    let guess = detector.guess(None, false);
    if guess == encoding_rs::WINDOWS_1250 {
        Some(TextEncoding::Windows1250)
    } else if guess == encoding_rs::ISO_8859_2 {
        Some(TextEncoding::Iso8859_2)
    } else if guess == encoding_rs::WINDOWS_1252 {
        Some(TextEncoding::Windows1252)
    } else {
        None
    }
}

/// The characters of bytes 0x80..=0xFF in a single-byte encoding.
fn upper_half(encoding: TextEncoding) -> [char; 128] {
    match encoding.whatwg() {
        None => CP852_UPPER,
        Some(whatwg) => {
            let bytes: Vec<u8> = (0x80u8..=0xFF).collect();
            let (text, _) = whatwg.decode_without_bom_handling(&bytes);
            let mut upper = ['\u{FFFD}'; 128];
            for (slot, c) in upper.iter_mut().zip(text.chars()) {
                *slot = c;
            }
            upper
        }
    }
}

/// How a non-ASCII character counts towards an encoding's plausibility.
fn weight(c: char) -> i8 {
    match c {
        // Letters of Polish, Czech, Slovak, Hungarian, German and French.
        'ą' | 'ć' | 'ę' | 'ł' | 'ń' | 'ó' | 'ś' | 'ź' | 'ż' | 'Ą' | 'Ć' | 'Ę' | 'Ł' | 'Ń' | 'Ó'
        | 'Ś' | 'Ź' | 'Ż' | 'á' | 'č' | 'ď' | 'é' | 'ě' | 'í' | 'ň' | 'ř' | 'š' | 'ť' | 'ú'
        | 'ů' | 'ý' | 'ž' | 'Á' | 'Č' | 'Ď' | 'É' | 'Ě' | 'Í' | 'Ň' | 'Ř' | 'Š' | 'Ť' | 'Ú'
        | 'Ů' | 'Ý' | 'Ž' | 'ä' | 'ĺ' | 'ľ' | 'ô' | 'ŕ' | 'Ä' | 'Ĺ' | 'Ľ' | 'Ô' | 'Ŕ' | 'ö'
        | 'ő' | 'ü' | 'ű' | 'Ö' | 'Ő' | 'Ü' | 'Ű' | 'ß' | 'à' | 'â' | 'ç' | 'è' | 'ê' | 'ë'
        | 'î' | 'ï' | 'ù' | 'û' | 'À' | 'Â' | 'Ç' | 'È' | 'Ê' | 'Ë' | 'Î' | 'Ï' | 'Ù' | 'Û' => {
            4
        }
        '\u{00A0}' => 0,
        // Typography a text may hold in any of them.
        '–' | '—' | '‘' | '’' | '‚' | '“' | '”' | '„' | '…' | '«' | '»' | '°' | '§' | '€' | '×'
        | '•' | '·' => -1,
        // C1 control codes: never in text.
        '\u{0080}'..='\u{009F}' | '\u{FFFD}' => -20,
        // Box drawing, blocks and shades: DOS screens, not tables.
        '\u{2500}'..='\u{25FF}' => -10,
        // Alphabetic by Unicode, but signs in these code pages.
        'µ' | 'ª' | 'º' => -5,
        c if c.is_alphabetic() => 1,
        _ => -5,
    }
}

/// Per encoding of [`SINGLE_BYTE`]: how plausible the text `bytes` decode to is, summed
/// over its non-ASCII characters, each weighed alone and between its neighbours. One pass
/// over the bytes with a table per encoding (no decoding).
fn plausibility(bytes: &[u8]) -> [i64; 4] {
    let tables = SINGLE_BYTE.map(|encoding| {
        let upper = upper_half(encoding);
        let mut table = [Traits::default(); 256];
        for (byte, slot) in table.iter_mut().enumerate() {
            let c = match u8::try_from(byte) {
                Ok(ascii @ 0..=0x7F) => char::from(ascii),
                _ => upper[byte - 0x80],
            };
            *slot = Traits::of(c);
        }
        table
    });
    let mut scores = [0i64; 4];
    for (at, &byte) in bytes.iter().enumerate() {
        if byte < 0x80 {
            continue;
        }
        let previous = at.checked_sub(1).map_or(b' ', |before| bytes[before]);
        let next = bytes.get(at + 1).copied().unwrap_or(b' ');
        for (score, table) in scores.iter_mut().zip(&tables) {
            let [previous, c, next] = [previous, byte, next].map(|b| table[usize::from(b)]);
            *score += i64::from(c.weight) + in_context(previous, c, next);
        }
    }
    scores
}

/// What the plausibility score knows of a character.
#[derive(Debug, Clone, Copy, Default)]
struct Traits {
    weight: i8,
    flags: u16,
}

const ALPHA: u16 = 1;
const UPPER: u16 = 1 << 1;
const LOWER: u16 = 1 << 2;
const VOWEL: u16 = 1 << 3;
/// The letter i.
const SOFTENING: u16 = 1 << 4;
/// ą or ę.
const NASAL: u16 = 1 << 5;
/// ą.
const NASAL_A: u16 = 1 << 6;
/// ä, ö or ü.
const UMLAUT: u16 = 1 << 7;
/// a, o, u or y.
const BACK: u16 = 1 << 8;
/// A letter that is a word alone: French "à", Hungarian "ő".
const WORD: u16 = 1 << 9;

impl Traits {
    fn of(c: char) -> Traits {
        let flag = |on: bool, flag: u16| if on { flag } else { 0 };
        let flags = flag(c.is_alphabetic(), ALPHA)
            | flag(c.is_uppercase(), UPPER)
            | flag(c.is_lowercase(), LOWER)
            | flag(is_vowel(c), VOWEL)
            | flag(c == 'i', SOFTENING)
            | flag(matches!(c, 'ą' | 'ę'), NASAL)
            | flag(c == 'ą', NASAL_A)
            | flag(matches!(c, 'ä' | 'ö' | 'ü'), UMLAUT)
            | flag(matches!(c, 'a' | 'o' | 'u' | 'y'), BACK)
            | flag(matches!(c, 'à' | 'À' | 'ő' | 'Ő'), WORD);
        let weight = if c.is_ascii() { 0 } else { weight(c) };
        Traits { weight, flags }
    }

    fn is(self, flag: u16) -> bool {
        self.flags & flag != 0
    }
}

/// How plausible a letter is between its neighbours: the signs that tell apart readings
/// whose letters are all plausible alone.
fn in_context(previous: Traits, c: Traits, next: Traits) -> i64 {
    if c.is(ALPHA) && !previous.is(ALPHA) && !next.is(ALPHA) {
        // A word of one accented letter: only a few are words ("ŕ la" is the French à
        // read in Windows-1250).
        return if c.is(WORD) { 0 } else { -4 };
    }
    if c.is(UPPER) {
        // A capital inside a word ("MĄczka", "ŁódĽ"): a letter from the wrong table.
        let inside = previous.is(LOWER) || (previous.is(ALPHA) && next.is(LOWER));
        return if inside { -8 } else { 0 };
    }
    if c.is(NASAL) {
        // Polish nasal vowels never start a word nor touch another vowel (but may follow
        // the i that softens a consonant: "piątek", "się"). An ą in its place tells Polish
        // (0xB9 in Windows-1250) from Czech š (the same byte in ISO-8859-2: "Vašek",
        // "škola" would read "Vaąek", "ąkola").
        let misplaced = !previous.is(ALPHA)
            || (previous.is(VOWEL) && !previous.is(SOFTENING))
            || next.is(VOWEL);
        return if misplaced {
            -6
        } else if c.is(NASAL_A) {
            2
        } else {
            0
        };
    }
    // Umlauts do not follow a, o, u or y (as CP852's ń read in Windows-1250 would:
    // "Gdaäsk", "Poznaä").
    if c.is(UMLAUT) && previous.is(BACK) {
        return -6;
    }
    0
}

fn is_vowel(c: char) -> bool {
    matches!(
        c.to_lowercase().next().unwrap_or(c),
        'a' | 'e'
            | 'i'
            | 'o'
            | 'u'
            | 'y'
            | 'á'
            | 'é'
            | 'í'
            | 'ó'
            | 'ú'
            | 'ý'
            | 'ě'
            | 'ů'
            | 'ą'
            | 'ę'
            | 'ä'
            | 'ö'
            | 'ü'
            | 'ő'
            | 'ű'
            | 'ô'
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A text and its bytes in Windows-1250, ISO-8859-2 and CP852.
    type Sample = (&'static str, &'static [u8], &'static [u8], &'static [u8]);

    /// Each text as Python's codecs (cp1250, iso8859_2, cp852) write it: Windows-1250,
    /// ISO-8859-2, CP852.
    const SAMPLES: [Sample; 9] = [
        ("Łódź", b"\xA3\xF3d\x9F", b"\xA3\xF3d\xBC", b"\x9D\xA2d\xAB"),
        ("Gdańsk", b"Gda\xF1sk", b"Gda\xF1sk", b"Gda\xE4sk"),
        (
            "Zażółć gęślą jaźń",
            b"Za\xBF\xF3\xB3\xE6 g\xEA\x9Cl\xB9 ja\x9F\xF1",
            b"Za\xBF\xF3\xB3\xE6 g\xEA\xB6l\xB1 ja\xBC\xF1",
            b"Za\xBE\xA2\x88\x86 g\xA9\x98l\xA5 ja\xAB\xE4",
        ),
        (
            "Příbram",
            b"P\xF8\xEDbram",
            b"P\xF8\xEDbram",
            b"P\xFD\xA1bram",
        ),
        (
            "Ústí nad Labem",
            b"\xDAst\xED nad Labem",
            b"\xDAst\xED nad Labem",
            b"\xE9st\xA1 nad Labem",
        ),
        (
            "Žluťoučký kůň",
            b"\x8Elu\x9Dou\xE8k\xFD k\xF9\xF2",
            b"\xAElu\xBBou\xE8k\xFD k\xF9\xF2",
            b"\xA6lu\x9Cou\x9Fk\xEC k\x85\xE5",
        ),
        ("Győr", b"Gy\xF5r", b"Gy\xF5r", b"Gy\x8Br"),
        ("Szőlő", b"Sz\xF5l\xF5", b"Sz\xF5l\xF5", b"Sz\x8Bl\x8B"),
        (
            "Árvíztűrő tükörfúrógép",
            b"\xC1rv\xEDzt\xFBr\xF5 t\xFCk\xF6rf\xFAr\xF3g\xE9p",
            b"\xC1rv\xEDzt\xFBr\xF5 t\xFCk\xF6rf\xFAr\xF3g\xE9p",
            b"\xB5rv\xA1zt\xFBr\x8B t\x81k\x94rf\xA3r\xA2g\x82p",
        ),
    ];

    /// Whether Windows-1250 and ISO-8859-2 write `text` differently.
    fn differs_in_latin2(text: &str) -> bool {
        text.chars().any(|c| "ąśźŚŹŠšŤťŽžĄ".contains(c))
    }

    #[test]
    fn encode_writes_the_bytes_of_each_code_page() {
        for (text, cp1250, latin2, cp852) in SAMPLES {
            assert_eq!(encode(text, TextEncoding::Windows1250), cp1250, "{text}");
            assert_eq!(encode(text, TextEncoding::Iso8859_2), latin2, "{text}");
            assert_eq!(encode(text, TextEncoding::Cp852), cp852, "{text}");
            assert_eq!(decode(cp1250, TextEncoding::Windows1250), text);
            assert_eq!(decode(latin2, TextEncoding::Iso8859_2), text);
            assert_eq!(decode(cp852, TextEncoding::Cp852), text);
            assert_eq!(encode(text, TextEncoding::Utf8), text.as_bytes());
        }
        assert_eq!(
            encode("Łódź", TextEncoding::Utf16Le),
            b"A\x01\xF3\x00d\x00z\x01"
        );
        assert_eq!(
            encode("Łódź", TextEncoding::Utf16Be),
            b"\x01A\x00\xF3\x00d\x01z"
        );
        assert_eq!(
            encode("Très bien, à côté", TextEncoding::Windows1252),
            b"Tr\xE8s bien, \xE0 c\xF4t\xE9"
        );
    }

    #[test]
    fn encode_marks_what_an_encoding_cannot_hold() {
        assert_eq!(
            encode("Łódź €", TextEncoding::Iso8859_2),
            b"\xA3\xF3d\xBC ?"
        );
        assert_eq!(encode("Győr", TextEncoding::Windows1252), b"Gy?r");
        assert_eq!(encode("日本", TextEncoding::Windows1250), b"??");
        assert_eq!(encode("€ 5", TextEncoding::Cp852), b"? 5");
        // Never a byte order mark.
        assert_eq!(encode("a", TextEncoding::Utf16Le), b"a\x00");
        assert_eq!(encode("a", TextEncoding::Utf8), b"a");
    }

    #[test]
    fn cp852_is_one_to_one_and_ascii_below() {
        let all: Vec<u8> = (0..=255).collect();
        let text = decode(&all, TextEncoding::Cp852);
        assert_eq!(text.chars().count(), 256);
        assert!(
            text.chars()
                .take(128)
                .zip(0u8..)
                .all(|(c, b)| c == char::from(b))
        );
        assert_eq!(encode(&text, TextEncoding::Cp852), all);
        // Spot checks against CP852.TXT.
        assert_eq!(
            decode(b"\x88\xA5\xA9\xBD\xE3\x8A\xFE", TextEncoding::Cp852),
            "łąęŻŃŐ■"
        );
    }

    #[test]
    fn detects_central_european_code_pages() {
        for (text, cp1250, latin2, cp852) in SAMPLES {
            let found = detect(cp1250);
            assert!(!found.bom);
            assert_eq!(
                decode(cp1250, found.encoding),
                text,
                "{text} in windows-1250"
            );
            if differs_in_latin2(text) {
                assert_eq!(found.encoding, TextEncoding::Windows1250, "{text}");
            }
            let found = detect(latin2).encoding;
            assert_eq!(decode(latin2, found), text, "{text} in iso-8859-2");
            if differs_in_latin2(text) {
                assert_eq!(found, TextEncoding::Iso8859_2, "{text}");
            }
            assert_eq!(
                detect(cp852).encoding,
                TextEncoding::Cp852,
                "{text} in cp852"
            );
        }
    }

    #[test]
    fn detects_whole_lines_of_each_language() {
        let lines: [(&str, &[u8], &[u8]); 3] = [
            (
                "Łódź, Gdańsk, Zażółć gęślą jaźń",
                b"\xA3\xF3d\x9F, Gda\xF1sk, Za\xBF\xF3\xB3\xE6 g\xEA\x9Cl\xB9 ja\x9F\xF1",
                b"\x9D\xA2d\xAB, Gda\xE4sk, Za\xBE\xA2\x88\x86 g\xA9\x98l\xA5 ja\xAB\xE4",
            ),
            (
                "Příbram, Ústí nad Labem, Žluťoučký kůň",
                b"P\xF8\xEDbram, \xDAst\xED nad Labem, \x8Elu\x9Dou\xE8k\xFD k\xF9\xF2",
                b"P\xFD\xA1bram, \xE9st\xA1 nad Labem, \xA6lu\x9Cou\x9Fk\xEC k\x85\xE5",
            ),
            (
                "Győr, Szőlő, Árvíztűrő tükörfúrógép",
                b"Gy\xF5r, Sz\xF5l\xF5, \xC1rv\xEDzt\xFBr\xF5 t\xFCk\xF6rf\xFAr\xF3g\xE9p",
                b"Gy\x8Br, Sz\x8Bl\x8B, \xB5rv\xA1zt\xFBr\x8B t\x81k\x94rf\xA3r\xA2g\x82p",
            ),
        ];
        for (text, cp1250, cp852) in lines {
            let found = detect(cp1250).encoding;
            assert_eq!(decode(cp1250, found), text);
            assert_ne!(found, TextEncoding::Windows1252, "{text}");
            assert_eq!(detect(cp852).encoding, TextEncoding::Cp852, "{text}");
        }
    }

    #[test]
    fn windows_1250_wins_where_it_differs_from_latin2() {
        // ą alone (0xB9) is š in ISO-8859-2: "Dšbrowa".
        for text in [
            "Dąbrowa Górnicza",
            "Piątek",
            "Wąchock",
            "Świętokrzyska 5",
            "Šárka;Žďár",
        ] {
            let bytes = encode(text, TextEncoding::Windows1250);
            assert_eq!(detect(&bytes).encoding, TextEncoding::Windows1250, "{text}");
        }
        // And Czech in ISO-8859-2 stays there: "Vaąek" is no Polish.
        for text in ["Vašek;Kožený", "Lukáš;škola"] {
            let bytes = encode(text, TextEncoding::Iso8859_2);
            assert_eq!(decode(&bytes, detect(&bytes).encoding), text);
        }
    }

    #[test]
    fn detects_western_text_in_windows_1252() {
        let german: &[u8] = b"M\xFCller, Stra\xDFe, Gr\xF6\xDFe, K\xF6ln";
        assert_eq!(
            decode(german, detect(german).encoding),
            "Müller, Straße, Größe, Köln"
        );
        let french: &[u8] =
            b"Tr\xE8s bien, \xE0 c\xF4t\xE9 de la fen\xEAtre; gar\xE7on, o\xF9, \xEAtre";
        assert_eq!(detect(french).encoding, TextEncoding::Windows1252);
    }

    #[test]
    fn detects_unicode_with_and_without_a_mark() {
        let text = "Zażółć gęślą jaźń;Příbram;Győr\r\n";
        let utf8 = text.as_bytes();
        assert_eq!(
            detect(utf8),
            Detected {
                encoding: TextEncoding::Utf8,
                bom: false
            }
        );
        let marked = [b"\xEF\xBB\xBF".as_slice(), utf8].concat();
        assert_eq!(
            detect(&marked),
            Detected {
                encoding: TextEncoding::Utf8,
                bom: true
            }
        );
        assert_eq!(decode(&marked, TextEncoding::Utf8), text);
        for (encoding, mark) in [
            (TextEncoding::Utf16Le, b"\xFF\xFE"),
            (TextEncoding::Utf16Be, b"\xFE\xFF"),
        ] {
            let bytes = [mark.as_slice(), &encode(text, encoding)].concat();
            assert_eq!(
                detect(&bytes),
                Detected {
                    encoding,
                    bom: true
                }
            );
            assert_eq!(decode(&bytes, encoding), text);
            let bare = encode(text, encoding);
            assert_eq!(
                detect(&bare),
                Detected {
                    encoding,
                    bom: false
                }
            );
            assert_eq!(decode(&bare, encoding), text);
        }
        assert_eq!(
            detect(b"Name,City\r\nJan,Lodz\r\n").encoding,
            TextEncoding::Utf8
        );
        assert_eq!(detect(b"").encoding, TextEncoding::Utf8);
    }

    #[test]
    fn decode_drops_only_its_own_mark_and_replaces_bad_bytes() {
        assert_eq!(decode(b"\xEF\xBB\xBFabc", TextEncoding::Utf8), "abc");
        assert_eq!(decode(b"a\xFFb", TextEncoding::Utf8), "a\u{FFFD}b");
        assert_eq!(decode(b"\xFF\xFEa\x00", TextEncoding::Utf16Le), "a");
        assert_eq!(decode(b"a\x00b", TextEncoding::Utf16Le), "a\u{FFFD}");
        // In a single-byte code page those bytes are letters.
        assert_eq!(decode(b"\xEF\xBB\xBF", TextEncoding::Windows1250), "ď»ż");
    }

    #[test]
    fn names_round_trip() {
        for encoding in TextEncoding::ALL {
            assert_eq!(encoding.as_str().parse::<TextEncoding>(), Ok(encoding));
            assert_eq!(
                serde_json::to_string(&encoding).ok(),
                Some(format!("\"{}\"", encoding.as_str()))
            );
            assert!(!encoding.label().is_empty());
        }
        assert_eq!("CP1250".parse(), Ok(TextEncoding::Windows1250));
        assert_eq!(" Latin2 ".parse(), Ok(TextEncoding::Iso8859_2));
        assert_eq!(
            "koi8-r".parse::<TextEncoding>(),
            Err(UnknownEncoding("koi8-r".into()))
        );
    }

    proptest! {
        #[test]
        fn text_round_trips_in_every_encoding_that_holds_it(
            text in "[a-zA-Z0-9 ;,\"\r\nąćęłńóśźżĄĆĘŁŃÓŚŹŻáčďéěíňřšťúůýžÁČĎÉĚÍŇŘŠŤÚŮÝŽöőüűÖŐÜŰ]{0,40}"
        ) {
            for encoding in [
                TextEncoding::Utf8,
                TextEncoding::Utf16Le,
                TextEncoding::Utf16Be,
                TextEncoding::Windows1250,
                TextEncoding::Iso8859_2,
                TextEncoding::Cp852,
            ] {
                prop_assert_eq!(decode(&encode(&text, encoding), encoding), text.clone());
            }
        }

        #[test]
        fn any_text_round_trips_in_unicode(text in any::<String>()) {
            for encoding in [TextEncoding::Utf8, TextEncoding::Utf16Le, TextEncoding::Utf16Be] {
                let bytes = encode(&text, encoding);
                prop_assert_eq!(decode(&bytes, encoding), text.clone());
            }
        }
    }
}
