// Logging in, the shell by role, working offline, logging out.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, rename } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readdirSync } from 'node:fs';
import { launchPersistentContext, waitForServiceWorker, logIn, startServer, SCREENSHOTS } from '../support/harness.mjs';
import { TEAM, startServerAndBrowser, stopServerAndBrowser } from '../support/suite.mjs';

let server;
let browser;

before(async () => {
  ({ server, browser } = await startServerAndBrowser([TEAM.ada, TEAM.agnes]));
});

after(() => stopServerAndBrowser(server, browser));

test('log in, see the shell, reload offline and still see it, log out', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await page.goto(server.base);
  await page.getByRole('heading', { name: 'Log in to miniCRM' }).waitFor();

  await logIn(page, server.base, 'ada@example.com');
  await page.getByText('Signed in as Ada Admin').waitFor();
  const nav = page.getByRole('navigation', { name: 'Main' });
  for (const area of ['Records', 'Tasks', 'Reports', 'Settings', 'Trash']) {
    await nav.getByRole('link', { name: area, exact: true }).waitFor();
  }
  await page.getByRole('heading', { name: 'Records' }).waitFor();
  assert.equal(new URL(page.url()).pathname, '/records');
  await page.getByRole('status').filter({ hasText: 'Online' }).waitFor();
  await page.screenshot({ path: join(SCREENSHOTS, 'shell.png') });

  await waitForServiceWorker(page);
  await context.setOffline(true);
  await page.reload();
  await page.getByText('Signed in as Ada Admin').waitFor();
  await page.getByRole('status').filter({ hasText: 'Offline' }).waitFor();
  await nav.getByRole('link', { name: 'Tasks', exact: true }).click();
  await page.getByRole('heading', { name: 'Tasks' }).waitFor();

  await context.setOffline(false);
  await page.getByRole('status').filter({ hasText: 'Online' }).waitFor();
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.getByRole('heading', { name: 'Log in to miniCRM' }).waitFor();
  await page.reload();
  await page.getByRole('heading', { name: 'Log in to miniCRM' }).waitFor();
  assert.equal(await page.getByText('Signed in as').count(), 0);
  await context.close();
});

test('a wrong password is explained and keeps the user on the login page', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await logIn(page, server.base, 'ada@example.com', 'not the password');
  const alert = page.getByRole('alert');
  await alert.waitFor();
  assert.equal((await alert.textContent()).trim(), 'The e-mail or password is not correct.');
  assert.equal(new URL(page.url()).pathname, '/login');
  await page.screenshot({ path: join(SCREENSHOTS, 'login.png') });
  await context.close();
});

test('an agent sees no Settings', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await logIn(page, server.base, 'agnes@example.com');
  await page.getByText('Signed in as Agnes Agent').waitFor();
  const nav = page.getByRole('navigation', { name: 'Main' });
  await nav.getByRole('link', { name: 'Records', exact: true }).waitFor();
  assert.equal(await nav.getByRole('link', { name: 'Settings' }).count(), 0);
  await context.close();
});

test('Chromium considers the app installable', async () => {
  const profile = await mkdtemp(join(tmpdir(), 'minicrm-profile-'));
  const context = await launchPersistentContext(profile);
  const page = context.pages()[0] ?? (await context.newPage());
  await page.goto(`${server.base}/login`);
  await waitForServiceWorker(page);
  const cdp = await context.newCDPSession(page);
  const manifest = await cdp.send('Page.getAppManifest');
  assert.deepEqual(manifest.errors, [], 'manifest parses without errors');
  const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
  assert.deepEqual(installabilityErrors, []);
  await context.close();
  await rm(profile, { recursive: true, force: true });
});

test('a first install that failed (a file the shell needs did not arrive) is tried again, and the app then opens offline', async () => {
  const flaky = await startServer({ users: [TEAM.ada], copyDist: true });
  const context = await browser.newContext();
  try {
    // The worker's wasm is missing while the page first loads: caching the shell fails.
    const wasm = readdirSync(flaky.dist).find((name) => name.startsWith('minicrm-worker') && name.endsWith('.wasm'));
    await rename(join(flaky.dist, wasm), join(flaky.dist, `${wasm}.away`));
    const page = await context.newPage();
    const failed = page.waitForEvent('console', { predicate: (message) => message.text().includes('service worker install failed'), timeout: 30_000 });
    await page.goto(`${flaky.base}/login`);
    await failed;
    assert.equal(await page.evaluate(() => navigator.serviceWorker.controller), null);
    // The file is back: the app registers again by itself, with no reload.
    await rename(join(flaky.dist, `${wasm}.away`), join(flaky.dist, wasm));
    await waitForServiceWorker(page, 60_000);
    await context.setOffline(true);
    await page.reload();
    await page.getByRole('heading', { name: 'Log in to miniCRM' }).waitFor();
  } finally {
    await context.close();
    await flaky.stop();
  }
});
