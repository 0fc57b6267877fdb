// The proxy's HTTP/2 forwarding in one process, for both forwarders (the frame relay and node:http2 streams): real grpc-js backends and client on free ports, the front and a Balancer between them.
import { credentials, Metadata, status as GrpcStatus, type sendUnaryData, type ServerUnaryCall, type ServiceError } from '@grpc/grpc-js';
import http2 from 'node:http2';
import net, { type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';

import { execa, type ResultPromise } from 'execa';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { Balancer } from '../../src/core/balancer.js';
import { resolvePolicy } from '../../src/core/policies/index.js';
import { startGrpcServer, type RunningGrpcServer } from '../../src/runtime/grpc/grpc-server.js';
import { probeGrpcHealth } from '../../src/runtime/cluster/probe-health.js';
import { startH2Front, type RunningH2Front } from '../../src/runtime/lb/h2-proxy-front.js';
import { H2TaskForwarder } from '../../src/runtime/lb/h2-task-forwarder.js';
import { startRelayFront, type RelayFrontOptions } from '../../src/runtime/lb/relay/relay-front.js';
import { CONNECTION_PREFACE, ErrorCode, frame, FrameType, settingsFrame } from '../../src/runtime/h2/h2-frames.js';
import { encodeHeaderBlock } from '../../src/runtime/h2/hpack.js';
import { RelayTaskForwarder } from '../../src/runtime/lb/relay/relay-task-forwarder.js';
import { BackendClient, BackendService, TaskResponse, type TaskRequest } from '../../src/runtime/wire/gen/lbx/v1/backend.js';
import { TaskType } from '../../src/runtime/wire/gen/lbx/v1/task.js';
import { withTimeout } from '../helpers/with-timeout.js';
import { createSandbox, killLeftovers } from '../helpers/lbx-cli.js';
import { freeBasePort } from '../helpers/free-base-port.js';

const HANGING_BACKEND = fileURLToPath(new URL('../helpers/hanging-backend.ts', import.meta.url));

/** The first line a child prints. */
function firstLine(child: ResultPromise): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes('\n')) resolve(text.split('\n')[0] as string);
    });
    void child.then((result) => reject(new Error(`the child exited ${result.exitCode} before printing: ${String(result.stderr)}`)));
  });
}

/** What a test backend does with a task, by its task id's prefix. */
interface FakeBackend {
  readonly server: RunningGrpcServer;
  readonly seenMetadata: Metadata[];
  cancelled: number;
}

const EMPTY_RESPONSE: TaskResponse = { taskId: '', backendId: 'limited', backendAddress: '', result: 0, workUnits: 0, queuedUs: 0, serviceUs: 0, failedForwards: 0 };

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function startFakeBackend(): Promise<FakeBackend> {
  const backend: { server?: RunningGrpcServer; seenMetadata: Metadata[]; cancelled: number } = { seenMetadata: [], cancelled: 0 };
  const processTask = (call: ServerUnaryCall<TaskRequest, TaskResponse>, callback: sendUnaryData<TaskResponse>): void => {
    backend.seenMetadata.push(call.metadata);
    const { taskId } = call.request;
    const answer = (): void =>
      callback(null, {
        taskId,
        backendId: 'fake',
        backendAddress: backend.server?.address ?? '',
        result: 0,
        workUnits: 0,
        queuedUs: 0,
        serviceUs: 0,
        failedForwards: 0,
      });
    if (taskId.startsWith('fail')) {
      const trailer = new Metadata();
      trailer.set('x-why', 'asked to');
      return callback({ code: GrpcStatus.NOT_FOUND, details: 'no such thing: ü 100%', metadata: trailer } as Partial<ServiceError> as ServiceError);
    }
    if (taskId.startsWith('hang')) {
      call.on('cancelled', () => (backend.cancelled += 1));
      return;
    }
    if (taskId.startsWith('slow')) return void setTimeout(answer, 20);
    answer();
  };
  backend.server = await startGrpcServer('127.0.0.1', 0, [
    {
      name: 'lbx.v1.Backend',
      definition: BackendService,
      implementation: { processTask, getLoad: (_call: unknown, callback: sendUnaryData<never>) => callback(null, undefined as never) },
    },
  ]);
  return backend as FakeBackend;
}

function task(taskId: string, key = ''): TaskRequest {
  return { taskId, type: TaskType.SIMPLE, workUnits: 0, clientId: 'test', key };
}

function call(client: InstanceType<typeof BackendClient>, request: TaskRequest, metadata = new Metadata(), timeoutMs = 5_000): Promise<TaskResponse> {
  return new Promise((resolve, reject) => {
    client.processTask(request, metadata, { deadline: Date.now() + timeoutMs }, (error, response) => (error ? reject(error) : resolve(response as TaskResponse)));
  });
}

const failureOf = async (promise: Promise<unknown>): Promise<ServiceError> => {
  try {
    await promise;
  } catch (error) {
    return error as ServiceError;
  }
  throw new Error('the call succeeded: expected a failure');
};

/** relay: lbx's own HTTP/2 framing (the default); h2: node:http2 streams. */
type Forwarding = 'relay' | 'h2';

interface Rig {
  readonly balancer: Balancer;
  readonly forwarder: { readonly callsInFlight: number; close(): void };
  readonly front: RunningH2Front;
  readonly inner: RunningGrpcServer;
  readonly client: InstanceType<typeof BackendClient>;
}

async function startRig(backendAddresses: readonly string[], forwarding: Forwarding): Promise<Rig> {
  const balancer = new Balancer(resolvePolicy('lc'), { random: Math.random, nowMs: () => performance.now(), wallMs: Date.now });
  backendAddresses.forEach((address, index) => balancer.register(`b${index}`, address));
  const inner = await startGrpcServer('127.0.0.1', 0, []);
  const at = { host: '127.0.0.1', port: 0, innerAddress: inner.address };
  if (forwarding === 'relay') {
    const forwarder = new RelayTaskForwarder(balancer);
    const front = await startRelayFront({ ...at, tasks: forwarder });
    return { balancer, forwarder, front, inner, client: new BackendClient(front.address, credentials.createInsecure()) };
  }
  const forwarder = new H2TaskForwarder(balancer);
  const front = await startH2Front({ ...at, tasks: forwarder });
  return { balancer, forwarder, front, inner, client: new BackendClient(front.address, credentials.createInsecure()) };
}

async function stopRig(rig: Rig | undefined): Promise<void> {
  if (rig === undefined) return;
  rig.client.close();
  await rig.front.stop(0);
  rig.forwarder.close();
  await rig.inner.stop(0);
}

/** Each backend's exact in-flight count, read through a pick that excludes all the others (the Balancer shows loads only to pickers). */
function inFlightOf(rig: Rig): number[] {
  const addresses = rig.balancer.stats().backends.map((backend) => backend.address);
  return addresses.map((address) => {
    const pick = rig.balancer.pick({ taskKind: 'SIMPLE', key: '', exclude: new Set(addresses.filter((other) => other !== address)) });
    return pick.kind === 'backend' ? pick.backend.load.inFlightExact : -1;
  });
}

/** The same contract for each forwarder: every call answered once, statuses and metadata unchanged, in-flight back to 0. */
function forwardingSuites(forwarding: Forwarding): void {
  const forward = suite(`${forwarding} forwarding`);
  const backends: FakeBackend[] = [];
  let rig: Rig | undefined;

  forward.before(async () => {
    for (let index = 0; index < 3; index += 1) backends.push(await startFakeBackend());
    rig = await startRig(
      backends.map((backend) => backend.server.address),
      forwarding,
    );
  });

  forward.after(async () => {
    await stopRig(rig);
    for (const backend of backends) await backend.server.stop(0);
  });

  forward('300 calls at concurrency 30: every one answered by a real backend, all three used, in-flight back to 0', async () => {
    const current = rig as Rig;
    const served = new Map<string, number>();
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < 300) {
        const response = await call(current.client, task(`slow-${next++}`));
        served.set(response.backendAddress, (served.get(response.backendAddress) ?? 0) + 1);
      }
    };
    await withTimeout(Promise.all(Array.from({ length: 30 }, worker)), 30_000, '300 forwarded calls');
    assert.equal(
      [...served.values()].reduce((sum, count) => sum + count, 0),
      300,
    );
    assert.equal([...served.keys()].sort(), backends.map((backend) => backend.server.address).sort());
    assert.equal(current.forwarder.callsInFlight, 0);
    assert.equal(inFlightOf(current), [0, 0, 0]);
  });

  forward('request metadata reaches the backend (x-lbx-key, custom headers, grpc-timeout)', async () => {
    const current = rig as Rig;
    const metadata = new Metadata();
    metadata.set('x-lbx-key', 'user-7');
    metadata.set('x-custom', 'kept');
    const before = backends.map((backend) => backend.seenMetadata.length);
    await withTimeout(call(current.client, task('meta'), metadata, 4_000), 10_000, 'a call with metadata');
    const seen = backends.flatMap((backend, index) => backend.seenMetadata.slice(before[index]));
    assert.equal(seen.length, 1);
    assert.equal([seen[0]?.get('x-lbx-key'), seen[0]?.get('x-custom')], [['user-7'], ['kept']]);
    const timeout = String(seen[0]?.get('grpc-timeout')[0] ?? '');
    assert.ok(timeout === '' || /^\d+[mu]$/.test(timeout), `grpc-timeout ${timeout}`);
  });

  forward("a backend's status, message and trailers come back unchanged", async () => {
    const error = await withTimeout(failureOf(call((rig as Rig).client, task('fail-1'))), 10_000, 'a failing call');
    assert.equal([error.code, error.details], [GrpcStatus.NOT_FOUND, 'no such thing: ü 100%']);
    assert.equal(error.metadata.get('x-why'), ['asked to']);
  });

  forward('an invalid task type is refused by the proxy with INVALID_ARGUMENT, never forwarded', async () => {
    const before = backends.reduce((sum, backend) => sum + backend.seenMetadata.length, 0);
    const error = await withTimeout(failureOf(call((rig as Rig).client, { ...task('bad'), type: 7 as TaskType })), 10_000, 'an invalid call');
    assert.equal(error.code, GrpcStatus.INVALID_ARGUMENT);
    assert.match(error.details, /unknown type 7/);
    assert.equal(
      backends.reduce((sum, backend) => sum + backend.seenMetadata.length, 0),
      before,
    );
  });

  forward("a client's cancel reaches the backend as a reset; in-flight returns to 0", async () => {
    const current = rig as Rig;
    const cancelledBefore = backends.reduce((sum, backend) => sum + backend.cancelled, 0);
    const error = await withTimeout(failureOf(call(current.client, task('hang-1'), new Metadata(), 300)), 10_000, 'a call past its deadline');
    assert.equal(error.code, GrpcStatus.DEADLINE_EXCEEDED);
    await withTimeout(
      (async () => {
        while (backends.reduce((sum, backend) => sum + backend.cancelled, 0) === cancelledBefore || current.forwarder.callsInFlight > 0) await sleep(20);
      })(),
      5_000,
      'the backend seeing the cancel',
    );
    assert.equal(inFlightOf(current), [0, 0, 0]);
  });

  forward("health and other services on the same port go to the LB's grpc-js server", async () => {
    assert.equal(await withTimeout(probeGrpcHealth((rig as Rig).front.address), 10_000, 'health through the front'), 'serving');
  });

  forward.run();

  const down = suite(`${forwarding} forwarding to backends that are down`);
  let downRig: Rig | undefined;
  let live: FakeBackend | undefined;
  const DEAD = '127.0.0.1:1';

  down.after(async () => {
    await stopRig(downRig);
    await live?.server.stop(0);
  });

  down('an unreachable backend alone: UNAVAILABLE naming it; in-flight 0', async () => {
    const only = await startRig([DEAD], forwarding);
    try {
      const error = await withTimeout(failureOf(call(only.client, task('x'))), 10_000, 'a call to a dead backend');
      assert.equal(error.code, GrpcStatus.UNAVAILABLE);
      assert.match(error.details, /127\.0\.0\.1:1/);
      assert.match(error.details, /connection refused/);
      assert.equal(only.forwarder.callsInFlight, 0);
      assert.equal(inFlightOf(only), [0]);
    } finally {
      await stopRig(only);
    }
  });

  down('one dead backend beside a live one: every call succeeds (retried where it never reached a backend)', async () => {
    live = await startFakeBackend();
    downRig = await startRig([DEAD, live.server.address], forwarding);
    const current = downRig;
    const responses = await withTimeout(Promise.all(Array.from({ length: 40 }, (_, index) => call(current.client, task(`r-${index}`)))), 20_000, '40 calls');
    assert.equal(responses.filter((response) => response.backendAddress === live?.server.address).length, 40);
    assert.equal(current.forwarder.callsInFlight, 0);
  });

  down('a backend SIGKILLed mid-call: UNAVAILABLE naming it (for the client to retry), never a hang; in-flight 0', async () => {
    const victim = execa(process.execPath, ['--import', 'tsx', HANGING_BACKEND], { stdin: 'pipe', reject: false });
    const address = await withTimeout(firstLine(victim), 20_000, 'the hanging backend starting');
    const cut = await startRig([address], forwarding);
    try {
      const pending = failureOf(call(cut.client, task('hang-cut'), new Metadata(), 10_000));
      await sleep(300);
      process.kill(victim.pid as number, 'SIGKILL');
      const error = await withTimeout(pending, 8_000, 'a call whose backend was killed');
      assert.equal(error.code, GrpcStatus.UNAVAILABLE);
      assert.ok(error.details.includes(address), error.details);
      assert.equal(cut.forwarder.callsInFlight, 0);
      assert.equal(inFlightOf(cut), [0]);
    } finally {
      await stopRig(cut);
      await victim;
    }
  });

  down.run();
}

forwardingSuites('relay');
forwardingSuites('h2');

const relayLimits = suite('relay forwarding: what one client connection may make the LB hold');

interface RelayFixture {
  readonly backend: FakeBackend;
  readonly forwarder: RelayTaskForwarder;
  readonly front: RunningH2Front;
  readonly client: InstanceType<typeof BackendClient>;
}

/** A relay front (least connections) on one fake backend and a grpc-js client to it, all stopped after `body`. */
async function withRelayFront(frontOptions: Partial<RelayFrontOptions>, body: (fixture: RelayFixture) => Promise<void>): Promise<void> {
  const backend = await startFakeBackend();
  const balancer = new Balancer(resolvePolicy('lc'), { random: Math.random, nowMs: () => performance.now(), wallMs: Date.now });
  balancer.register('b0', backend.server.address);
  const forwarder = new RelayTaskForwarder(balancer);
  const inner = await startGrpcServer('127.0.0.1', 0, []);
  const front = await startRelayFront({ host: '127.0.0.1', port: 0, tasks: forwarder, innerAddress: inner.address, ...frontOptions });
  const client = new BackendClient(front.address, credentials.createInsecure());
  try {
    await body({ backend, forwarder, front, client });
  } finally {
    client.close();
    await front.stop(0);
    forwarder.close();
    await inner.stop(0);
    await backend.server.stop(0);
  }
}

relayLimits("requests buffered past the connection's budget are refused with RESOURCE_EXHAUSTED; the rest go on", async () => {
  await withRelayFront({ maxBufferedBytesPerConnection: 1024 * 1024 }, async ({ backend, forwarder, client }) => {
    // A hanging call holds its 700 KB request (kept for a replay) while it is under way.
    const held = failureOf(call(client, task('hang-held', 'k'.repeat(700 * 1024)), new Metadata(), 3_000));
    await withTimeout(
      (async () => {
        while (forwarder.callsInFlight === 0) await sleep(10);
      })(),
      10_000,
      'the first call reaching its backend',
    );
    const refused = await withTimeout(failureOf(call(client, task('second', 'k'.repeat(700 * 1024)))), 10_000, 'a second large call');
    assert.equal(refused.code, GrpcStatus.RESOURCE_EXHAUSTED);
    assert.match(refused.details, /more than 1048576 bytes/);
    assert.equal((await withTimeout(held, 10_000, 'the held call ending')).code, GrpcStatus.DEADLINE_EXCEEDED);
    // Its bytes are given back: the same large request now goes through.
    const answered = await withTimeout(call(client, task('third', 'k'.repeat(700 * 1024))), 10_000, 'a third large call');
    assert.is(answered.backendAddress, backend.server.address);
  });
});

relayLimits('a backend that takes 2 streams at once (SETTINGS_MAX_CONCURRENT_STREAMS): 12 concurrent calls all answered, on more connections', async () => {
  let open = 0;
  let mostOpen = 0;
  const sessions = new Set<http2.ServerHttp2Session>();
  const limited = http2.createServer({ settings: { maxConcurrentStreams: 2 } });
  limited.on('session', (session) => sessions.add(session));
  limited.on('stream', (stream, headers) => {
    open += 1;
    mostOpen = Math.max(mostOpen, open);
    stream.on('close', () => (open -= 1));
    stream.resume();
    stream.on('end', () => {
      setTimeout(() => {
        const message = Buffer.from(TaskResponse.encode({ ...EMPTY_RESPONSE, taskId: String(headers['x-task'] ?? ''), backendAddress: 'limited' }).finish());
        const prefix = Buffer.from([0, 0, 0, 0, 0]);
        prefix.writeUInt32BE(message.length, 1);
        stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
        stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
        stream.end(Buffer.concat([prefix, message]));
      }, 30);
    });
  });
  await new Promise<void>((resolve) => limited.listen(0, '127.0.0.1', resolve));
  const rig = await startRig([`127.0.0.1:${(limited.address() as AddressInfo).port}`], 'relay');
  try {
    const answers = await withTimeout(Promise.all(Array.from({ length: 12 }, (_, index) => call(rig.client, task(`limit-${index}`)))), 20_000, '12 calls');
    assert.equal(answers.length, 12);
    assert.ok(answers.every((answer) => answer.backendAddress === 'limited'));
    // The relay holds the rest until the backend has room (its SETTINGS came, a stream ended), rather than have them refused.
    assert.is(mostOpen, 2);
    assert.is(sessions.size, 1);
    assert.is(rig.forwarder.callsInFlight, 0);
  } finally {
    await stopRig(rig);
    for (const session of sessions) session.destroy();
    await new Promise((resolve) => limited.close(resolve));
  }
});

relayLimits('rapid reset: a client that opens ProcessTask streams and resets them at once is cut off (GOAWAY ENHANCE_YOUR_CALM), and the log says why', async () => {
  const warnings: string[] = [];
  await withRelayFront({ onClientError: (message) => warnings.push(message) }, async ({ backend, forwarder, front, client }) => {
    const headers = encodeHeaderBlock([
      ':method',
      'POST',
      ':scheme',
      'http',
      ':path',
      '/lbx.v1.Backend/ProcessTask',
      ':authority',
      'lbx',
      'content-type',
      'application/grpc',
      'te',
      'trailers',
    ]);
    const flood = Array.from({ length: 1_000 }, (_, index) => [
      frame(FrameType.HEADERS, 0x4, 2 * index + 1, headers),
      frame(FrameType.RST_STREAM, 0, 2 * index + 1, Buffer.from([0, 0, 0, ErrorCode.CANCEL])),
    ]).flat();
    const socket = net.connect(Number(front.address.split(':')[1]), '127.0.0.1');
    const received: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    socket.on('error', () => undefined);
    socket.write(Buffer.concat([CONNECTION_PREFACE, settingsFrame([]), ...flood]));
    await withTimeout(new Promise((resolve) => socket.on('close', resolve)), 10_000, 'the connection being cut');
    const bytes = Buffer.concat(received);
    const goawayAt = bytes.indexOf(Buffer.from([FrameType.GOAWAY, 0x00, 0x00, 0x00, 0x00, 0x00]));
    assert.ok(goawayAt > 0, 'a GOAWAY frame');
    assert.is(bytes.readUInt32BE(goawayAt + 10), ErrorCode.ENHANCE_YOUR_CALM);
    assert.match(warnings.join('\n'), /proxy client 127\.0\.0\.1:\d+ disconnected: rapid reset: the client reset 500 of the 500 streams/);
    // Nothing of the flood is left under way, and other clients are served as before.
    assert.is(forwarder.callsInFlight, 0);
    const answered = await withTimeout(call(client, task('after-the-flood')), 10_000, 'a call after the flood');
    assert.is(answered.backendAddress, backend.server.address);
  });
});

relayLimits.run();

const cli = suite('lbx up --mode proxy (relay forwarding, the default): a backend SIGKILLed under load');
const sandbox = createSandbox('h2proxy');
const BASE_PORT = await freeBasePort();

interface SendJson {
  summary: { sent: number; ok: number; failed: number; failuresByReason: Record<string, number>; backends: Array<{ address: string; ok: number }> };
}

cli.before(async () => {
  await sandbox.json(['up', '--mode', 'proxy', '--policy', 'lc', '--backends', '3', '--base-port', String(BASE_PORT)]);
});

cli.after(async () => {
  await sandbox.run(['down']).catch(() => undefined);
  killLeftovers(sandbox);
  sandbox.dispose();
});

cli('0 failed of 6,000 tasks across the kill; every answer credited to a backend; report reconciles', async () => {
  const lbLog = (): string => sandbox.logs();
  const sending = sandbox.json<SendJson>(['send', '--simple', '6000', '--concurrency', '32'], { timeoutMs: 120_000 });
  await sleep(1_500);
  const kill = await sandbox.run(['kill', String(BASE_PORT + 2)]);
  assert.equal(kill.exitCode, 0, kill.stderr);
  const run = await sending;
  assert.equal([run.summary.sent, run.summary.ok, run.summary.failed], [6_000, 6_000, 0], JSON.stringify(run.summary.failuresByReason));
  assert.equal(
    run.summary.backends.reduce((sum, backend) => sum + backend.ok, 0),
    6_000,
  );
  assert.ok(
    run.summary.backends.some((backend) => backend.address.endsWith(`:${BASE_PORT + 2}`) && backend.ok > 0),
    'the killed backend served before its kill',
  );
  const report = await sandbox.json<{ reconciliation: { matches: boolean } }>(['report']);
  assert.ok(report.reconciliation.matches, `report reconciles\n${lbLog().slice(-3_000)}`);
  assert.match(sandbox.logs(), /relay forwarding/);
});

cli.run();
