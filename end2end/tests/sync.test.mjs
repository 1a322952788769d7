// Offline edits survive reloads and reach the server once the network is back; two users
// editing the same field offline both end with the later value, the record's history shows
// the other one, and restoring it from the history brings it back on both devices.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { openDevice as sharedOpenDevice, syncUntil as sharedSyncUntil, SCREENSHOTS } from '../support/harness.mjs';
import { TEAM, startServerAndBrowser, stopServerAndBrowser } from '../support/suite.mjs';

let server;
let browser;

before(async () => {
  ({ server, browser } = await startServerAndBrowser([TEAM.agnes, TEAM.marek, TEAM.rita]));
});

after(() => stopServerAndBrowser(server, browser));

const openDevice = (email, name) => sharedOpenDevice(browser, server.base, email, name);
const syncUntil = (page, check, what) => sharedSyncUntil(page, server.base, check, what);

async function recordId(page) {
  return new URL(page.url()).pathname.split('/').pop();
}

/** Syncs each device until its page of record `id` shows `city` (`what` names it on failure). */
async function syncUntilCity(devices, id, city, what) {
  for (const device of devices) {
    await syncUntil(device.page, async () => {
      await device.page.goto(`${server.base}/records/${id}`);
      await device.page.getByLabel('City').waitFor();
      return (await device.page.getByLabel('City').inputValue()) === city;
    }, what);
  }
}

test('an offline edit survives a reload, syncs when online, and another user sees it', async () => {
  const agent = await openDevice('agnes@example.com', 'Agnes Agent');
  const manager = await openDevice('marek@example.com', 'Marek Manager');

  await agent.context.setOffline(true);
  await agent.page.getByRole('link', { name: 'New record' }).click();
  await agent.page.getByLabel('First name').fill('Jan');
  await agent.page.getByLabel('Last name').fill('Kowalski');
  await agent.page.getByLabel('Phone 1', { exact: true }).fill('+48 600 100 200');
  await agent.page.getByLabel('City').fill('Kraków');
  await agent.page.getByRole('button', { name: 'Save' }).click();
  await agent.page.getByRole('heading', { name: 'Jan Kowalski' }).waitFor();
  const id = await recordId(agent.page);

  await agent.page.getByLabel('City').fill('Kraków-Podgórze');
  await agent.page.getByRole('button', { name: 'Save' }).click();
  await agent.page.getByRole('status').filter({ hasText: 'Saved on this device.' }).waitFor();
  await agent.page.getByRole('link', { name: /Offline · 6 changes waiting/ }).waitFor();

  // Reload while offline: the edit is still there, and still pending.
  await agent.page.reload();
  await agent.page.getByRole('heading', { name: 'Jan Kowalski' }).waitFor();
  assert.equal(await agent.page.getByLabel('City').inputValue(), 'Kraków-Podgórze');
  await agent.page.getByRole('link', { name: /Offline · 6 changes waiting/ }).waitFor();
  await agent.page.getByText('Waiting to sync: city → Kraków-Podgórze').waitFor();
  await agent.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Records' }).click();
  await agent.page.getByRole('row', { name: /Jan Kowalski not synced yet/ }).waitFor();
  await agent.page.screenshot({ path: join(SCREENSHOTS, 'records-offline.png') });

  // Online again: the outbox drains by itself.
  await agent.context.setOffline(false);
  await agent.page.getByRole('link', { name: /All changes saved · synced/ }).waitFor({ timeout: 20_000 });
  assert.equal(await agent.page.getByText('not synced yet').count(), 0);

  await syncUntilCity([manager], id, 'Kraków-Podgórze', "the manager's device showing city Kraków-Podgórze");
  // Shown in the national format of the team's default country (PL).
  assert.equal(await manager.page.getByLabel('Phone 1', { exact: true }).inputValue(), '600 100 200');
  await agent.context.close();
  await manager.context.close();
});

test('both edit the same field offline: both end with the later value; the loser restores theirs from the history', async () => {
  const agent = await openDevice('agnes@example.com', 'Agnes Agent');
  const manager = await openDevice('marek@example.com', 'Marek Manager');

  // A record both have.
  await agent.page.getByRole('link', { name: 'New record' }).click();
  await agent.page.getByLabel('First name').fill('Ewa');
  await agent.page.getByLabel('Last name').fill('Nowak');
  await agent.page.getByLabel('City').fill('Łódź');
  await agent.page.getByRole('button', { name: 'Save' }).click();
  await agent.page.getByRole('heading', { name: 'Ewa Nowak' }).waitFor();
  const id = await recordId(agent.page);
  await agent.page.getByRole('link', { name: /All changes saved · synced/ }).waitFor({ timeout: 20_000 });
  await syncUntilCity([manager], id, 'Łódź', "the manager's device showing city Łódź");

  // Both offline; the agent edits first, the manager later. "Later" is decided by the
  // clocks, not by a pause: the manager's clock is set 10 s ahead of the real time (within
  // the 60 s the server trusts) once the agent's edit is saved, and an HLC takes its device's
  // clock, so the manager's edit has the higher HLC however close together the two saves are.
  await agent.context.setOffline(true);
  await manager.context.setOffline(true);
  await agent.page.goto(`${server.base}/records/${id}`);
  await agent.page.getByLabel('City').fill('Gdańsk');
  await agent.page.getByRole('button', { name: 'Save' }).click();
  await agent.page.getByRole('status').filter({ hasText: 'Saved on this device.' }).waitFor();
  const agentSaved = Date.now();
  await manager.context.clock.setSystemTime(agentSaved + 10_000);
  assert.ok((await manager.page.evaluate(() => Date.now())) >= agentSaved + 10_000, "the manager's clock is ahead");
  await manager.page.getByLabel('City').fill('Poznań');
  await manager.page.getByRole('button', { name: 'Save' }).click();
  await manager.page.getByRole('status').filter({ hasText: 'Saved on this device.' }).waitFor();

  // The later writer reaches the server first; the earlier one arrives after and loses.
  await manager.context.setOffline(false);
  await manager.page.getByRole('link', { name: /All changes saved · synced/ }).waitFor({ timeout: 20_000 });
  await agent.context.setOffline(false);
  await agent.page.getByRole('link', { name: /All changes saved · synced/ }).waitFor({ timeout: 20_000 });

  await syncUntilCity([agent, manager], id, 'Poznań', 'each device showing the later city, Poznań');
  const history = agent.page.getByRole('region', { name: 'History' });
  const lost = history.getByRole('listitem').filter({ hasText: 'Agnes Agent changed city: Łódź → Gdańsk' });
  await lost.waitFor();
  assert.match(await lost.textContent(), /lost to a later change/);
  await history.getByRole('listitem').filter({ hasText: 'Marek Manager changed city: Łódź → Poznań' }).filter({ hasText: 'current' }).waitFor();
  await agent.page.screenshot({ path: join(SCREENSHOTS, 'record-history.png') });

  // The manager's view says which device wrote it and when it reached the server.
  await manager.page.goto(`${server.base}/records/${id}`);
  const managerHistory = manager.page.getByRole('region', { name: 'History' });
  const seen = managerHistory.getByRole('listitem').filter({ hasText: 'Agnes Agent changed city: Łódź → Gdańsk' });
  await seen.waitFor();
  assert.match(await seen.textContent(), /device …[0-9a-f]{6}, reached the server /);
  assert.equal(await history.getByText('reached the server').count(), 0, 'an agent sees no device details');

  // The agent restores the lost value in one click: a new change, which syncs to both.
  await lost.getByRole('button', { name: 'Restore city: Gdańsk' }).click();
  await agent.page.getByText('Waiting to sync: city → Gdańsk').or(history.getByText('Agnes Agent changed city: Poznań → Gdańsk')).first().waitFor();
  await syncUntilCity([agent, manager], id, 'Gdańsk', 'each device showing the restored city, Gdańsk');
  await managerHistory.getByRole('listitem').filter({ hasText: 'Agnes Agent changed city: Poznań → Gdańsk' }).filter({ hasText: 'current' }).waitFor();
  await agent.context.close();
  await manager.context.close();
});

test('one tab syncs for the browser; the other tabs see its changes without a reload', async () => {
  const agent = await openDevice('agnes@example.com', 'Agnes Agent');
  const second = await agent.context.newPage();
  await second.goto(`${server.base}/records`);
  await second.getByText('Signed in as Agnes Agent').waitFor();
  const leaders = await second.evaluate(async () => (await navigator.locks.query()).held.filter((lock) => lock.name === 'minicrm-sync').length);
  assert.equal(leaders, 1, 'exactly one tab holds the sync lock');

  // An edit in the second tab reaches the first tab's list and the server.
  await second.getByRole('link', { name: 'New record' }).click();
  await second.getByLabel('First name').fill('Zofia');
  await second.getByLabel('Last name').fill('Tabowska');
  await second.getByRole('button', { name: 'Save' }).click();
  await second.getByRole('heading', { name: 'Zofia Tabowska' }).waitFor();
  await agent.page.goto(`${server.base}/records`);
  await agent.page.getByRole('link', { name: 'Zofia Tabowska' }).waitFor();
  await second.getByRole('link', { name: /All changes saved · synced/ }).waitFor({ timeout: 20_000 });

  const manager = await openDevice('marek@example.com', 'Marek Manager');
  await syncUntil(manager.page, async () => {
    await manager.page.goto(`${server.base}/records`);
    await manager.page.getByRole('heading', { name: 'Records' }).waitFor();
    await manager.page.getByRole('status').filter({ hasText: /\d+ records?$/ }).waitFor();
    return (await manager.page.getByRole('link', { name: 'Zofia Tabowska' }).count()) === 1;
  }, "the manager's device listing Zofia Tabowska");
  await agent.context.close();
  await manager.context.close();
});

test('a restricted user may assign records only to themselves or nobody', async () => {
  const rita = await openDevice('rita@example.com', 'Rita Restricted');
  await rita.page.getByRole('link', { name: 'New record' }).click();
  const owner = rita.page.getByLabel('Owner');
  await owner.locator('option', { hasText: 'Rita Restricted' }).waitFor({ state: 'attached' });
  const options = await owner.locator('option').allTextContents();
  assert.deepEqual(options, ['Nobody', 'Rita Restricted']);
  await rita.context.close();
});
