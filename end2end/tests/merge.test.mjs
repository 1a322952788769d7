// Merging in Chromium: three records of one customer (found as duplicates) become one —
// the staying record keeps the values chosen, unites phones and e-mails, and its page shows
// the others' calls, tasks and field history; identify by a merged record's phone and an
// old link to it open the staying record; the merge reaches the server as ordinary changes;
// "Undo merge" gives every record back with its own tasks and activities.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { SCREENSHOTS, openDevice as sharedOpenDevice } from '../support/harness.mjs';
import { TEAM, startServerAndBrowser, stopServerAndBrowser, apiLogIn, pushSeed } from '../support/suite.mjs';

let server;
let browser;
const ids = {};

before(async () => {
  ({ server, browser } = await startServerAndBrowser([TEAM.ada, TEAM.agnes]));
  const login = await apiLogIn(server, 'ada@example.com');
  await pushSeed(server, login.body.token, (set) => {
    const person = (key, fields) => {
      const id = randomUUID();
      ids[key] = id;
      set('contact', id, 'kind', 'person');
      for (const [field, value] of Object.entries(fields)) set('contact', id, field, value);
    };
    person('kasia', {
      first_name: 'Katarzyna', last_name: 'Wiśniewska', city: 'Warszawa', position: 'Buyer',
      phones: [{ type: 'mobile', number: '+48602333444' }],
    });
    person('kasia2', {
      first_name: 'Katarzyna', last_name: 'Wiśniewska', position: 'Head of purchasing',
      phones: [{ type: 'mobile', number: '+48602333444' }], emails: ['kasia@example.com'],
    });
    person('kasia3', {
      first_name: 'Katarzyna', last_name: 'Wiśniewska', city: 'Warsaw', note: 'Prefers calls after 3 pm',
      emails: ['Kasia@Example.com'], phones: [{ type: 'work', number: '+48225556677' }],
    });
    person('other', { first_name: 'Tomasz', last_name: 'Zając', city: 'Gdańsk' });
    person('marta', { first_name: 'Marta', last_name: 'Kaczmarek', city: 'Radom', phones: [{ type: 'mobile', number: '+48603444555' }] });
    person('marta2', { first_name: 'Marta', last_name: 'Kaczmarek', phones: [{ type: 'mobile', number: '+48603444555' }] });
    const task = randomUUID();
    ids.task = task;
    set('task', task, 'record_id', ids.kasia2);
    set('task', task, 'title', 'Send the offer');
    const call = randomUUID();
    ids.call = call;
    set('activity', call, 'record_id', ids.kasia3);
    set('activity', call, 'kind', 'call');
    set('activity', call, 'direction', 'outgoing');
    set('activity', call, 'at', '2026-11-30T10:00:00.000Z');
    set('activity', call, 'text', 'Asked for the price list');
  });
});

after(() => stopServerAndBrowser(server, browser));

const openDevice = (email, name) => sharedOpenDevice(browser, server.base, email, name, { width: 1400, height: 1000 });

const NAMES = 'Katarzyna Wiśniewska, Katarzyna Wiśniewska, Katarzyna Wiśniewska';

test('three records merge into one with their history, open from old links and identify, and the merge is undone', async () => {
  const { context, page } = await openDevice('agnes@example.com', 'Agnes Agent');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Records' }).click();
  await page.getByRole('status').filter({ hasText: /^6 records$/ }).waitFor();

  // From the duplicate group.
  await page.getByRole('link', { name: 'Find duplicates' }).click();
  await page.getByRole('listitem', { name: `Probable duplicates: ${NAMES}` }).waitFor();
  await page.getByRole('link', { name: `Merge ${NAMES}` }).click();
  await page.getByRole('heading', { name: 'Merge 3 records' }).waitFor();

  // The record with the Warszawa city stays; the position comes from the second.
  await page.getByRole('group', { name: 'Record that stays' }).getByRole('radio', { name: /Warszawa · 602 333 444/ }).check();
  const differing = page.getByRole('table', { name: 'Where the records differ, choose the value to keep' });
  await differing.getByRole('row', { name: /^City/ }).waitFor();
  assert.ok(await page.getByRole('radio', { name: 'Keep city “Warszawa” from Katarzyna Wiśniewska' }).isChecked(),
    'the staying record\'s value is the default');
  // A field only another record has takes its value by default.
  assert.ok(await page.getByRole('radio', { name: 'Keep note “Prefers calls after 3 pm” from Katarzyna Wiśniewska' }).isChecked());
  await page.getByRole('radio', { name: 'Keep position “Head of purchasing” from Katarzyna Wiśniewska' }).check();
  await page.getByText('Moving to the record that stays: 1 task, 1 activity, 0 people of a company.').waitFor();
  await page.getByRole('region', { name: 'United' }).getByText('+48225556677').waitFor();
  await page.screenshot({ path: join(SCREENSHOTS, 'merge.png'), fullPage: true });
  await page.getByRole('button', { name: 'Merge 3 records' }).click();

  // The staying record: chosen and united values, the others' task, call and history.
  await page.waitForURL(new RegExp(`/records/${ids.kasia}`));
  await page.getByText('3 records were merged into this one.').waitFor();
  assert.equal(await page.getByLabel('Position').inputValue(), 'Head of purchasing');
  assert.equal(await page.getByLabel('City').inputValue(), 'Warszawa');
  await page.getByRole('region', { name: 'Open tasks' }).getByText('Send the offer').waitFor();
  const history = page.getByRole('region', { name: 'History' });
  await history.getByText('Katarzyna Wiśniewska, Katarzyna Wiśniewska merged into this record by Agnes Agent').waitFor();
  await history.getByText(/: outgoing call$/).waitFor();
  await history.getByText('Asked for the price list').waitFor();
  // The merged records' own field history, named.
  await history.locator('.merged-field').filter({ hasText: 'set note to Prefers calls after 3 pm' }).first().waitFor({ timeout: 30_000 });
  await page.getByRole('link', { name: /All changes saved · synced/ }).waitFor({ timeout: 30_000 });
  await page.screenshot({ path: join(SCREENSHOTS, 'merge-timeline.png'), fullPage: true });

  // On the server: ordinary changes.
  const admin = await apiLogIn(server, 'ada@example.com');
  const pull = async () => {
    const pulled = await server.api('GET', '/api/sync/pull?cursor=0&limit=5000', { token: admin.body.token });
    return (entity, id) => Object.fromEntries(Object.entries(pulled.body.rows.find((row) => row.entity === entity && row.id === id)?.fields ?? {})
      .map(([field, state]) => [field, state.value]));
  };
  let row = await pull();
  assert.equal(row('contact', ids.kasia3).merged_into, ids.kasia);
  assert.equal(row('contact', ids.kasia3).deleted, true);
  assert.equal(row('contact', ids.kasia2).merged_into, ids.kasia);
  assert.equal(row('task', ids.task).record_id, ids.kasia);
  assert.equal(row('activity', ids.call).record_id, ids.kasia);
  // One address however it was written (the first record's way of writing it is kept).
  assert.deepEqual(row('contact', ids.kasia).emails.map((e) => e.toLowerCase()), ['kasia@example.com']);
  assert.deepEqual(row('contact', ids.kasia).phones.map((p) => p.number), ['+48602333444', '+48225556677']);

  // Identify by the third record's phone: the staying record.
  await page.goto(`${server.base}/identify?phone=${encodeURIComponent('+48 22 555 66 77')}`);
  await page.getByText('The record with 22 555 66 77:').waitFor();
  await page.getByRole('link', { name: 'Katarzyna Wiśniewska' }).click();
  await page.waitForURL(new RegExp(`/records/${ids.kasia}`));

  // An old link to a merged record opens the staying one.
  await page.goto(`${server.base}/records/${ids.kasia3}`);
  await page.waitForURL(new RegExp(`/records/${ids.kasia}\\?from=${ids.kasia3}`));
  await page.getByText('The record you opened was merged into this one.').waitFor();
  await page.getByRole('region', { name: 'Open tasks' }).getByText('Send the offer').waitFor();

  // Undo: every record back, with its own task and call; the staying record's position too.
  await page.getByRole('button', { name: 'Undo the merge of Katarzyna Wiśniewska, Katarzyna Wiśniewska' }).click();
  await page.getByText('The merge was undone').waitFor();
  await page.getByRole('region', { name: 'Open tasks' }).getByText('No open tasks.').waitFor();
  await page.getByRole('region', { name: 'History' }).getByText('Undone', { exact: true }).waitFor();
  assert.equal(await page.getByLabel('Position').inputValue(), 'Buyer');
  await page.getByRole('link', { name: /All changes saved · synced/ }).waitFor({ timeout: 30_000 });
  row = await pull();
  assert.equal(row('contact', ids.kasia3).merged_into, null);
  assert.equal(row('contact', ids.kasia3).deleted, false);
  assert.equal(row('task', ids.task).record_id, ids.kasia2);
  assert.equal(row('activity', ids.call).record_id, ids.kasia3);
  assert.equal(row('contact', ids.kasia).position, 'Buyer');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Records' }).click();
  await page.getByRole('status').filter({ hasText: /^6 records$/ }).waitFor();

  // The merged record opens as itself again.
  await page.goto(`${server.base}/records/${ids.kasia3}`);
  await page.getByRole('heading', { name: 'Katarzyna Wiśniewska' }).waitFor();
  assert.equal(await page.getByLabel('City').inputValue(), 'Warsaw');
  assert.equal(await page.getByText('The record you opened was merged into this one.').count(), 0);

  // A selection of two to ten in the list offers a merge.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Records' }).click();
  await page.getByRole('checkbox', { name: 'Select Tomasz Zając' }).check();
  assert.equal(await page.getByRole('link', { name: /^Merge/ }).count(), 0, 'one record is no merge');
  await page.getByRole('checkbox', { name: 'Select Katarzyna Wiśniewska' }).first().check();
  await page.getByRole('link', { name: 'Merge 2 records…' }).click();
  await page.getByRole('heading', { name: 'Merge 2 records' }).waitFor();
  await page.getByRole('group', { name: 'Record that stays' }).getByRole('radio', { name: /Tomasz Zając/ }).waitFor();
  await page.getByRole('link', { name: 'Cancel' }).click();
  await page.getByRole('status').filter({ hasText: /^6 records$/ }).waitFor();
  await context.close();
});

test('an edit made offline on a record another device merged away lands on the record that stays, and its user is told', async () => {
  const editor = await openDevice('ada@example.com', 'Ada Admin');
  const merger = await openDevice('agnes@example.com', 'Agnes Agent');
  // The editor opens the second record, goes offline and changes it.
  await editor.page.goto(`${server.base}/records/${ids.marta2}`);
  await editor.page.getByRole('heading', { name: 'Marta Kaczmarek' }).waitFor();
  await editor.context.setOffline(true);
  await editor.page.getByLabel('Position').fill('Office manager');
  await editor.page.getByRole('button', { name: 'Save' }).click();
  await editor.page.getByRole('status').filter({ hasText: 'Saved on this device.' }).waitFor();

  // Meanwhile the other device merges it into the first.
  await merger.page.goto(`${server.base}/records/merge?ids=${ids.marta},${ids.marta2}`);
  await merger.page.getByRole('heading', { name: 'Merge 2 records' }).waitFor();
  await merger.page.getByRole('group', { name: 'Record that stays' }).getByRole('radio', { name: /Radom · / }).check();
  await merger.page.getByRole('button', { name: 'Merge 2 records' }).click();
  await merger.page.getByText('2 records were merged into this one.').waitFor();
  await merger.page.getByRole('link', { name: /All changes saved · synced/ }).waitFor({ timeout: 30_000 });

  // Back online, the editor's change is made on the record that stays, and it says so.
  await editor.context.setOffline(false);
  await editor.page.getByRole('link', { name: '1 change was moved to a merged record — review' }).waitFor({ timeout: 30_000 });
  await editor.page.getByRole('link', { name: '1 change was moved to a merged record — review' }).click();
  await editor.page.getByRole('region', { name: 'Rejected changes' })
    .getByText('The record was merged into Marta Kaczmarek meanwhile: the change was made there instead.').waitFor();
  // The change made again waits no more (the sync page's list follows the device).
  await editor.page.getByText('Every change on this device has reached the server.').waitFor({ timeout: 30_000 });
  const admin = await apiLogIn(server, 'ada@example.com');
  const pulled = await server.api('GET', '/api/sync/pull?cursor=0&limit=5000', { token: admin.body.token });
  const fieldsOf = (id) => pulled.body.rows.find((row) => row.entity === 'contact' && row.id === id).fields;
  assert.equal(fieldsOf(ids.marta).position.value, 'Office manager', 'the edit reached the record that stays');
  const merged = fieldsOf(ids.marta2);
  assert.equal(merged.position, undefined, 'nothing landed on the merged record');
  assert.equal(merged.merged_into.value, ids.marta);
  await editor.page.goto(`${server.base}/records/${ids.marta2}`);
  await editor.page.waitForURL(new RegExp(`/records/${ids.marta}`));
  assert.equal(await editor.page.getByLabel('Position').inputValue(), 'Office manager');
  await editor.context.close();
  await merger.context.close();
});
