// Proxy mode: clients call the LB, which forwards each task; accounting still reconciles per real backend.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { createSandbox, killLeftovers } from '../helpers/lbx-cli.js';
import { freeBasePort } from '../helpers/free-base-port.js';

const BASE_PORT = await freeBasePort();
const SLOW = `127.0.0.1:${BASE_PORT + 3}`;

interface RunJson {
  mode: string;
  policy: string;
  summary: { ok: number; failed: number; backends: Array<{ address: string; ok: number }> };
}
interface ReportJson {
  mode: string;
  reconciliation: { matches: boolean };
  runs: Array<{ mode: string }>;
}

const sandbox = createSandbox('proxy');
const proxy = suite('--mode proxy');

proxy.before(async () => {
  await sandbox.json(['up', '--mode', 'proxy', '--policy', 'lc', '--backends', '3', '--speeds', '1,1,0.25', '--base-port', String(BASE_PORT)]);
});

proxy.after(async () => {
  await sandbox.run(['down']).catch(() => undefined);
  killLeftovers(sandbox);
  sandbox.dispose();
});

proxy('tasks go through the LB and are credited to the backend that served them', async () => {
  const run = await sandbox.json<RunJson>(['send', '--simple', '300']);
  assert.equal([run.mode, run.policy, run.summary.ok, run.summary.failed], ['proxy', 'least_connections', 300, 0]);
  assert.equal(run.summary.backends.length, 3, 'ok counts name the real backends, not the LB');
  assert.not.ok(run.summary.backends.some((backend) => backend.address.endsWith(`:${BASE_PORT + 100}`)));
});

proxy('least connections sees exact in-flight counts and spares the slow backend', async () => {
  const run = await sandbox.json<RunJson>(['send', '--heavy', '90', '--concurrency', '9']);
  assert.equal(run.summary.failed, 0);
  const slow = run.summary.backends.find((backend) => backend.address === SLOW)?.ok ?? 0;
  assert.ok(slow / 90 < 0.25, `slow backend got ${slow} of 90 heavy tasks`);
});

proxy('a crashed backend costs no request; counts reconcile; report says proxy', async () => {
  const kill = await sandbox.run(['kill', String(BASE_PORT + 1)]);
  assert.equal(kill.exitCode, 0, kill.stderr);
  const run = await sandbox.json<RunJson>(['send', '--simple', '500']);
  assert.equal([run.summary.ok, run.summary.failed], [500, 0]);
  const report = await sandbox.json<ReportJson>(['report']);
  assert.equal(report.mode, 'proxy');
  assert.ok(report.reconciliation.matches, 'client ok equals what each live backend served');
  assert.ok(report.runs.every((saved) => saved.mode === 'proxy'));
});

proxy.run();
