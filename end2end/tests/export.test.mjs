// Export from the records list: a filter to CSV (UTF-8 with a BOM, the Polish user's `;`, a
// formula neutralized unless "raw"; Windows-1250 on request) and a selection to XLSX read
// back here (typed string cells, never a formula; every field; phones as shown).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { logInAndSync, SCREENSHOTS } from '../support/harness.mjs';
import { TEAM, startServerAndBrowser, stopServerAndBrowser, apiLogIn, pushSeed } from '../support/suite.mjs';
import { readFirstSheet } from '../support/xlsx.mjs';

const HYPERLINK = '=HYPERLINK("http://evil.example/","click")';

let server;
let browser;

before(async () => {
  ({ server, browser } = await startServerAndBrowser([TEAM.ada]));
  const login = await apiLogIn(server, 'ada@example.com');
  const ada = login.body.user.id;
  const stage = randomUUID();
  await pushSeed(server, login.body.token, (set) => {
    set('stage', stage, 'name', 'Lead');
    const person = (first, last, city, more = {}) => {
      const id = randomUUID();
      set('contact', id, 'kind', 'person');
      set('contact', id, 'first_name', first);
      set('contact', id, 'last_name', last);
      set('contact', id, 'city', city);
      for (const [field, value] of Object.entries(more)) set('contact', id, field, value);
    };
    person('Jan', 'Kowalski', 'Łódź', {
      phones: [{ type: 'mobile', number: '+48600100200' }],
      emails: ['jan@example.com'],
      owner_id: ada,
      stage_id: stage,
    });
    person('Anna', 'Nowak', 'Łódź', { company: HYPERLINK });
    person('Zofia', 'Żak', 'Łódź');
    person('Petr', 'Dvořák', 'Brno');
  });
});

after(() => stopServerAndBrowser(server, browser));

/** Ada's device with a Polish browser (what decides the CSV delimiter), on the records list. */
async function polishDevice() {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, locale: 'pl-PL' });
  const page = await context.newPage();
  await logInAndSync(page, server.base, 'ada@example.com', 'Ada Admin');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Records' }).click();
  await page.getByRole('status').filter({ hasText: /\d+ records?$/ }).waitFor();
  return { context, page };
}

/** Clicks the dialog's Export and returns the download's suggested name and bytes. */
async function download(page, dialog) {
  const [file] = await Promise.all([page.waitForEvent('download'), dialog.getByRole('button', { name: 'Export', exact: true }).click()]);
  const bytes = await readFile(await file.path());
  await dialog.waitFor({ state: 'detached' });
  return { name: file.suggestedFilename(), bytes };
}

/** Opens the export dialog from the toolbar. */
async function openExport(page) {
  await page.getByRole('button', { name: 'Export', exact: true }).click();
  return page.getByRole('dialog', { name: 'Export records' });
}

test('a filter exports to CSV: BOM, the Polish `;`, formulas neutralized unless raw, Windows-1250 on request', async () => {
  const { context, page } = await polishDevice();
  await page.getByLabel('Search', { exact: true }).fill('lodz');
  await page.getByRole('status').filter({ hasText: '3 records' }).waitFor();

  let dialog = await openExport(page);
  assert.equal(await dialog.getByLabel('All 3 records found').isChecked(), true);
  // No selection: no "selected" choice.
  assert.equal(await dialog.getByLabel(/selected$/).count(), 0);
  assert.equal(await dialog.getByLabel('Excel workbook (XLSX)').isChecked(), true);
  assert.equal(await dialog.getByLabel('Columns shown in the list').isChecked(), true);
  assert.equal(await dialog.getByLabel('As stored (+48…)').isChecked(), true);
  await dialog.getByLabel('CSV', { exact: true }).check();
  // A Polish user's Excel expects semicolons; UTF-8 with a BOM; neutralized.
  const delimiter = dialog.getByLabel('Delimiter');
  assert.equal(await delimiter.evaluate((select) => select.selectedOptions[0].textContent), 'Semicolon ( ; )');
  assert.equal(await dialog.getByLabel('Encoding').evaluate((select) => select.selectedOptions[0].textContent), 'UTF-8 with BOM (Excel)');
  assert.equal(await dialog.getByLabel('Raw values, for re-import (no formula protection)').isChecked(), false);
  await page.screenshot({ path: join(SCREENSHOTS, 'records-export.png') });
  let file = await download(page, dialog);
  assert.match(file.name, /^miniCRM records \d{4}-\d{2}-\d{2}\.csv$/);
  assert.deepEqual([...file.bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'a UTF-8 BOM');
  let lines = file.bytes.subarray(3).toString('utf8').split('\r\n');
  // The list's columns with its headers (the name as first and last name), in its order.
  assert.deepEqual(lines, [
    'First name;Last name;Company;Phone;E-mail;City;Stage;Owner',
    `Anna;Nowak;"'=HYPERLINK(""http://evil.example/"",""click"")";;;Łódź;;`,
    'Jan;Kowalski;;+48600100200;jan@example.com;Łódź;Lead;Ada Admin',
    'Zofia;Żak;;;;Łódź;;',
    '',
  ]);

  // Raw, for re-import: the cell exactly as stored.
  dialog = await openExport(page);
  await dialog.getByLabel('CSV', { exact: true }).check();
  await dialog.getByLabel('Raw values, for re-import (no formula protection)').check();
  file = await download(page, dialog);
  lines = file.bytes.subarray(3).toString('utf8').split('\r\n');
  assert.equal(lines[1], 'Anna;Nowak;"=HYPERLINK(""http://evil.example/"",""click"")";;;Łódź;;');

  // Windows-1250 for older programs, with a comma: no BOM, Ł ó ź as that code page has them.
  dialog = await openExport(page);
  await dialog.getByLabel('CSV', { exact: true }).check();
  await dialog.getByLabel('Encoding').selectOption({ label: 'Windows-1250 (older programs)' });
  await dialog.getByLabel('Delimiter').selectOption({ label: 'Comma ( , )' });
  file = await download(page, dialog);
  assert.notDeepEqual([...file.bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
  assert.ok(file.bytes.includes(Buffer.from([0xa3, 0xf3, 0x64, 0x9f])), 'Łódź in Windows-1250');
  assert.ok(file.bytes.includes(Buffer.from([...Buffer.from('Zofia,'), 0xaf, ...Buffer.from('ak,')])), 'Żak in Windows-1250, comma-separated');
  assert.equal(file.bytes.toString('latin1').split('\r\n')[0], 'First name,Last name,Company,Phone,E-mail,City,Stage,Owner');
  await context.close();
});

test('a selection exports to XLSX with every field: string cells, never a formula; phones as shown', async () => {
  const { context, page } = await polishDevice();
  await page.getByLabel('Search', { exact: true }).fill('lodz');
  await page.getByRole('status').filter({ hasText: '3 records' }).waitFor();
  await page.getByRole('checkbox', { name: 'Select Jan Kowalski' }).check();
  await page.getByRole('checkbox', { name: 'Select Anna Nowak' }).check();
  await page.getByText('2 selected', { exact: true }).waitFor();

  const dialog = await openExport(page);
  assert.equal(await dialog.getByLabel('The 2 selected').isChecked(), true);
  await dialog.getByLabel('Every field').check();
  await dialog.getByLabel('As shown', { exact: true }).check();
  // No CSV settings for a workbook.
  assert.equal(await dialog.getByLabel('Delimiter').count(), 0);
  const file = await download(page, dialog);
  assert.match(file.name, /^miniCRM records \d{4}-\d{2}-\d{2}\.xlsx$/);

  const sheet = readFirstSheet(file.bytes);
  assert.match(sheet.name, /^miniCRM records \d{4}-\d{2}-\d{2}$/);
  assert.equal(sheet.formulas, 0, 'no cell holds a formula');
  const [header, ...rows] = sheet.rows;
  const names = header.map((cell) => cell.value);
  assert.deepEqual(names.slice(0, 6), ['Type', 'First name', 'Last name', 'Position', 'Company', 'Mobile']);
  for (const wanted of ['E-mail', 'City', 'Stage', 'Owner', 'Tags', 'Segments', 'Note']) {
    assert.ok(names.includes(wanted), `a column ${wanted} in ${names.join(', ')}`);
  }
  // The selected records only, in the list's order.
  assert.equal(rows.length, 2);
  const value = (row, column) => row[names.indexOf(column)] ?? null;
  assert.deepEqual(rows.map((row) => value(row, 'Last name').value), ['Nowak', 'Kowalski']);
  assert.deepEqual(value(rows[0], 'Company'), { type: 'string', value: HYPERLINK, style: value(rows[0], 'Company').style });
  assert.equal(value(rows[1], 'Mobile').value, '600 100 200');
  assert.equal(value(rows[1], 'City').value, 'Łódź');
  assert.equal(value(rows[1], 'Owner').value, 'Ada Admin');
  assert.equal(value(rows[1], 'Stage').value, 'Lead');
  assert.equal(value(rows[1], 'Type').value, 'person');
  await context.close();
});
