// How often an idle cluster talks to itself: check intervals that grow with the cluster, load reports only on news or a heartbeat.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { isReportDue, MAX_SCALED_CHECK_INTERVAL_MS, scaledCheckIntervalMs, type ActivityFigures } from '../../src/core/scale/idle-cost.js';
import { backendArgvOf, hostIndexOf } from '../../src/runtime/supervisor/backend-hosts.js';
import { hasBackendMetricsPort, lastBackendPort, portLayout, portsToBind } from '../../src/runtime/cluster/ports.js';

const intervals = suite('scaledCheckIntervalMs');

intervals('a small lab keeps the base interval; a big one checks each backend less often, up to 10 s', () => {
  assert.is(scaledCheckIntervalMs(1_000, 1), 1_000);
  assert.is(scaledCheckIntervalMs(1_000, 8), 1_000);
  assert.is(scaledCheckIntervalMs(1_000, 16), 2_000);
  assert.is(scaledCheckIntervalMs(1_000, 64), 8_000);
  assert.is(scaledCheckIntervalMs(1_000, 256), MAX_SCALED_CHECK_INTERVAL_MS);
  // Never faster than asked for, even when the base is already slow.
  assert.is(scaledCheckIntervalMs(20_000, 64), 20_000);
});

intervals('the whole cluster does about 8 checks per base interval up to the cap', () => {
  for (const backends of [16, 24, 40, 64, 80]) {
    const checksPerSecond = backends / (scaledCheckIntervalMs(1_000, backends) / 1_000);
    assert.ok(Math.abs(checksPerSecond - 8) < 0.01, `${backends} backends: ${checksPerSecond} checks/s`);
  }
});

intervals.run();

const reports = suite('isReportDue');
const idle: ActivityFigures = { inFlight: 0, queueDepth: 0, servedSimple: 10, servedHeavy: 2 };

reports('the first report always goes, then an idle backend only sends a heartbeat', () => {
  assert.ok(isReportDue(undefined, idle, 0, 5_000));
  assert.not.ok(isReportDue(idle, idle, 500, 5_000));
  assert.not.ok(isReportDue(idle, idle, 4_999, 5_000));
  assert.ok(isReportDue(idle, idle, 5_000, 5_000));
});

reports('work in flight or queued, now or at the last report, or served totals that moved: every tick', () => {
  assert.ok(isReportDue(idle, { ...idle, inFlight: 1 }, 500, 5_000));
  assert.ok(isReportDue(idle, { ...idle, queueDepth: 3 }, 500, 5_000));
  // The report that says "back to 0" goes out too, or the LB would keep the busy figure until it went stale.
  assert.ok(isReportDue({ ...idle, inFlight: 2 }, idle, 500, 5_000));
  assert.ok(isReportDue(idle, { ...idle, servedSimple: 11 }, 500, 5_000));
  assert.ok(isReportDue(idle, { ...idle, servedHeavy: 3 }, 500, 5_000));
});

reports.run();

const dense = suite('dense layout');

dense('backends past the 64th take base+200 on and have no metrics port; the rest is unchanged', () => {
  const layout = portLayout(7_000);
  assert.is(layout.backend(0), 7_001);
  assert.is(layout.backend(63), 7_064);
  assert.is(layout.backend(64), 7_200);
  assert.is(layout.backend(255), 7_391);
  assert.is(lastBackendPort(7_000, 256), 7_391);
  assert.ok(hasBackendMetricsPort(7_000, 7_064));
  assert.not.ok(hasBackendMetricsPort(7_000, 7_200));
  const ports = portsToBind(layout, 256, 'embedded').map((entry) => entry.port);
  assert.is(new Set(ports).size, ports.length, 'no port bound twice');
  assert.is(ports.filter((port) => port >= 7_200).length, 192);
});

dense('a backend runs in host (port - base) mod K, and its worker gets the flags after `serve backend`', () => {
  assert.equal(
    [7_001, 7_002, 7_003, 7_004].map((port) => hostIndexOf(port, 7_000, 2)),
    [1, 0, 1, 0],
  );
  const command = { file: '/usr/bin/node', args: ['--max-semi-space-size=1', '/x/bin/lbx.js', 'serve', 'backend', '--port', '7001', '--cluster-dir', '/c'] };
  assert.equal(backendArgvOf(command), ['--port', '7001', '--cluster-dir', '/c']);
  assert.throws(() => backendArgvOf({ file: 'x', args: ['serve', 'lb'] }), /not a backend command/);
});

dense.run();
