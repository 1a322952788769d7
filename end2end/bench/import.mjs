// `cargo xtask bench` (import and export part): a 100,000-row, 12-column Windows-1250 CSV
// (the shared data set as a Polish Excel saves it) imported through the real app in
// Chromium with an on-disk profile, then the records exported to XLSX and to CSV:
//   - preview: from choosing the file to its first rows on screen
//   - review: from "Next: review" to the counts and "Import N rows" on screen (every row
//     prepared and matched against the device's records; the writing reuses that work)
//   - import: from "Import N rows" to the result, offline (what the device does, with no
//     sync competing for it), with the longest main-thread task in that window and the
//     tab's memory peak (the renderer process's RSS, page and worker)
//   - then online: how long the sync takes to push it and pull it back
//   - export: from "Export" to the file downloaded, XLSX and CSV, of every record, with
//     the sync idle
// Not a test: it prints a table. Size: MINICRM_BENCH_IMPORT_ROWS (default 100000).
// MINICRM_BENCH_ONLINE=1 imports online instead (the sync pushing while it writes);
// MINICRM_BENCH_TRACE=<file> writes the import's timeline trace (categories:
// MINICRM_BENCH_TRACE_CATEGORIES), MINICRM_BENCH_TRACE_SYNC=<file> the sync's after it,
// MINICRM_BENCH_TRACE_EXPORT=<file> the CSV export's, MINICRM_BENCH_TRACE_REVIEW=<file> the
// review's.

import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { startServer, launchPersistentContext, logInAndSync } from '../support/harness.mjs';
import { importFile } from './data/csv1250.mjs';

const ROWS = Number(process.env.MINICRM_BENCH_IMPORT_ROWS ?? 100_000);
const TIMEOUT = 30 * 60_000;

/** The RSS (bytes) of the renderer processes of the browser using `profile`, summed. */
async function rendererRss(profile) {
  let total = 0;
  for (const pid of await readdir('/proc').catch(() => [])) {
    if (!/^\d+$/.test(pid)) continue;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (!cmdline.includes('--type=renderer')) continue;
    const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
    const parent = status.match(/^PPid:\s+(\d+)/m)?.[1];
    const parentCmd = parent ? await readFile(`/proc/${parent}/cmdline`, 'utf8').catch(() => '') : '';
    // The zygote's parent is the browser, whose command line names the profile.
    const grand = (await readFile(`/proc/${parent}/status`, 'utf8').catch(() => '')).match(/^PPid:\s+(\d+)/m)?.[1];
    const grandCmd = grand ? await readFile(`/proc/${grand}/cmdline`, 'utf8').catch(() => '') : '';
    if (!`${parentCmd}${grandCmd}`.includes(profile)) continue;
    const rss = status.match(/^VmRSS:\s+(\d+) kB/m)?.[1];
    if (rss) total += Number(rss) * 1024;
  }
  return total;
}

/** Samples `rendererRss` every 250 ms until stopped: the peak. */
function sampleMemory(profile) {
  let peak = 0;
  let running = true;
  const done = (async () => {
    while (running) {
      peak = Math.max(peak, await rendererRss(profile));
      await new Promise((ok) => setTimeout(ok, 250));
    }
  })();
  return async () => {
    running = false;
    await done;
    return peak;
  };
}

/** With MINICRM_BENCH_TRACE=<file>: the page's timeline trace while importing (for the
 * browser's performance panel, or to see what a long task was), written to that file. */
async function startTrace(page) {
  const cdp = await page.context().newCDPSession(page);
  const events = [];
  cdp.on('Tracing.dataCollected', ({ value }) => events.push(...value));
  await cdp.send('Tracing.start', {
    categories: process.env.MINICRM_BENCH_TRACE_CATEGORIES ?? 'devtools.timeline,disabled-by-default-devtools.timeline,v8.execute,blink.user_timing',
    transferMode: 'ReportEvents',
  });
  return async () => {
    const done = new Promise((ok) => cdp.once('Tracing.tracingComplete', ok));
    await cdp.send('Tracing.end');
    await done;
    return { traceEvents: events };
  };
}

const mib = (bytes) => `${(bytes / 1048576).toFixed(0)} MiB`;
const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;

const server = await startServer({ users: [{ email: 'bench@example.com', name: 'Bench Admin', role: 'admin' }] });
const work = await mkdtemp(path.join(tmpdir(), 'minicrm-bench-import-'));
const profile = path.join(work, 'profile');
const results = [];
try {
  const file = path.join(work, 'klienci.csv');
  const bytes = importFile(ROWS);
  await writeFile(file, bytes);
  const context = await launchPersistentContext(profile);
  context.setDefaultTimeout(TIMEOUT);
  const page = context.pages()[0] ?? (await context.newPage());
  await page.addInitScript(() => {
    window.__longTasks = [];
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) window.__longTasks.push({ start: entry.startTime, duration: entry.duration });
    }).observe({ type: 'longtask', buffered: true });
  });
  await logInAndSync(page, server.base, 'bench@example.com', 'Bench Admin');
  await page.goto(`${server.base}/records/import`);
  const longest = (from, to) =>
    page.evaluate(([from, to]) => {
      const during = window.__longTasks.filter((task) => task.start >= from && task.start < to);
      // The longest few, each with when it began (seconds into the window).
      const top = [...during].sort((a, b) => b.duration - a.duration).slice(0, 3)
        .map((task) => `${task.duration.toFixed(0)} ms at ${((task.start - from) / 1000).toFixed(1)} s`);
      return { longest: Math.max(0, ...during.map((task) => task.duration)), count: during.length, top };
    }, [from, to]);
  const now = () => page.evaluate(() => performance.now());

  // Preview.
  const chosen = await now();
  await page.getByLabel('Choose a file').setInputFiles(file);
  await page.getByRole('region', { name: "The file's first rows" }).waitFor();
  await page.getByText(`${ROWS.toLocaleString('en')} rows`).first().waitFor();
  const previewed = await now();
  const previewText = await page.getByRole('region', { name: "The file's first rows" }).innerText();
  results.push(['preview shown after choosing the file', seconds(previewed - chosen), `${(bytes.length / 1048576).toFixed(1)} MiB file; reads right: ${/Šárka/.test(previewText) && /Wójcik/.test(previewText)}`, '<= 2 s']);

  // Mapping (as suggested), review, import.
  await page.getByRole('button', { name: 'Next: map the columns' }).click();
  const reviewButton = await page.getByRole('button', { name: 'Next: review' }).elementHandle();
  const stopReviewMemory = sampleMemory(profile);
  const reviewTrace = process.env.MINICRM_BENCH_TRACE_REVIEW ? await startTrace(page) : null;
  const askedReview = await now();
  await reviewButton.click();
  // The counts replace "Reviewing…" when the review is on screen (the button is there,
  // disabled, before).
  const counts = page.getByText(/to create, .* with problems/).first();
  await counts.waitFor();
  const reviewed = await now();
  const reviewText = await counts.innerText();
  const start = page.getByRole('button', { name: /^Import [\d,]+ rows?$/ });
  await start.waitFor();
  if (reviewTrace) await writeFile(process.env.MINICRM_BENCH_TRACE_REVIEW, JSON.stringify(await reviewTrace()));
  const reviewPeak = await stopReviewMemory();
  const reviewTasks = await longest(askedReview, reviewed);
  results.push(['review shown (every row prepared and matched)', seconds(reviewed - askedReview), `longest task ${reviewTasks.longest.toFixed(0)} ms, ${reviewTasks.count} over 50 ms${reviewTasks.count ? ` (${reviewTasks.top.join(', ')})` : ''}; memory peak ${mib(reviewPeak)}`, '']);
  const stopMemory = sampleMemory(profile);
  const online = Boolean(process.env.MINICRM_BENCH_ONLINE);
  if (!online) await context.setOffline(true);
  // Found before the window opens: finding it by role computes the accessibility tree of
  // the review's table on the page's main thread.
  const button = await start.elementHandle();
  const trace = process.env.MINICRM_BENCH_TRACE ? await startTrace(page) : null;
  const clicked = await now();
  await button.click();
  // Not getByRole: its polling computes the accessibility tree on the page's main thread,
  // and those were most of the long tasks the window counted.
  await page.waitForFunction(
    () => [...document.querySelectorAll('h1, h2')].some((h) => /Import finished|Import stopped/.test(h.textContent)),
    null,
    { polling: 250, timeout: TIMEOUT },
  );
  const finished = await now();
  if (trace) await writeFile(process.env.MINICRM_BENCH_TRACE, JSON.stringify(await trace()));
  const peak = await stopMemory();
  const tasks = await longest(clicked, finished);
  const how = online ? 'online, the sync pushing meanwhile' : 'offline';
  results.push(['whole import written on the device', seconds(finished - clicked), `${how}; ${reviewText.trim()}`, '<= 30 s']);
  results.push(['longest main-thread task while importing', `${tasks.longest.toFixed(0)} ms`, `${tasks.count} tasks over 50 ms${tasks.count ? ` (${tasks.top.join(', ')})` : ''}`, 'none over 50 ms']);
  results.push(['tab memory peak while importing (renderer RSS)', mib(peak), 'page and worker', '']);

  // Online: the sync pushes the import and pulls it back; the export runs after, idle.
  const stopSyncMemory = sampleMemory(profile);
  const syncTrace = process.env.MINICRM_BENCH_TRACE_SYNC ? await startTrace(page) : null;
  const syncing = await now();
  if (!online) await context.setOffline(false);
  await page.getByRole('link', { name: /All changes saved · synced/ }).waitFor({ timeout: TIMEOUT });
  const synced = await now();
  if (syncTrace) await writeFile(process.env.MINICRM_BENCH_TRACE_SYNC, JSON.stringify(await syncTrace()));
  const syncPeak = await stopSyncMemory();
  const syncTasks = await longest(syncing, synced);
  results.push(['sync of the import (push and pull back)', seconds(synced - syncing), `${online ? 'the rest after the import ended' : 'from going online'}; longest task ${syncTasks.longest.toFixed(0)} ms, ${syncTasks.count} over 50 ms; memory peak ${mib(syncPeak)}`, '']);

  // Export of every record, XLSX then CSV.
  await page.goto(`${server.base}/records`);
  await page.getByRole('status').filter({ hasText: /^[\d,]+ records?$/ }).waitFor({ timeout: TIMEOUT });
  // The page's start syncs: the export is timed with the sync idle.
  await page.getByRole('link', { name: /All changes saved · synced/ }).waitFor({ timeout: TIMEOUT });
  for (const [format, goal] of [['Excel workbook (XLSX)', '<= 10 s'], ['CSV', '<= 3 s']]) {
    await page.getByRole('button', { name: 'Export', exact: true }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel(format).check();
    const download = page.waitForEvent('download', { timeout: TIMEOUT });
    const go = await dialog.getByRole('button', { name: 'Export', exact: true }).elementHandle();
    const trace = format === 'CSV' && process.env.MINICRM_BENCH_TRACE_EXPORT ? await startTrace(page) : null;
    const asked = await now();
    await go.click();
    const saved = await download;
    const got = await now();
    if (trace) await writeFile(process.env.MINICRM_BENCH_TRACE_EXPORT, JSON.stringify(await trace()));
    const size = (await readFile(await saved.path())).length;
    const tasks = await longest(asked, got);
    results.push([`export of every record to ${format}`, seconds(got - asked), `${(size / 1048576).toFixed(1)} MiB; longest task ${tasks.longest.toFixed(0)} ms`, goal]);
    await page.keyboard.press('Escape');
  }
  await context.close();
} finally {
  await server.stop();
  // Chromium may still be writing its profile for a moment after closing.
  await rm(work, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
}

console.log(`\nimport and export, ${ROWS.toLocaleString('en')} rows (Chromium, on-disk profile)\n`);
const widths = [0, 1, 2, 3].map((i) => Math.max(...results.map((row) => String(row[i]).length)));
for (const row of results) console.log(row.map((cell, i) => String(cell).padEnd(widths[i])).join('  '));
