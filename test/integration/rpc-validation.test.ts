// Every RPC field is validated on the real servers: bad values get INVALID_ARGUMENT naming the field, and the LB stays healthy.
import { Client, credentials, Metadata, status as GrpcStatus } from '@grpc/grpc-js';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { BackendClient } from '../../src/runtime/wire/gen/lbx/v1/backend.js';
import { GetServerReply, LoadBalancerClient } from '../../src/runtime/wire/gen/lbx/v1/load_balancer.js';
import type { TaskType } from '../../src/runtime/wire/gen/lbx/v1/task.js';
import { callUnary } from '../../src/runtime/grpc/unary.js';
import { isServiceError } from '../../src/runtime/grpc/status-errors.js';
import { createSandbox, killLeftovers } from '../helpers/lbx-cli.js';
import { freeBasePort } from '../helpers/free-base-port.js';
import { encodeStringField, encodeVarintField } from '../helpers/proto-fuzz.js';
import { tokenInterceptor } from '../../src/runtime/grpc/token-interceptor.js';
import { readTokenFile } from '../../src/runtime/cluster/cluster-token.js';
import path from 'node:path';

const BASE_PORT = await freeBasePort();
const LB = `127.0.0.1:${BASE_PORT + 100}`;
const BACKEND = `127.0.0.1:${BASE_PORT + 1}`;
const CALL_TIMEOUT_MS = 3_000;

const sandbox = createSandbox('rpc');
const rpc = suite('RPC validation');
/** With the cluster token, as the supervisor and backends call: the checks below are past authentication. */
let lb: LoadBalancerClient;
/** Without it, as any other local program. */
let anonymousLb: LoadBalancerClient;
let backend: BackendClient;

rpc.before(async () => {
  await sandbox.json(['up', '--backends', '2', '--base-port', String(BASE_PORT)]);
  const token = readTokenFile(path.join(sandbox.home, 'default', 'control.token'));
  lb = new LoadBalancerClient(LB, credentials.createInsecure(), { interceptors: [tokenInterceptor(token)] });
  anonymousLb = new LoadBalancerClient(LB, credentials.createInsecure());
  backend = new BackendClient(BACKEND, credentials.createInsecure());
});

rpc.after(async () => {
  lb?.close();
  anonymousLb?.close();
  backend?.close();
  await sandbox.run(['down']).catch(() => undefined);
  killLeftovers(sandbox);
  sandbox.dispose();
});

async function expectStatus(call: Promise<unknown>, code: GrpcStatus, pattern: RegExp): Promise<void> {
  try {
    await call;
  } catch (error) {
    assert.ok(isServiceError(error), `expected a gRPC status error, got ${String(error)}`);
    assert.equal(GrpcStatus[error.code], GrpcStatus[code]);
    assert.match(error.details, pattern);
    return;
  }
  assert.unreachable(`expected ${GrpcStatus[code]}`);
}

rpc('ProcessTask: unknown task type', () =>
  expectStatus(
    callUnary(backend.processTask.bind(backend), { taskId: 't', type: 7, workUnits: 0, clientId: '', key: '' }, CALL_TIMEOUT_MS),
    GrpcStatus.INVALID_ARGUMENT,
    /unknown type 7: expected SIMPLE \(1\) or CPU_HEAVY \(2\)/,
  ),
);

rpc('ProcessTask: UNSPECIFIED task type', () =>
  expectStatus(
    callUnary(backend.processTask.bind(backend), { taskId: 't', type: 0, workUnits: 0, clientId: '', key: '' }, CALL_TIMEOUT_MS),
    GrpcStatus.INVALID_ARGUMENT,
    /unknown type 0/,
  ),
);

rpc('ProcessTask: work_units out of range', () =>
  expectStatus(
    callUnary(backend.processTask.bind(backend), { taskId: 't', type: 2, workUnits: 10_001, clientId: '', key: '' }, CALL_TIMEOUT_MS),
    GrpcStatus.INVALID_ARGUMENT,
    /work_units 10001 is out of range/,
  ),
);

rpc('ProcessTask: work_units on a SIMPLE task', () =>
  expectStatus(
    callUnary(backend.processTask.bind(backend), { taskId: 't', type: 1, workUnits: 5, clientId: '', key: '' }, CALL_TIMEOUT_MS),
    GrpcStatus.INVALID_ARGUMENT,
    /CPU_HEAVY only/,
  ),
);

rpc('ProcessTask: a valid CPU_HEAVY task runs and says where and how long', async () => {
  const response = await callUnary(backend.processTask.bind(backend), { taskId: 'heavy-1', type: 2, workUnits: 10, clientId: 'test', key: '' }, CALL_TIMEOUT_MS);
  assert.equal(response.taskId, 'heavy-1');
  assert.equal(response.backendAddress, BACKEND);
  assert.equal(response.workUnits, 10);
  assert.ok(response.serviceUs > 0, 'service time measured');
});

rpc('GetServer: unknown task type', () =>
  expectStatus(
    callUnary(lb.getServer.bind(lb), { clientId: 'c', taskType: 9, key: '', exclude: [], requestId: 0, done: [] }, CALL_TIMEOUT_MS),
    GrpcStatus.INVALID_ARGUMENT,
    /unknown task_type 9/,
  ),
);

rpc('GetServer: a malformed exclude entry', () =>
  expectStatus(
    callUnary(lb.getServer.bind(lb), { clientId: 'c', taskType: 1, key: '', exclude: ['not an address'], requestId: 0, done: [] }, CALL_TIMEOUT_MS),
    GrpcStatus.INVALID_ARGUMENT,
    /exclude entry "not an address"/,
  ),
);

rpc('GetServer: everything excluded is UNAVAILABLE with the reason', () =>
  expectStatus(
    callUnary(lb.getServer.bind(lb), { clientId: 'c', taskType: 1, key: '', exclude: [BACKEND, `127.0.0.1:${BASE_PORT + 2}`], requestId: 0, done: [] }, CALL_TIMEOUT_MS),
    GrpcStatus.UNAVAILABLE,
    /excluded by the client/,
  ),
);

rpc('GetServerStream: picks and failures come back in-band, matched by request_id', async () => {
  const stream = lb.getServerStream();
  const replies = new Map<number, { statusCode: number; statusMessage: string; server?: { address: string } }>();
  const allReplied = new Promise<void>((resolve, reject) => {
    stream.on('data', (reply) => {
      replies.set(reply.requestId, reply);
      if (replies.size === 3) resolve();
    });
    stream.on('error', reject);
    setTimeout(() => reject(new Error(`only ${replies.size} of 3 replies within ${CALL_TIMEOUT_MS} ms`)), CALL_TIMEOUT_MS);
  });
  stream.write({ clientId: 'c', taskType: 1, key: '', exclude: [], requestId: 11, done: [] });
  stream.write({ clientId: 'c', taskType: 5 as TaskType, key: '', exclude: [], requestId: 12, done: [] });
  stream.write({ clientId: 'c', taskType: 2, key: '', exclude: [BACKEND, `127.0.0.1:${BASE_PORT + 2}`], requestId: 13, done: [] });
  try {
    await allReplied;
  } finally {
    stream.end();
  }
  assert.equal(replies.get(11)?.statusCode, GrpcStatus.OK);
  assert.ok([BACKEND, `127.0.0.1:${BASE_PORT + 2}`].includes(replies.get(11)?.server?.address ?? ''), 'picked one of the two backends');
  assert.equal(replies.get(12)?.statusCode, GrpcStatus.INVALID_ARGUMENT);
  assert.match(replies.get(12)?.statusMessage ?? '', /unknown task_type 5/);
  assert.equal(replies.get(13)?.statusCode, GrpcStatus.UNAVAILABLE);
});

// ---- 64-bit fields beyond what a JS number holds: the caller's mistake, named; the pick stream survives.

const TWO_64_MINUS_1 = 2n ** 64n - 1n;
const identity = (value: Buffer): Buffer => value;
/** A GetServerRequest as raw bytes: SIMPLE, with `requestId` and optional PickDone request ids, any 64-bit value. */
const rawPick = (requestId: bigint, doneIds: readonly bigint[] = []): Buffer =>
  Buffer.concat([encodeVarintField(2, 1n), encodeVarintField(5, requestId), ...doneIds.map((id) => encodeStringField(6, encodeVarintField(1, id)))]);

function rawUnaryCall(methodPath: string, body: Buffer): Promise<{ code: GrpcStatus; details: string }> {
  const client = new Client(LB, credentials.createInsecure());
  return new Promise((resolve) => {
    client.makeUnaryRequest(methodPath, identity, identity, body, new Metadata(), { deadline: Date.now() + CALL_TIMEOUT_MS }, (error) => {
      client.close();
      resolve(error ? { code: error.code, details: error.details } : { code: GrpcStatus.OK, details: '' });
    });
  });
}

rpc('GetServer and GetLoadHistory: a request_id above 2^53 and since_unix_ms 2^62 are INVALID_ARGUMENT naming the field, not INTERNAL', async () => {
  const pick = await rawUnaryCall('/lbx.v1.LoadBalancer/GetServer', rawPick(TWO_64_MINUS_1));
  assert.equal(GrpcStatus[pick.code], 'INVALID_ARGUMENT', pick.details);
  assert.match(pick.details, /^request_id 18446744073709551615 is out of range: expected an integer/);
  const history = await rawUnaryCall('/lbx.v1.LoadBalancer/GetLoadHistory', encodeVarintField(1, 2n ** 62n));
  assert.equal(GrpcStatus[history.code], 'INVALID_ARGUMENT', history.details);
  assert.match(history.details, /^since_unix_ms 4611686018427387904 is out of range/);
  const negative = await rawUnaryCall('/lbx.v1.LoadBalancer/GetLoadHistory', encodeVarintField(1, -(2n ** 62n)));
  assert.match(negative.details, /^since_unix_ms -4611686018427387904 is out of range/);
  const fine = await rawUnaryCall('/lbx.v1.LoadBalancer/GetLoadHistory', encodeVarintField(1, 2n ** 52n));
  assert.equal(GrpcStatus[fine.code], 'OK', 'a large value that fits is answered');
});

rpc('GetServerStream: overflowing ids are answered in-band with INVALID_ARGUMENT, and the stream keeps picking', async () => {
  const client = new Client(LB, credentials.createInsecure());
  const stream = client.makeBidiStreamRequest('/lbx.v1.LoadBalancer/GetServerStream', identity, (bytes: Buffer) => GetServerReply.decode(bytes), new Metadata(), {
    deadline: Date.now() + CALL_TIMEOUT_MS * 2,
  });
  const replies: GetServerReply[] = [];
  const fourReplies = new Promise<void>((resolve, reject) => {
    stream.on('data', (reply: GetServerReply) => {
      replies.push(reply);
      if (replies.length === 4) resolve();
    });
    stream.on('error', (error: Error) => reject(new Error(`the stream died: ${error.message}`)));
    setTimeout(() => reject(new Error(`only ${replies.length} of 4 replies within ${CALL_TIMEOUT_MS} ms`)), CALL_TIMEOUT_MS);
  });
  stream.write(rawPick(1n));
  stream.write(rawPick(TWO_64_MINUS_1));
  stream.write(rawPick(3n, [1n, 2n ** 53n]));
  stream.write(rawPick(4n));
  try {
    await fourReplies;
  } finally {
    stream.end();
    client.close();
  }
  const summary = replies.map((reply) => `${reply.requestId} ${GrpcStatus[reply.statusCode]}`);
  assert.equal(summary, ['1 OK', '0 INVALID_ARGUMENT', '3 INVALID_ARGUMENT', '4 OK'], JSON.stringify(replies));
  assert.match(replies[1]?.statusMessage ?? '', /^request_id 18446744073709551615 is out of range/);
  assert.match(replies[2]?.statusMessage ?? '', /^done\[1\]\.request_id 9007199254740992 is out of range/);
});

rpc('RegisterServer: empty address and empty id', async () => {
  await expectStatus(
    callUnary(lb.registerServer.bind(lb), { backendId: 'x', address: '', weight: 0, speed: 0 }, CALL_TIMEOUT_MS),
    GrpcStatus.INVALID_ARGUMENT,
    /address "" is not a host:port/,
  );
  await expectStatus(
    callUnary(lb.registerServer.bind(lb), { backendId: '', address: '127.0.0.1:1', weight: 0, speed: 0 }, CALL_TIMEOUT_MS),
    GrpcStatus.INVALID_ARGUMENT,
    /backend_id is empty/,
  );
  await expectStatus(
    callUnary(lb.registerServer.bind(lb), { backendId: 'x', address: '127.0.0.1:70000', weight: 0, speed: 0 }, CALL_TIMEOUT_MS),
    GrpcStatus.INVALID_ARGUMENT,
    /port 1–65535/,
  );
});

rpc('RegisterServer: weight and speed out of range', async () => {
  await expectStatus(
    callUnary(lb.registerServer.bind(lb), { backendId: 'x', address: '127.0.0.1:1', weight: -1, speed: 0 }, CALL_TIMEOUT_MS),
    GrpcStatus.INVALID_ARGUMENT,
    /weight -1 is out of range/,
  );
  await expectStatus(
    callUnary(lb.registerServer.bind(lb), { backendId: 'x', address: '127.0.0.1:1', weight: 0, speed: 1e9 }, CALL_TIMEOUT_MS),
    GrpcStatus.INVALID_ARGUMENT,
    /speed 1000000000 is out of range/,
  );
});

rpc('RegisterServer: an address where nothing listens is refused, and picks never go there', async () => {
  // Port 1 on loopback: nothing listens there.
  await expectStatus(
    callUnary(lb.registerServer.bind(lb), { backendId: 'ghost', address: '127.0.0.1:1', weight: 1, speed: 1 }, CALL_TIMEOUT_MS),
    GrpcStatus.FAILED_PRECONDITION,
    /nothing accepts connections there/,
  );
  const stats = await callUnary(lb.getStats.bind(lb), {}, CALL_TIMEOUT_MS);
  assert.equal(
    stats.backends.some((entry) => entry.address === '127.0.0.1:1'),
    false,
  );
});

rpc('without the cluster token, calls that change the LB are UNAUTHENTICATED and change nothing; picks and stats stay open', async () => {
  const before = await callUnary(lb.getStats.bind(lb), {}, CALL_TIMEOUT_MS);
  await expectStatus(
    callUnary(anonymousLb.deregisterServer.bind(anonymousLb), { address: BACKEND, reason: 'spoofed' }, CALL_TIMEOUT_MS),
    GrpcStatus.UNAUTHENTICATED,
    /cluster token/,
  );
  await expectStatus(callUnary(anonymousLb.setPolicy.bind(anonymousLb), { policy: 'random', config: undefined }, CALL_TIMEOUT_MS), GrpcStatus.UNAUTHENTICATED, /cluster token/);
  await expectStatus(
    callUnary(anonymousLb.registerServer.bind(anonymousLb), { backendId: 'x', address: BACKEND, weight: 1, speed: 1 }, CALL_TIMEOUT_MS),
    GrpcStatus.UNAUTHENTICATED,
    /cluster token/,
  );
  const report = { address: BACKEND, inFlight: 0, queueDepth: 0, cpuPercent: 0, servedSimple: 0, servedHeavy: 0, recentLatencyMs: 0, rssBytes: 0 };
  await expectStatus(callUnary(anonymousLb.reportLoad.bind(anonymousLb), report, CALL_TIMEOUT_MS), GrpcStatus.UNAUTHENTICATED, /cluster token/);
  const after = await callUnary(anonymousLb.getStats.bind(anonymousLb), {}, CALL_TIMEOUT_MS);
  assert.equal(after.policy, before.policy);
  assert.equal(after.backends.filter((entry) => entry.state === 'serving').length, 2, 'both backends still serving');
  const pick = await callUnary(anonymousLb.getServer.bind(anonymousLb), { clientId: 'c', taskType: 1, key: '', exclude: [], requestId: 0, done: [] }, CALL_TIMEOUT_MS);
  assert.ok([BACKEND, `127.0.0.1:${BASE_PORT + 2}`].includes(pick.address));
});

rpc('SetPolicy: an unknown policy or setting is INVALID_ARGUMENT and the active policy stays', async () => {
  await expectStatus(callUnary(lb.setPolicy.bind(lb), { policy: 'fastest', config: undefined }, CALL_TIMEOUT_MS), GrpcStatus.INVALID_ARGUMENT, /unknown policy "fastest"/);
  await expectStatus(
    callUnary(lb.setPolicy.bind(lb), { policy: 'rr', config: { ringSlots: 0, virtualNodes: 0, ringHash: 'sha1', hashBalance: 0 } }, CALL_TIMEOUT_MS),
    GrpcStatus.INVALID_ARGUMENT,
    /unknown ring hash "sha1"/,
  );
  assert.equal((await callUnary(lb.getStats.bind(lb), {}, CALL_TIMEOUT_MS)).policy, 'round_robin');
});

rpc('ReportLoad: unknown backend is NOT_FOUND; impossible figures are INVALID_ARGUMENT', async () => {
  const report = { address: '127.0.0.1:1', inFlight: 0, queueDepth: 0, cpuPercent: 0, servedSimple: 0, servedHeavy: 0, recentLatencyMs: 0, rssBytes: 0 };
  await expectStatus(callUnary(lb.reportLoad.bind(lb), report, CALL_TIMEOUT_MS), GrpcStatus.NOT_FOUND, /not registered/);
  await expectStatus(callUnary(lb.reportLoad.bind(lb), { ...report, address: BACKEND, cpuPercent: -5 }, CALL_TIMEOUT_MS), GrpcStatus.INVALID_ARGUMENT, /cpu_percent -5/);
  await expectStatus(
    callUnary(lb.reportLoad.bind(lb), { ...report, address: BACKEND, queueDepth: 3, inFlight: 1 }, CALL_TIMEOUT_MS),
    GrpcStatus.INVALID_ARGUMENT,
    /queue_depth 3 exceeds in_flight 1/,
  );
});

rpc('after all that, the LB still serves both backends', async () => {
  const seen = new Set<string>();
  for (let index = 0; index < 10; index += 1) {
    seen.add((await callUnary(lb.getServer.bind(lb), { clientId: 'c', taskType: 1, key: '', exclude: [], requestId: 0, done: [] }, CALL_TIMEOUT_MS)).address);
  }
  assert.equal([...seen].sort(), [BACKEND, `127.0.0.1:${BASE_PORT + 2}`]);
});

rpc.run();
