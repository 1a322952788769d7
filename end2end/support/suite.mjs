// What the test files share around their tests: the team's accounts, a server and a browser
// for a file's tests, logging in through the API, and seed data pushed as a device would.
// (It lives under support/, so `node --test tests/` does not run it as a test file.)

import assert from 'node:assert/strict';
import { startServer, launchBrowser, PASSWORD } from './harness.mjs';

/** The accounts the test files add to their servers. */
export const TEAM = {
  ada: { email: 'ada@example.com', name: 'Ada Admin', role: 'admin' },
  agnes: { email: 'agnes@example.com', name: 'Agnes Agent', role: 'agent' },
  arek: { email: 'arek@example.com', name: 'Arek Agent', role: 'agent' },
  marek: { email: 'marek@example.com', name: 'Marek Manager', role: 'manager' },
  rita: { email: 'rita@example.com', name: 'Rita Restricted', role: 'restricted' },
};

/** A server with these accounts and a browser, for a file's `before`. */
export async function startServerAndBrowser(users) {
  const server = await startServer({ users });
  const browser = await launchBrowser();
  return { server, browser };
}

/** The file's `after`: closes what `startServerAndBrowser` started (as far as it got). */
export async function stopServerAndBrowser(server, browser) {
  await browser?.close();
  await server?.stop();
}

/** `POST /api/auth/login`: the answer's status and body ({ token, user }). */
export function apiLogIn(server, email, password = PASSWORD) {
  return server.api('POST', '/api/auth/login', { body: { email, password } });
}

/**
 * Pushes, as the device "seed", the changes `write(set)` makes by calling
 * `set(entity, id, field, value)` (each with the next seq and an HLC of now), and asserts
 * that the server took every one.
 */
export async function pushSeed(server, token, write) {
  let seq = 0;
  const changes = [];
  const set = (entity, id, field, value) =>
    changes.push({ seq: ++seq, entity, id, field, value, hlc: `${Date.now()}-${(seq % 65536).toString(16).padStart(4, '0')}-seed` });
  await write(set);
  await pushAccepted(server, token, 'seed', changes);
}

/** Pushes `changes` as the device `clientId` and asserts that the server took every one. */
export async function pushAccepted(server, token, clientId, changes) {
  const pushed = await server.api('POST', '/api/sync/push', { token, body: { client_id: clientId, changes } });
  assert.equal(pushed.status, 200);
  assert.deepEqual(pushed.body.rejected, []);
}
