// A copy of ../shared/bench-data/gen-data.mjs (the data set the performance goals were
// measured on), kept here so `cargo xtask bench` runs from any clone. Do not edit: replace it
// with a new copy when the shared one changes.

// gen-data.mjs — deterministic contact data set, shared by every system under test.
//
// Contact i (0-based) depends only on (seed, i), so any system can produce the
// very same documents, in any order or in any subset, without storing a file.
//
//   import { contact, contacts, fingerprint } from './gen-data.mjs';
//   contact(7, 1)            -> { id: 'contact-0000007', first_name: ..., ... }
//   for (const c of contacts(100000, 1)) ...
//   fingerprint(100000, 1)   -> { n, seed, sha256, avg_bytes, ... }
//
// The object is system-neutral: the key is `id`; a PouchDB adapter maps it to `_id`
// (see toPouchDoc below). Field order is fixed, so JSON.stringify is stable.
//
// CLI:  node gen-data.mjs [--n 10] [--seed 1] [--ndjson] [--stats]
//   --ndjson  print contacts as NDJSON on stdout (for piping into other tools)
//   --stats   print size statistics and the data set fingerprint (default)

import { createHash } from 'node:crypto';

export const DEFAULT_SEED = 1;
export const ID_PREFIX = 'contact-';

// ---- deterministic PRNG (independent of platform and JS engine) ----------------
function mix32(a, b) {
  // splitmix-like avalanche of two 32-bit ints
  let h = (Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x7f4a7c15, 0xc2b2ae35)) >>> 0;
  h ^= h >>> 16; h = Math.imul(h, 0x7feb352d) >>> 0;
  h ^= h >>> 15; h = Math.imul(h, 0x846ca68b) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}
function mulberry32(s) {
  let a = s >>> 0;
  return function next() {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ---- vocabularies ------------------------------------------------------------------
const COUNTRIES = {
  PL: {
    first: ['Agnieszka', 'Małgorzata', 'Krzysztof', 'Paweł', 'Łukasz', 'Wojciech', 'Zofia', 'Grzegorz',
      'Katarzyna', 'Michał', 'Joanna', 'Bartłomiej', 'Jędrzej', 'Władysław', 'Dorota', 'Tomasz', 'Ewa',
      'Magdalena', 'Przemysław', 'Stanisław', 'Anna', 'Piotr', 'Aleksandra', 'Marcin'],
    last: ['Kowalski', 'Wiśniewski', 'Wójcik', 'Kamiński', 'Lewandowski', 'Zieliński', 'Szymański',
      'Woźniak', 'Dąbrowski', 'Kozłowski', 'Jankowski', 'Mazur', 'Krawczyk', 'Nowak', 'Grabowski',
      'Pawłowski', 'Michalski', 'Król', 'Wieczorek', 'Jabłoński', 'Majewski', 'Olszewski'],
    cities: ['Warszawa', 'Kraków', 'Łódź', 'Wrocław', 'Poznań', 'Gdańsk', 'Szczecin', 'Bydgoszcz',
      'Lublin', 'Białystok', 'Katowice', 'Gdynia', 'Częstochowa', 'Radom', 'Toruń', 'Rzeszów'],
    forms: ['Sp. z o.o.', 'S.A.', 'Sp. j.', 'Sp.k.'],
    roots: ['Wisła', 'Mazovia', 'Silesia', 'Tatra', 'Polmet', 'Budpol', 'Agropol', 'Elektrobud'],
    mail: ['wp.pl', 'onet.pl', 'o2.pl', 'interia.pl', 'gmail.com'],
    tld: 'pl',
    postal: (r) => `${d(r, 2)}-${d(r, 3)}`,
    phone: (r) => `+48 ${d(r, 3)} ${d(r, 3)} ${d(r, 3)}`,
  },
  CZ: {
    first: ['Jiří', 'Petr', 'Tomáš', 'Lucie', 'Kateřina', 'Veronika', 'Ondřej', 'Vojtěch', 'Jana',
      'Zdeněk', 'Markéta', 'Radek', 'Šárka', 'Barbora', 'Lukáš', 'Martin', 'Tereza', 'Jakub', 'Eliška'],
    last: ['Novák', 'Svoboda', 'Novotný', 'Dvořák', 'Černý', 'Procházka', 'Kučera', 'Veselý', 'Horák',
      'Němec', 'Pokorný', 'Marek', 'Pospíšil', 'Hájek', 'Král', 'Jelínek', 'Růžička', 'Beneš', 'Fiala',
      'Sedláček'],
    cities: ['Praha', 'Brno', 'Ostrava', 'Plzeň', 'Liberec', 'Olomouc', 'České Budějovice',
      'Hradec Králové', 'Ústí nad Labem', 'Pardubice', 'Zlín', 'Jihlava'],
    forms: ['s.r.o.', 'a.s.', 'v.o.s.'],
    roots: ['Vltava', 'Morava', 'Bohemia', 'Krkonoše', 'Šumava', 'Elektrotrans', 'Strojírny', 'Agrodružstvo'],
    mail: ['seznam.cz', 'centrum.cz', 'email.cz', 'post.cz', 'gmail.com'],
    tld: 'cz',
    postal: (r) => `${d(r, 3)} ${d(r, 2)}`,
    phone: (r) => `+420 ${d(r, 3)} ${d(r, 3)} ${d(r, 3)}`,
  },
  HU: {
    first: ['László', 'Zsófia', 'Gábor', 'Katalin', 'Péter', 'Erzsébet', 'Zoltán', 'Ildikó', 'Bálint',
      'Gyöngyi', 'Dániel', 'Krisztina', 'Attila', 'Tünde', 'Ferenc', 'Anikó', 'István', 'Réka'],
    last: ['Nagy', 'Kovács', 'Tóth', 'Szabó', 'Horváth', 'Varga', 'Kiss', 'Molnár', 'Németh', 'Farkas',
      'Balogh', 'Papp', 'Takács', 'Juhász', 'Lakatos', 'Mészáros', 'Oláh', 'Simon', 'Rácz', 'Fekete'],
    cities: ['Budapest', 'Debrecen', 'Szeged', 'Miskolc', 'Pécs', 'Győr', 'Nyíregyháza', 'Kecskemét',
      'Székesfehérvár', 'Szombathely', 'Szolnok', 'Eger'],
    forms: ['Kft.', 'Zrt.', 'Bt.', 'Nyrt.'],
    roots: ['Duna', 'Tisza', 'Balaton', 'Pannon', 'Mátra', 'Alföld', 'Hungarotrans', 'Agrokomplex'],
    mail: ['freemail.hu', 'citromail.hu', 't-online.hu', 'gmail.com'],
    tld: 'hu',
    postal: (r) => `${1 + Math.floor(r() * 9)}${d(r, 3)}`,
    phone: (r) => `+36 ${20 + Math.floor(r() * 3) * 10} ${d(r, 3)} ${d(r, 4)}`,
  },
};
const COUNTRY_KEYS = Object.keys(COUNTRIES);
const SECTORS = ['Logistics', 'Software', 'Trade', 'Consulting', 'Engineering', 'Foods', 'Energy',
  'Textiles', 'Print', 'Services', 'Invest', 'Medical'];
const PHONE_TYPES = ['mobile', 'work', 'home', 'fax'];
const NOTE_WORDS = ['met', 'at', 'trade', 'fair', 'in', 'spring', 'call', 'back', 'about', 'invoice',
  'prefers', 'email', 'contract', 'renewal', 'due', 'next', 'quarter', 'asked', 'for', 'a', 'quote',
  'on', 'pallets', 'delivery', 'to', 'warehouse', 'north', 'gate', 'only', 'mornings', 'speaks',
  'German', 'and', 'English', 'decision', 'maker', 'budget', 'approved', 'follow', 'up', 'after',
  'holidays', 'sent', 'samples', 'discount', 'agreed', 'payment', 'terms', '30', 'days', 'new',
  'office', 'address', 'pending', 'reference', 'from', 'partner', 'meeting', 'notes', 'attached'];

function d(r, k) { let s = ''; for (let i = 0; i < k; i++) s += Math.floor(r() * 10); return s; }
function pick(r, arr) { return arr[Math.floor(r() * arr.length)]; }
const ASCII_MAP = { 'ł': 'l', 'Ł': 'L' };
function ascii(s) {
  return s.replace(/[łŁ]/g, (c) => ASCII_MAP[c]).normalize('NFD').replace(/[\u0300-\u036f]/g, '')
    .toLowerCase().replace(/[^a-z0-9]+/g, '');
}

export function contactId(i) { return ID_PREFIX + String(i).padStart(7, '0'); }

// The i-th contact of the data set for `seed`. Pure function of (i, seed).
export function contact(i, seed = DEFAULT_SEED) {
  const r = mulberry32(mix32(seed >>> 0, i >>> 0));
  const cc = COUNTRY_KEYS[Math.floor(r() * COUNTRY_KEYS.length)];
  const C = COUNTRIES[cc];
  const first = pick(r, C.first);
  const last = pick(r, C.last);
  const companyRoot = pick(r, C.roots);
  const company = `${companyRoot} ${pick(r, SECTORS)} ${pick(r, C.forms)}`;
  const emails = [`${ascii(first)}.${ascii(last)}${Math.floor(r() * 100)}@${pick(r, C.mail)}`];
  if (r() < 0.5) emails.push(`${ascii(first)[0]}.${ascii(last)}@${ascii(companyRoot)}.${C.tld}`);
  const phones = [{ type: 'mobile', number: C.phone(r) }];
  if (r() < 0.3) phones.push({ type: pick(r, PHONE_TYPES.slice(1)), number: C.phone(r) });
  const words = 1 + Math.floor(r() * 6);
  const note = [];
  for (let k = 0; k < words; k++) note.push(pick(r, NOTE_WORDS));
  return {
    id: contactId(i),
    first_name: first,
    last_name: last,
    company,
    emails,
    phones,
    city: pick(r, C.cities),
    postal_code: C.postal(r),
    owner_id: 'user-' + String(1 + Math.floor(r() * 500)).padStart(4, '0'),
    note: note.join(' '),
  };
}

// Iterate contacts [start, start+n).
export function* contacts(n, seed = DEFAULT_SEED, start = 0) {
  for (let i = start; i < start + n; i++) yield contact(i, seed);
}

// Deterministic edit used by the update-propagation test: trial k of contact c.
export function mutate(c, k) {
  return { ...c, note: `edited in trial ${k}: ${c.note}`.slice(0, 200), edit_no: k };
}

// PouchDB/CouchDB shape: `id` -> `_id`.
export function toPouchDoc(c) {
  const { id, ...rest } = c;
  return { _id: id, ...rest };
}

// Fingerprint of the whole data set: sha256 over JSON lines of the system-neutral objects.
export function fingerprint(n, seed = DEFAULT_SEED) {
  const h = createHash('sha256');
  let bytes = 0, min = Infinity, max = 0, pouchBytes = 0;
  for (const c of contacts(n, seed)) {
    const s = JSON.stringify(c);
    const b = Buffer.byteLength(s);
    bytes += b; if (b < min) min = b; if (b > max) max = b;
    pouchBytes += Buffer.byteLength(JSON.stringify(toPouchDoc(c)));
    h.update(s); h.update('\n');
  }
  return {
    n, seed, sha256: h.digest('hex'),
    avg_bytes: +(bytes / n).toFixed(1), min_bytes: min, max_bytes: max,
    total_mb: +(bytes / 1048576).toFixed(2), avg_pouch_doc_bytes: +(pouchBytes / n).toFixed(1),
  };
}

// ---- CLI ------------------------------------------------------------------------------
import { fileURLToPath } from 'node:url';
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const a = process.argv.slice(2);
  const get = (k, def) => { const j = a.indexOf(k); return j >= 0 ? a[j + 1] : def; };
  const n = parseInt(get('--n', process.env.N || '10'), 10);
  const seed = parseInt(get('--seed', process.env.SEED || String(DEFAULT_SEED)), 10);
  if (a.includes('--ndjson')) {
    for (const c of contacts(n, seed)) process.stdout.write(JSON.stringify(c) + '\n');
  } else {
    console.log(JSON.stringify(fingerprint(n, seed), null, 2));
    console.log(JSON.stringify(contact(0, seed), null, 2));
  }
}
