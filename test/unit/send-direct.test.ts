// `lbx send`'s direct target over several backends (the benchmark's "LB path without the LB"): real backend services in
// this process on free ports, tasks taken by the backends in turn, every one answered once.
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { createBackendService } from '../../src/runtime/backend/backend-service.js';
import { FaultInjector } from '../../src/runtime/backend/fault-injector.js';
import { TaskExecutor } from '../../src/runtime/backend/task-executor.js';
import { runSend } from '../../src/runtime/client/send-run.js';
import { BackendService, type BackendServer } from '../../src/runtime/wire/gen/lbx/v1/backend.js';
import { freePort } from '../helpers/registry-kit.js';
import { withTimeout } from '../helpers/with-timeout.js';

interface Started {
  readonly address: string;
  stop(): void;
}

async function startBackend(): Promise<Started> {
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const faults = new FaultInjector(() => undefined);
  const server = new Server();
  server.addService(
    BackendService,
    createBackendService({ id: `backend-${port}`, address, defaultHeavyUnits: 1, speed: 1 }, new TaskExecutor(), () => ({}) as never, faults) as BackendServer,
  );
  await new Promise<void>((resolve, reject) => server.bindAsync(address, ServerCredentials.createInsecure(), (error) => (error ? reject(error) : resolve())));
  return {
    address,
    stop: () => {
      faults.close();
      server.forceShutdown();
    },
  };
}

const direct = suite('send: direct to several backends');

direct('40 tasks over 2 backends at concurrency 1: taken in turn, 20 each, all ok', async () => {
  const backends = [await startBackend(), await startBackend()];
  try {
    const addresses = backends.map((backend) => backend.address);
    const result = await withTimeout(
      runSend({
        target: { kind: 'direct', address: addresses[0] as string, addresses },
        simple: 40,
        heavy: 0,
        concurrency: 1,
        timeoutMs: 5_000,
        maxAttempts: 1,
        workUnits: 0,
        seed: 1,
      }),
      20_000,
      'a direct send over two backends',
    );
    assert.equal([result.summary.sent, result.summary.ok, result.summary.failed], [40, 40, 0]);
    const served = new Map(result.summary.backends.map((backend) => [backend.address, backend.ok]));
    assert.equal(
      addresses.map((address) => served.get(address)),
      [20, 20],
    );
  } finally {
    for (const backend of backends) backend.stop();
  }
});

direct.run();
