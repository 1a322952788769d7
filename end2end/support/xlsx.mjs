// Reads back what the exporter writes, with node alone: an .xlsx is a zip (entries stored or
// deflated: zlib inflates them) of XML parts; the first sheet's cells come out with their
// type, so a test can tell a string from a number, a date or a formula.
// (It lives under support/, so `node --test tests/` does not run it as a test file.)

import { inflateRawSync } from 'node:zlib';

/** The zip's entries by name, each as a Buffer (only methods 0, stored, and 8, deflate). */
export function unzip(bytes) {
  const buffer = Buffer.from(bytes);
  // The end of central directory record: signature 0x06054b50, within the last 64 KiB + 22.
  let end = -1;
  for (let i = buffer.length - 22; i >= Math.max(0, buffer.length - 65_557); i--) {
    if (buffer.readUInt32LE(i) === 0x06054b50) {
      end = i;
      break;
    }
  }
  if (end < 0) throw new Error('not a zip file: no end of central directory');
  const count = buffer.readUInt16LE(end + 10);
  let at = buffer.readUInt32LE(end + 16);
  const entries = new Map();
  for (let n = 0; n < count; n++) {
    if (buffer.readUInt32LE(at) !== 0x02014b50) throw new Error(`zip: bad central directory entry ${n}`);
    const method = buffer.readUInt16LE(at + 10);
    const compressed = buffer.readUInt32LE(at + 20);
    const nameLength = buffer.readUInt16LE(at + 28);
    const extraLength = buffer.readUInt16LE(at + 30);
    const commentLength = buffer.readUInt16LE(at + 32);
    const local = buffer.readUInt32LE(at + 42);
    const name = buffer.toString('utf8', at + 46, at + 46 + nameLength);
    at += 46 + nameLength + extraLength + commentLength;
    if (buffer.readUInt32LE(local) !== 0x04034b50) throw new Error(`zip: bad local header for ${name}`);
    const start = local + 30 + buffer.readUInt16LE(local + 26) + buffer.readUInt16LE(local + 28);
    const data = buffer.subarray(start, start + compressed);
    if (method === 0) entries.set(name, Buffer.from(data));
    else if (method === 8) entries.set(name, inflateRawSync(data));
    else throw new Error(`zip: ${name} uses compression method ${method}`);
  }
  return entries;
}

function unescapeXml(text) {
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|amp|lt|gt|quot|apos);/g, (_, entity) => {
    if (entity[0] === '#') {
      const code = entity[1] === 'x' ? parseInt(entity.slice(2), 16) : parseInt(entity.slice(1), 10);
      return String.fromCodePoint(code);
    }
    return { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }[entity];
  });
}

/** The text of every `<t>` inside `xml` (a shared string's runs), joined. */
function texts(xml) {
  return [...xml.matchAll(/<t(?:\s[^>]*)?>([\s\S]*?)<\/t>|<t(?:\s[^>]*)?\/>/g)].map((m) => unescapeXml(m[1] ?? '')).join('');
}

/** `A` → 0, `Z` → 25, `AA` → 26. */
function columnIndex(letters) {
  let index = 0;
  for (const letter of letters) index = index * 26 + (letter.charCodeAt(0) - 64);
  return index - 1;
}

/**
 * The workbook's first sheet: `{ name, rows, formulas }`, rows as arrays of cells
 * `{ type: 'string' | 'number' | 'bool' | 'error', value, style }` (missing cells null),
 * `formulas` the number of cells that hold a formula.
 */
export function readFirstSheet(bytes) {
  const entries = unzip(bytes);
  const text = (name) => {
    const entry = entries.get(name);
    if (!entry) throw new Error(`xlsx: no ${name}; entries: ${[...entries.keys()].join(', ')}`);
    return entry.toString('utf8');
  };
  const workbook = text('xl/workbook.xml');
  const name = unescapeXml(workbook.match(/<sheet\b[^>]*\bname="([^"]*)"/)?.[1] ?? '');
  const shared = entries.has('xl/sharedStrings.xml')
    ? [...text('xl/sharedStrings.xml').matchAll(/<si>([\s\S]*?)<\/si>/g)].map((m) => texts(m[1]))
    : [];
  const sheet = text('xl/worksheets/sheet1.xml');
  const rows = [];
  let formulas = 0;
  for (const row of sheet.matchAll(/<row\b[^>]*?(?:\/>|>([\s\S]*?)<\/row>)/g)) {
    const cells = [];
    for (const cell of (row[1] ?? '').matchAll(/<c\b([^>]*?)(?:\/>|>([\s\S]*?)<\/c>)/g)) {
      const attributes = cell[1];
      const body = cell[2] ?? '';
      const ref = attributes.match(/\br="([A-Z]+)\d+"/)?.[1];
      const type = attributes.match(/\bt="([^"]*)"/)?.[1] ?? 'n';
      const style = Number(attributes.match(/\bs="(\d+)"/)?.[1] ?? 0);
      if (/<f\b/.test(body)) formulas++;
      const raw = body.match(/<v>([\s\S]*?)<\/v>/)?.[1];
      let value;
      if (type === 's') value = { type: 'string', value: shared[Number(raw)] };
      else if (type === 'inlineStr') value = { type: 'string', value: texts(body) };
      else if (type === 'str') value = { type: 'string', value: unescapeXml(raw ?? '') };
      else if (type === 'b') value = { type: 'bool', value: raw === '1' };
      else if (type === 'e') value = { type: 'error', value: raw };
      else if (raw === undefined) continue;
      else value = { type: 'number', value: Number(raw) };
      cells[ref === undefined ? cells.length : columnIndex(ref)] = { ...value, style };
    }
    rows.push(Array.from(cells, (cell) => cell ?? null));
  }
  return { name, rows, formulas };
}
