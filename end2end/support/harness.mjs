// Starts the real release server on 127.0.0.1 and a free port with a fresh database, and
// launches Debian's Chromium headless through playwright-core.

import { spawn, execFileSync } from 'node:child_process';
import { mkdtemp, rm, cp } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';

const ROOT = resolve(import.meta.dirname, '..', '..');
export const SERVER_BIN = process.env.MINICRM_SERVER_BIN ?? join(ROOT, 'target/release/minicrm-server');
export const DIST = process.env.MINICRM_DIST ?? join(ROOT, 'dist');
export const SCREENSHOTS = join(ROOT, 'docs/screenshots');
export const PASSWORD = 'correct horse battery';

function freePort() {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.unref();
    server.on('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => ok(port));
    });
  });
}

export function addUser(db, { email, name, role, password = PASSWORD }) {
  execFileSync(SERVER_BIN, ['user', 'add', '--db', db, '--email', email, '--name', name, '--role', role], {
    env: { ...process.env, MINICRM_PASSWORD: password },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/**
 * Starts a server. `users` are added before it starts; `copyDist` serves a private copy of
 * the built app that the test may change (to publish a "new version").
 */
export async function startServer({ users = [], copyDist = false } = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'minicrm-e2e-'));
  const db = join(dir, 'crm.db');
  let dist = DIST;
  if (copyDist) {
    dist = join(dir, 'dist');
    await cp(DIST, dist, { recursive: true });
  }
  for (const user of users) addUser(db, user);
  const port = await freePort();
  const child = spawn(SERVER_BIN, ['serve', '--db', db, '--addr', `127.0.0.1:${port}`, '--dist', dist], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, RUST_LOG: 'warn' },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited early: ${stderr}`);
    try {
      const response = await fetch(`${base}/api/health`);
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`server did not start in 20 s: ${stderr}`);
    await new Promise((ok) => setTimeout(ok, 100));
  }
  return {
    base,
    db,
    dist,
    stdout: () => stdout,
    async api(method, path, { token, body } = {}) {
      const headers = {};
      if (token) headers.authorization = `Bearer ${token}`;
      if (body !== undefined) headers['content-type'] = 'application/json';
      const response = await fetch(`${base}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      return { status: response.status, body: text ? JSON.parse(text) : null };
    },
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((ok) => child.once('exit', ok));
        child.kill('SIGTERM');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

const LAUNCH = {
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
};

export async function launchBrowser() {
  return chromium.launch(LAUNCH);
}

/** A browser with a real profile in `userDataDir` (not incognito: installability needs it). */
export async function launchPersistentContext(userDataDir) {
  return chromium.launchPersistentContext(userDataDir, LAUNCH);
}

/** Resolves once a service worker controls the page (the app shell is then cached). */
export async function waitForServiceWorker(page, timeoutMs = 30_000) {
  const controlled = page.evaluate(async () => {
    await navigator.serviceWorker.ready;
    if (!navigator.serviceWorker.controller) {
      await new Promise((ok) => navigator.serviceWorker.addEventListener('controllerchange', ok, { once: true }));
    }
  });
  try {
    await withinTime(controlled, timeoutMs, `a service worker controlling ${page.url()}`);
  } catch (error) {
    // What the browser says of the registration, for the failure message.
    const state = page.evaluate(async () => {
      const registration = await navigator.serviceWorker.getRegistration();
      if (!registration) return 'no registration';
      const of = (worker) => worker?.state ?? 'none';
      return `installing: ${of(registration.installing)}, waiting: ${of(registration.waiting)}, active: ${of(registration.active)}`;
    });
    const said = await withinTime(state, 5_000, 'the registration').catch((e) => e.message);
    throw new Error(`${error.message}; the registration: ${said}`, { cause: error });
  }
}

/**
 * `promise`, or an error naming `what` after `timeoutMs` (timed in Node: a page whose main
 * thread is stuck never runs its own timers, and `page.evaluate` has no time limit).
 */
export async function withinTime(promise, timeoutMs, what) {
  let timer;
  const late = new Promise((_, fail) => {
    timer = setTimeout(() => fail(new Error(`${what} did not come within ${timeoutMs / 1000} s`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

export async function logIn(page, base, email, password = PASSWORD) {
  await page.goto(`${base}/login`);
  await page.getByLabel('E-mail', { exact: true }).fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
}

/** Logs in and waits for the first sync and the cached app shell (pages then load offline). */
export async function logInAndSync(page, base, email, name) {
  await logIn(page, base, email);
  await page.getByText(`Signed in as ${name}`).waitFor();
  await page.getByRole('link', { name: /All changes saved · synced/ }).waitFor();
  await waitForServiceWorker(page);
}

/** A logged-in device: its own browser context, synced once, with the app shell cached. */
export async function openDevice(browser, base, email, name, viewport = { width: 1280, height: 800 }) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  await logInAndSync(page, base, email, name);
  return { context, page };
}

/** What the sync line of `page` says now, for failure messages. */
async function syncLine(page) {
  return page
    .locator('a.sync-state')
    .first()
    .textContent({ timeout: 1000 })
    .then((text) => JSON.stringify(text?.trim() ?? ''))
    .catch(() => 'nothing (no sync line on the page)');
}

/**
 * Clicks "Sync now" until `check` holds: at most 20 rounds, each waiting at most 10 s for the
 * sync to end in "All changes saved · synced". Throws, naming `what` and what the sync line
 * says, when a sync does not end so or `check` still fails after the last round.
 */
export async function syncUntil(page, base, check, what = 'the expected state') {
  const ROUNDS = 20;
  for (let round = 1; round <= ROUNDS; round++) {
    await page.goto(`${base}/sync`);
    await page.getByRole('button', { name: 'Sync now' }).click();
    try {
      await page.getByRole('link', { name: /All changes saved · synced/ }).waitFor({ timeout: 10_000 });
    } catch (error) {
      throw new Error(
        `syncUntil (waiting for ${what}): sync ${round} did not end in "All changes saved · synced" within 10 s; the sync line says ${await syncLine(page)}`,
        { cause: error },
      );
    }
    if (await check()) return;
    await page.waitForTimeout(250);
  }
  throw new Error(`syncUntil: ${what} never arrived in ${ROUNDS} syncs; the sync line says ${await syncLine(page)}`);
}
