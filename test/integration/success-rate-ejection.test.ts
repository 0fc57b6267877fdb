// Success-rate ejection (gRPC A50) end to end in proxy mode, where the LB sees every outcome itself: among 6 backends,
// one failing 8 % of its calls (never enough for failure percentage, rarely three in a row) is ejected with
// evidence=success-rate and returns after its ejection time; the LB's log, its metrics and report all show it.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { defineCluster, withCluster } from '../helpers/cluster-kit.js';
import { freeBasePort } from '../helpers/free-base-port.js';
import { createSandbox, eventually, killLeftovers } from '../helpers/lbx-cli.js';

interface Sent {
  readonly summary: { readonly ok: number; readonly failed: number };
}
interface Reported {
  readonly backends: ReadonlyArray<{ readonly address: string; readonly ejections: number }>;
}

const TASKS = 1_000;
const sandbox = createSandbox('success-rate');
const ejection = suite('success-rate ejection');

ejection.after(() => {
  const leftovers = killLeftovers(sandbox);
  sandbox.dispose();
  if (leftovers.length > 0) throw new Error(`processes left behind: ${leftovers.join(', ')}`);
});

ejection('a backend failing 8 % beside 5 healthy ones is ejected by success rate, returns, and shows in log, metrics and report', async () => {
  const cluster = defineCluster<unknown, Sent, Reported>(sandbox, 'srate', await freeBasePort());
  // A request volume of 10 a second per backend: the interval is judged even on a loaded machine.
  const upArgs = ['--backends', '6', '--mode', 'proxy', '--success-rate-request-volume', '10'];
  await withCluster(sandbox, cluster, upArgs, 120_000, async () => {
    const sick = cluster.backend(1);
    await cluster.json(['fault', String(sick.port), '--errors', '8%']);
    // The proxy passes the backend's UNAVAILABLE back; the client's retries keep every task ok.
    const sent = await cluster.send(['--simple', String(TASKS), '--concurrency', '16', '--retries', '4']);
    assert.equal([sent.summary.ok, sent.summary.failed], [TASKS, 0]);

    const ejectedLines = (): string[] =>
      cluster
        .log('lb')
        .split('\n')
        .filter((line) => / ejected address=/.test(line));
    const isSuccessRateEjected = (): boolean => ejectedLines().some((line) => line.includes(`address=${sick.address} `) && line.includes('evidence=success-rate'));
    // At 8 % errors three failures in a row come about once in 2,000 calls, so now and then consecutive failures eject it
    // first (evidence=own-calls) and the send ends before it is back to be judged: a little more is sent then.
    const sawSuccessRate = await eventually(async () => {
      if (isSuccessRateEjected()) return true;
      await cluster.send(['--simple', '300', '--concurrency', '16', '--retries', '4']);
      return isSuccessRateEjected();
    }, 40_000);
    const ejected = ejectedLines();
    assert.ok(sawSuccessRate, `an ejection of ${sick.address} with evidence=success-rate:\n${ejected.join('\n')}`);
    assert.ok(
      ejected.every((line) => line.includes(`address=${sick.address} `)),
      `only the sick backend is ejected:\n${ejected.join('\n')}`,
    );
    // The send may end while it is still ejected (an ejection lasts base × times ejected): its return comes after.
    // The LB judges on traffic, so a little more is sent until the return shows (bounded by eventually's 40 s).
    const returned = await eventually(async () => {
      if (cluster.log('lb').includes(`returned address=${sick.address}`)) return true;
      await cluster.send(['--simple', '300', '--concurrency', '8', '--retries', '4']);
      return cluster.log('lb').includes(`returned address=${sick.address}`);
    }, 40_000);
    assert.ok(returned, 'it returns after its ejection time');

    const metrics = await (await fetch(`http://127.0.0.1:${cluster.basePort + 106}/metrics`)).text();
    const counted = new RegExp(`^lbx_lb_ejections_total\\{backend="${sick.address}",evidence="success-rate"\\} (\\d+)$`, 'm').exec(metrics);
    assert.ok(
      counted !== null && Number(counted[1]) >= 1,
      `lbx_lb_ejections_total counts it:\n${metrics
        .split('\n')
        .filter((line) => line.includes('ejection'))
        .join('\n')}`,
    );

    const report = await cluster.report();
    const sickRow = report.backends.find((backend) => backend.address === sick.address);
    assert.ok((sickRow?.ejections ?? 0) >= 1, `report: ${JSON.stringify(sickRow)}`);
    assert.ok(
      report.backends.filter((backend) => backend.address !== sick.address).every((backend) => backend.ejections === 0),
      'no healthy backend ejected',
    );
  });
});

ejection.run();
