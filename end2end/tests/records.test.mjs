// Records: create with validation, search and filters with a saved view, bulk changes made
// offline reaching another user, trash and restore (and purge), identification by phone.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { openDevice as sharedOpenDevice, syncUntil as sharedSyncUntil, SCREENSHOTS } from '../support/harness.mjs';
import { TEAM, startServerAndBrowser, stopServerAndBrowser, apiLogIn, pushSeed } from '../support/suite.mjs';

let server;
let browser;
const segments = { vip: randomUUID(), newsletter: randomUUID() };

before(async () => {
  ({ server, browser } = await startServerAndBrowser([TEAM.ada, TEAM.agnes, TEAM.marek]));
  const login = await apiLogIn(server, 'ada@example.com');
  // Settings and a few dozen records, written as a device would.
  await pushSeed(server, login.body.token, (set) => {
    set('segment', segments.vip, 'name', 'VIP');
    set('segment', segments.newsletter, 'name', 'Newsletter');
    for (let i = 0; i < 40; i++) {
      const id = randomUUID();
      set('contact', id, 'kind', 'person');
      set('contact', id, 'first_name', `Person${i}`);
      set('contact', id, 'last_name', i % 2 ? 'Dvořák' : 'Nowak');
      set('contact', id, 'city', i < 24 ? 'Brno' : 'Kraków');
      if (i % 3 === 0) set('contact', id, `segment:${segments.vip}`, true);
    }
  });
});

after(() => stopServerAndBrowser(server, browser));

const openDevice = (email, name) => sharedOpenDevice(browser, server.base, email, name, { width: 1400, height: 900 });
const syncUntil = (page, check) => sharedSyncUntil(page, server.base, check);

async function openList(page) {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Records' }).click();
  await page.getByRole('status').filter({ hasText: /\d+ records?$/ }).waitFor();
}

/** Types `text` into the search box and waits until the count says `shown`. */
async function search(page, text, shown) {
  await page.getByLabel('Search', { exact: true }).fill(text);
  await page.getByRole('status').filter({ hasText: shown }).waitFor();
}

/** Opens the record `name` from the list and moves it to the trash. */
async function moveToTrash(page, name) {
  await page.getByRole('link', { name }).click();
  await page.getByRole('button', { name: 'Move to trash' }).click();
  await page.getByText('In the trash').waitFor();
}

async function count(page) {
  const text = await page.getByRole('status').filter({ hasText: /\d+ records?$/ }).textContent();
  return Number(text.match(/(\d+) record/)[1]);
}

test('a new record is checked before it is saved; identification finds it by any phone format', async () => {
  const { context, page } = await openDevice('ada@example.com', 'Ada Admin');
  await page.getByRole('link', { name: 'New record' }).click();
  await page.getByLabel('First name').fill('Jan');
  await page.getByLabel('Last name').fill('Kowalski');
  await page.getByLabel('Phone 1', { exact: true }).fill('+48 600 100 200');
  await page.getByLabel('E-mail 1', { exact: true }).fill('Jan.Kowalski@Example.com');
  await page.getByLabel('PESEL').fill('44051401358');
  await page.getByRole('button', { name: 'Save' }).click();

  // The problem is explained next to the field, and nothing was written.
  await page.getByText("This PESEL's check digit is wrong — check for a typing mistake.").waitFor();
  assert.equal(await page.getByLabel('PESEL').getAttribute('aria-invalid'), 'true');
  await page.getByRole('heading', { name: 'New record' }).waitFor();
  await page.getByRole('link', { name: /All changes saved/ }).waitFor();
  await page.screenshot({ path: join(SCREENSHOTS, 'record-invalid-pesel.png') });

  await page.getByLabel('PESEL').fill('440514 01359');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('heading', { name: 'Jan Kowalski' }).waitFor();
  // Stored normalized: the e-mail lowercased, the phone in E.164 (shown nationally).
  assert.equal(await page.getByLabel('PESEL').inputValue(), '44051401359');
  assert.equal(await page.getByLabel('E-mail 1', { exact: true }).inputValue(), 'jan.kowalski@example.com');
  assert.equal(await page.getByLabel('Phone 1', { exact: true }).inputValue(), '600 100 200');
  await page.getByRole('link', { name: 'Call 600 100 200' }).waitFor();
  assert.equal(await page.getByRole('link', { name: 'Call 600 100 200' }).getAttribute('href'), 'tel:+48600100200');

  // Leaving with unsaved edits asks first; staying keeps them.
  await page.getByLabel('City').fill('Kraków');
  page.once('dialog', (dialog) => dialog.dismiss());
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Records' }).click();
  await page.getByRole('heading', { name: 'Jan Kowalski' }).waitFor();
  assert.equal(await page.getByLabel('City').inputValue(), 'Kraków');
  await page.getByRole('button', { name: 'Cancel' }).click();
  assert.equal(await page.getByLabel('City').inputValue(), '');

  // A phone system opens /identify with the number as it has it.
  await page.goto(`${server.base}/identify?phone=600100200`);
  await page.getByText('The record with 600 100 200:').waitFor();
  await page.getByRole('link', { name: 'Jan Kowalski' }).click();
  await page.getByRole('heading', { name: 'Jan Kowalski' }).waitFor();
  await page.goto(`${server.base}/identify?phone=${encodeURIComponent('0048 600-100-200')}`);
  await page.getByRole('link', { name: 'Jan Kowalski' }).waitFor();

  // An unknown number: create a record with it, prefilled.
  await page.goto(`${server.base}/identify?phone=601234567`);
  await page.getByText('No record on this device has 601 234 567.').waitFor();
  await page.getByRole('link', { name: 'Create a new record with it' }).click();
  await page.getByRole('heading', { name: 'New record' }).waitFor();
  assert.equal(await page.getByLabel('Phone 1', { exact: true }).inputValue(), '601 234 567');
  await context.close();
});

test('search and filters narrow the list; a saved view brings them back', async () => {
  const { context, page } = await openDevice('agnes@example.com', 'Agnes Agent');
  await openList(page);
  const everything = await count(page);
  assert.ok(everything >= 40, `${everything} records`);
  // Search ignores case and diacritics.
  await search(page, 'dvorak', '20 records');
  await search(page, 'brno', '24 records');
  await page.getByLabel('Segment', { exact: true }).selectOption({ label: 'VIP' });
  await page.getByRole('status').filter({ hasText: '8 records' }).waitFor();
  // A condition on any field.
  await page.getByRole('button', { name: 'More filters' }).click();
  await page.getByLabel('Field', { exact: true }).selectOption({ label: 'Last name' });
  await page.getByLabel('Condition').selectOption({ label: 'is' });
  await page.getByLabel('Value', { exact: true }).fill('Nowak');
  await page.getByRole('button', { name: 'Add filter' }).click();
  await page.getByRole('status').filter({ hasText: '4 records' }).waitFor();
  await page.getByText('Last name is Nowak').waitFor();

  await page.getByRole('button', { name: 'Save view' }).click();
  await page.getByLabel('View name').fill('Brno VIP Nowaks');
  await page.getByRole('form', { name: 'Save view' }).getByRole('button', { name: 'Save' }).click();
  await page.screenshot({ path: join(SCREENSHOTS, 'records-filtered.png') });

  // One click resets everything.
  await page.getByRole('button', { name: 'Reset filters' }).click();
  await page.getByRole('status').filter({ hasText: `${everything} records` }).waitFor();

  // The view survives a reload and restores search and filters.
  await page.reload();
  await page.getByRole('status').filter({ hasText: `${everything} records` }).waitFor();
  await page.getByLabel('Saved view').selectOption({ label: 'Brno VIP Nowaks' });
  await page.getByRole('status').filter({ hasText: '4 records' }).waitFor();
  assert.equal(await page.getByLabel('Search', { exact: true }).inputValue(), 'brno');
  await context.close();
});

test('offline, select all found and add them to a segment; another user sees it after sync', async () => {
  const agent = await openDevice('agnes@example.com', 'Agnes Agent');
  const manager = await openDevice('marek@example.com', 'Marek Manager');
  await openList(agent.page);
  await agent.context.setOffline(true);
  await search(agent.page, 'krakow', '16 records');
  await agent.page.getByRole('button', { name: 'Select all 16 found' }).click();
  await agent.page.getByText('16 selected', { exact: true }).waitFor();
  await agent.page.getByLabel('Action on 16 selected records').selectOption({ label: 'Add to segment' });
  await agent.page.getByLabel('To', { exact: true }).selectOption({ label: 'Newsletter' });
  await agent.page.getByRole('button', { name: 'Apply' }).click();
  await agent.page.getByText('16 records updated on this device').waitFor();
  await agent.page.getByRole('link', { name: /Offline · 16 changes waiting/ }).waitFor();
  await agent.page.screenshot({ path: join(SCREENSHOTS, 'records-bulk-offline.png') });

  await agent.context.setOffline(false);
  await agent.page.getByRole('link', { name: /All changes saved · synced/ }).waitFor({ timeout: 20_000 });
  await syncUntil(manager.page, async () => {
    await openList(manager.page);
    await manager.page.getByLabel('Segment', { exact: true }).selectOption({ label: 'Newsletter' });
    await manager.page.waitForTimeout(100);
    return (await count(manager.page)) === 16;
  });
  await agent.context.close();
  await manager.context.close();
});

test('trash and restore; an administrator deletes for good', async () => {
  const { context, page } = await openDevice('ada@example.com', 'Ada Admin');
  await openList(page);
  await search(page, 'person7 ', '1 record');
  await moveToTrash(page, 'Person7 Dvořák');

  await openList(page);
  await search(page, 'person7 ', '0 records');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Trash' }).click();
  await page.getByRole('button', { name: 'Restore Person7 Dvořák' }).click();
  await page.getByText('The trash is empty.').waitFor();
  await openList(page);
  await search(page, 'person7 ', '1 record');

  // Trash it again and purge it: it is gone from the server and the device.
  await moveToTrash(page, 'Person7 Dvořák');
  await page.getByRole('link', { name: /All changes saved · synced/ }).waitFor({ timeout: 20_000 });
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Trash' }).click();
  await page.getByRole('button', { name: 'Delete Person7 Dvořák for good' }).click();
  const dialog = page.getByRole('dialog', { name: 'Delete for good?' });
  await dialog.getByRole('button', { name: 'Delete for good' }).click();
  await page.getByText('1 record deleted for good.').waitFor();
  await page.getByText('The trash is empty.').waitFor({ timeout: 20_000 });
  await context.close();
});
