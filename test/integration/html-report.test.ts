// The HTML pages in a real browser: `lbx report --html` of a live cluster and a bench page, opened in headless Chromium.
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { renderBenchHtml } from '../../src/cli/html/render-bench-html.js';
import { fetchLoadHistory } from '../../src/runtime/lb/load-history-client.js';
import { chartsInDom, consoleErrorsIn, dumpDom, findChromium, takeScreenshot } from '../helpers/chromium.js';
import { syntheticBenchResult } from '../helpers/html-fixtures.js';
import { createSandbox, eventually, killLeftovers } from '../helpers/lbx-cli.js';
import { withTimeout } from '../helpers/with-timeout.js';
import { freeBasePort } from '../helpers/free-base-port.js';

const BASE_PORT = await freeBasePort();
const MAX_HTML_BYTES = 200_000;
// Six reports (about 3 s) span several 1 s intervals, so each backend draws a line rather than lone dots even when a report is late.
const MIN_REPORTS_PER_BACKEND = 3;
/** Longer than the busy reports of the run: the history reaches an idle heartbeat (IDLE_HEARTBEAT_MS after the last change). */
const MIN_HISTORY_SPAN_MS = 4_000;
const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47]);
/** Where the lead finds one screenshot to look at. */
const SHARED_SCREENSHOT = '/tmp/lbx-report-screenshot.png';

const browser = findChromium();
const sandbox = createSandbox('html');
const outputDir = mkdtempSync(path.join(os.tmpdir(), 'lbx-html-'));
const test = suite('html pages in headless chromium');

test.after(async () => {
  await sandbox.run(['down']).catch(() => undefined);
  const leftovers = killLeftovers(sandbox);
  sandbox.dispose();
  rmSync(outputDir, { recursive: true, force: true });
  if (leftovers.length > 0) throw new Error(`teardown had to kill leftover pids ${leftovers.join(', ')}`);
});

/** Opens `file`, checks every expected chart rendered with data and the console stayed quiet; returns the charts found. */
async function checkInBrowser(file: string, expectedCharts: readonly string[]): Promise<{ chart: string; points: number }[]> {
  const html = readFileSync(file, 'utf8');
  assert.ok(html.length < MAX_HTML_BYTES, `${file} is ${html.length} bytes`);
  // Self-contained: nothing a viewer's browser would fetch.
  assert.not.match(html, /<script|<link|(src|href)=|https?:\/\/|@import|url\(/);

  const dom = await dumpDom(browser!, file);
  assert.is(dom.exitCode, 0, dom.stderr);
  const charts = chartsInDom(dom.stdout);
  assert.equal([...new Set(charts.map((entry) => entry.chart))].sort(), [...expectedCharts].sort(), `charts in the rendered DOM: ${JSON.stringify(charts)}`);
  assert.ok(
    charts.every((entry) => entry.points > 0),
    `every chart has data: ${JSON.stringify(charts)}`,
  );
  assert.ok(/<svg[^>]*>.*<rect class="bar"/s.test(dom.stdout), 'bars drawn');
  assert.equal(consoleErrorsIn(dom.stderr), [], 'no console errors');

  const png = file.replace(/\.html$/, '.png');
  const shot = await takeScreenshot(browser!, file, png);
  assert.is(shot.exitCode, 0, shot.stderr);
  assert.equal(consoleErrorsIn(shot.stderr), [], 'no console errors');
  const bytes = readFileSync(png);
  assert.ok(bytes.subarray(0, 4).equals(PNG_MAGIC), `${png} is a PNG`);
  // A blank 1280×2000 page compresses to a few KB; charts make it far larger.
  assert.ok(bytes.length > 20_000, `${png} is only ${bytes.length} bytes`);
  console.log(`  screenshot ${png} (${bytes.length} bytes) of ${path.basename(file)} (${html.length} bytes)`);
  return charts;
}

if (!browser) console.log('html-report: skipped — no chromium at /usr/bin/chromium or /usr/bin/chromium-browser (npm run setup installs it)');
const browserTest = browser ? test : test.skip;

browserTest('lbx report --html of a live cluster: per-backend bars, run latency and throughput, load over time', async () => {
  try {
    await withTimeout(
      (async () => {
        await sandbox.json(['up', '--backends', '3', '--base-port', String(BASE_PORT)], { timeoutMs: 60_000 });
        const run = await sandbox.json<{ summary: { ok: number; failed: number } }>(['send', '--simple', '500', '--heavy', '10']);
        assert.equal([run.summary.ok, run.summary.failed], [510, 0]);
        // Reports arrive every 500 ms while busy and every 5 s when idle: wait until every backend has a few in the LB's
        // history, so the lines have several points.
        const lbAddress = `127.0.0.1:${BASE_PORT + 100}`;
        const historyReady = async (): Promise<boolean> => {
          const fetched = await fetchLoadHistory(lbAddress);
          if (!('backends' in fetched) || fetched.backends.length !== 3) return false;
          // …and a heartbeat after the run, so each line crosses an idle silence that the held reports bridge.
          const spanMs = (points: readonly { atUnixMs: number }[]): number => (points.at(-1)?.atUnixMs ?? 0) - (points[0]?.atUnixMs ?? 0);
          return fetched.backends.every((backend) => backend.points.length >= MIN_REPORTS_PER_BACKEND && spanMs(backend.points) >= MIN_HISTORY_SPAN_MS);
        };
        assert.ok(await eventually(historyReady, 30_000), `each backend has ${MIN_REPORTS_PER_BACKEND} load reports in the LB's history`);

        const file = path.join(outputDir, 'report.html');
        const written = await sandbox.run(['report', '--html', file]);
        assert.is(written.exitCode, 0, written.stderr);
        assert.match(written.stderr, `wrote ${file}`);
        // The terminal report is still printed as before.
        assert.match(written.stdout, `127.0.0.1:${BASE_PORT + 1}`);

        const charts = await checkInBrowser(file, [
          'requests-per-backend',
          'share-per-backend',
          'latency-percentiles',
          'throughput',
          'load-utilisation',
          'load-in-flight',
          'load-cpu',
        ]);
        // 3 backends × (served, assigned, client ok); one run × 4 percentiles.
        assert.is(charts.find((entry) => entry.chart === 'requests-per-backend')?.points, 9);
        assert.is(charts.find((entry) => entry.chart === 'latency-percentiles')?.points, 4);
        // Each of the 3 backends reported at least MIN_REPORTS_PER_BACKEND times since it started.
        assert.ok((charts.find((entry) => entry.chart === 'load-utilisation')?.points ?? 0) >= 3 * MIN_REPORTS_PER_BACKEND, JSON.stringify(charts));
        // Drawn as paths on nice axes: a time axis from 0 s, whole task counts.
        const dom = (await dumpDom(browser!, file)).stdout;
        // Lines join their points: idle backends report on change (every 5 s) and a report stands until the next.
        assert.match(dom, /<path class="line" d="M[\d.-]+,[\d.-]+L/);
        assert.match(dom, />0 s<\/text>/);
        const html = readFileSync(file, 'utf8');
        for (const port of [BASE_PORT + 1, BASE_PORT + 2, BASE_PORT + 3]) assert.ok(html.includes(`127.0.0.1:${port}`), `backend ${port} named in the page`);
        copyFileSync(file.replace(/\.html$/, '.png'), SHARED_SCREENSHOT);
        console.log(`  copied to ${SHARED_SCREENSHOT} (${statSync(SHARED_SCREENSHOT).size} bytes)`);
      })(),
      120_000,
      'report --html in chromium',
    );
  } catch (error) {
    console.error(sandbox.logs());
    throw error;
  }
});

browserTest('a bench page: requests per backend per policy, latency percentiles, throughput, load over time per policy', async () => {
  await withTimeout(
    (async () => {
      const result = syntheticBenchResult();
      const file = path.join(outputDir, 'bench.html');
      writeFileSync(file, renderBenchHtml(result));
      const charts = await checkInBrowser(file, ['requests-per-backend', 'latency-percentiles', 'throughput', 'load-over-time']);
      // 3 policies × 3 backends; one load chart per policy.
      assert.is(charts.find((entry) => entry.chart === 'requests-per-backend')?.points, 9);
      assert.is(charts.filter((entry) => entry.chart === 'load-over-time').length, result.policies.length);
    })(),
    60_000,
    'bench html in chromium',
  );
});

test.run();
