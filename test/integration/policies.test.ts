// Policies route real traffic as they promise, selected on `up` and switched at run time with `lbx policy`.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { createSandbox, killLeftovers } from '../helpers/lbx-cli.js';
import { freeBasePort } from '../helpers/free-base-port.js';

const BASE_PORT = await freeBasePort();
const [B1, B2, B3] = [1, 2, 3].map((offset) => `127.0.0.1:${BASE_PORT + offset}`) as [string, string, string];

interface RunJson {
  policy: string;
  summary: { ok: number; failed: number; backends: Array<{ address: string; ok: number; share: number }> };
}
interface ReportJson {
  policy: string;
  backends: Array<{ address: string; speed: number; weight: number; assignedByPolicy: Record<string, number> }>;
}

const sandbox = createSandbox('policies');
const policies = suite('policies on a live cluster (weights 1,1,2; speeds 1,1,0.25)');

policies.before(async () => {
  // Reports every 100 ms: look-aside least_load estimates from reports, and a short run would see only a few at 500 ms.
  await sandbox.json(['up', '--backends', '3', '--policy', 'pf', '--weights', '1,1,2', '--speeds', '1,1,0.25', '--report-interval', '100', '--base-port', String(BASE_PORT)]);
});

policies.after(async () => {
  await sandbox.run(['down']).catch(() => undefined);
  killLeftovers(sandbox);
  sandbox.dispose();
});

const send = async (args: string[]): Promise<Map<string, number>> => {
  const run = await sandbox.json<RunJson>(['send', ...args]);
  assert.equal(run.summary.failed, 0);
  return new Map(run.summary.backends.map((backend) => [backend.address, backend.ok]));
};

const switchTo = async (policy: string, ...flags: string[]): Promise<void> => {
  const result = await sandbox.json<{ policy: string }>(['policy', policy, ...flags]);
  assert.ok(result.policy.length > 0);
};

policies('pick_first (chosen on up) sends everything to the first backend', async () => {
  // The other two are listed with 0: a send shows every ready backend, also one the policy never chose.
  assert.equal(
    [...(await send(['--simple', '300']))],
    [
      [B1, 300],
      [B2, 0],
      [B3, 0],
    ],
  );
});

policies('round_robin, switched at run time, visits each backend equally', async () => {
  await switchTo('rr');
  assert.equal(
    [...(await send(['--simple', '300']))],
    [
      [B1, 100],
      [B2, 100],
      [B3, 100],
    ],
  );
});

policies('weighted_round_robin follows the weights exactly', async () => {
  await switchTo('wrr');
  assert.equal(
    [...(await send(['--simple', '400']))],
    [
      [B1, 100],
      [B2, 100],
      [B3, 200],
    ],
  );
});

policies('consistent_hash sends a key to the same backend every time', async () => {
  await switchTo('ch');
  const first = await send(['--simple', '300', '--keys', '30', '--seed', '1']);
  const second = await send(['--simple', '300', '--keys', '30', '--seed', '2']);
  assert.equal([...first], [...second]);
  assert.equal(
    [...(await send(['--simple', '50', '--key', 'user-42'])).values()].filter((ok) => ok > 0),
    [50],
  );
});

policies('least_load gives the slow backend (speed 0.25) fewer heavy tasks', async () => {
  await switchTo('ll');
  const counts = await send(['--heavy', '150', '--concurrency', '9']);
  const slowShare = (counts.get(B3) ?? 0) / 150;
  assert.ok(slowShare < 0.25, `slow backend got ${Math.round(slowShare * 100)}% of heavy tasks under least_load`);
});

for (const policy of ['lc', 'ewma']) {
  policies(`${policy}, with look-aside completion reports, gives the slow backend fewer heavy tasks`, async () => {
    await switchTo(policy);
    const counts = await send(['--heavy', '150', '--concurrency', '9']);
    const slowShare = (counts.get(B3) ?? 0) / 150;
    assert.ok(slowShare < 0.25, `slow backend got ${Math.round(slowShare * 100)}% of heavy tasks under ${policy}`);
  });
}

for (const policy of ['p2c', 'random']) {
  policies(`${policy} spreads SIMPLE tasks over every backend`, async () => {
    await switchTo(policy);
    const counts = await send(['--simple', '300']);
    assert.equal([...counts.keys()].sort(), [B1, B2, B3]);
    for (const [address, count] of counts) assert.ok(count >= 30, `${address} got only ${count} of 300 under ${policy}`);
  });
}

policies('report shows speeds, weights and who assigned what under which policy', async () => {
  await switchTo('ll');
  const report = await sandbox.json<ReportJson>(['report']);
  assert.equal(report.policy, 'least_load');
  assert.equal(
    report.backends.map((backend) => [backend.speed, backend.weight]),
    [
      [1, 1],
      [1, 1],
      [0.25, 2],
    ],
  );
  const first = report.backends[0]?.assignedByPolicy ?? {};
  assert.equal([first.pick_first, first.round_robin, first.weighted_round_robin], [300, 100, 100]);
  const status = await sandbox.json<{ policy: string }>(['status']);
  assert.equal(status.policy, 'least_load');
});

policies('an unknown policy is a usage error and the active one stays', async () => {
  const result = await sandbox.run(['policy', 'fastest']);
  assert.equal(result.exitCode, 2);
  assert.match(result.stderr, /unknown policy "fastest"/);
  assert.equal((await sandbox.json<{ policy: string }>(['policy'])).policy, 'least_load');
});

policies.run();
