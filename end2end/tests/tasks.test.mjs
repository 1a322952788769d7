// Tasks and history, with the page's clock under the test's control: a task due in a minute
// turns red without a reload, completing it moves it to the record's history, a call logged
// with "call back later" creates the dated task, and a manager sees everyone's tasks.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { logInAndSync, syncUntil as sharedSyncUntil, SCREENSHOTS } from '../support/harness.mjs';
import { TEAM, startServerAndBrowser, stopServerAndBrowser, apiLogIn, pushSeed } from '../support/suite.mjs';

let server;
let browser;
const record = randomUUID();
const other = randomUUID();
const outcomes = { done: randomUUID(), noAnswer: randomUUID(), callBack: randomUUID() };

before(async () => {
  ({ server, browser } = await startServerAndBrowser([TEAM.ada, TEAM.agnes, TEAM.marek]));
  const login = await apiLogIn(server, 'ada@example.com');
  await pushSeed(server, login.body.token, async (set) => {
    set('outcome', outcomes.done, 'name', 'Completed');
    set('outcome', outcomes.done, 'position', 1);
    set('outcome', outcomes.noAnswer, 'name', 'No answer');
    set('outcome', outcomes.noAnswer, 'position', 2);
    set('outcome', outcomes.callBack, 'name', 'Call back later');
    set('outcome', outcomes.callBack, 'position', 3);
    set('outcome', outcomes.callBack, 'callback', true);
    set('contact', record, 'kind', 'person');
    set('contact', record, 'first_name', 'Jan');
    set('contact', record, 'last_name', 'Kowalski');
    set('contact', record, 'phones', [{ type: 'mobile', number: '+48600100200' }]);
    set('contact', other, 'kind', 'person');
    set('contact', other, 'first_name', 'Ewa');
    set('contact', other, 'last_name', 'Nowak');
    const { body: directory } = await server.api('GET', '/api/users', { token: login.body.token });
    const agnes = (directory.users ?? directory).find((user) => user.name === 'Agnes Agent');
    set('contact', other, 'owner_id', agnes.id);
  });
});

after(() => stopServerAndBrowser(server, browser));

/** A logged-in device whose clock the test moves (`page.clock`), installed before the app loads. */
async function openDeviceWithClock(email, name) {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, timezoneId: 'Europe/Warsaw' });
  const page = await context.newPage();
  // Mid-morning of today in Warsaw: "due in a minute" and "tomorrow" never cross midnight.
  const today = new Date().toLocaleDateString('sv-SE', { timeZone: 'Europe/Warsaw' });
  await page.clock.install({ time: new Date(`${today}T09:00:20Z`) });
  await logInAndSync(page, server.base, email, name);
  return { context, page };
}

/** The `datetime-local` value of the page's (fake) now plus `minutes`, rounded up to the minute. */
async function localInput(page, minutes) {
  return page.evaluate((minutes) => {
    const at = new Date(Math.ceil(Date.now() / 60_000) * 60_000 + minutes * 60_000);
    const two = (n) => String(n).padStart(2, '0');
    return `${at.getFullYear()}-${two(at.getMonth() + 1)}-${two(at.getDate())}T${two(at.getHours())}:${two(at.getMinutes())}`;
  }, minutes);
}

const nav = (page) => page.getByRole('navigation', { name: 'Main' });

async function openRecord(page) {
  await page.goto(`${server.base}/records/${record}`);
  await page.getByRole('heading', { name: 'Jan Kowalski' }).waitFor();
}

test('a task due in a minute turns red without a reload; done, it moves to the history', async () => {
  const agent = await openDeviceWithClock('agnes@example.com', 'Agnes Agent');
  const { page } = agent;
  // Choices show what is stored (the options arrive after the select is built).
  await page.goto(`${server.base}/records/${other}`);
  await page.getByRole('heading', { name: 'Ewa Nowak' }).waitFor();
  await page.getByLabel('Owner').locator('option:checked', { hasText: 'Agnes Agent' }).waitFor({ state: 'attached' });
  await page.getByRole('button', { name: 'Log an activity' }).click();
  const note = page.getByRole('dialog', { name: 'Log: Note' });
  assert.equal(await note.getByLabel('Type').evaluate((select) => select.selectedOptions[0]?.text), 'Note');
  // The dialog has the focus, and Esc closes it while nothing is typed.
  assert.equal(await note.getByLabel('Type').evaluate((select) => document.activeElement === select), true);
  await page.keyboard.press('Escape');
  await note.waitFor({ state: 'detached' });
  await openRecord(page);

  // A bad due date is explained and nothing is saved.
  await page.getByRole('button', { name: 'New task' }).click();
  const dialog = page.getByRole('dialog', { name: 'New task' });
  assert.equal(await dialog.getByLabel('Assigned to').evaluate((select) => select.selectedOptions[0]?.text), 'Agnes Agent');
  await dialog.getByRole('button', { name: 'Save task' }).click();
  await dialog.getByText('This field is required.').waitFor();
  assert.equal(await dialog.getByLabel('Task').getAttribute('aria-invalid'), 'true');

  await dialog.getByLabel('Task').fill('Send the offer');
  // Esc with something typed asks first; declined, nothing typed is lost.
  const asked = new Promise((ok) => page.once('dialog', async (question) => {
    ok(question.message());
    await question.dismiss();
  }));
  await dialog.getByLabel('Task').press('Escape');
  const question = await Promise.race([asked, page.waitForTimeout(5000).then(() => 'nothing asked within 5 s')]);
  assert.equal(question, 'Close without saving what you typed?');
  assert.equal(await dialog.getByLabel('Task').inputValue(), 'Send the offer');
  await dialog.getByLabel('Due').fill(await localInput(page, 1));
  await dialog.getByRole('button', { name: 'Save task' }).click();
  await dialog.waitFor({ state: 'detached' });

  const open = page.getByRole('region', { name: 'Open tasks' });
  const item = open.getByRole('listitem').filter({ hasText: 'Send the offer' });
  await item.waitFor();
  assert.match(await item.getAttribute('class'), /deadline today/);
  await nav(page).getByRole('link', { name: 'Tasks 1 today' }).waitFor();
  // The records list marks the record too.
  await nav(page).getByRole('link', { name: 'Records' }).click();
  await page.getByRole('row', { name: /Jan Kowalski/ }).getByText('task today').waitFor();

  await nav(page).getByRole('link', { name: /^Tasks/ }).click();
  const today = page.getByRole('region', { name: 'Due today (1)' });
  await today.getByRole('button', { name: /^Send the offer — Jan Kowalski, / }).waitFor();

  // Two minutes later, with no reload: overdue, in red, counted in the navigation.
  await page.clock.fastForward('02:00');
  const overdue = page.getByRole('region', { name: 'Overdue (1)' });
  await overdue.getByRole('button', { name: /^Send the offer — Jan Kowalski, / }).waitFor();
  assert.equal(await page.getByRole('region', { name: /Due today/ }).count(), 0);
  const color = await overdue.getByRole('button', { name: /^Send the offer — Jan Kowalski, / }).evaluate((el) => getComputedStyle(el).color);
  const danger = await page.evaluate(() => {
    const probe = document.createElement('span');
    probe.style.color = 'var(--danger)';
    document.body.append(probe);
    const value = getComputedStyle(probe).color;
    probe.remove();
    return value;
  });
  assert.equal(color, danger);
  await nav(page).getByRole('link', { name: 'Tasks 1 overdue' }).waitFor();
  await page.screenshot({ path: join(SCREENSHOTS, 'tasks.png') });
  await nav(page).getByRole('link', { name: 'Records' }).click();
  await page.getByRole('row', { name: /Jan Kowalski/ }).getByText('task overdue').waitFor();

  // "Records where I have an open task" finds it; done, the filter no longer does.
  await page.getByLabel('Records where I have an open task').check();
  await page.getByRole('status').filter({ hasText: /^1 record$/ }).waitFor();

  // Done: gone from the open tasks, in the record's history, the counts cleared.
  await openRecord(page);
  await open.getByRole('button', { name: /^Done: Send the offer — Jan Kowalski, / }).click();
  await open.getByText('No open tasks.').waitFor();
  const history = page.getByRole('region', { name: 'History' });
  await history.getByRole('listitem').filter({ hasText: 'Task done: Send the offer (by Agnes Agent)' }).waitFor();
  await nav(page).getByRole('link', { name: 'Tasks', exact: true }).waitFor();
  await nav(page).getByRole('link', { name: 'Records' }).click();
  const mine = page.getByLabel('Records where I have an open task');
  if (!(await mine.isChecked())) await mine.check();
  await page.getByRole('status').filter({ hasText: /^0 records$/ }).waitFor();
  await agent.context.close();
});

test('a call logged as "call back later" asks when and creates the dated task; the manager sees it', async () => {
  const agent = await openDeviceWithClock('agnes@example.com', 'Agnes Agent');
  const { page } = agent;
  await openRecord(page);

  // Using the phone link opens the call log for this record, with the number. The link
  // dials through the system; headless Chromium has no dialer, and its pending external
  // navigation swallows later clicks, so the test stands in for the dialer.
  const dial = page.getByRole('link', { name: 'Call 600 100 200' });
  assert.equal(await dial.getAttribute('href'), 'tel:+48600100200');
  await page.evaluate(() => document.addEventListener('click', (event) => {
    if (event.target.closest('a[href^="tel:"]')) event.preventDefault();
  }));
  await dial.click();
  const dialog = page.getByRole('dialog', { name: 'Log: Call' });
  await dialog.waitFor();
  assert.equal(await dialog.getByLabel('Phone').inputValue(), '+48600100200');
  await dialog.getByLabel('Outcome').selectOption({ label: 'Call back later' });
  await dialog.getByLabel('Duration (m:ss)').fill('2:75');
  await dialog.getByLabel('Note').fill('Asked to call back tomorrow morning.');
  // No time to call back, and a bad duration: both explained, nothing saved.
  await dialog.getByRole('button', { name: 'Save' }).click();
  await dialog.getByText('This outcome asks when to call back').waitFor();
  await dialog.getByText('Enter minutes (5), m:ss (3:25) or h:mm:ss.').waitFor();
  assert.equal(await page.getByRole('region', { name: 'History' }).getByText('outgoing call').count(), 0);

  await dialog.getByLabel('Duration (m:ss)').fill('2:35');
  await dialog.getByLabel('Call back at').fill(await localInput(page, 24 * 60 + 2));
  await dialog.getByRole('button', { name: 'Save' }).click();
  await dialog.waitFor({ state: 'detached' });

  const open = page.getByRole('region', { name: 'Open tasks' });
  const task = open.getByRole('listitem').filter({ hasText: 'Call back' });
  await task.waitFor();
  // Exactly one call and one task: the refused attempt wrote nothing.
  assert.equal(await task.count(), 1);
  assert.doesNotMatch(await task.getAttribute('class'), /overdue|today/);
  const history = page.getByRole('region', { name: 'History' });
  const call = history.getByRole('listitem').filter({ hasText: 'Agnes Agent: outgoing call' });
  await call.waitFor();
  assert.equal(await call.count(), 1);
  assert.match(await call.textContent(), /Call back later · 2:35/);
  assert.match(await call.textContent(), /Asked to call back tomorrow morning\./);
  await page.screenshot({ path: join(SCREENSHOTS, 'record-timeline.png') });
  // Logged by mistake: to the trash (still listed, struck through) and back.
  await call.getByRole('button', { name: /^Move to trash: Agnes Agent: outgoing call/ }).click();
  await call.getByText('in the trash').waitFor();
  await call.getByRole('button', { name: /^Restore: Agnes Agent: outgoing call/ }).click();
  await call.getByRole('button', { name: /^Move to trash: Agnes Agent: outgoing call/ }).waitFor();
  assert.equal(await call.getByText('in the trash').count(), 0);

  // A meeting: an end before its start is explained; fixed, it is in the timeline.
  await page.getByRole('button', { name: 'Log an activity' }).click();
  const meeting = page.getByRole('dialog', { name: /^Log: / });
  await meeting.getByLabel('Type').selectOption({ label: 'Meeting' });
  await meeting.getByLabel('Meeting name').fill('Product demo');
  await meeting.getByLabel('From').fill(await localInput(page, 60));
  await meeting.getByLabel('To', { exact: true }).fill(await localInput(page, 30));
  await meeting.getByLabel('With (user)').selectOption({ label: 'Marek Manager' });
  await meeting.getByRole('button', { name: 'Save' }).click();
  await meeting.getByText('The end comes before the start.').waitFor();
  await meeting.getByLabel('To', { exact: true }).fill(await localInput(page, 90));
  await meeting.getByRole('button', { name: 'Save' }).click();
  await meeting.waitFor({ state: 'detached' });
  const logged = history.getByRole('listitem').filter({ hasText: 'Marek Manager: meeting' });
  await logged.waitFor();
  assert.match(await logged.textContent(), /Product demo · until /);

  // Tomorrow, that task is due today.
  await page.clock.fastForward('24:00:00');
  await nav(page).getByRole('link', { name: 'Tasks 1 today' }).waitFor();

  // A task from the task list, for a record found by name, with no due date.
  await nav(page).getByRole('link', { name: /^Tasks/ }).click();
  await page.getByRole('button', { name: 'New task' }).click();
  const fromList = page.getByRole('dialog', { name: 'New task' });
  await fromList.getByLabel('Task').fill('Ask about the invoice');
  await fromList.getByRole('button', { name: 'Save task' }).click();
  await fromList.getByText('Choose the record this task is for.').waitFor();
  await fromList.getByLabel('Find a record').fill('nowak');
  await fromList.getByLabel('Record', { exact: true }).selectOption({ label: 'Ewa Nowak' });
  await fromList.getByRole('button', { name: 'Save task' }).click();
  await fromList.waitFor({ state: 'detached' });
  await page.getByRole('region', { name: 'No due date (1)' }).getByRole('link', { name: 'Ewa Nowak' }).waitFor();

  // Synced, the manager sees Agnes's task among everyone's.
  await page.getByRole('link', { name: /All changes saved · synced/ }).waitFor({ timeout: 20_000 });
  const manager = await openDeviceWithClock('marek@example.com', 'Marek Manager');
  await syncUntil(manager.page, async () => {
    await manager.page.goto(`${server.base}/tasks`);
    await manager.page.getByLabel('Whose tasks').selectOption({ label: "Everyone's" });
    const task = manager.page.getByRole('listitem').filter({ hasText: 'Call back' }).filter({ hasText: 'for Agnes Agent' });
    return task.waitFor({ timeout: 3000 }).then(() => true, () => false);
  });
  // The manager takes it over: reassigned, it is among his own.
  await manager.page.getByRole('button', { name: /^Call back — Jan Kowalski, / }).click();
  const edit = manager.page.getByRole('dialog', { name: 'Edit task' });
  await edit.getByLabel('Assigned to').selectOption({ label: 'Marek Manager' });
  await edit.getByRole('button', { name: 'Save task' }).click();
  await edit.waitFor({ state: 'detached' });
  await manager.page.getByLabel('Whose tasks').selectOption({ label: 'Mine' });
  await manager.page.getByRole('button', { name: /^Call back — Jan Kowalski, / }).waitFor();
  assert.equal(await manager.page.getByText('for Agnes Agent').count(), 0);
  await agent.context.close();
  await manager.context.close();
});

const syncUntil = (page, check) => sharedSyncUntil(page, server.base, check);
