// Reports: two agents log calls with different outcomes and complete tasks (one of them
// offline, on a device set to New York, just after midnight in Warsaw); the manager's day
// shows exactly those counts in the team's time zone, a click opens the agent's month with
// its chart and the chart's table, and an agent sees only their own row, which follows
// what she logs in another tab.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { logInAndSync, syncUntil, SCREENSHOTS } from '../support/harness.mjs';
import { TEAM, startServerAndBrowser, stopServerAndBrowser, apiLogIn, pushSeed } from '../support/suite.mjs';

let server;
let browser;
const records = { jan: randomUUID(), ewa: randomUUID() };
const outcomes = { done: randomUUID(), noAnswer: randomUUID() };
const tasks = { agnesToday: randomUUID(), agnesLate: randomUUID(), arek: randomUUID() };
const pipeline = { sales: randomUUID(), lead: randomUUID(), offer: randomUUID(), won: randomUUID() };
// Today in Warsaw (the team's zone: the default for a Polish team), and the day before.
const today = new Date().toLocaleDateString('sv-SE', { timeZone: 'Europe/Warsaw' });
const yesterday = new Date(Date.parse(`${today}T12:00:00Z`) - 86_400_000).toISOString().slice(0, 10);

before(async () => {
  ({ server, browser } = await startServerAndBrowser([TEAM.ada, TEAM.agnes, TEAM.arek, TEAM.marek]));
  const login = await apiLogIn(server, 'ada@example.com');
  const { body: directory } = await server.api('GET', '/api/users', { token: login.body.token });
  const id = (name) => (directory.users ?? directory).find((user) => user.name === name).id;
  await pushSeed(server, login.body.token, async (set) => {
    set('outcome', outcomes.done, 'name', 'Completed');
    set('outcome', outcomes.done, 'position', 1);
    set('outcome', outcomes.done, 'connected', true);
    set('outcome', outcomes.noAnswer, 'name', 'No answer');
    set('outcome', outcomes.noAnswer, 'position', 2);
    for (const [record, first, last] of [[records.jan, 'Jan', 'Kowalski'], [records.ewa, 'Ewa', 'Nowak']]) {
      set('contact', record, 'kind', 'person');
      set('contact', record, 'first_name', first);
      set('contact', record, 'last_name', last);
    }
    set('contact', records.jan, 'source', 'Trade fair');
    // A pipeline: Jan is a lead, Ewa has an offer.
    set('module', pipeline.sales, 'name', 'Sales');
    for (const [stage, name, position] of [[pipeline.lead, 'Lead', 1], [pipeline.offer, 'Offer', 2], [pipeline.won, 'Won', 3]]) {
      set('stage', stage, 'name', name);
      set('stage', stage, 'position', position);
      set('stage', stage, 'module_id', pipeline.sales);
    }
    set('contact', records.jan, 'stage_id', pipeline.lead);
    set('contact', records.ewa, 'stage_id', pipeline.offer);
    const task = (taskId, title, assignee, due) => {
      set('task', taskId, 'record_id', records.jan);
      set('task', taskId, 'title', title);
      set('task', taskId, 'assignee_id', id(assignee));
      set('task', taskId, 'due', due);
      set('task', taskId, 'done', false);
    };
    task(tasks.agnesToday, 'Send the offer', 'Agnes Agent', `${today}T07:00:00Z`);
    task(tasks.agnesLate, 'Confirm the order', 'Agnes Agent', `${yesterday}T09:00:00Z`);
    task(tasks.arek, 'Ask about the invoice', 'Arek Agent', `${yesterday}T09:00:00Z`);
  });
});

after(() => stopServerAndBrowser(server, browser));

/** A logged-in device whose clock starts at `time` (installed before the app loads). */
async function openDevice(email, name, time, timezoneId) {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, timezoneId });
  const page = await context.newPage();
  await page.clock.install({ time: new Date(time) });
  await logInAndSync(page, server.base, email, name);
  return { context, page };
}

/** Logs a call on Jan Kowalski's record from its page. */
async function logCall(page, outcome, duration) {
  await page.goto(`${server.base}/records/${records.jan}`);
  await page.getByRole('heading', { name: 'Jan Kowalski' }).waitFor();
  await page.getByRole('button', { name: 'Log an activity' }).click();
  const dialog = page.getByRole('dialog', { name: /^Log: / });
  await dialog.getByLabel('Type').selectOption({ label: 'Call' });
  await page.getByRole('dialog', { name: 'Log: Call' }).waitFor();
  await dialog.getByLabel('Outcome').selectOption({ label: outcome });
  if (duration) await dialog.getByLabel('Duration (m:ss)').fill(duration);
  await dialog.getByRole('button', { name: 'Save' }).click();
  await dialog.waitFor({ state: 'detached' });
}

async function completeTask(page, title) {
  await page.goto(`${server.base}/records/${records.jan}`);
  const open = page.getByRole('region', { name: 'Open tasks' });
  const done = open.getByRole('button', { name: new RegExp(`^Done: ${title} — Jan Kowalski, `) });
  await done.click();
  await done.waitFor({ state: 'detached' });
}

/** Clicks "Export CSV" and reads the file back: its name, header and lines (cells). */
async function exportCsv(page) {
  const downloading = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export CSV' }).click();
  const download = await downloading;
  const csv = (await readFile(await download.path(), 'utf8')).replace(/^\uFEFF/, '');
  const [header, ...lines] = csv.trim().split(/\r?\n/).map((line) => line.split(','));
  return { name: download.suggestedFilename(), header, lines };
}

/** The report table named `caption`: row label → column heading → the cell's text. */
async function readTable(page, caption) {
  const table = page.getByRole('table', { name: caption });
  await table.waitFor();
  return table.evaluate((element) => {
    const heads = [...element.tHead.rows[0].cells].map((cell) => cell.textContent.trim());
    const rows = {};
    for (const row of [...element.tBodies[0].rows, ...(element.tFoot?.rows ?? [])]) {
      const cells = [...row.cells].map((cell) => cell.textContent.trim());
      rows[cells[0]] = Object.fromEntries(heads.map((head, i) => [head, cells[i]]));
    }
    return rows;
  });
}

function pick(row, columns) {
  return Object.fromEntries(columns.map((column) => [column, row?.[column]]));
}

const COLUMNS = ['Calls out', 'Completed', 'No answer', 'Connected', 'Talk time', 'Tasks done', 'Tasks overdue'];

test("the manager's day shows each agent's calls and tasks in the team's zone; a click opens the month", async () => {
  // Agnes, in Warsaw mid-morning: two calls and one task done.
  const agnes = await openDevice('agnes@example.com', 'Agnes Agent', `${today}T09:00:20Z`, 'Europe/Warsaw');
  await logCall(agnes.page, 'Completed', '2:00');
  await logCall(agnes.page, 'No answer');
  await completeTask(agnes.page, 'Send the offer');

  // Arek's laptop is set to New York, where it is still the evening before; in Warsaw it
  // is just past midnight, so his work counts for today. He works offline, then syncs.
  const arek = await openDevice('arek@example.com', 'Arek Agent', `${yesterday}T23:20:00Z`, 'America/New_York');
  await arek.context.setOffline(true);
  await logCall(arek.page, 'Completed', '1:30');
  await completeTask(arek.page, 'Ask about the invoice');
  await arek.context.setOffline(false);

  const marek = await openDevice('marek@example.com', 'Marek Manager', `${today}T09:10:00Z`, 'Europe/Warsaw');
  const day = await marek.page.evaluate((today) => new Date(`${today}T12:00:00Z`).toLocaleDateString('en', {
    timeZone: 'UTC', weekday: 'long', day: 'numeric', month: 'long', year: 'numeric',
  }), today);
  const caption = `Every agent's figures on ${day}`;
  const want = {
    'Agnes Agent': { 'Calls out': '2', Completed: '1', 'No answer': '1', Connected: '50%', 'Talk time': '2:00', 'Tasks done': '1', 'Tasks overdue': '1' },
    'Arek Agent': { 'Calls out': '1', Completed: '1', 'No answer': '0', Connected: '100%', 'Talk time': '1:30', 'Tasks done': '1', 'Tasks overdue': '0' },
    Total: { 'Calls out': '3', Completed: '2', 'No answer': '1', Connected: '67%', 'Talk time': '3:30', 'Tasks done': '2', 'Tasks overdue': '1' },
  };
  let rows;
  // The agents' devices push when they can; the manager's pulls until it has it all.
  await syncUntil(arek.page, server.base, async () => true, "Arek's work pushed");
  await syncUntil(agnes.page, server.base, async () => true, "Agnes's work pushed");
  await syncUntil(marek.page, server.base, async () => {
    await marek.page.goto(`${server.base}/reports`);
    rows = await readTable(marek.page, caption);
    return Object.keys(want).every((name) => JSON.stringify(pick(rows[name], COLUMNS)) === JSON.stringify(want[name]));
  }, 'both agents\' figures on the manager\'s day');
  for (const name of Object.keys(want)) assert.deepEqual(pick(rows[name], COLUMNS), want[name], name);
  // Ada wrote the seed today: her two records created come from the server's history.
  await marek.page.getByRole('status').filter({ hasText: /from the server, up to date/ }).waitFor();
  rows = await readTable(marek.page, caption);
  assert.equal(rows['Ada Admin']['Records created'], '2');
  assert.equal(rows['Ada Admin']['Calls out'], '0');
  await marek.page.screenshot({ path: join(SCREENSHOTS, 'reports-day.png') });

  // Agnes's month: today's row and the chart's own table say the same.
  await marek.page.getByRole('table', { name: caption }).getByRole('link', { name: 'Agnes Agent' }).click();
  await marek.page.getByRole('heading', { name: 'Agnes Agent' }).waitFor();
  const chart = marek.page.getByRole('figure', { name: /^Calls per day by outcome, Agnes Agent, / });
  await chart.waitFor();
  await chart.getByText('Show the numbers').click();
  const chartRows = await readTable(marek.page, /^Calls per day by outcome, Agnes Agent, /);
  const dayOfMonth = String(Number(today.slice(8, 10)));
  assert.deepEqual(pick(chartRows[dayOfMonth], ['Completed', 'No answer']), { Completed: '1', 'No answer': '1' });
  // A bar says its value when focused.
  await chart.getByRole('img', { name: `${dayOfMonth}: Completed 1` }).focus();
  await chart.locator('p.chart-said', { hasText: `${dayOfMonth}: Completed 1` }).waitFor();
  const month = await readTable(marek.page, /^Agnes Agent: every day of /);
  assert.deepEqual(pick(month.Total, ['Calls out', 'Completed', 'No answer', 'Tasks done']), {
    'Calls out': '2', Completed: '1', 'No answer': '1', 'Tasks done': '1',
  });
  await marek.page.screenshot({ path: join(SCREENSHOTS, 'reports-month.png'), fullPage: true });

  // The period report (this month): the same figures side by side, against the month
  // before (empty: "new"), exported as CSV and read back.
  await marek.page.goto(`${server.base}/reports`);
  await marek.page.getByRole('navigation', { name: 'Reports' }).getByRole('link', { name: 'Period' }).click();
  await marek.page.getByRole('link', { name: 'This month' }).waitFor();
  assert.equal(await marek.page.getByRole('link', { name: 'This month' }).getAttribute('aria-current'), 'page');
  const periodTable = await readTable(marek.page, /^Every agent's figures, /);
  for (const name of ['Agnes Agent', 'Arek Agent']) {
    assert.deepEqual(pick(periodTable[name], ['Calls out', 'Completed', 'No answer', 'Tasks done']), pick(want[name], ['Calls out', 'Completed', 'No answer', 'Tasks done']), name);
  }
  assert.equal(periodTable.Change['Calls out'], '↑ new');
  assert.equal(periodTable['Previous period']['Calls out'], '0');
  const tiles = marek.page.getByRole('list', { name: 'The team\'s figures against the previous period' });
  await tiles.getByRole('listitem').filter({ hasText: 'Calls out' }).filter({ hasText: '3' }).waitFor();
  await marek.page.screenshot({ path: join(SCREENSHOTS, 'reports-period.png'), fullPage: true });
  // The trend of a chosen figure: the team's connected share, a point on today only.
  await marek.page.getByLabel('Trend of').selectOption({ label: 'Connected' });
  const trend = marek.page.getByRole('figure', { name: /^Connected per day, / });
  const point = trend.getByRole('img', { name: /: 67%$/ });
  assert.equal(await trend.getByRole('img').count(), 1);
  await point.focus();
  await trend.locator('p.chart-said', { hasText: /: 67%$/ }).waitFor();
  // Each agent against their own previous period (empty: "new").
  const agentChanges = await readTable(marek.page, /^Each agent against /);
  assert.equal(agentChanges['Agnes Agent']['Calls out'], '2 ↑ new');
  assert.equal(agentChanges['Arek Agent']['Tasks done'], '1 ↑ new');
  // The pipeline's stages: records there now (the device's count).
  const sales = await readTable(marek.page, 'Pipeline: Sales');
  assert.deepEqual(Object.keys(sales), ['Lead', 'Offer', 'Won']);
  assert.deepEqual(['Lead', 'Offer', 'Won'].map((stage) => sales[stage]['Records there now']), ['1', '1', '0']);
  const { name: fileName, header, lines } = await exportCsv(marek.page);
  assert.match(fileName, /^miniCRM report \d{4}-\d{2}-01 to \d{4}-\d{2}-\d{2}\.csv$/);
  const column = (name) => header.indexOf(name);
  const agnesLine = lines.find((line) => line[0] === 'Agnes Agent');
  assert.equal(agnesLine[column('Calls out')], '2');
  assert.equal(agnesLine[column('Connected (%)')], '50');
  assert.equal(agnesLine[column('Talk time (s)')], '120');
  assert.equal(lines.at(-1)[0], 'Total');
  assert.equal(lines.at(-1)[column('Calls out')], '3');

  // Breakdowns: records by source over the whole base.
  await marek.page.getByRole('navigation', { name: 'Reports' }).getByRole('link', { name: 'Breakdowns' }).click();
  await marek.page.getByLabel('Count records by').selectOption({ label: 'Source' });
  const bySource = await readTable(marek.page, 'Records by Source');
  assert.deepEqual(pick(bySource['Trade fair'], ['Records', 'Share of the records']), { Records: '1', 'Share of the records': '50%' });
  assert.deepEqual(pick(bySource['Not set'], ['Records']), { Records: '1' });
  const breakdownFile = await exportCsv(marek.page);
  assert.equal(breakdownFile.name, 'miniCRM records by Source.csv');
  assert.deepEqual(breakdownFile.header, ['Value', 'Records', 'Share of the records (%)']);
  assert.deepEqual(breakdownFile.lines.find((line) => line[0] === 'Trade fair'), ['Trade fair', '1', '50']);

  // The day's table exported too.
  await marek.page.goto(`${server.base}/reports`);
  await readTable(marek.page, caption);
  const dayFile = await exportCsv(marek.page);
  assert.equal(dayFile.name, `miniCRM report ${today}.csv`);
  assert.equal(dayFile.lines.find((line) => line[0] === 'Arek Agent')[dayFile.header.indexOf('Calls out')], '1');

  // An agent sees their own row only, and not another agent's month.
  await agnes.page.goto(`${server.base}/reports`);
  const own = await readTable(agnes.page, caption);
  assert.deepEqual(Object.keys(own).sort(), ['Agnes Agent', 'Total']);
  assert.deepEqual(pick(own['Agnes Agent'], COLUMNS), want['Agnes Agent']);
  await marek.page.goto(`${server.base}/reports`);
  const arekMonth = await marek.page.getByRole('table', { name: caption }).getByRole('link', { name: 'Arek Agent' }).getAttribute('href');
  assert.match(arekMonth, /^\/reports\/agent\/[0-9a-f-]{36}\?month=\d{4}-\d{2}$/);
  await agnes.page.goto(`${server.base}${arekMonth}`);
  await agnes.page.getByRole('alert').filter({ hasText: 'You can see only your own figures.' }).waitFor();

  // Agnes's day stays open while she works in a second tab: a call logged there shows at
  // once (the kept count takes it in), its move to the trash too, and a task done there
  // (counted again).
  await agnes.page.goto(`${server.base}/reports`);
  await readTable(agnes.page, caption);
  const second = await agnes.context.newPage();
  const agnesRow = (want) => agnes.page.waitForFunction(([caption, want]) => {
    const table = [...document.querySelectorAll('table')].find((t) => t.caption?.textContent.trim() === caption);
    const heads = [...(table?.tHead.rows[0].cells ?? [])].map((cell) => cell.textContent.trim());
    const row = [...(table?.tBodies[0].rows ?? [])].find((r) => r.cells[0].textContent.trim() === 'Agnes Agent');
    return row && Object.entries(want).every(([column, text]) => row.cells[heads.indexOf(column)]?.textContent.trim() === text);
  }, [caption, want]);
  await logCall(second, 'No answer', '0:30');
  await agnesRow({ 'Calls out': '3', 'No answer': '2' });
  assert.deepEqual(pick((await readTable(agnes.page, caption))['Agnes Agent'], COLUMNS), {
    'Calls out': '3', Completed: '1', 'No answer': '2', Connected: '33%', 'Talk time': '2:30', 'Tasks done': '1', 'Tasks overdue': '1',
  });
  // The call was logged by mistake: to the trash from the record's timeline, and out of
  // the figures (the kept count takes its old form back).
  await second.getByRole('listitem').filter({ hasText: 'No answer' }).filter({ hasText: '0:30' })
    .getByRole('button', { name: /^Move to trash: / }).click();
  await agnesRow({ 'Calls out': '2', 'No answer': '1' });
  assert.deepEqual(pick((await readTable(agnes.page, caption))['Agnes Agent'], COLUMNS), {
    'Calls out': '2', Completed: '1', 'No answer': '1', Connected: '50%', 'Talk time': '2:00', 'Tasks done': '1', 'Tasks overdue': '1',
  });
  await completeTask(second, 'Confirm the order');
  await agnesRow({ 'Tasks done': '2', 'Tasks overdue': '0' });
  assert.deepEqual(pick((await readTable(agnes.page, caption))['Agnes Agent'], COLUMNS), {
    'Calls out': '2', Completed: '1', 'No answer': '1', Connected: '50%', 'Talk time': '2:00', 'Tasks done': '2', 'Tasks overdue': '0',
  });

  for (const device of [agnes, arek, marek]) await device.context.close();
});
