// The live view's rates, shares and rendering: golden screen and plain lines (colour off) for a tiny cluster, and line truncation.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { toLiveSnapshot, type BackendSample, type LiveSample } from '../../src/core/live/live-snapshot.js';
import { renderLivePlain, renderLiveScreen } from '../../src/cli/live/render-live-view.js';
import { truncateVisible } from '../../src/cli/live/terminal-screen.js';

const T0_UNIX_MS = Date.UTC(2026, 0, 2, 3, 4, 5);

const backend = (port: number, served: number, extra: Partial<BackendSample> = {}): BackendSample => ({
  name: `backend-${port}`,
  address: `127.0.0.1:${port}`,
  health: 'serving',
  inFlight: 0,
  queueDepth: 0,
  served,
  servedIsLive: true,
  ejected: false,
  ...extra,
});

const sample = (atMs: number, picks: number, backends: BackendSample[]): LiveSample => ({
  atMs,
  atUnixMs: T0_UNIX_MS + atMs,
  cluster: 'default',
  policy: 'round_robin',
  lbAddress: '127.0.0.1:7100',
  lbReachable: true,
  picks,
  backends,
});

const first = sample(0, 100, [backend(7001, 60), backend(7002, 40), backend(7003, 0)]);
const second = sample(500, 400, [backend(7001, 260, { inFlight: 3, queueDepth: 2 }), backend(7002, 140, { ejected: true }), backend(7003, 0, { health: 'exited' })]);

const rates = suite('live view: rates and shares from two samples');

rates('the first refresh has no rates, only overall shares', () => {
  const snapshot = toLiveSnapshot(undefined, first);
  assert.equal(snapshot.picksPerSecond, undefined);
  assert.equal(
    snapshot.backends.map((entry) => [entry.requestsPerSecond, entry.windowShare, entry.overallShare]),
    [
      [undefined, undefined, 0.6],
      [undefined, undefined, 0.4],
      [undefined, undefined, 0],
    ],
  );
});

rates('per second over the window, window and overall shares', () => {
  const snapshot = toLiveSnapshot(first, second);
  assert.equal(snapshot.windowMs, 500);
  assert.equal(snapshot.picksPerSecond, 600);
  assert.equal(
    snapshot.backends.map((entry) => entry.requestsPerSecond),
    [400, 200, 0],
  );
  assert.equal(
    snapshot.backends.map((entry) => entry.windowShare),
    [200 / 300, 100 / 300, 0],
  );
  assert.equal(
    snapshot.backends.map((entry) => entry.overallShare),
    [0.65, 0.35, 0],
  );
});

rates('a backend that restarted (counter back to zero) or joined counts from zero', () => {
  const restarted = sample(1_000, 400, [backend(7001, 10), backend(7002, 140), backend(7004, 5)]);
  const snapshot = toLiveSnapshot(second, restarted);
  assert.equal(
    snapshot.backends.map((entry) => entry.requestsPerSecond),
    [20, 0, 10],
  );
});

rates('a figure that did not come live (the backend or the LB did not answer) gives no rate, now or at the next refresh', () => {
  // 7001 did not answer: its figure is the LB's stale report, far below what it has served by now.
  const stale = sample(1_000, 400, [backend(7001, 60, { servedIsLive: false, health: 'unreachable' }), backend(7002, 190)]);
  const during = toLiveSnapshot(second, stale);
  assert.equal(
    during.backends.map((entry) => entry.requestsPerSecond),
    [undefined, 100],
  );
  // Back again with its lifetime count: the window since the stale sample must not be credited with it.
  const back = toLiveSnapshot(stale, sample(1_500, 450, [backend(7001, 51_000), backend(7002, 240)]));
  assert.equal(
    back.backends.map((entry) => entry.requestsPerSecond),
    [undefined, 100],
  );
  // The LB did not answer either side: no picks per second rather than a spike.
  const lbDown = toLiveSnapshot(second, { ...stale, lbReachable: false, picks: 0 });
  assert.is(lbDown.picksPerSecond, undefined);
});

rates('nothing served in the window: no window shares, zero rates', () => {
  const snapshot = toLiveSnapshot(first, sample(1_000, 100, first.backends.slice()));
  assert.equal(
    snapshot.backends.map((entry) => [entry.requestsPerSecond, entry.windowShare]),
    [
      [0, undefined],
      [0, undefined],
      [0, undefined],
    ],
  );
});

rates.run();

const render = suite('live view: golden output, colour off');

render('the terminal screen', () => {
  const lines = renderLiveScreen(toLiveSnapshot(first, second), { color: false, intervalMs: 1_000, title: 'lbx top' });
  assert.equal(
    lines.join('\n'),
    [
      'lbx top · cluster "default" · policy round_robin · LB 127.0.0.1:7100 · picks 600/s · every 1000 ms · q to quit',
      '',
      'BACKEND       ADDRESS         HEALTH   EJECTED  IN FLIGHT  QUEUE  REQ/S  WINDOW  OVERALL  SERVED',
      'backend-7001  127.0.0.1:7001  serving  no               3      2    400   66.7%    65.0%     260',
      'backend-7002  127.0.0.1:7002  serving  yes              0      0    200   33.3%    35.0%     140',
      'backend-7003  127.0.0.1:7003  exited   no               0      0      0    0.0%     0.0%       0',
    ].join('\n'),
  );
});

render('the first screen, the LB unreachable, and no backends', () => {
  const lines = renderLiveScreen(toLiveSnapshot(undefined, { ...first, lbReachable: false }), { color: false, intervalMs: 500, title: 'lbx report --watch' });
  assert.equal(lines[0], 'lbx report --watch · cluster "default" · policy round_robin · LB 127.0.0.1:7100 unreachable · picks -/s · every 500 ms · q to quit');
  assert.equal(lines[3], 'backend-7001  127.0.0.1:7001  serving  no               0      0      -       -    60.0%      60');
  const empty = renderLiveScreen(toLiveSnapshot(undefined, sample(0, 0, [])), { color: false, intervalMs: 1_000, title: 'lbx top' });
  assert.equal(empty.slice(1), ['', '(no backends)']);
});

render('colour on paints only the health', () => {
  const lines = renderLiveScreen(toLiveSnapshot(first, second), { color: true, intervalMs: 1_000, title: 'lbx top' });
  assert.ok(lines[3]?.includes('\u001B[32mserving\u001B[0m'), lines[3]);
  assert.ok(lines[5]?.includes('\u001B[31mexited\u001B[0m'), lines[5]);
  assert.equal(lines.filter((line) => line.includes('\u001B[')).length, 3);
});

render('plain lines: one per backend, self-contained', () => {
  assert.equal(renderLivePlain(toLiveSnapshot(first, second)), [
    '2026-01-02T03:04:05.500Z backend-7001 127.0.0.1:7001 health=serving ejected=no inFlight=3 queue=2 rps=400 window=66.7% overall=65.0% served=260 policy=round_robin lbPicksPerSecond=600',
    '2026-01-02T03:04:05.500Z backend-7002 127.0.0.1:7002 health=serving ejected=yes inFlight=0 queue=0 rps=200 window=33.3% overall=35.0% served=140 policy=round_robin lbPicksPerSecond=600',
    '2026-01-02T03:04:05.500Z backend-7003 127.0.0.1:7003 health=exited ejected=no inFlight=0 queue=0 rps=0 window=0.0% overall=0.0% served=0 policy=round_robin lbPicksPerSecond=600',
  ]);
  assert.equal(renderLivePlain(toLiveSnapshot(undefined, { ...sample(0, 0, []), lbReachable: false })), [
    '2026-01-02T03:04:05.000Z - backends=0 policy=round_robin lbPicksPerSecond=- lb=unreachable',
  ]);
});

render.run();

const truncate = suite('live view: cutting lines to the terminal width');

truncate('plain text is cut at the width; shorter lines are kept', () => {
  assert.equal(truncateVisible('abcdef', 4), 'abcd');
  assert.equal(truncateVisible('abc', 4), 'abc');
  assert.equal(truncateVisible('abcd', 4), 'abcd');
});

truncate('escape sequences are not counted and a cut coloured line ends with a reset', () => {
  assert.equal(truncateVisible('\u001B[32mserving\u001B[0m now', 7), '\u001B[32mserving\u001B[0m\u001B[0m');
  assert.equal(truncateVisible('ab\u001B[31mcd\u001B[0m', 10), 'ab\u001B[31mcd\u001B[0m');
});

truncate.run();
