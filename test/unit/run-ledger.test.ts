// RunLedger and reconcile: the accounting of one send run and its check against the backends.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { compareAddresses } from '../../src/core/address-order.js';
import { reconcile, RunLedger, withIdleBackends } from '../../src/core/stats/run-ledger.js';

const test = suite('RunLedger');

test('an empty run is all zeros', () => {
  const summary = new RunLedger().summary(0);
  assert.equal(summary, {
    sent: 0,
    ok: 0,
    failed: 0,
    retried: 0,
    failuresByReason: {},
    attemptFailuresByReason: {},
    attemptFailuresWithoutBackend: 0,
    elapsedMs: 0,
    throughputPerSec: 0,
    latencyMs: { p50: 0, p90: 0, p99: 0, p999: 0, max: 0, mean: 0 },
    backends: [],
  });
});

test('sent = ok + failed, with retries, reasons and per-backend errors', () => {
  const ledger = new RunLedger();
  for (let i = 0; i < 3; i += 1) ledger.recordOk('127.0.0.1:7001', 1_000);
  ledger.recordOk('127.0.0.1:7002', 3_000);
  // One request: fails at 7002, retried, succeeds at 7001.
  ledger.recordAttemptFailure('127.0.0.1:7002', 'UNAVAILABLE');
  ledger.recordRetry();
  ledger.recordOk('127.0.0.1:7001', 2_000);
  // Two requests that end failed, one after a failed attempt at 7003.
  ledger.recordAttemptFailure('127.0.0.1:7003', 'DEADLINE_EXCEEDED');
  ledger.recordFailed('DEADLINE_EXCEEDED', 5_000);
  ledger.recordFailed('no backend', 10);

  const summary = ledger.summary(2_000);
  assert.is(summary.ok, 5);
  assert.is(summary.failed, 2);
  assert.is(summary.sent, 7);
  assert.is(summary.retried, 1);
  assert.equal(summary.failuresByReason, { DEADLINE_EXCEEDED: 1, 'no backend': 1 });
  assert.equal(summary.attemptFailuresByReason, { DEADLINE_EXCEEDED: 1, UNAVAILABLE: 1 });
  assert.is(summary.throughputPerSec, 3.5);
  assert.is(summary.latencyMs.max, 5);
  assert.equal(
    summary.backends.map(({ address, ok, share, errors }) => ({ address, ok, share, errors })),
    [
      { address: '127.0.0.1:7001', ok: 4, share: 0.8, errors: 0 },
      { address: '127.0.0.1:7002', ok: 1, share: 0.2, errors: 1 },
      { address: '127.0.0.1:7003', ok: 0, share: 0, errors: 1 },
    ],
  );
  assert.equal(summary.backends[0]?.latencyMs, { p50: 1, p99: 2 });
});

test('shares of ok add up to 1', () => {
  const ledger = new RunLedger();
  const ports = [7001, 7002, 7003];
  for (let i = 0; i < 300; i += 1) ledger.recordOk(`127.0.0.1:${ports[i % 3]}`, 100);
  const shares = ledger.summary(1_000).backends.map((backend) => backend.share);
  assert.equal(
    shares.map((share) => Math.round(share * 1_000) / 1_000),
    [0.333, 0.333, 0.333],
  );
  assert.ok(Math.abs(shares.reduce((sum, share) => sum + share, 0) - 1) < 1e-9);
});

test('failure reasons are listed most frequent first', () => {
  const ledger = new RunLedger();
  ledger.recordFailed('b', 1);
  ledger.recordFailed('a', 1);
  ledger.recordFailed('c', 1);
  ledger.recordFailed('c', 1);
  assert.equal(Object.keys(ledger.summary(1).failuresByReason), ['c', 'a', 'b']);
});

test('backends are sorted by port number, not as text', () => {
  const ledger = new RunLedger();
  for (const address of ['127.0.0.1:10001', '127.0.0.1:9000', 'localhost:7002', '[::1]:7001']) ledger.recordOk(address, 1);
  assert.equal(
    ledger.summary(1).backends.map((backend) => backend.address),
    ['[::1]:7001', 'localhost:7002', '127.0.0.1:9000', '127.0.0.1:10001'],
  );
});

test('compareAddresses: same port by host; no port last', () => {
  assert.equal(['b:7001', 'nohost', 'a:7001', 'c:80'].sort(compareAddresses), ['c:80', 'a:7001', 'b:7001', 'nohost']);
});

test.run();

const reconcileTest = suite('reconcile');

reconcileTest('matches when every count agrees', () => {
  const result = reconcile({ '127.0.0.1:7002': 5, '127.0.0.1:7001': 3 }, { '127.0.0.1:7001': 3, '127.0.0.1:7002': 5 });
  assert.equal(result, {
    matches: true,
    rows: [
      { address: '127.0.0.1:7001', clientOk: 3, backendServed: 3, difference: 0, failedAttempts: 0, lostAnswers: 0, lateAnswers: 0 },
      { address: '127.0.0.1:7002', clientOk: 5, backendServed: 5, difference: 0, failedAttempts: 0, lostAnswers: 0, lateAnswers: 0 },
    ],
  });
});

reconcileTest('a different count or an address missing on one side is a mismatch', () => {
  const result = reconcile({ '127.0.0.1:7001': 3, '127.0.0.1:7003': 1 }, { '127.0.0.1:7001': 4, '127.0.0.1:7002': 2 });
  assert.is(result.matches, false);
  assert.equal(result.rows, [
    { address: '127.0.0.1:7001', clientOk: 3, backendServed: 4, difference: -1, failedAttempts: 0, lostAnswers: 0, lateAnswers: 0 },
    { address: '127.0.0.1:7002', clientOk: 0, backendServed: 2, difference: -2, failedAttempts: 0, lostAnswers: 0, lateAnswers: 0 },
    { address: '127.0.0.1:7003', clientOk: 1, backendServed: 0, difference: 1, failedAttempts: 0, lostAnswers: 0, lateAnswers: 0 },
  ]);
});

reconcileTest('a surplus a crash explains (no more than the failed attempts there) is lost answers, not a mismatch', () => {
  const explained = reconcile({ '127.0.0.1:7001': 10 }, { '127.0.0.1:7001': 12 }, { '127.0.0.1:7001': 2 });
  assert.is(explained.matches, true);
  assert.is(explained.rows[0]?.lostAnswers, 2);
  // One more than the failed attempts: some task was counted that no client ever asked for twice.
  const unexplained = reconcile({ '127.0.0.1:7001': 10 }, { '127.0.0.1:7001': 13 }, { '127.0.0.1:7001': 2 });
  assert.is(unexplained.matches, false);
  assert.is(unexplained.rows[0]?.lostAnswers, 0);
  // Through a proxy, failures pinned on no backend explain a surplus anywhere, up to their total.
  const proxied = reconcile({ '127.0.0.1:7001': 10, '127.0.0.1:7002': 5 }, { '127.0.0.1:7001': 11, '127.0.0.1:7002': 7 }, {}, 3);
  assert.is(proxied.matches, true);
  assert.equal(
    proxied.rows.map((row) => row.lostAnswers),
    [1, 2],
  );
  assert.is(reconcile({ '127.0.0.1:7001': 10, '127.0.0.1:7002': 5 }, { '127.0.0.1:7001': 11, '127.0.0.1:7002': 7 }, {}, 2).matches, false);
  // Failed attempts never excuse a backend that served fewer than clients counted.
  assert.is(reconcile({ '127.0.0.1:7001': 10 }, { '127.0.0.1:7001': 9 }, { '127.0.0.1:7001': 5 }).matches, false);
});

reconcileTest('nothing on either side matches trivially', () => {
  assert.equal(reconcile({}, {}), { matches: true, rows: [] });
});

reconcileTest.run();

const idle = suite('withIdleBackends');

idle('backends no request reached get a zero row, in address order, so a skew cannot look even', () => {
  const ledger = new RunLedger();
  for (let index = 0; index < 5; index += 1) ledger.recordOk('127.0.0.1:7002', 1_000);
  const summary = withIdleBackends(ledger.summary(10), ['127.0.0.1:7001', '127.0.0.1:7002', '127.0.0.1:7003']);
  assert.equal(
    summary.backends.map((backend) => [backend.address, backend.ok, backend.share]),
    [
      ['127.0.0.1:7001', 0, 0],
      ['127.0.0.1:7002', 5, 1],
      ['127.0.0.1:7003', 0, 0],
    ],
  );
  assert.is(summary.ok, 5);
});

idle.run();
