// Prometheus metrics of a real cluster: the LB's picks and each backend's served count agree with what send saw.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { parseExposition, sumSamples, type Sample } from '../../src/runtime/metrics/parse-exposition.js';
import { createSandbox, killLeftovers } from '../helpers/lbx-cli.js';
import { withTimeout } from '../helpers/with-timeout.js';
import { freeBasePort } from '../helpers/free-base-port.js';

const BASE_PORT = await freeBasePort();
const LB_METRICS = `127.0.0.1:${BASE_PORT + 106}`;
const TASKS = 200;
const TEST_TIMEOUT_MS = 90_000;
const SCRAPE_TIMEOUT_MS = 3_000;

interface Component {
  name: string;
  role: string;
  address: string;
  metricsAddress?: string;
}
interface RunJson {
  policy: string;
  summary: { sent: number; ok: number; failed: number; backends: Array<{ address: string; ok: number }> };
}

const sandbox = createSandbox('metrics');
const metrics = suite('metrics');

metrics.after(async () => {
  await sandbox.run(['down']).catch(() => undefined);
  const leftovers = killLeftovers(sandbox);
  sandbox.dispose();
  if (leftovers.length > 0) throw new Error(`teardown had to kill leftover pids ${leftovers.join(', ')}`);
});

async function scrape(address: string, path = '/metrics'): Promise<{ status: number; contentType: string; body: string }> {
  const response = await fetch(`http://${address}${path}`, { signal: AbortSignal.timeout(SCRAPE_TIMEOUT_MS) });
  return { status: response.status, contentType: response.headers.get('content-type') ?? '', body: await response.text() };
}

const samplesAt = async (address: string): Promise<Sample[]> => {
  const answer = await scrape(address);
  assert.equal(answer.status, 200, `GET http://${address}/metrics`);
  return parseExposition(answer.body);
};

metrics('picks and served counters match what send reports per backend; status lists the addresses', async () => {
  try {
    await withTimeout(
      (async () => {
        await sandbox.json(['up', '--backends', '2', '--policy', 'rr', '--base-port', String(BASE_PORT)]);

        const status = await sandbox.json<{ components: Component[] }>(['status']);
        const byRole = (role: string) => status.components.filter((component) => component.role === role);
        assert.equal(
          byRole('lb').map((component) => component.metricsAddress),
          [LB_METRICS],
        );
        assert.equal(
          byRole('backend').map((component) => component.metricsAddress),
          [`127.0.0.1:${BASE_PORT + 111}`, `127.0.0.1:${BASE_PORT + 112}`],
        );
        assert.equal(byRole('registry')[0]?.metricsAddress, undefined);
        const table = await sandbox.run(['status']);
        assert.match(table.stdout, /METRICS/);
        assert.match(table.stdout, new RegExp(`http://${LB_METRICS}/metrics`));

        const run = await sandbox.json<RunJson>(['send', '--simple', String(TASKS)]);
        assert.equal([run.summary.sent, run.summary.ok, run.summary.failed], [TASKS, TASKS, 0]);
        assert.equal(run.summary.backends.length, 2);

        const lb = await samplesAt(LB_METRICS);
        assert.equal(sumSamples(lb, 'lbx_lb_picks_total'), TASKS, 'one pick per task, no retries');
        assert.equal(sumSamples(lb, 'lbx_lb_pick_duration_seconds_count'), TASKS);
        assert.equal(sumSamples(lb, 'lbx_lb_errors_total'), 0);
        for (const backend of run.summary.backends) {
          assert.equal(sumSamples(lb, 'lbx_lb_picks_total', { backend: backend.address, policy: 'round_robin' }), backend.ok, `LB picks of ${backend.address}`);
          assert.equal(sumSamples(lb, 'lbx_lb_backend_serving', { backend: backend.address }), 1);
          const component = byRole('backend').find((candidate) => candidate.address === backend.address);
          assert.ok(component?.metricsAddress, `status names ${backend.address}'s metrics`);
          const served = await samplesAt(component?.metricsAddress ?? '');
          assert.equal(sumSamples(served, 'lbx_backend_tasks_served_total', { type: 'SIMPLE' }), backend.ok, `served by ${backend.address}`);
          assert.equal(sumSamples(served, 'lbx_backend_task_service_seconds_count'), backend.ok);
          assert.equal(sumSamples(served, 'lbx_backend_in_flight'), 0);
        }
        assert.ok(sumSamples(lb, 'process_cpu_user_seconds_total') > 0, 'process metrics included');

        const wrongPath = await scrape(LB_METRICS, '/');
        assert.equal(wrongPath.status, 404);
        assert.match((await scrape(LB_METRICS)).contentType, /^text\/plain; version=0\.0\.4/);
      })(),
      TEST_TIMEOUT_MS,
      'metrics flow',
    );
  } catch (error) {
    throw new Error(`${error instanceof Error ? error.message : String(error)}\n${sandbox.logs()}`);
  }
});

metrics.run();
