// First-run setup through the printed link, a session that expires (re-entering the
// password keeps the user in), an admin adding a user, and a new version being offered.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startServer, launchBrowser, waitForServiceWorker, logIn, PASSWORD } from '../support/harness.mjs';

test('the one-time setup link creates the administrator, who lands in the app', async () => {
  const server = await startServer();
  const browser = await launchBrowser();
  try {
    const link = server.stdout().match(/http:\/\/127\.0\.0\.1:\d+\/setup\?token=[\w-]+/)?.[0];
    assert.ok(link, `the server printed a setup link: ${server.stdout()}`);
    const page = await browser.newPage();

    await page.goto(`${server.base}/login`);
    await page.getByText('This server has no administrator yet').waitFor();

    await page.goto(link);
    await page.getByRole('heading', { name: 'Create the administrator' }).waitFor();
    await page.getByLabel('Your name').fill('Olga Owner');
    await page.getByLabel('E-mail').fill('olga@example.com');
    await page.getByLabel('Password (at least 8 characters)').fill('short');
    await page.getByRole('button', { name: 'Create administrator' }).click();
    await page.getByRole('alert').filter({ hasText: 'at least 8 characters' }).waitFor();

    await page.getByLabel('Password (at least 8 characters)').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create administrator' }).click();
    await page.getByText('Signed in as Olga Owner').waitFor();
    await page.getByText('Administrator', { exact: true }).waitFor();

    // The link works once: opened again, it says so.
    const second = await browser.newPage();
    await second.goto(link);
    await second.getByText('This server already has users. Log in instead.').waitFor();
  } finally {
    await browser.close();
    await server.stop();
  }
});

test('a token revoked on the server asks for the password and keeps the user in the app', async () => {
  const server = await startServer({
    users: [
      { email: 'ada@example.com', name: 'Ada Admin', role: 'admin' },
      { email: 'agnes@example.com', name: 'Agnes Agent', role: 'agent' },
    ],
  });
  const browser = await launchBrowser();
  try {
    const context = await browser.newContext();
    const page = await context.newPage();
    await logIn(page, server.base, 'agnes@example.com');
    await page.getByText('Signed in as Agnes Agent').waitFor();

    // While the agent is offline, an admin resets her password: her token stops working.
    await context.setOffline(true);
    await page.getByRole('status').filter({ hasText: 'Offline' }).waitFor();
    const admin = await server.api('POST', '/api/auth/login', { body: { email: 'ada@example.com', password: PASSWORD } });
    const users = await server.api('GET', '/api/users', { token: admin.body.token });
    const agnes = users.body.users.find((user) => user.email === 'agnes@example.com');
    const reset = await server.api('PATCH', `/api/users/${agnes.id}`, {
      token: admin.body.token,
      body: { password: 'a new password 2' },
    });
    assert.equal(reset.status, 200);

    // Back online, the server's 401 asks for the password; the app stays open behind it.
    await context.setOffline(false);
    const dialog = page.getByRole('dialog', { name: 'Your session has expired' });
    await dialog.waitFor();
    await page.getByText('Signed in as Agnes Agent').waitFor();
    await dialog.getByLabel('Password', { exact: true }).fill('wrong one');
    await dialog.getByRole('button', { name: 'Continue' }).click();
    await dialog.getByRole('alert').filter({ hasText: 'not correct' }).waitFor();
    await dialog.getByLabel('Password', { exact: true }).fill('a new password 2');
    await dialog.getByRole('button', { name: 'Continue' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByText('Signed in as Agnes Agent').waitFor();

    // The new session survives a reload.
    await page.reload();
    await page.getByText('Signed in as Agnes Agent').waitFor();
    assert.equal(await page.getByRole('dialog').count(), 0);
  } finally {
    await browser.close();
    await server.stop();
  }
});

test('an admin adds a user in Settings, who can then log in', async () => {
  const server = await startServer({ users: [{ email: 'ada@example.com', name: 'Ada Admin', role: 'admin' }] });
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    await logIn(page, server.base, 'ada@example.com');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
    await page.getByRole('tab', { name: 'Users' }).click();
    const table = page.getByRole('table');
    await table.getByRole('cell', { name: 'ada@example.com' }).waitFor();

    await page.getByLabel('Name', { exact: true }).fill('Marek Manager');
    await page.getByLabel('E-mail', { exact: true }).fill('marek@example.com');
    await page.getByLabel('Role').selectOption('manager');
    await page.getByLabel('Password (at least 8 characters)').fill(PASSWORD);
    await page.getByRole('button', { name: 'Add user' }).click();
    await page.getByRole('status').filter({ hasText: 'Marek Manager can now log in.' }).waitFor();
    await table.getByRole('cell', { name: 'marek@example.com' }).waitFor();

    // The same e-mail again is refused with the server's explanation; nothing is added.
    await page.getByLabel('Name', { exact: true }).fill('Marek Again');
    await page.getByLabel('E-mail', { exact: true }).fill('marek@example.com');
    await page.getByLabel('Password (at least 8 characters)').fill(PASSWORD);
    await page.getByRole('button', { name: 'Add user' }).click();
    await page.getByRole('alert').filter({ hasText: 'already exists' }).waitFor();
    assert.equal(await table.getByRole('cell', { name: 'marek@example.com' }).count(), 1);

    const other = await browser.newContext();
    const marek = await other.newPage();
    await logIn(marek, server.base, 'marek@example.com');
    await marek.getByText('Signed in as Marek Manager').waitFor();
    await marek.getByText('Manager', { exact: true }).waitFor();
    await other.close();

    // Deactivated, Marek is out.
    await page.getByRole('button', { name: 'Deactivate Marek Manager' }).click();
    await page.getByRole('button', { name: 'Reactivate Marek Manager' }).waitFor();
    const login = await server.api('POST', '/api/auth/login', { body: { email: 'marek@example.com', password: PASSWORD } });
    assert.equal(login.status, 403);
  } finally {
    await browser.close();
    await server.stop();
  }
});

test('a new version is installed in the background and offered as a reload', async () => {
  const server = await startServer({
    users: [{ email: 'ada@example.com', name: 'Ada Admin', role: 'admin' }],
    copyDist: true,
  });
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    await logIn(page, server.base, 'ada@example.com');
    await page.getByText('Signed in as Ada Admin').waitFor();
    await waitForServiceWorker(page);
    const firstWorker = await page.evaluate(() => navigator.serviceWorker.controller.scriptURL);
    assert.equal(await page.getByText('A new version of miniCRM is ready.').count(), 0);

    // Publish a "new version": a service worker with another precache version.
    const workerPath = join(server.dist, 'sw.js');
    const worker = await readFile(workerPath, 'utf8');
    await writeFile(workerPath, worker.replace(/const VERSION = '([0-9a-f]+)'/, "const VERSION = '$1-next'"));
    await page.evaluate(async () => (await navigator.serviceWorker.ready).update());

    await page.getByText('A new version of miniCRM is ready.').waitFor();
    const reloaded = page.waitForEvent('load');
    await page.getByRole('button', { name: 'Reload' }).click();
    await reloaded;
    await page.getByText('Signed in as Ada Admin').waitFor();
    const cacheNames = await page.evaluate(() => caches.keys());
    assert.equal(cacheNames.length, 1, `only the new version's cache is left: ${cacheNames}`);
    assert.match(cacheNames[0], /-next$/);
    assert.equal(await page.evaluate(() => navigator.serviceWorker.controller.scriptURL), firstWorker);
  } finally {
    await browser.close();
    await server.stop();
  }
});
