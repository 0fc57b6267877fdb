// A backend's start-up registration on a loaded machine: an LB slower than one RegisterServer deadline is tried again until the start-up deadline.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { LbxError } from '../../src/core/lbx-error.js';
import { startBackend, type BackendEvent, type RunningBackend } from '../../src/runtime/backend/backend-server.js';
import { startGrpcServer, type RunningGrpcServer } from '../../src/runtime/grpc/grpc-server.js';
import { LoadBalancerService } from '../../src/runtime/wire/gen/lbx/v1/load_balancer.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry-kit.js';
import { withTimeout } from '../helpers/with-timeout.js';

const test = suite('backend registration: retries with backoff until the start-up deadline');

/**
 * A stand-in LB whose RegisterServer never answers its first `silentCalls` calls (each try's deadline, 2 s then 4 s then 8 s,
 * passes), then answers at once.
 */
async function slowLb(silentCalls: number): Promise<{ server: RunningGrpcServer; registerCalls: () => number }> {
  let calls = 0;
  const server = await startGrpcServer('127.0.0.1', 0, [
    {
      name: 'lbx.v1.LoadBalancer',
      definition: LoadBalancerService,
      implementation: {
        registerServer: (_call: unknown, callback: (error: null, value: object) => void) => {
          calls += 1;
          // A silent call is left unanswered: the backend's deadline ends it, as with an LB starved of CPU.
          if (calls > silentCalls) callback(null, { reportIntervalMs: 500 });
        },
        deregisterServer: (_call: unknown, callback: (error: null, value: object) => void) => callback(null, { removed: true }),
        reportLoad: (_call: unknown, callback: (error: null, value: object) => void) => callback(null, {}),
      },
    },
  ]);
  return { server, registerCalls: () => calls };
}

let registry: TestRegistry | undefined;

test.before(async () => {
  registry = await startTestRegistry(0, { token: null });
});

test.after(async () => {
  await registry?.registry.close();
});

const backendOptions = (lbAddress: string, startTimeoutMs: number, events: BackendEvent[]): Parameters<typeof startBackend>[0] => ({
  host: '127.0.0.1',
  port: 0,
  id: `backend-test-${startTimeoutMs}`,
  registry: { kind: 'embedded', address: registry?.registry.address ?? '', cluster: 'default' },
  lbAddress,
  reportIntervalMs: 500,
  checkIntervalMs: 1_000,
  defaultHeavyUnits: 10,
  weight: 1,
  speed: 1,
  startTimeoutMs,
  onEvent: (event) => events.push(event),
});

test('an LB that misses the first two RegisterServer deadlines: the backend tries again and starts', async () => {
  const lb = await slowLb(2);
  const events: BackendEvent[] = [];
  let backend: RunningBackend | undefined;
  try {
    backend = await withTimeout(startBackend(backendOptions(lb.server.address, 20_000, events)), 30_000, 'the backend start');
    assert.ok(lb.registerCalls() >= 3, `RegisterServer tried ${lb.registerCalls()} times`);
    assert.ok(
      events.some((event) => event.type === 'registered' && event.where === 'lb'),
      'registered with the LB',
    );
    const warnings = events.filter((event) => event.type === 'warning').map((event) => (event.type === 'warning' ? event.message : ''));
    assert.equal(
      warnings.filter((message) => message.startsWith(`registering with the LB at ${lb.server.address} failed`)).length,
      1,
      `one warning for the outage: ${warnings.join(' | ')}`,
    );
  } finally {
    await backend?.stop('test over', 0);
    await lb.server.stop(0);
  }
});

test('an LB that never answers in time: the start fails at its deadline, naming what, how often and the last error', async () => {
  const lb = await slowLb(Number.POSITIVE_INFINITY);
  const startedAt = performance.now();
  try {
    await withTimeout(startBackend(backendOptions(lb.server.address, 3_000, [])), 15_000, 'the backend start');
    assert.unreachable('the backend started without an LB');
  } catch (error) {
    assert.instance(error, LbxError);
    assert.is((error as LbxError).code, 'timeout');
    assert.match(
      (error as LbxError).message,
      new RegExp(`^registering with the LB at ${lb.server.address} failed \\d+ times in \\d+ ms, until the start-up deadline \\(last error: .*DEADLINE_EXCEEDED`),
    );
    const elapsedMs = performance.now() - startedAt;
    assert.ok(elapsedMs >= 3_000 && elapsedMs < 8_000, `gave up after ${Math.round(elapsedMs)} ms`);
  } finally {
    await lb.server.stop(0);
  }
});

test.run();
