// Logging out on a shared laptop and the health of the device's storage: "Log out" with an
// unsent edit warns (with the count and "Sync now") and asks again; then nothing of the user
// is left in IndexedDB, every tab of the browser is on the login page, and the next user
// sees none of it. An expired session (401) keeps everything. The Sync page tells whether
// the browser keeps the data, the space used, when the server last acknowledged the device's
// changes, what waits and since when; the sidebar warns after 24 hours; the rescue copy is a
// JSON file with the pending edit in it.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { logInAndSync, SCREENSHOTS } from '../support/harness.mjs';
import { TEAM, startServerAndBrowser, stopServerAndBrowser, apiLogIn, pushSeed, pushAccepted } from '../support/suite.mjs';

let server;
let browser;
const privateRecord = randomUUID();
const publicRecord = randomUUID();
let agnesId;

before(async () => {
  ({ server, browser } = await startServerAndBrowser([TEAM.ada, TEAM.agnes, TEAM.arek, TEAM.rita]));
  // Agnes's own record (a restricted colleague may not see it) and one nobody owns.
  const login = await apiLogIn(server, 'agnes@example.com');
  agnesId = login.body.user.id;
  await pushSeed(server, login.body.token, (set) => {
    set('contact', privateRecord, 'kind', 'person');
    set('contact', privateRecord, 'first_name', 'Adam');
    set('contact', privateRecord, 'last_name', 'Prywatny');
    set('contact', privateRecord, 'city', 'Sopot');
    set('contact', privateRecord, 'owner_id', agnesId);
    set('contact', publicRecord, 'kind', 'person');
    set('contact', publicRecord, 'first_name', 'Ola');
    set('contact', publicRecord, 'last_name', 'Publiczna');
  });
});

after(() => stopServerAndBrowser(server, browser));

/** Every store of the device's database, empty: what a logout leaves. */
const EMPTY_DEVICE = {
  import_files: [], import_plans: [], imports: [], meta: [], outbox: [], rejected: [], rows: [],
};

/** Every store of the app's database, each entry as JSON text. */
async function deviceStores(page) {
  return page.evaluate(async () => {
    const db = await new Promise((ok, fail) => {
      const request = indexedDB.open('minicrm');
      request.onsuccess = () => ok(request.result);
      request.onerror = () => fail(request.error);
    });
    const stores = {};
    for (const name of db.objectStoreNames) {
      stores[name] = await new Promise((ok, fail) => {
        const request = db.transaction(name).objectStore(name).getAll();
        request.onsuccess = () => ok(request.result.map((value) => (typeof value === 'string' ? value : JSON.stringify(value))));
        request.onerror = () => fail(request.error);
      });
    }
    db.close();
    return stores;
  });
}

/** Logs in and waits for the first sync and the cached app shell (pages then load offline). */
const loggedIn = (page, email, name) => logInAndSync(page, server.base, email, name);

/** Opens the record, sets its city and saves. */
async function editCity(page, id, city) {
  await page.goto(`${server.base}/records/${id}`);
  await page.getByLabel('City').fill(city);
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('status').filter({ hasText: 'Saved on this device.' }).waitFor();
}

test('logging out with an unsent edit warns twice; then nothing of the user is left on the device or in any tab', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await loggedIn(page, 'agnes@example.com', 'Agnes Agent');
  const second = await context.newPage();
  await second.goto(`${server.base}/records/${privateRecord}`);
  await second.getByText('Signed in as Agnes Agent').waitFor();
  await second.getByRole('heading', { name: 'Adam Prywatny' }).waitFor();
  // The first tab is the one in use; the second stays open behind it.
  await page.bringToFront();

  // Offline, an edit waits in the outbox.
  await context.setOffline(true);
  await editCity(page, privateRecord, 'Tajne Miasto');
  await page.getByRole('link', { name: 'Offline · 1 change waiting' }).waitFor();
  const stored = await deviceStores(page);
  assert.ok(stored.rows.some((row) => row.includes(privateRecord)), 'the row is on the device before');
  assert.equal(stored.outbox.length, 1);

  // Log out: the warning with the count and "Sync now" (offline, it cannot run).
  await page.getByRole('button', { name: 'Log out', exact: true }).click();
  const warning = page.getByRole('dialog', { name: 'Changes not sent yet' });
  await warning.getByText('1 change has not reached the server yet.').waitFor();
  const syncNow = warning.getByRole('button', { name: 'Sync now' });
  await syncNow.waitFor();
  assert.equal(await syncNow.isDisabled(), true, 'offline, "Sync now" cannot run');
  await warning.getByText('You are offline').waitFor();
  await page.screenshot({ path: join(SCREENSHOTS, 'logout-unsent.png') });

  // "Stay logged in" keeps everything.
  await warning.getByRole('button', { name: 'Stay logged in' }).click();
  await warning.waitFor({ state: 'detached' });
  assert.equal((await deviceStores(page)).outbox.length, 1);

  // Again, and logging out anyway asks once more, saying what is lost.
  await page.getByRole('button', { name: 'Log out', exact: true }).click();
  await warning.getByRole('button', { name: 'Log out anyway' }).click();
  const confirm = page.getByRole('dialog', { name: 'Lose the unsent changes?' });
  await confirm.getByText('1 change not yet sent will be lost.').waitFor();
  await confirm.getByRole('button', { name: 'Log out and lose 1 change' }).click();

  // Both tabs are on the login page; the device holds nothing of Agnes.
  await page.getByRole('heading', { name: 'Log in to miniCRM' }).waitFor();
  assert.equal(new URL(page.url()).pathname, '/login');
  assert.equal(new URL(page.url()).search, '', 'the next user does not start on her page');
  await second.getByRole('heading', { name: 'Log in to miniCRM' }).waitFor();
  assert.equal(new URL(second.url()).pathname, '/login');
  assert.equal(await second.getByText('Adam Prywatny').count(), 0);
  const after = await deviceStores(page);
  assert.deepEqual(after, EMPTY_DEVICE, 'no session, device state, rows, outbox, refusals or imports');

  // Rita logs in on the same profile: her records, none of Agnes's, in both tabs.
  await context.setOffline(false);
  await loggedIn(page, 'rita@example.com', 'Rita Restricted');
  await page.goto(`${server.base}/records`);
  await page.getByRole('link', { name: 'Ola Publiczna' }).waitFor();
  assert.equal(await page.getByText('Adam Prywatny').count(), 0);
  await second.getByText('Signed in as Rita Restricted').waitFor();
  await second.goto(`${server.base}/records`);
  await second.getByRole('link', { name: 'Ola Publiczna' }).waitFor();
  assert.equal(await second.getByText('Adam Prywatny').count(), 0);
  const rita = JSON.stringify(await deviceStores(page));
  assert.ok(!rita.includes(privateRecord), "none of Agnes's private rows");
  assert.ok(!rita.includes('Tajne Miasto'), 'not her lost edit either');

  // The lost edit never reached the server.
  const admin = await apiLogIn(server, 'ada@example.com');
  const history = await server.api('GET', `/api/history/contact/${privateRecord}`, { token: admin.body.token });
  assert.equal(history.status, 200);
  assert.ok(!history.body.entries.some((entry) => entry.value === 'Tajne Miasto'));
  await context.close();
});

test('"Sync now" in the logout warning sends the changes; logging out then loses nothing and ends the session on the server', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await loggedIn(page, 'agnes@example.com', 'Agnes Agent');
  const token = await page.evaluate(async () => {
    const db = await new Promise((ok) => {
      const request = indexedDB.open('minicrm');
      request.onsuccess = () => ok(request.result);
    });
    const session = await new Promise((ok) => {
      const request = db.transaction('meta').objectStore('meta').get('session');
      request.onsuccess = () => ok(request.result);
    });
    db.close();
    return session.token;
  });
  // The server cannot be reached for a moment: the edit waits.
  await page.route('**/api/sync/push', (route) => route.abort());
  await editCity(page, publicRecord, 'Gdynia');
  await page.getByRole('link', { name: /1 change waiting/ }).waitFor();

  await page.getByRole('button', { name: 'Log out', exact: true }).click();
  const warning = page.getByRole('dialog', { name: 'Changes not sent yet' });
  await warning.getByText('1 change has not reached the server yet.').waitFor();
  await page.unroute('**/api/sync/push');
  await warning.getByRole('button', { name: 'Sync now' }).click();
  const done = page.getByRole('dialog', { name: 'Log out?' });
  await done.getByText('Every change has reached the server.').waitFor();
  const history = await server.api('GET', `/api/history/contact/${publicRecord}`, { token });
  assert.ok(history.body.entries.some((entry) => entry.value === 'Gdynia'), 'the edit is on the server');

  await done.getByRole('button', { name: 'Log out', exact: true }).click();
  await page.getByRole('heading', { name: 'Log in to miniCRM' }).waitFor();
  assert.deepEqual(await deviceStores(page), EMPTY_DEVICE);
  const me = await server.api('GET', '/api/me', { token });
  assert.equal(me.status, 401, 'the token stopped working');
  await context.close();
});

test('an expired session (401) keeps the rows and the unsent edit, and asks for the password', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await loggedIn(page, 'arek@example.com', 'Arek Agent');
  await context.setOffline(true);
  await editCity(page, privateRecord, 'Hel');
  await page.getByRole('link', { name: 'Offline · 1 change waiting' }).waitFor();

  // Meanwhile an admin resets his password: his token stops working.
  const admin = await apiLogIn(server, 'ada@example.com');
  const users = await server.api('GET', '/api/users', { token: admin.body.token });
  const arek = users.body.users.find((user) => user.email === 'arek@example.com');
  const reset = await server.api('PATCH', `/api/users/${arek.id}`, { token: admin.body.token, body: { password: 'a new password 3' } });
  assert.equal(reset.status, 200);
  await context.setOffline(false);
  const dialog = page.getByRole('dialog', { name: 'Your session has expired' });
  await dialog.waitFor();

  const stores = await deviceStores(page);
  // An outbox entry holds a group of changes, as JSON text in its `group`.
  const waiting = stores.outbox.flatMap((text) => {
    const entry = JSON.parse(text);
    const group = typeof entry.group === 'string' ? JSON.parse(entry.group) : entry;
    return group.changes ?? [group];
  });
  assert.equal(waiting.length, 1, 'the edit still waits');
  assert.equal(waiting[0].value, 'Hel');
  assert.ok(stores.rows.some((row) => row.includes(privateRecord)), 'the rows stay');
  assert.equal(stores.meta.filter((entry) => JSON.parse(entry).reauth_needed === true).length, 1, 'the session stays, marked');

  await dialog.getByLabel('Password', { exact: true }).fill('a new password 3');
  await dialog.getByRole('button', { name: 'Continue' }).click();
  await dialog.waitFor({ state: 'detached' });
  await page.getByRole('link', { name: /All changes saved · synced/ }).waitFor({ timeout: 20_000 });
  const history = await server.api('GET', `/api/history/contact/${privateRecord}`, { token: admin.body.token });
  assert.ok(history.body.entries.some((entry) => entry.value === 'Hel'), 'the edit kept through the 401 reached the server');
  await context.close();
});

test('the Sync page shows the storage figures; after 25 hours the sidebar warns; the rescue copy holds the pending edit', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.clock.install({ time: new Date() });
  await loggedIn(page, 'agnes@example.com', 'Agnes Agent');
  await page.goto(`${server.base}/sync`);
  // Each figure is a group named by its term; its value is the definition.
  const figure = (name) => page.getByRole('group', { name }).getByRole('definition');

  // The browser answers asynchronously: wait for its answer, then read it.
  const persistedFigure = figure('Persistent storage').filter({ hasText: /^(Granted|Not granted)/ });
  await persistedFigure.waitFor();
  const persisted = await persistedFigure.textContent();
  assert.match(persisted, /^(Granted|Not granted)/);
  // The sidebar warns exactly when the browser refused.
  const refusedWarning = page.getByRole('link', { name: "The browser may delete this device's data" });
  assert.equal(await refusedWarning.count(), persisted.startsWith('Not granted') ? 1 : 0);
  await figure('Space used').filter({ hasText: /^\d+(\.\d)? (B|KB|MB|GB) of \d+(\.\d)? (KB|MB|GB|TB)$/ }).waitFor();
  await figure('Changes waiting').filter({ hasText: /^None$/ }).waitFor();
  await figure('Oldest waiting change').filter({ hasText: 'Nothing waits' }).waitFor();
  await figure("Server last acknowledged this device's changes").filter({ hasText: /^Never$/ }).waitFor();

  // An edit online is acknowledged now.
  await editCity(page, publicRecord, 'Gniezno');
  await page.getByRole('link', { name: /All changes saved · synced/ }).waitFor({ timeout: 20_000 });
  await page.getByRole('link', { name: /All changes saved · synced/ }).click();
  await figure("Server last acknowledged this device's changes").filter({ hasText: 'just now' }).waitFor();

  // Offline, an edit waits; 25 hours later the sidebar warns.
  await context.setOffline(true);
  await editCity(page, publicRecord, 'Rescue Town');
  await page.getByRole('link', { name: 'Offline · 1 change waiting' }).waitFor();
  const stale = page.getByRole('link', { name: 'Changes have waited more than 24 hours to sync' });
  assert.equal(await stale.count(), 0);
  await page.clock.fastForward('25:00:00');
  await stale.waitFor();
  await stale.click();
  await figure('Changes waiting').filter({ hasText: /^1 change$/ }).waitFor();
  await figure('Oldest waiting change').filter({ hasText: /^waiting for 25 hours/ }).waitFor();
  await page.screenshot({ path: join(SCREENSHOTS, 'sync-storage-health.png') });

  // The rescue copy: a JSON file with the row and the pending edit.
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Save a rescue copy' }).click(),
  ]);
  assert.match(download.suggestedFilename(), /^minicrm-rescue-\d{4}-\d{2}-\d{2}-\d{4}\.json$/);
  const copy = JSON.parse(await readFile(await download.path(), 'utf8'));
  assert.equal(copy.kind, 'minicrm-rescue');
  assert.equal(copy.user.email, 'agnes@example.com');
  assert.ok(
    copy.outbox.some((change) => change.id === publicRecord && change.field === 'city' && change.value === 'Rescue Town'),
    'the pending edit is in the copy',
  );
  const row = copy.rows.find((row) => row.entity === 'contact' && row.id === publicRecord);
  assert.equal(row.local.city.value, 'Rescue Town');
  assert.equal(row.base.city.value, 'Gniezno');
  assert.ok(!JSON.stringify(copy).includes('"token"'), 'no token in the file');
  await page.getByRole('status').filter({ hasText: /^Saved minicrm-rescue-.*\.json\.$/ }).waitFor();
  await context.close();
});

test('a long field history shows its newest page first; "Show older changes" brings the rest', async () => {
  // 250 writes of one field: more than one page (200) of the server's history.
  const admin = await apiLogIn(server, 'ada@example.com');
  const record = randomUUID();
  const start = Date.now() - 300_000;
  const changes = [
    { field: 'kind', value: 'person' },
    { field: 'first_name', value: 'Hanna' },
    { field: 'last_name', value: 'Historyczna' },
    ...Array.from({ length: 250 }, (_, n) => ({ field: 'city', value: `Step ${n + 1}` })),
  ].map((change, n) => ({ seq: n + 1, entity: 'contact', id: record, ...change, hlc: `${start + n * 1000}-0000-history` }));
  await pushAccepted(server, admin.body.token, 'history-seed', changes);

  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await loggedIn(page, 'agnes@example.com', 'Agnes Agent');
  await page.goto(`${server.base}/records/${record}`);
  await page.getByRole('heading', { name: 'Hanna Historyczna' }).waitFor();
  const history = page.getByRole('region', { name: 'History' });
  const changed = history.getByRole('listitem').filter({ hasText: /^Ada Admin (set|changed) city/ });
  // The newest 200 writes: "Step 51" is the oldest shown, with nothing before it.
  await history.getByText('Ada Admin changed city: Step 249 → Step 250', { exact: true }).waitFor();
  await history.getByText('Ada Admin set city to Step 51', { exact: true }).waitFor();
  assert.equal(await history.getByText('Step 50', { exact: false }).count(), 0);
  assert.equal(await history.getByText('Ada Admin set first name to Hanna', { exact: true }).count(), 0);
  const older = history.getByRole('button', { name: 'Show older changes' });
  await older.click();

  // The rest, merged: the first write of the field, Step 50 → Step 51 now with its old value.
  await history.getByText('Ada Admin set city to Step 1', { exact: true }).waitFor();
  await history.getByText('Ada Admin changed city: Step 50 → Step 51', { exact: true }).waitFor();
  await history.getByText('Ada Admin set first name to Hanna', { exact: true }).waitFor();
  assert.equal(await history.getByText('Ada Admin set city to Step 51', { exact: true }).count(), 0);
  assert.equal(await changed.count(), 250, 'every write of the field, once');
  await older.waitFor({ state: 'detached' });
  await context.close();
});
