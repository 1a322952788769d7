// The benchmark's import file: the shared data set as the CSV a Polish, Czech or
// Hungarian Excel saves (semicolons, CRLF, Windows-1250), 12 columns with the headers an
// office would use.

import { contacts } from './gen-data.mjs';

// Windows-1250's upper half, from the platform's own decoder: byte -> character, reversed.
const ENCODE = new Map();
{
  const decoder = new TextDecoder('windows-1250');
  for (let byte = 0x80; byte <= 0xff; byte++) {
    const char = decoder.decode(Uint8Array.of(byte));
    if (char !== '\ufffd') ENCODE.set(char, byte);
  }
}

/// Windows-1250 bytes of `text` (a character it lacks becomes `?`).
export function windows1250(text) {
  const out = Buffer.alloc(text.length);
  let n = 0;
  for (const char of text) {
    const code = char.codePointAt(0);
    out[n++] = code < 0x80 ? code : (ENCODE.get(char) ?? 0x3f);
  }
  return out.subarray(0, n);
}

export const HEADERS = ['Imię', 'Nazwisko', 'Firma', 'Stanowisko', 'E-mail', 'E-mail 2', 'Telefon', 'Telefon 2', 'Miasto', 'Kod pocztowy', 'Kraj', 'Notatka'];
const POSITIONS = ['Dyrektor', 'Kierownik', 'Specjalista', 'Właściciel', 'Księgowa', 'Handlowiec'];

function cell(text) {
  return /[;"\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/// The file for `n` contacts of the shared set (seed 1): a header and one row each.
export function importFile(n) {
  const lines = [HEADERS.join(';')];
  let i = 0;
  for (const c of contacts(n, 1)) {
    const country = c.phones[0].number.startsWith('+48') ? 'Polska' : c.phones[0].number.startsWith('+420') ? 'Česko' : 'Magyarország';
    lines.push([
      c.first_name, c.last_name, c.company, POSITIONS[i++ % POSITIONS.length],
      c.emails[0], c.emails[1] ?? '', c.phones[0].number, c.phones[1]?.number ?? '',
      c.city, c.postal_code, country, c.note,
    ].map(cell).join(';'));
  }
  return windows1250(lines.join('\r\n') + '\r\n');
}
