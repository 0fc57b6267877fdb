// The client's channel pool against a backend that restarts on its port: a real grpc-js server in this process, a
// clock the test moves. A channel in reconnect backoff would fail every call for up to a second after the backend is
// back; the pool replaces it when the backend is asked for again, and no more often than its interval.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { connectivityState, Server, ServerCredentials } from '@grpc/grpc-js';

import { createBackendService } from '../../src/runtime/backend/backend-service.js';
import { FaultInjector } from '../../src/runtime/backend/fault-injector.js';
import { TaskExecutor } from '../../src/runtime/backend/task-executor.js';
import { BackendPool, FAILED_CHANNEL_REPLACE_INTERVAL_MS } from '../../src/runtime/client/backend-pool.js';
import { callUnary } from '../../src/runtime/grpc/unary.js';
import { BackendService, type BackendClient, type BackendServer } from '../../src/runtime/wire/gen/lbx/v1/backend.js';
import { TaskType } from '../../src/runtime/wire/gen/lbx/v1/task.js';
import { freePort } from '../helpers/registry-kit.js';
import { withTimeout } from '../helpers/with-timeout.js';

/** A backend service on `port`, as a restarted backend process would bring it up there. */
async function startBackendOn(port: number): Promise<() => void> {
  const faults = new FaultInjector(() => undefined);
  const identity = { id: 'backend-test', address: `127.0.0.1:${port}`, defaultHeavyUnits: 1, speed: 1 };
  const server = new Server();
  server.addService(BackendService, createBackendService(identity, new TaskExecutor(), () => ({}) as never, faults) as BackendServer);
  await new Promise<void>((resolve, reject) => server.bindAsync(`127.0.0.1:${port}`, ServerCredentials.createInsecure(), (error) => (error ? reject(error) : resolve())));
  return () => {
    faults.close();
    server.forceShutdown();
  };
}

/** Resolves once the channel is in TRANSIENT_FAILURE: its connect failed, and it fails calls until its backoff ends. */
function inBackoff(client: BackendClient): Promise<void> {
  const channel = client.getChannel();
  return withTimeout(
    new Promise<void>((resolve) => {
      const watch = (): void => {
        const state = channel.getConnectivityState(true);
        if (state === connectivityState.TRANSIENT_FAILURE) resolve();
        else channel.watchConnectivityState(state, Infinity, watch);
      };
      watch();
    }),
    10_000,
    'a failed connect',
  );
}

const processTask = (client: BackendClient): Promise<unknown> =>
  callUnary(client.processTask.bind(client), { taskId: 't', type: TaskType.SIMPLE, workUnits: 0, clientId: 'test', key: '' }, 2_000, undefined);

const test = suite('BackendPool');

test('a channel in reconnect backoff is replaced when its backend is asked for again, so a restarted backend serves at once', async () => {
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const pool = new BackendPool(() => 0);
  const first = pool.get(address);
  // Nothing listens: the connect fails, and the channel fails calls until grpc-js's backoff lets it try again.
  await inBackoff(first);
  const stop = await startBackendOn(port);
  try {
    const second = pool.get(address);
    assert.is.not(second, first, 'the channel in backoff was replaced');
    assert.is(first.getChannel().getConnectivityState(false), connectivityState.SHUTDOWN, 'and closed');
    await processTask(second);
    assert.is(pool.get(address), second, 'a working channel is kept');
  } finally {
    stop();
    pool.close();
  }
});

test('a backend that stays down gets a new channel no more often than the interval', async () => {
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  let now = 1_000;
  const pool = new BackendPool(() => now);
  try {
    await inBackoff(pool.get(address));
    const replaced = pool.get(address);
    await inBackoff(replaced);
    now += FAILED_CHANNEL_REPLACE_INTERVAL_MS - 1;
    assert.is(pool.get(address), replaced, 'within the interval the channel in backoff is kept');
    now += 1;
    assert.is.not(pool.get(address), replaced, 'after it, replaced again');
    // The task stream goes with its channel: the next one is opened on the new channel.
    assert.is(pool.tasks(address), pool.tasks(address));
  } finally {
    pool.close();
  }
});

test.run();
