// The import history and revert: an import (its history row and its marks on the records it
// created and updated, pushed as the importing device would) is listed on every device; an
// agent sees it without "Revert"; a manager reverts it from another device: the record it
// created goes to the trash, the field it overwrote gets its old value back, the field
// changed since stays and is listed; the revert syncs.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { openDevice as sharedOpenDevice, syncUntil, SCREENSHOTS } from '../support/harness.mjs';
import { TEAM, startServerAndBrowser, stopServerAndBrowser, apiLogIn, pushSeed, pushAccepted } from '../support/suite.mjs';

let server;
let browser;
// A UUIDv7-looking id, as the app makes them.
const importId = `019ad${randomUUID().slice(5, 14)}7${randomUUID().slice(15)}`;
const created = randomUUID();
const updated = randomUUID();

before(async () => {
  ({ server, browser } = await startServerAndBrowser([TEAM.ada, TEAM.agnes, TEAM.marek]));
  const login = await apiLogIn(server, 'ada@example.com');
  const token = login.body.token;
  const mark = `import:${importId}`;
  // Before the import: Beata Baran in Kraków, an intern.
  await pushSeed(server, token, (set) => {
    set('contact', updated, 'kind', 'person');
    set('contact', updated, 'first_name', 'Beata');
    set('contact', updated, 'last_name', 'Baran');
    set('contact', updated, 'city', 'Kraków');
    set('contact', updated, 'position', 'Intern');
  });
  // The import (as Ada's device writes it): Cezary Cichy created; Beata moved to Gdańsk as
  // a manager, the mark last; then its history row.
  const start = Date.now();
  const later = (offset) => `${start + offset}-0000-import`;
  let seq = 0;
  const change = (entity, id, field, value, hlc) => ({ seq: ++seq, entity, id, field, value, hlc });
  await pushAccepted(server, token, 'import-device', [
    change('contact', created, 'kind', 'person', later(1)),
    change('contact', created, 'first_name', 'Cezary', later(1)),
    change('contact', created, 'last_name', 'Cichy', later(1)),
    change('contact', created, mark, { created: true }, later(2)),
    change('contact', updated, 'city', 'Gdańsk', later(1)),
    change('contact', updated, 'position', 'Manager', later(1)),
    change('contact', updated, mark, { previous: { city: 'Kraków', position: 'Intern' } }, later(2)),
    ...Object.entries({
      file_name: 'klienci.csv',
      format: 'text',
      user_id: login.body.user.id,
      started_at: '2026-11-30T09:00:00Z',
      finished_at: '2026-11-30T09:01:00Z',
      status: 'done',
      rows: 3,
      created: 1,
      updated: 1,
      unchanged: 0,
      skipped: 0,
      failed: 1,
    }).map(([field, value]) => change('import', importId, field, value, later(3))),
  ]);
  // Someone changes Beata's position after the import.
  await pushAccepted(server, token, 'colleague', [change('contact', updated, 'position', 'Director', later(10))]);
});

after(() => stopServerAndBrowser(server, browser));

const openDevice = (email, name) => sharedOpenDevice(browser, server.base, email, name, { width: 1400, height: 900 });

/** The history's row for klienci.csv, as its cells' texts. */
async function historyRow(page) {
  const row = page.getByRole('row').filter({ hasText: 'klienci.csv' });
  await row.waitFor();
  return row.getByRole('cell').allTextContents();
}

test('an agent sees the history but cannot revert', async () => {
  const { context, page } = await openDevice('agnes@example.com', 'Agnes Agent');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Records' }).click();
  await page.getByRole('link', { name: 'Import history' }).click();
  await page.getByRole('heading', { name: 'Imports' }).waitFor();
  for (const column of ['File', 'By', 'Started', 'Finished', 'Status', 'Created', 'Updated', 'Unchanged', 'Skipped', 'Failed']) {
    await page.getByRole('columnheader', { name: column, exact: true }).waitFor();
  }
  const cells = await historyRow(page);
  assert.deepEqual([cells[0], cells[1], cells[4], ...cells.slice(5, 10)], ['klienci.csv', 'Ada Admin', 'Done', '1', '1', '0', '0', '1']);
  assert.equal(await page.getByRole('button', { name: /Revert/ }).count(), 0);
  await context.close();
});

test('a manager reverts the import offline on another device; the revert syncs', async () => {
  const { context, page } = await openDevice('marek@example.com', 'Marek Manager');
  await page.goto(`${server.base}/records/imports`);
  await historyRow(page);
  await context.setOffline(true);
  await page.getByRole('button', { name: 'Revert the import of klienci.csv' }).click();
  const dialog = page.getByRole('dialog', { name: 'Revert the import of klienci.csv?' });
  await dialog
    .getByText('Records this import created go to the trash; fields it overwrote get their previous values back; fields changed since are left as they are and listed.')
    .waitFor();
  await dialog.getByRole('button', { name: 'Revert', exact: true }).click();
  await dialog.getByRole('status').filter({ hasText: '1 record moved to the trash, 1 record restored.' }).waitFor();
  await dialog.getByText('1 field was changed since the import and is left as it is:').waitFor();
  await dialog.getByRole('listitem').filter({ hasText: 'Beata Baran: position' }).waitFor();
  await page.screenshot({ path: join(SCREENSHOTS, 'import-reverted.png') });
  await dialog.getByRole('button', { name: 'Done' }).click();
  await dialog.waitFor({ state: 'detached' });
  // Reverted: no second revert.
  await page.getByRole('row').filter({ hasText: 'klienci.csv' }).getByText('Reverted').waitFor();
  assert.equal(await page.getByRole('button', { name: /Revert/ }).count(), 0);

  // On the device: Cezary in the trash, Beata back in Kraków, still Director.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Records' }).click();
  await page.getByLabel('Search', { exact: true }).fill('cichy');
  await page.getByRole('status').filter({ hasText: '0 records' }).waitFor();
  await page.getByLabel('Search', { exact: true }).fill('baran');
  await page.getByRole('status').filter({ hasText: '1 record' }).waitFor();
  await page.getByRole('link', { name: 'Beata Baran' }).click();
  await page.getByRole('heading', { name: 'Beata Baran' }).waitFor();
  assert.equal(await page.getByLabel('City').inputValue(), 'Kraków');
  assert.equal(await page.getByLabel('Position').inputValue(), 'Director');

  // Online again: the revert reaches the server and the agent's device.
  await context.setOffline(false);
  await page.getByRole('link', { name: /All changes saved · synced/ }).waitFor({ timeout: 20_000 });
  const agent = await openDevice('agnes@example.com', 'Agnes Agent');
  await syncUntil(agent.page, server.base, async () => {
    await agent.page.goto(`${server.base}/records/imports`);
    const row = agent.page.getByRole('row').filter({ hasText: 'klienci.csv' });
    await row.waitFor();
    return (await row.getByText('Reverted').count()) === 1;
  }, 'the reverted import on the agent\'s device');
  await agent.context.close();
  await context.close();
});
