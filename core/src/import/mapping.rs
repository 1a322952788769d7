//! What each column of a sheet goes into, suggested from its header.
//!
//! Headers are compared folded: lowercase, without diacritics, punctuation or spaces, so
//! "E-mail", "e-mail adres", "Adres e-mail", "Email" and "mail" all read as one of the
//! e-mail names. Names come in English, Polish, Czech and Hungarian. A few choices:
//!
//! - A plain "Phone", "Telefon", "Tel." or "Telefonszám" is a **mobile**: what call
//!   centres' lists mostly hold. Landline, work, main, fax and other phones are suggested
//!   only when the header says so ("Telefon stacjonarny", "Pevná linka", "Vezetékes",
//!   "Work phone", "Telefon służbowy", "Fax", …).
//! - "Kraj" is a country in Polish and a region in Czech (and Slovak). It is read as the
//!   **country**, unless the team's default country is CZ or SK: the team's own language
//!   is the likeliest language of its files.
//! - "DIČ" and "Adószám" (tax numbers) go to the NIP field, the one tax-number field a
//!   contact has (a value that is not a Polish NIP is then reported at review).
//! - "IČO" (a Czech company number) has no field of its own: it is not imported unless
//!   a custom field is named so.
//! - A full name in one column ("Name", "Imię i nazwisko", "Név") is not guessed.
//!
//! A custom field's own name or key wins over the standard names: the team made it for
//! exactly this column.

use serde::{Deserialize, Serialize};

use crate::input::custom_key;
use crate::text::fold;

/// What one column's cells are imported into.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "to", rename_all = "snake_case")]
pub enum Target {
    Skip,
    /// A standard contact field typed as text: `record::TEXT_FIELDS`, `note`, `kind`.
    Field {
        field: String,
    },
    /// A custom field by its `field_def` key.
    Custom {
        key: String,
    },
    /// A phone of this type (`schema::PHONE_TYPES`); a cell may hold several numbers.
    Phone {
        kind: String,
    },
    /// One or more e-mail addresses.
    Email,
    /// Tags, comma-separated.
    Tags,
    /// Segment names, comma-separated: membership in each.
    Segments,
    /// Campaign names, comma-separated: membership in each.
    Campaigns,
    /// A user by name or e-mail.
    Owner,
    /// A stage by name.
    Stage,
    /// A category by name.
    Category,
}

/// The standard fields a column can fill ([`Target::Field`]), in the record form's order:
/// its text fields, the note and the kind (person or company). rows::prepare reads these
/// and no other; the mapping's pickers offer these.
pub fn standard_fields() -> impl Iterator<Item = &'static str> {
    crate::record::TEXT_FIELDS
        .iter()
        .copied()
        .chain(["note", "kind"])
}

/// Whether a column may fill the standard field `field`.
pub fn is_standard_field(field: &str) -> bool {
    standard_fields().any(|known| known == field)
}

impl Target {
    /// Whether several columns may go into this target: phones, e-mails, tags, segments
    /// and campaigns add up (rows::prepare joins them); every other target takes one column.
    pub fn repeats(&self) -> bool {
        matches!(
            self,
            Target::Phone { .. }
                | Target::Email
                | Target::Tags
                | Target::Segments
                | Target::Campaigns
        )
    }
}

/// A settings row or user, found by any of its names (case and diacritics folded).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Named {
    pub id: String,
    pub names: Vec<String>,
}

impl Named {
    /// Whether `name` is one of this row's names, case and diacritics folded.
    pub fn is_named(&self, name: &str) -> bool {
        let wanted = fold(name.trim());
        !wanted.is_empty() && self.names.iter().any(|n| fold(n.trim()) == wanted)
    }
}

/// The row of `rows` called `name` (folded; the first when several are).
pub fn find_named<'a>(rows: &'a [Named], name: &str) -> Option<&'a Named> {
    rows.iter().find(|row| row.is_named(name))
}

/// A custom field as the import checks its values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomDef {
    pub key: String,
    pub name: String,
    /// `input::CustomType::as_str`.
    pub kind: String,
    pub options: Vec<String>,
}

/// The team's settings an import reads names and rules from.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Context {
    pub default_country: String,
    pub custom: Vec<CustomDef>,
    pub users: Vec<Named>,
    pub stages: Vec<Named>,
    pub categories: Vec<Named>,
    pub segments: Vec<Named>,
    pub campaigns: Vec<Named>,
}

/// A header as names are compared: folded, only its letters and digits kept.
pub fn compact(header: &str) -> String {
    fold(header)
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect()
}

/// What a known header name stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Known {
    Field(&'static str),
    Phone(&'static str),
    Email,
    Tags,
    Segments,
    Campaigns,
    Owner,
    Stage,
    Category,
    /// "Kraj": a country in Polish, a region in Czech.
    Kraj,
    /// A known name with no field to go into.
    Nothing,
}

/// Header names, compacted ([`compact`]), by what they stand for.
const NAMES: &[(Known, &[&str])] = &[
    (
        Known::Field("first_name"),
        &[
            "firstname",
            "first",
            "givenname",
            "forename",
            "imie",
            "jmeno",
            "krestnijmeno",
            "keresztnev",
            "utonev",
        ],
    ),
    (
        Known::Field("last_name"),
        &[
            "lastname",
            "surname",
            "familyname",
            "nazwisko",
            "prijmeni",
            "vezeteknev",
            "csaladinev",
            "csaladnev",
        ],
    ),
    (
        Known::Field("company"),
        &[
            "company",
            "companyname",
            "organization",
            "organisation",
            "organizationname",
            "accountname",
            "firma",
            "nazwafirmy",
            "nazwa",
            "organizacja",
            "spolecnost",
            "nazevspolecnosti",
            "nazevfirmy",
            "nazev",
            "organizace",
            "ceg",
            "cegnev",
        ],
    ),
    (
        Known::Field("position"),
        &[
            "jobtitle",
            "position",
            "role",
            "stanowisko",
            "funkcja",
            "pozice",
            "pracovnipozice",
            "funkce",
            "beosztas",
            "munkakor",
        ],
    ),
    (
        Known::Field("address_line1"),
        &[
            "street",
            "streetaddress",
            "address",
            "addressline1",
            "address1",
            "ulica",
            "ulicainumer",
            "adres",
            "adres1",
            "ulice",
            "uliceacislo",
            "adresa",
            "adresa1",
            "utca",
            "utcahazszam",
            "cim",
            "cim1",
        ],
    ),
    (
        Known::Field("address_line2"),
        &["addressline2", "address2", "adres2", "adresa2", "cim2"],
    ),
    (
        Known::Field("city"),
        &[
            "city",
            "town",
            "locality",
            "miasto",
            "miejscowosc",
            "mesto",
            "obec",
            "varos",
            "telepules",
        ],
    ),
    (
        Known::Field("postal_code"),
        &[
            "zip",
            "zipcode",
            "postcode",
            "postalcode",
            "kodpocztowy",
            "kod",
            "psc",
            "postovnismerovacicislo",
            "iranyitoszam",
        ],
    ),
    (
        Known::Field("region"),
        &[
            "region",
            "state",
            "province",
            "county",
            "wojewodztwo",
            "megye",
        ],
    ),
    (Known::Kraj, &["kraj"]),
    (
        Known::Field("country"),
        &["country", "panstwo", "zeme", "stat", "orszag"],
    ),
    (
        Known::Field("nip"),
        &[
            "nip",
            "vat",
            "vatid",
            "vatnumber",
            "taxid",
            "taxnumber",
            "dic",
            "adoszam",
        ],
    ),
    (Known::Field("pesel"), &["pesel"]),
    (Known::Field("regon"), &["regon"]),
    (Known::Nothing, &["ico"]),
    (
        Known::Field("note"),
        &[
            "note",
            "notes",
            "comment",
            "comments",
            "description",
            "notatka",
            "notatki",
            "uwagi",
            "uwaga",
            "komentarz",
            "opis",
            "poznamka",
            "poznamky",
            "popis",
            "megjegyzes",
            "leiras",
        ],
    ),
    (
        Known::Field("source"),
        &["source", "leadsource", "zrodlo", "zdroj", "forras"],
    ),
    (
        Known::Field("kind"),
        &[
            "type",
            "kind",
            "contacttype",
            "typ",
            "typkontaktu",
            "rodzaj",
            "druh",
            "tipus",
        ],
    ),
    (
        Known::Tags,
        &[
            "tags", "tag", "labels", "tagi", "etykiety", "stitky", "stitek", "cimkek", "cimke",
        ],
    ),
    (
        Known::Segments,
        &["segment", "segments", "segmenty", "szegmens", "szegmensek"],
    ),
    (
        Known::Campaigns,
        &[
            "campaign",
            "campaigns",
            "kampania",
            "kampanie",
            "kampan",
            "kampane",
            "kampany",
            "kampanyok",
        ],
    ),
    (
        Known::Owner,
        &[
            "owner",
            "accountowner",
            "assignedto",
            "salesrep",
            "opiekun",
            "wlasciciel",
            "handlowiec",
            "vlastnik",
            "obchodnik",
            "felelos",
            "tulajdonos",
            "uzletkoto",
        ],
    ),
    (
        Known::Stage,
        &[
            "stage",
            "dealstage",
            "pipelinestage",
            "etap",
            "etapsprzedazy",
            "faze",
            "szakasz",
        ],
    ),
    (Known::Category, &["category", "kategoria", "kategorie"]),
    (
        Known::Email,
        &[
            "email",
            "emails",
            "mail",
            "emailaddress",
            "emailadres",
            "adresemail",
        ],
    ),
    (
        Known::Phone("mobile"),
        &[
            "phone",
            "phones",
            "telephone",
            "phonenumber",
            "telefon",
            "telefony",
            "tel",
            "nrtel",
            "nrtelefonu",
            "numertelefonu",
            "telefonnicislo",
            "telefonszam",
            "mobile",
            "cell",
            "cellphone",
            "komorka",
            "telkom",
            "telkomorkowy",
            "mobil",
            "mobilni",
            "mobiltelefon",
            "mobilszam",
        ],
    ),
    (
        Known::Phone("landline"),
        &["landline", "telstacjonarny", "pevnalinka", "vezetekes"],
    ),
    (Known::Phone("work"), &["telsluzbowy", "telprac"]),
    (Known::Phone("main"), &["centrala", "ustredna", "kozpont"]),
    (Known::Phone("office_fax"), &["fax", "faks"]),
];

/// Words that make a header a phone's, and the type words inside it, in the order they
/// are looked for: the first that occurs decides.
const PHONE_WORDS: &[&str] = &[
    "phone", "telefon", "mobil", "komork", "landline", "fax", "faks",
];
const PHONE_TYPE_WORDS: &[(&str, &[&str])] = &[
    (
        "landline",
        &[
            "landline",
            "stacjonar",
            "pevn",
            "vezetekes",
            "home",
            "domow",
            "domaci",
            "otthoni",
        ],
    ),
    ("mobile", &["mobil", "komork", "cell"]),
    (
        "work",
        &[
            "work",
            "business",
            "office",
            "sluzb",
            "prac",
            "biur",
            "firm",
            "munkahelyi",
        ],
    ),
    ("main", &["main", "glown", "hlavni"]),
    (
        "other",
        &["other", "inny", "inne", "jiny", "dalsi", "egyeb", "masik"],
    ),
];

fn known(name: &str) -> Option<Known> {
    NAMES
        .iter()
        .find(|(_, names)| names.contains(&name))
        .map(|(known, _)| *known)
}

/// A phone header by its words: "Telefon służbowy", "Mobile phone 2", "Phones (work)",
/// "Telefon do pracy", "Home fax".
fn phone_by_words(name: &str) -> Option<&'static str> {
    if !PHONE_WORDS.iter().any(|w| name.contains(w)) {
        return None;
    }
    let has = |words: &[&str]| words.iter().any(|w| name.contains(w));
    if has(&["fax", "faks"]) {
        return Some(if has(&["home", "domow", "domaci", "otthoni"]) {
            "home_fax"
        } else {
            "office_fax"
        });
    }
    let kind = PHONE_TYPE_WORDS
        .iter()
        .find(|(_, words)| has(words))
        .map_or("mobile", |(kind, _)| *kind);
    Some(kind)
}

fn target_of(known: Known, ctx: &Context) -> Target {
    let field = |name: &str| Target::Field {
        field: name.to_owned(),
    };
    match known {
        Known::Field(name) => field(name),
        Known::Phone(kind) => Target::Phone {
            kind: kind.to_owned(),
        },
        Known::Email => Target::Email,
        Known::Tags => Target::Tags,
        Known::Segments => Target::Segments,
        Known::Campaigns => Target::Campaigns,
        Known::Owner => Target::Owner,
        Known::Stage => Target::Stage,
        Known::Category => Target::Category,
        Known::Kraj => {
            let country = ctx.default_country.trim().to_ascii_uppercase();
            if country == "CZ" || country == "SK" {
                field("region")
            } else {
                field("country")
            }
        }
        Known::Nothing => Target::Skip,
    }
}

/// The target a column's header suggests: a custom field named so (by its name or key),
/// else a standard name in English, Polish, Czech or Hungarian (a trailing number, as in
/// "Telefon 2" or "E-mail2", still reads as a phone or e-mail), else a phone or e-mail by
/// the words in the header; [`Target::Skip`] when nothing fits.
pub fn suggest(header: &str, ctx: &Context) -> Target {
    let name = compact(header);
    if name.is_empty() {
        return Target::Skip;
    }
    let key = custom_key(header);
    if let Some(def) = ctx
        .custom
        .iter()
        .find(|def| compact(&def.name) == name || key.as_deref() == Some(def.key.as_str()))
    {
        return Target::Custom {
            key: def.key.clone(),
        };
    }
    if let Some(known) = known(&name) {
        return target_of(known, ctx);
    }
    let unnumbered = name.trim_end_matches(|c: char| c.is_ascii_digit());
    if let Some(known) = known(unnumbered) {
        let target = target_of(known, ctx);
        if target.repeats() {
            return target;
        }
    }
    if name.contains("email") {
        return Target::Email;
    }
    if let Some(kind) = phone_by_words(&name) {
        return Target::Phone {
            kind: kind.to_owned(),
        };
    }
    Target::Skip
}

/// [`suggest`] for every header, in order; a target that does not [`Target::repeats`] is
/// suggested for its first column only (later ones are [`Target::Skip`]).
pub fn suggest_all(headers: &[String], ctx: &Context) -> Vec<Target> {
    let mut taken: Vec<Target> = Vec::new();
    headers
        .iter()
        .map(|header| {
            let target = suggest(header, ctx);
            if target == Target::Skip || target.repeats() {
                target
            } else if taken.contains(&target) {
                Target::Skip
            } else {
                taken.push(target.clone());
                target
            }
        })
        .collect()
}

/// The key of a column layout: the headers folded and trimmed (inner spaces collapsed),
/// in order, hashed (64-bit FNV-1a) to 16 hex digits. The same headers give the same key
/// on any device; a different order or a different header gives another.
pub fn layout_key(headers: &[String]) -> String {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut hash = OFFSET;
    let mut feed = |bytes: &[u8]| {
        for byte in bytes {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(PRIME);
        }
    };
    for header in headers {
        let folded = fold(header);
        let words: Vec<&str> = folded.split_whitespace().collect();
        let text = words.join(" ");
        // Each header's length first, so no two lists of headers feed the same bytes.
        feed(&(text.len() as u64).to_le_bytes());
        feed(text.as_bytes());
    }
    format!("{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(name: &str) -> Target {
        Target::Field {
            field: name.to_owned(),
        }
    }

    fn phone(kind: &str) -> Target {
        Target::Phone {
            kind: kind.to_owned(),
        }
    }

    fn custom(key: &str) -> Target {
        Target::Custom {
            key: key.to_owned(),
        }
    }

    fn ctx(country: &str) -> Context {
        Context {
            default_country: country.to_owned(),
            ..Context::default()
        }
    }

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    fn check(cases: &[(&str, Target)], ctx: &Context) {
        for (header, expected) in cases {
            assert_eq!(&suggest(header, ctx), expected, "{header:?}");
        }
    }

    #[test]
    fn polish_headers() {
        check(
            &[
                ("Imię", field("first_name")),
                ("Nazwisko", field("last_name")),
                ("Firma", field("company")),
                ("Nazwa firmy", field("company")),
                ("Stanowisko", field("position")),
                ("Telefon", phone("mobile")),
                ("Tel.", phone("mobile")),
                ("Nr telefonu", phone("mobile")),
                ("Komórka", phone("mobile")),
                ("Tel. kom.", phone("mobile")),
                ("Telefon komórkowy", phone("mobile")),
                ("Telefon stacjonarny", phone("landline")),
                ("Telefon domowy", phone("landline")),
                ("Telefon służbowy", phone("work")),
                ("Fax", phone("office_fax")),
                ("E-mail", Target::Email),
                ("e-mail adres", Target::Email),
                ("Adres e-mail", Target::Email),
                ("Ulica", field("address_line1")),
                ("Adres", field("address_line1")),
                ("Miasto", field("city")),
                ("Miejscowość", field("city")),
                ("Kod pocztowy", field("postal_code")),
                ("Kod", field("postal_code")),
                ("Województwo", field("region")),
                ("Kraj", field("country")),
                ("NIP", field("nip")),
                ("PESEL", field("pesel")),
                ("REGON", field("regon")),
                ("Notatka", field("note")),
                ("Uwagi", field("note")),
                ("Źródło", field("source")),
                ("Tagi", Target::Tags),
                ("Segmenty", Target::Segments),
                ("Kampania", Target::Campaigns),
                ("Opiekun", Target::Owner),
                ("Właściciel", Target::Owner),
                ("Etap", Target::Stage),
                ("Kategoria", Target::Category),
                ("Typ", field("kind")),
                ("Imię i nazwisko", Target::Skip),
            ],
            &ctx("PL"),
        );
    }

    #[test]
    fn czech_headers() {
        check(
            &[
                ("Jméno", field("first_name")),
                ("Příjmení", field("last_name")),
                ("Společnost", field("company")),
                ("Firma", field("company")),
                ("Pozice", field("position")),
                ("Funkce", field("position")),
                ("Telefon", phone("mobile")),
                ("Mobil", phone("mobile")),
                ("Mobilní telefon", phone("mobile")),
                ("Pevná linka", phone("landline")),
                ("Pracovní telefon", phone("work")),
                ("E-mail", Target::Email),
                ("E-mailová adresa", Target::Email),
                ("Ulice", field("address_line1")),
                ("Adresa", field("address_line1")),
                ("Město", field("city")),
                ("Obec", field("city")),
                ("PSČ", field("postal_code")),
                ("Kraj", field("region")),
                ("Země", field("country")),
                ("Stát", field("country")),
                ("DIČ", field("nip")),
                ("IČO", Target::Skip),
                ("Poznámka", field("note")),
                ("Zdroj", field("source")),
                ("Štítky", Target::Tags),
                ("Kampaň", Target::Campaigns),
                ("Vlastník", Target::Owner),
                ("Fáze", Target::Stage),
                ("Kategorie", Target::Category),
                ("Typ", field("kind")),
            ],
            &ctx("CZ"),
        );
    }

    #[test]
    fn hungarian_headers() {
        check(
            &[
                ("Keresztnév", field("first_name")),
                ("Utónév", field("first_name")),
                ("Vezetéknév", field("last_name")),
                ("Családi név", field("last_name")),
                ("Cég", field("company")),
                ("Cégnév", field("company")),
                ("Beosztás", field("position")),
                ("Telefon", phone("mobile")),
                ("Telefonszám", phone("mobile")),
                ("Mobil", phone("mobile")),
                ("Mobiltelefon", phone("mobile")),
                ("Vezetékes", phone("landline")),
                ("Munkahelyi telefon", phone("work")),
                ("E-mail", Target::Email),
                ("E-mail cím", Target::Email),
                ("Utca", field("address_line1")),
                ("Cím", field("address_line1")),
                ("Város", field("city")),
                ("Település", field("city")),
                ("Irányítószám", field("postal_code")),
                ("Megye", field("region")),
                ("Ország", field("country")),
                ("Adószám", field("nip")),
                ("Megjegyzés", field("note")),
                ("Forrás", field("source")),
                ("Címkék", Target::Tags),
                ("Kampány", Target::Campaigns),
                ("Felelős", Target::Owner),
                ("Tulajdonos", Target::Owner),
                ("Szakasz", Target::Stage),
                ("Kategória", Target::Category),
                ("Típus", field("kind")),
                ("Név", Target::Skip),
            ],
            &ctx("HU"),
        );
    }

    #[test]
    fn english_headers() {
        check(
            &[
                ("First name", field("first_name")),
                ("FIRST_NAME", field("first_name")),
                ("Last name", field("last_name")),
                ("Surname", field("last_name")),
                ("Company", field("company")),
                ("Organization", field("company")),
                ("Job title", field("position")),
                ("Phone", phone("mobile")),
                ("Telephone", phone("mobile")),
                ("Mobile", phone("mobile")),
                ("Mobile Phone", phone("mobile")),
                ("Home Phone", phone("landline")),
                ("Business Phone", phone("work")),
                ("Work phone", phone("work")),
                ("Company Main Phone", phone("main")),
                ("Other Phone", phone("other")),
                ("Phones (work)", phone("work")),
                ("Phone 2", phone("mobile")),
                ("Business Fax", phone("office_fax")),
                ("Home Fax", phone("home_fax")),
                ("Email", Target::Email),
                ("mail", Target::Email),
                ("E-mail 2", Target::Email),
                ("E-mail Address", Target::Email),
                ("Street", field("address_line1")),
                ("Address line 2", field("address_line2")),
                ("City", field("city")),
                ("Town", field("city")),
                ("Zip", field("postal_code")),
                ("Postcode", field("postal_code")),
                ("Postal code", field("postal_code")),
                ("State", field("region")),
                ("Region", field("region")),
                ("Country", field("country")),
                ("VAT ID", field("nip")),
                ("Tax ID", field("nip")),
                ("Notes", field("note")),
                ("Source", field("source")),
                ("Tags", Target::Tags),
                ("Segments", Target::Segments),
                ("Campaigns", Target::Campaigns),
                ("Owner", Target::Owner),
                ("Stage", Target::Stage),
                ("Category", Target::Category),
                ("Type", field("kind")),
                ("Kind", field("kind")),
                ("Name", Target::Skip),
                ("Firma 2", Target::Skip),
                ("", Target::Skip),
                (" -- ", Target::Skip),
                ("Hotel", Target::Skip),
            ],
            &ctx("PL"),
        );
    }

    #[test]
    fn kraj_follows_the_team_country() {
        for (country, expected) in [
            ("PL", "country"),
            ("", "country"),
            ("HU", "country"),
            ("cz", "region"),
            ("SK", "region"),
        ] {
            assert_eq!(suggest("Kraj", &ctx(country)), field(expected), "{country}");
        }
    }

    #[test]
    fn custom_fields_by_name_or_key_come_first() {
        let def = |key: &str, name: &str| CustomDef {
            key: key.to_owned(),
            name: name.to_owned(),
            kind: "text".to_owned(),
            options: Vec::new(),
        };
        let ctx = Context {
            custom: vec![
                def("ico", "IČO"),
                def("rozmiar_buta", "Rozmiar buta"),
                def("typ_klienta", "Typ"),
            ],
            ..ctx("PL")
        };
        check(
            &[
                ("IČO", custom("ico")),
                ("ico", custom("ico")),
                ("Rozmiar buta", custom("rozmiar_buta")),
                ("ROZMIAR-BUTA", custom("rozmiar_buta")),
                ("rozmiar_buta", custom("rozmiar_buta")),
                ("Typ", custom("typ_klienta")),
                ("typ_klienta", custom("typ_klienta")),
                ("Type", field("kind")),
                ("Nazwisko", field("last_name")),
            ],
            &ctx,
        );
    }

    #[test]
    fn known_names_are_compact_and_unambiguous() {
        let mut seen: Vec<(&str, Known)> = Vec::new();
        for (known, names) in NAMES {
            for name in *names {
                assert_eq!(compact(name), *name, "{name:?} is not compacted");
                if let Some((_, other)) = seen.iter().find(|(n, _)| n == name) {
                    panic!("{name:?} names both {other:?} and {known:?}");
                }
                seen.push((name, *known));
            }
        }
        for (known, _) in NAMES {
            if let Known::Phone(kind) = known {
                assert!(crate::schema::PHONE_TYPES.contains(kind), "{kind}");
            }
            if let Known::Field(field) = known {
                assert!(is_standard_field(field), "{field}");
            }
        }
    }

    #[test]
    fn single_targets_once_phones_emails_and_tags_repeat() {
        let headers = strings(&[
            "Imię",
            "Nazwisko",
            "Telefon",
            "Komórka",
            "Telefon 2",
            "E-mail",
            "E-mail 2",
            "First name",
            "Miasto",
            "Město",
            "Tagi",
            "Tags",
            "Uwagi",
        ]);
        assert_eq!(
            suggest_all(&headers, &ctx("PL")),
            vec![
                field("first_name"),
                field("last_name"),
                phone("mobile"),
                phone("mobile"),
                phone("mobile"),
                Target::Email,
                Target::Email,
                Target::Skip,
                field("city"),
                Target::Skip,
                // Tags add up, as phones and e-mails do.
                Target::Tags,
                Target::Tags,
                field("note"),
            ]
        );
        assert!(suggest_all(&[], &ctx("PL")).is_empty());
    }

    #[test]
    fn layout_keys() {
        let key = |headers: &[&str]| layout_key(&strings(headers));
        // Pinned: another device (or a later build) must give the same key.
        assert_eq!(key(&["Imię", "Nazwisko", "Telefon"]), "ede7a590c7d72d21");
        assert_eq!(key(&[]), "cbf29ce484222325");
        assert_eq!(
            key(&["Imię", "Nazwisko", "Telefon"]),
            key(&["  IMIE ", "nazwisko", "TELEFON\t"])
        );
        assert_eq!(key(&["Kod  pocztowy"]), key(&["kod pocztowy"]));
        let distinct = [
            key(&["Imię", "Nazwisko", "Telefon"]),
            key(&["Nazwisko", "Imię", "Telefon"]),
            key(&["Imię", "Nazwisko"]),
            key(&["Imię", "Nazwisko", "Telefon", ""]),
            key(&["ImięNazwisko", "Telefon"]),
            key(&["Kod pocztowy"]),
            key(&["Kodpocztowy"]),
            key(&[""]),
            key(&[]),
        ];
        for (i, a) in distinct.iter().enumerate() {
            assert_eq!(a.len(), 16);
            assert!(a.bytes().all(|b| b.is_ascii_hexdigit()));
            for b in &distinct[i + 1..] {
                assert_ne!(a, b);
            }
        }
    }

    #[test]
    fn names_match_folded() {
        let stage = Named {
            id: "s1".into(),
            names: vec!["Pierwszy kontakt".into()],
        };
        assert!(stage.is_named("  PIERWSZY KONTAKT "));
        assert!(stage.is_named("pierwszy kontakt"));
        assert!(!stage.is_named("pierwszy"));
        assert!(!stage.is_named(""));
        let rows = [
            Named {
                id: "u1".into(),
                names: vec!["Łukasz Żak".into(), "lukasz@example.com".into()],
            },
            stage,
        ];
        assert_eq!(find_named(&rows, "lukasz zak").map(|r| &*r.id), Some("u1"));
        assert_eq!(
            find_named(&rows, "Lukasz@Example.com").map(|r| &*r.id),
            Some("u1")
        );
        assert_eq!(find_named(&rows, "nobody"), None);
    }
}
