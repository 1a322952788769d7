// "Find duplicates" in Chromium: records with planted duplicates (the same phone written
// two ways, the same e-mail in other letters' case, the same NIP, a similar name —
// Kowalski/Kowalska swapped in one city, Novák/Nováková in one company) are found on the
// device, offline, the strongest reasons first, and records that only share a name in two
// cities are not; "Not duplicates" sets a group apart for good: it stays apart after a
// reload and on the server.

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
    // The same phone.
    person('jan', { first_name: 'Jan', last_name: 'Nowak', phones: [{ type: 'mobile', number: '+48601111222' }] });
    person('janek', { first_name: 'Janek', last_name: 'Nowak', city: 'Poznań', phones: [{ type: 'work', number: '+48601111222' }] });
    // The same e-mail, and with the second the same NIP.
    person('ewa', { first_name: 'Ewa', last_name: 'Lis', emails: ['ewa.lis@example.com'] });
    person('ewa2', { first_name: 'Ewa', last_name: 'Lisowa', emails: ['Ewa.Lis@Example.com'], nip: '123-456-32-18' });
    person('firma', { kind: 'company', company: 'Lis i Syn', nip: 'PL 1234563218' });
    // A similar name in one city: swapped, the feminine form.
    person('anna', { first_name: 'Anna', last_name: 'Kowalska', city: 'Kraków' });
    person('anna2', { first_name: 'Kowalski', last_name: 'Anna', city: 'Krakow' });
    // In one company.
    person('petr', { first_name: 'Petr', last_name: 'Novák', company: 'Stavby Novák s.r.o.' });
    person('petr2', { first_name: 'Petr', last_name: 'Nováková', company: 'STAVBY NOVÁK, s. r. o.' });
    // The same name in two cities: not duplicates.
    person('zofia', { first_name: 'Zofia', last_name: 'Zielińska', city: 'Gdańsk' });
    person('zofia2', { first_name: 'Zofia', last_name: 'Zielińska', city: 'Łódź' });
  });
});

after(() => stopServerAndBrowser(server, browser));

const openDevice = (email, name) => sharedOpenDevice(browser, server.base, email, name, { width: 1400, height: 900 });

/** The groups' accessible names, in the order listed. */
async function groupNames(page) {
  const list = page.getByRole('list').filter({ has: page.getByRole('listitem', { name: /^Probable duplicates/ }) });
  return list.getByRole('listitem').evaluateAll((items) => items.map((item) => item.getAttribute('aria-label')));
}

test('duplicates are found on the device offline, strongest reasons first, and a group set apart stays apart', async () => {
  const { context, page } = await openDevice('agnes@example.com', 'Agnes Agent');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Records' }).click();
  await page.getByRole('status').filter({ hasText: /^11 records$/ }).waitFor();
  await context.setOffline(true);
  await page.getByRole('link', { name: 'Find duplicates' }).click();
  await page.getByRole('heading', { name: 'Duplicates' }).waitFor();
  await page.getByRole('status').filter({ hasText: '4 groups of probable duplicates among 11 records' }).waitFor();

  assert.deepEqual(await groupNames(page), [
    // NIP (with the e-mail joining the third), then the phone, then the names.
    'Probable duplicates: Ewa Lis, Ewa Lisowa, Lis i Syn',
    'Probable duplicates: Jan Nowak, Janek Nowak',
    'Probable duplicates: Anna Kowalska, Kowalski Anna',
    'Probable duplicates: Petr Novák, Petr Nováková',
  ]);
  const group = (names) => page.getByRole('listitem', { name: `Probable duplicates: ${names}` });
  await group('Ewa Lis, Ewa Lisowa, Lis i Syn').getByText('Same NIP 1234563218 · Same e-mail ewa.lis@example.com').waitFor();
  await group('Jan Nowak, Janek Nowak').getByText('Same phone 601 111 222').waitFor();
  await group('Anna Kowalska, Kowalski Anna').getByText('Similar name, same city Kraków').waitFor();
  await group('Petr Novák, Petr Nováková').getByText('Similar name, same company Stavby Novák s.r.o.').waitFor();
  assert.equal(await page.getByRole('listitem', { name: /Zofia/ }).count(), 0, 'the same name in two cities is no reason');
  await page.screenshot({ path: join(SCREENSHOTS, 'duplicates.png'), fullPage: true });

  // Each member links to its record.
  await group('Jan Nowak, Janek Nowak').getByRole('link', { name: 'Janek Nowak', exact: true }).click();
  await page.getByRole('heading', { name: 'Janek Nowak' }).waitFor();
  await page.goBack();
  await page.getByRole('status').filter({ hasText: '4 groups' }).waitFor();

  // Set apart, offline: gone at once, and after a reload of the page.
  await page.getByRole('button', { name: 'Not duplicates: Petr Novák, Petr Nováková' }).click();
  await page.getByText('Marked as not duplicates').waitFor();
  assert.equal(await group('Petr Novák, Petr Nováková').count(), 0);
  await page.getByRole('button', { name: 'Look again' }).click();
  await page.getByRole('status').filter({ hasText: '3 groups of probable duplicates among 11 records' }).waitFor();

  // Online: the mark reaches the server, on one record of the pair.
  await context.setOffline(false);
  await page.getByRole('link', { name: /All changes saved · synced/ }).waitFor({ timeout: 30_000 });
  const login = await apiLogIn(server, 'ada@example.com');
  const pulled = await server.api('GET', '/api/sync/pull?cursor=0&limit=5000', { token: login.body.token });
  const fields = (id) => pulled.body.rows.find((row) => row.entity === 'contact' && row.id === id)?.fields ?? {};
  const marked = fields(ids.petr)[`distinct:${ids.petr2}`]?.value || fields(ids.petr2)[`distinct:${ids.petr}`]?.value;
  assert.equal(marked, true);
  await context.close();
});

test('the record form warns while a phone, e-mail or identifier another record has is typed, offline, and saving anyway works', async () => {
  const { context, page } = await openDevice('agnes@example.com', 'Agnes Agent');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Records' }).click();
  await page.getByRole('status').filter({ hasText: /records$/ }).waitFor();
  // Identify a number nobody has, then (offline) create the record from there.
  await page.goto(`${server.base}/identify?phone=${encodeURIComponent('+48 605 000 111')}`);
  await page.getByText('No record on this device has 605 000 111.').waitFor();
  await context.setOffline(true);
  await page.getByRole('link', { name: 'Create a new record with it' }).click();
  await page.getByRole('heading', { name: 'New record' }).waitFor();
  const warning = page.getByRole('status', { name: 'This may be the same as:' });

  // A half-typed address matches nothing, a NIP another record has (written another way)
  // does: the warning names only the NIP.
  const email = page.getByRole('textbox', { name: 'E-mail 1', exact: true });
  await email.pressSequentially('EWA.LIS@example.co');
  await page.getByLabel('NIP').fill('123 456 32 18');
  await warning.getByText('Same NIP 1234563218').first().waitFor();
  assert.equal(await warning.getByText(/Same e-mail/).count(), 0, 'a half-typed address is no match');
  assert.equal(await warning.getByText(/605 000 111/).count(), 0, 'a number nobody has warns of nothing');
  // The address whole, in other letters' case: warned at the keystroke that completes it,
  // the strongest reason first.
  await email.press('m');
  await warning.getByRole('link', { name: 'Ewa Lisowa' }).waitFor();
  await warning.getByText('Same e-mail ewa.lis@example.com').first().waitFor();
  await warning.getByRole('link', { name: 'Ewa Lis', exact: true }).waitFor();
  const reasons = await warning.getByRole('listitem').allInnerTexts();
  assert.match(reasons[0], /Same NIP/);

  // Saving anyway is allowed.
  await page.getByLabel('First name').fill('Ewa');
  await page.getByLabel('Last name').fill('Lis-Nowa');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('heading', { name: 'Ewa Lis-Nowa' }).waitFor();
  // Its own values are no warning about itself.
  await page.getByRole('status', { name: 'This may be the same as:' }).getByRole('link', { name: 'Ewa Lisowa' }).waitFor();
  assert.equal(await page.getByRole('status', { name: 'This may be the same as:' }).getByRole('link', { name: 'Ewa Lis-Nowa' }).count(), 0);
  await context.close();
});
