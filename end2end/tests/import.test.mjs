// The guided import in Chromium: a Windows-1250 semicolon CSV that Excel would save in a
// Polish locale reads right without a setting touched, and switching the encoding changes
// the preview; Czech headers of pasted rows come mapped; a bad PESEL is marked at its cell,
// fixed in place, and the duplicate of a record on the device is named; the rows not
// imported download; an import written offline and reloaded mid-way resumes without a
// record made twice, then syncs, and another manager sees the records. Agents see no
// "Import".

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SCREENSHOTS, openDevice as sharedOpenDevice } from '../support/harness.mjs';
import { TEAM, startServerAndBrowser, stopServerAndBrowser, apiLogIn, pushSeed } from '../support/suite.mjs';

/** The Windows-1250 bytes of the letters these files use beyond ASCII. */
const CP1250 = {
  Ą: 0xa5, ą: 0xb9, Ć: 0xc6, ć: 0xe6, Ę: 0xca, ę: 0xea, Ł: 0xa3, ł: 0xb3, Ń: 0xd1, ń: 0xf1,
  Ó: 0xd3, ó: 0xf3, Ś: 0x8c, ś: 0x9c, Ź: 0x8f, ź: 0x9f, Ż: 0xaf, ż: 0xbf,
  á: 0xe1, č: 0xe8, é: 0xe9, ě: 0xec, í: 0xed, ř: 0xf8, Ř: 0xd8, š: 0x9a, ž: 0x9e, ů: 0xf9,
  ý: 0xfd, ő: 0xf5, ö: 0xf6, ü: 0xfc, ű: 0xfb,
};

/** `text` as Windows-1250 bytes (a letter missing from the table fails the test). */
function windows1250(text) {
  return Buffer.from(
    [...text].map((char) => {
      const code = char.codePointAt(0);
      if (code < 0x80) return code;
      const byte = CP1250[char];
      if (byte === undefined) throw new Error(`no Windows-1250 byte for ${char} in the test's table`);
      return byte;
    }),
  );
}

// What Excel writes in a Polish locale: semicolons, CRLF, Windows-1250, quotes where a
// cell holds the delimiter.
const KLIENCI = [
  'Imię;Nazwisko;Telefon;E-mail;Miasto;PESEL',
  'Jan;Kowalski;601 111 222;jan.kowalski@example.com;Łódź;',
  'Zofia;Zielińska;601 234 567;;Kraków;',
  'Paweł;Żółć;602 333 444;pawel@example.com;Gdańsk;44051401358',
  'Ewa;"Wiśniewska; z d. Nowak";603 444 555;;Győr;',
  '',
].join('\r\n');
const VALID_PESEL = '44051401359';

let server;
let browser;

before(async () => {
  ({ server, browser } = await startServerAndBrowser([TEAM.ada, TEAM.agnes, TEAM.marek]));
  const login = await apiLogIn(server, 'ada@example.com');
  await pushSeed(server, login.body.token, (set) => {
    const zofia = randomUUID();
    set('contact', zofia, 'kind', 'person');
    set('contact', zofia, 'first_name', 'Zofia');
    set('contact', zofia, 'last_name', 'Zielińska');
    set('contact', zofia, 'phones', [{ type: 'mobile', number: '+48601234567' }]);
  });
});

after(() => stopServerAndBrowser(server, browser));

const openDevice = (email, name) => sharedOpenDevice(browser, server.base, email, name, { width: 1400, height: 900 });

/** The records list of `page`, once loaded. */
async function recordsList(page) {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Records' }).click();
  await page.getByRole('status').filter({ hasText: /\d+ records?$/ }).waitFor();
}

/** The texts of the preview's cells (every row under the headers). */
function previewText(page) {
  return page.getByRole('region', { name: "The file's first rows" }).innerText();
}

test('an agent has no Import on the records toolbar', async () => {
  const { context, page } = await openDevice('agnes@example.com', 'Agnes Agent');
  await recordsList(page);
  await page.getByRole('link', { name: 'New record' }).waitFor();
  assert.equal(await page.getByRole('link', { name: 'Import', exact: true }).count(), 0);
  await page.goto(`${server.base}/records/import`);
  await page.getByText('Only administrators and managers can import records.').waitFor();
  await context.close();
});

test('a Windows-1250 CSV reads right, is mapped from Polish headers, reviewed, fixed and imported', async () => {
  const { context, page } = await openDevice('marek@example.com', 'Marek Manager');
  await recordsList(page);
  await page.getByRole('link', { name: 'Import', exact: true }).click();
  await page.getByLabel('Choose a file').setInputFiles({ name: 'klienci.csv', mimeType: 'text/csv', buffer: windows1250(KLIENCI) });
  await page.waitForURL(/\/records\/import\/[0-9a-f-]{36}$/);

  // Read right with nothing touched: the detected reading is shown.
  await page.getByRole('status').filter({ hasText: '4 rows' }).waitFor();
  const preview = await previewText(page);
  for (const word of ['Łódź', 'Zielińska', 'Żółć', 'Győr', 'Wiśniewska; z d. Nowak']) assert.ok(preview.includes(word), `${word} in ${preview}`);
  assert.equal(await page.getByLabel('Encoding').inputValue(), 'windows-1250');
  assert.equal(await page.getByLabel('Delimiter').inputValue(), 'semicolon');
  assert.equal(await page.getByLabel('First row is a header').isChecked(), true);
  const headers = await page.getByRole('region', { name: "The file's first rows" }).getByRole('columnheader').allTextContents();
  assert.deepEqual(headers, ['Line', 'Imię', 'Nazwisko', 'Telefon', 'E-mail', 'Miasto', 'PESEL']);

  // Another encoding reads other letters at once; back again reads them right.
  await page.getByLabel('Encoding').selectOption('utf-8');
  await page.waitForFunction(() => !document.body.innerText.includes('Łódź'));
  assert.ok((await previewText(page)).includes('\uFFFD'), 'undecodable bytes are shown as such');
  await page.getByLabel('Encoding').selectOption('windows-1250');
  await page.getByRole('cell', { name: 'Łódź' }).waitFor();
  await page.screenshot({ path: join(SCREENSHOTS, 'import-reading.png') });

  // Mapping suggested from the Polish headers.
  await page.getByRole('button', { name: 'Next: map the columns' }).click();
  const mapped = async (header) => page.getByLabel(`Map column ${header}`).inputValue();
  await page.getByLabel('Map column Imię').waitFor();
  assert.equal(await mapped('Imię'), 'field:first_name');
  assert.equal(await mapped('Nazwisko'), 'field:last_name');
  assert.equal(await mapped('Telefon'), 'phone:mobile');
  assert.equal(await mapped('E-mail'), 'email');
  assert.equal(await mapped('Miasto'), 'field:city');
  assert.equal(await mapped('PESEL'), 'field:pesel');
  await page.getByLabel('Tags (separated by commas)').fill('import-test');
  assert.equal(await page.getByLabel('Skip', { exact: true }).isChecked(), true);
  await page.getByRole('button', { name: 'Next: review' }).click();

  // Review: the counts, the bad PESEL at its cell, the duplicate named.
  const counts = page.getByRole('status').filter({ hasText: 'to create' });
  await counts.filter({ hasText: '2 to create, 0 to update, 0 unchanged, 1 skipped, 1 with problems' }).waitFor();
  const paweł = page.getByRole('row').filter({ hasText: 'Żółć' });
  const bad = paweł.locator('td[aria-invalid="true"]');
  assert.equal(await bad.count(), 1);
  assert.ok((await bad.innerText()).includes('44051401358'));
  const zofia = page.getByRole('row').filter({ hasText: 'Zielińska' });
  await zofia.getByRole('link', { name: 'Zofia Zielińska' }).waitFor();
  assert.ok((await zofia.innerText()).includes('+48601234567'));
  await page.screenshot({ path: join(SCREENSHOTS, 'import-review.png'), fullPage: true });
  // As stored: the phone in E.164.
  await page.getByRole('row').filter({ hasText: 'Kowalski' }).getByRole('cell', { name: '+48601111222' }).waitFor();

  // Left out: skipped, and no longer a problem of the import; taken back in.
  await page.getByLabel('Leave out line 4').check();
  await counts.filter({ hasText: '2 to create, 0 to update, 0 unchanged, 2 skipped, 0 with problems' }).waitFor();
  assert.ok((await paweł.innerText()).includes('Left out'));
  await page.getByLabel('Leave out line 4').uncheck();
  await counts.filter({ hasText: '2 to create, 0 to update, 0 unchanged, 1 skipped, 1 with problems' }).waitFor();

  // Fixed in place: reviewed again.
  await page.getByLabel('Fix PESEL on line 4').fill(VALID_PESEL);
  await page.getByLabel('Fix PESEL on line 4').press('Enter');
  await counts.filter({ hasText: '3 to create, 0 to update, 0 unchanged, 1 skipped, 0 with problems' }).waitFor();

  await page.getByRole('button', { name: 'Import 3 rows' }).click();
  await page.getByRole('heading', { name: 'Import finished' }).waitFor({ timeout: 30_000 });
  await page.getByText('3 records created').waitFor();
  await page.getByText('1 row skipped').waitFor();

  // The skipped duplicate, with its reason, ready to fix and import again.
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Download the rows that were not imported' }).click(),
  ]);
  assert.match(download.suggestedFilename(), /klienci.*\.csv$/);
  const report = (await readFile(await download.path())).toString('utf8');
  assert.ok(report.includes('Zielińska'), report);
  assert.ok(report.includes('Reason'), report);
  assert.ok(!report.includes('Kowalski'), report);

  await recordsList(page);
  await page.getByLabel('Search').fill('Żółć');
  await page.getByRole('status').filter({ hasText: /^1 record$/ }).waitFor();
  // Written as fixed in the review.
  await page.getByRole('link', { name: 'Paweł Żółć' }).click();
  await page.getByRole('heading', { name: 'Paweł Żółć' }).waitFor();
  assert.equal(await page.getByLabel('PESEL').inputValue(), VALID_PESEL);
  assert.equal(await page.getByLabel('City').inputValue(), 'Gdańsk');
  await recordsList(page);
  await page.getByLabel('Search').fill('Kowalski');
  await page.getByRole('status').filter({ hasText: /^1 record$/ }).waitFor();
  // Online, the import reaches the server like any edit.
  await page.getByRole('link', { name: /All changes saved · synced/ }).waitFor({ timeout: 30_000 });
  await context.close();
});

test('pasted rows with Czech headers come mapped', async () => {
  const { context, page } = await openDevice('marek@example.com', 'Marek Manager');
  await page.goto(`${server.base}/records/import`);
  // A file the import cannot read is refused, and nothing is kept.
  await page.getByLabel('Choose a file').setInputFiles({ name: 'notes.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4') });
  await page.getByRole('alert').filter({ hasText: '“notes.pdf” cannot be imported' }).waitFor();
  assert.equal(await page.getByRole('heading', { name: 'Unfinished imports' }).count(), 0);
  const rows = ['Jméno\tPříjmení\tMobil\tMěsto\tPSČ\tIČO', 'Petr\tDvořák\t+420 601 123 456\tPříbram\t261 01\t12345678'].join('\n');
  await page.getByLabel('Paste rows').fill(rows);
  await page.getByRole('button', { name: 'Import the pasted rows' }).click();
  await page.waitForURL(/\/records\/import\/[0-9a-f-]{36}$/);
  await page.getByRole('cell', { name: 'Příbram' }).waitFor();
  await page.getByRole('status').filter({ hasText: '1 row' }).waitFor();
  await page.getByRole('button', { name: 'Next: map the columns' }).click();
  await page.getByLabel('Map column Jméno').waitFor();
  const mapped = async (header) => page.getByLabel(`Map column ${header}`).inputValue();
  assert.equal(await mapped('Jméno'), 'field:first_name');
  assert.equal(await mapped('Příjmení'), 'field:last_name');
  assert.equal(await mapped('Mobil'), 'phone:mobile');
  assert.equal(await mapped('Město'), 'field:city');
  assert.equal(await mapped('PSČ'), 'field:postal_code');
  assert.equal(await mapped('IČO'), 'skip');

  // Left and taken up again from the start page, at the step it was left.
  await page.goto(`${server.base}/records/import`);
  await page.getByRole('heading', { name: 'Unfinished imports' }).waitFor();
  await page.getByRole('link', { name: 'Continue importing Pasted rows' }).click();
  await page.getByLabel('Map column Jméno').waitFor();
  await page.goto(`${server.base}/records/import`);
  await page.getByRole('button', { name: 'Discard the import of Pasted rows' }).click();
  await page.getByRole('heading', { name: 'Unfinished imports' }).waitFor({ state: 'detached' });
  await context.close();
});

test('a long review is shown a page of rows at a time', async () => {
  const { context, page } = await openDevice('marek@example.com', 'Marek Manager');
  await page.goto(`${server.base}/records/import`);
  // 60 rows, every one with a phone that is no number: 60 rows worth a look.
  const lines = ['Imię\tNazwisko\tTelefon'];
  for (let n = 1; n <= 60; n += 1) lines.push(`Osoba\tNumer${n}\t12${n}`);
  await page.getByLabel('Paste rows').fill(lines.join('\n'));
  await page.getByRole('button', { name: 'Import the pasted rows' }).click();
  await page.waitForURL(/\/records\/import\/[0-9a-f-]{36}$/);
  await page.getByRole('button', { name: 'Next: map the columns' }).click();
  await page.getByLabel('Map column Telefon').waitFor();
  await page.getByRole('button', { name: 'Next: review' }).click();
  await page.getByRole('status').filter({ hasText: '0 to create, 0 to update, 0 unchanged, 0 skipped, 60 with problems' }).waitFor();
  const pages = page.getByRole('navigation', { name: 'Pages of the rows' });
  const table = page.getByRole('region', { name: 'Rows as they will be stored' });
  await pages.getByText('Rows 1–25 of 60').waitFor();
  assert.equal(await table.getByRole('row').count(), 26, 'a header and 25 rows');
  assert.equal(await pages.getByRole('button', { name: 'Previous rows' }).isDisabled(), true);
  await table.getByLabel('Fix Telefon on line 2', { exact: true }).waitFor();
  await pages.getByRole('button', { name: 'Next rows' }).click();
  await pages.getByRole('button', { name: 'Next rows' }).click();
  await pages.getByText('Rows 51–60 of 60').waitFor();
  assert.equal(await pages.getByRole('button', { name: 'Next rows' }).isDisabled(), true);
  await table.getByLabel('Fix Telefon on line 61', { exact: true }).waitFor();
  assert.equal(await table.getByLabel('Fix Telefon on line 2', { exact: true }).count(), 0);
  // A fix reviews again and stays on the page it was made on.
  await table.getByLabel('Fix Telefon on line 61', { exact: true }).fill('605 123 987');
  await table.getByLabel('Fix Telefon on line 61', { exact: true }).press('Enter');
  await page.getByRole('status').filter({ hasText: '1 to create, 0 to update, 0 unchanged, 0 skipped, 59 with problems' }).waitFor();
  // The fixed row, past the first 50 and no longer with a problem, is no longer listed.
  await pages.getByText('Rows 51–59 of 59').waitFor();
  await page.goto(`${server.base}/records/import`);
  await page.getByRole('button', { name: 'Discard the import of Pasted rows' }).click();
  await page.getByRole('heading', { name: 'Unfinished imports' }).waitFor({ state: 'detached' });
  await context.close();
});

test('a workbook exported from the list imports back unchanged in an update mode', async () => {
  const { context, page } = await openDevice('marek@example.com', 'Marek Manager');
  await recordsList(page);
  await page.getByRole('status').filter({ hasText: /^4 records$/ }).waitFor();
  await page.getByRole('button', { name: 'Export', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: 'Export records' });
  await dialog.getByLabel('Every field').check();
  const [file] = await Promise.all([page.waitForEvent('download'), dialog.getByRole('button', { name: 'Export', exact: true }).click()]);
  const workbook = await readFile(await file.path());

  await page.getByRole('link', { name: 'Import', exact: true }).click();
  await page.getByLabel('Choose a file').setInputFiles({ name: file.suggestedFilename(), buffer: workbook });
  await page.getByRole('status').filter({ hasText: '4 rows' }).waitFor();
  assert.match(await page.getByLabel('Sheet').inputValue(), /^miniCRM records/);
  assert.equal(await page.getByLabel('First row is a header').isChecked(), true);
  await page.getByRole('cell', { name: 'Łódź' }).waitFor();
  await page.getByRole('button', { name: 'Next: map the columns' }).click();
  assert.equal(await page.getByLabel('Map column Last name').inputValue(), 'field:last_name');
  await page.getByLabel('Overwrite mapped fields').check();
  await page.getByRole('button', { name: 'Next: review' }).click();
  await page.getByRole('status').filter({ hasText: '0 to create, 0 to update, 4 unchanged, 0 skipped, 0 with problems' }).waitFor();
  assert.equal(await page.getByRole('button', { name: 'Import 0 rows' }).isDisabled(), true);
  await context.close();
});

test('an offline import reloaded mid-way resumes, makes each record once and syncs', async (t) => {
  const count = 3000;
  const lines = ['Imię;Nazwisko;Telefon'];
  for (let i = 1; i <= count; i++) lines.push(`Osoba${String(i).padStart(4, '0')};Wznawiana;50${String(i).padStart(7, '0')}`);
  const { context, page } = await openDevice('marek@example.com', 'Marek Manager');
  await context.setOffline(true);
  await page.goto(`${server.base}/records/import`);
  await page.getByLabel('Choose a file').setInputFiles({ name: 'duzy.csv', mimeType: 'text/csv', buffer: windows1250(lines.join('\r\n')) });
  await page.getByRole('status').filter({ hasText: '3,000 rows' }).waitFor();
  await page.getByRole('button', { name: 'Next: map the columns' }).click();
  await page.getByRole('button', { name: 'Next: review' }).click();
  await page.getByRole('status').filter({ hasText: '3,000 to create' }).waitFor();
  await page.getByRole('button', { name: 'Import 3,000 rows' }).click();
  await page.getByRole('progressbar', { name: 'Rows imported' }).waitFor();
  await page.screenshot({ path: join(SCREENSHOTS, 'import-writing.png') });
  await page.waitForFunction(
    () => {
      const bar = document.querySelector('[role="progressbar"]');
      return !bar || Number(bar.getAttribute('aria-valuenow')) > 0;
    },
    null,
    { timeout: 30_000 },
  );
  // A reload in the middle: the import goes on by itself.
  const at = await page.getByRole('progressbar').getAttribute('aria-valuenow', { timeout: 1000 }).catch(() => 'the end');
  t.diagnostic(`reloaded at ${at} of ${count} rows`);
  await page.reload();
  await page.getByRole('heading', { name: 'Import finished' }).waitFor({ timeout: 60_000 });
  await page.getByText('3,000 records created').waitFor();

  await recordsList(page);
  await page.getByLabel('Search').fill('Wznawiana');
  await page.getByRole('status').filter({ hasText: /^3000 records$/ }).waitFor();

  // Back online, the outbox (some 12,000 changes) goes to the server by itself.
  await context.setOffline(false);
  await page.getByRole('link', { name: /All changes saved · synced/ }).waitFor({ timeout: 120_000 });
  const ada = await openDevice('ada@example.com', 'Ada Admin');
  await recordsList(ada.page);
  await ada.page.getByLabel('Search').fill('Wznawiana');
  await ada.page.getByRole('status').filter({ hasText: /^3000 records$/ }).waitFor({ timeout: 30_000 });
  await ada.context.close();
  await context.close();
});
