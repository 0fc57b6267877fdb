// The LB's load history: a bounded ring per backend, oldest first, filtered by time, with a cap on backends.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { LoadHistory } from '../../src/runtime/lb/load-history.js';

const report = (inFlight: number) => ({ inFlight, queueDepth: Math.max(0, inFlight - 1), cpuPercent: inFlight * 10 });

const test = suite('LoadHistory');

test('keeps points per backend oldest first, sorted by port', () => {
  const history = new LoadHistory();
  history.record('127.0.0.1:10001', report(1), 1_000);
  history.record('127.0.0.1:7002', report(2), 1_100);
  history.record('127.0.0.1:10001', report(3), 1_500);
  const snapshot = history.snapshot();
  assert.equal(
    snapshot.map((entry) => entry.address),
    ['127.0.0.1:7002', '127.0.0.1:10001'],
  );
  assert.equal(snapshot[1]!.points, [
    { atUnixMs: 1_000, inFlight: 1, queueDepth: 0, cpuPercent: 10 },
    { atUnixMs: 1_500, inFlight: 3, queueDepth: 2, cpuPercent: 30 },
  ]);
});

test('a full ring overwrites its oldest points and stays in order', () => {
  const history = new LoadHistory({ pointsPerBackend: 3 });
  for (let index = 0; index < 8; index += 1) history.record('a:1', report(index), index * 500);
  assert.equal(
    history.snapshot()[0]!.points.map((point) => point.inFlight),
    [5, 6, 7],
  );
});

test('bounded over thousands of reports', () => {
  const history = new LoadHistory({ pointsPerBackend: 1_200 });
  for (let index = 0; index < 5_000; index += 1) history.record('a:1', report(index % 7), index * 500);
  const points = history.snapshot()[0]!.points;
  assert.is(points.length, 1_200);
  assert.is(points[0]!.atUnixMs, 3_800 * 500);
  assert.ok(points.every((point, index) => index === 0 || point.atUnixMs > points[index - 1]!.atUnixMs));
});

test('since filters older points out and drops backends left empty', () => {
  const history = new LoadHistory();
  history.record('a:1', report(1), 1_000);
  history.record('b:2', report(2), 2_000);
  history.record('b:2', report(3), 3_000);
  assert.equal(history.snapshot(2_500), [{ address: 'b:2', points: [{ atUnixMs: 3_000, inFlight: 3, queueDepth: 2, cpuPercent: 30 }] }]);
});

test('beyond maxBackends the backend reported to longest ago is forgotten', () => {
  const history = new LoadHistory({ maxBackends: 2 });
  history.record('a:1', report(1), 1_000);
  history.record('b:2', report(1), 2_000);
  history.record('a:1', report(1), 3_000);
  history.record('c:3', report(1), 4_000);
  assert.equal(
    history.snapshot().map((entry) => entry.address),
    ['a:1', 'c:3'],
  );
});

test.run();
