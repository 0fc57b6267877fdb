// runSend with an LB that never comes back: every request ends once, failed with the --lb-wait reason, within about one budget.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { runSend, type SendTarget } from '../../src/runtime/client/send-run.js';
import { freePort } from '../helpers/registry-kit.js';
import { seededRandom } from '../helpers/seeded-random.js';
import { withTimeout } from '../helpers/with-timeout.js';

const LB_WAIT_MS = 400;

const test = suite('runSend without an LB');

for (const kind of ['lb', 'proxy'] as const) {
  test(`${kind}: a dead LB (and a dead registry) fails each request once, after the budget, using no retries`, async () => {
    const [lbPort, registryPort] = [await freePort(), await freePort()];
    const target: SendTarget = { kind, address: `127.0.0.1:${lbPort}` };
    const startedAt = performance.now();
    const result = await withTimeout(
      runSend({
        target,
        simple: 40,
        heavy: 0,
        concurrency: 4,
        timeoutMs: 1_000,
        maxAttempts: 3,
        workUnits: 0,
        seed: 1,
        registry: { kind: 'embedded', address: `127.0.0.1:${registryPort}`, cluster: 'default' },
        lbWaitMs: LB_WAIT_MS,
        random: seededRandom(3),
      }),
      10_000,
      'the send',
    );
    const elapsedMs = performance.now() - startedAt;
    const { summary } = result;
    assert.equal([summary.sent, summary.ok, summary.failed, summary.retried], [40, 0, 40, 0]);
    assert.equal(summary.failuresByReason, {
      [`gave up waiting for the LB after the --lb-wait budget (${LB_WAIT_MS} ms): the LB at 127.0.0.1:${lbPort} is unreachable (UNAVAILABLE)`]: 40,
    });
    assert.equal(summary.attemptFailuresByReason, {}, 'waiting for the LB is no failed attempt');
    assert.ok(result.lbWaits > 0);
    // One budget for the whole outage, not one per request: that would be 40 × 400 ms / 4 workers = 4 s.
    assert.ok(elapsedMs >= LB_WAIT_MS && elapsedMs < 2_000, `the run took ${Math.round(elapsedMs)} ms`);
  });
}

test.run();
