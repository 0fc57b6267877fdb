// The lean gRPC server and unary client (src/runtime/grpc/lean) against stock grpc-js on loopback: every call shape a
// backend serves, deadlines and cancellation, refusals of bad input, a graceful stop; and the client's failures.
import http2 from 'node:http2';
import net from 'node:net';

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { credentials, Metadata, Server, ServerCredentials, status, type ServiceError } from '@grpc/grpc-js';

import { startLeanGrpcServer } from '../../src/runtime/grpc/lean/lean-grpc-server.js';
import { LeanUnaryClient } from '../../src/runtime/grpc/lean/lean-unary-client.js';
import { frameMessage } from '../../src/runtime/grpc/lean/grpc-messages.js';
import type { RunningGrpcServer } from '../../src/runtime/grpc/grpc-server.js';
import { BackendClient, BackendService, TaskRequest, TaskResponse, type BackendServer, type TaskStreamResponse } from '../../src/runtime/wire/gen/lbx/v1/backend.js';
import { HealthClient } from '../../src/runtime/wire/gen/grpc/health/v1/health.js';
import { GetServerRequest, LoadBalancerClient, LoadBalancerService, LoadReport } from '../../src/runtime/wire/gen/lbx/v1/load_balancer.js';
import { TaskType } from '../../src/runtime/wire/gen/lbx/v1/task.js';

interface Seen {
  startedUnary: number;
  cancelledUnary: number;
  cancelledStreams: number;
  lastAuthorization: unknown;
}

/** A Backend service whose ProcessTask echoes the task id (or hangs on id "hang"), and whose ProcessTasks answers each entry. */
function echoBackend(seen: Seen): BackendServer {
  return {
    processTask: (call, callback) => {
      seen.startedUnary += 1;
      seen.lastAuthorization = call.metadata.get('authorization')[0];
      call.on('cancelled', () => (seen.cancelledUnary += 1));
      if (call.request.taskId === 'hang') return;
      if (call.request.taskId === 'fail') return callback({ code: status.FAILED_PRECONDITION, details: 'fails as asked: ünïcode %' });
      callback(null, TaskResponse.fromPartial({ taskId: call.request.taskId, backendId: 'echo' }));
    },
    processTasks: (call) => {
      call.on('cancelled', () => (seen.cancelledStreams += 1));
      call.on('data', (request: { tasks: Array<{ seq: number }> }) => {
        call.write({
          answers: request.tasks.map((entry) => ({ seq: entry.seq, response: TaskResponse.fromPartial({ taskId: `t${entry.seq}` }), statusCode: 0, statusMessage: '' })),
        } as unknown as TaskStreamResponse);
      });
      call.on('end', () => call.end());
    },
    getLoad: (_call, callback) => callback(null, LoadReport.fromPartial({ address: 'echo' })),
  };
}

const newSeen = (): Seen => ({ startedUnary: 0, cancelledUnary: 0, cancelledStreams: 0, lastAuthorization: undefined });

async function startEcho(seen: Seen): Promise<RunningGrpcServer> {
  return startLeanGrpcServer('127.0.0.1', 0, [{ name: 'lbx.v1.Backend', definition: BackendService, implementation: echoBackend(seen) }]);
}

const task = (taskId: string): TaskRequest => TaskRequest.fromPartial({ taskId, type: TaskType.SIMPLE });

const unary = (
  client: InstanceType<typeof BackendClient>,
  request: TaskRequest,
  deadlineMs = 5_000,
  metadata = new Metadata(),
): Promise<{ error: ServiceError | null; taskId?: string }> =>
  new Promise((resolve) => client.processTask(request, metadata, { deadline: Date.now() + deadlineMs }, (error, response) => resolve({ error, taskId: response?.taskId })));

/** A raw HTTP/2 request to the server: its status headers and trailers. */
async function rawCall(address: string, headers: http2.OutgoingHttpHeaders, body: Buffer): Promise<Record<string, unknown>> {
  const session = http2.connect(`http://${address}`);
  try {
    return await new Promise((resolve, reject) => {
      const stream = session.request({ ':method': 'POST', ...headers });
      const seenHeaders: Record<string, unknown> = {};
      stream.on('response', (response) => Object.assign(seenHeaders, response));
      stream.on('trailers', (trailers) => Object.assign(seenHeaders, trailers));
      stream.on('data', () => undefined);
      stream.on('close', () => resolve(seenHeaders));
      stream.on('error', reject);
      stream.end(body);
    });
  } finally {
    session.close();
  }
}

const test = suite('lean gRPC server with a stock grpc-js client');

test('unary answers, status errors (details percent-encoded and decoded back), metadata reaches the handler', async () => {
  const seen: Seen = newSeen();
  const server = await startEcho(seen);
  const client = new BackendClient(server.address, credentials.createInsecure());
  try {
    const metadata = new Metadata();
    metadata.set('authorization', 'Bearer abc');
    const ok = await unary(client, task('t-1'), 5_000, metadata);
    assert.is(ok.error, null);
    assert.is(ok.taskId, 't-1');
    assert.is(seen.lastAuthorization, 'Bearer abc');
    const failed = await unary(client, task('fail'));
    assert.is(failed.error?.code, status.FAILED_PRECONDITION);
    assert.is(failed.error?.details, 'fails as asked: ünïcode %');
  } finally {
    client.close();
    await server.stop(0);
  }
});

test('health: Check and a Watch stream that sees NOT_SERVING when the server stops', async () => {
  const server = await startEcho(newSeen());
  const health = new HealthClient(server.address, credentials.createInsecure());
  try {
    const checked = await new Promise<number | undefined>((resolve, reject) =>
      health.check({ service: 'lbx.v1.Backend' }, (error, response) => (error ? reject(error) : resolve(response.status))),
    );
    assert.is(checked, 1, 'SERVING');
    const unknown = await new Promise<ServiceError | null>((resolve) => health.check({ service: 'nope' }, (error) => resolve(error)));
    assert.is(unknown?.code, status.NOT_FOUND);
    const statuses: number[] = [];
    const watch = health.watch({ service: '' });
    const ended = new Promise<void>((resolve) => watch.on('status', () => resolve()));
    watch.on('error', () => undefined);
    watch.on('data', (response: { status: number }) => statuses.push(response.status));
    while (statuses.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    await server.stop(1_000);
    await ended;
    assert.equal(statuses, [1, 2], 'SERVING, then NOT_SERVING as the server stopped');
  } finally {
    health.close();
  }
});

test('a bidirectional stream: many messages each way, the half-close ends it OK', async () => {
  const server = await startEcho(newSeen());
  const client = new BackendClient(server.address, credentials.createInsecure());
  try {
    const call = client.processTasks();
    const answered: string[] = [];
    call.on('data', (response: TaskStreamResponse) => answered.push(...response.answers.map((answer) => answer.response?.taskId ?? '?')));
    call.on('error', () => undefined);
    const closed = new Promise<number>((resolve) => call.on('status', (end) => resolve(end.code)));
    for (let batch = 0; batch < 200; batch++)
      call.write({ tasks: Array.from({ length: 10 }, (_, i) => ({ seq: batch * 10 + i + 1, task: task('x'), timeoutMs: 0, cancel: false })) });
    call.end();
    assert.is(await closed, status.OK);
    assert.is(answered.length, 2_000);
    assert.is(answered[1_999], 't2000');
  } finally {
    client.close();
    await server.stop(0);
  }
});

test('a deadline ends a hung call with DEADLINE_EXCEEDED and tells the handler it was cancelled', async () => {
  const seen: Seen = newSeen();
  const server = await startEcho(seen);
  const client = new BackendClient(server.address, credentials.createInsecure());
  try {
    const hung = await unary(client, task('hang'), 100);
    assert.is(hung.error?.code, status.DEADLINE_EXCEEDED);
    const deadline = Date.now() + 2_000;
    while (seen.cancelledUnary === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.is(seen.cancelledUnary, 1);
    const stream = client.processTasks();
    stream.on('error', () => undefined);
    stream.write({ tasks: [{ seq: 1, task: task('x'), timeoutMs: 0, cancel: false }] });
    await new Promise((resolve) => stream.once('data', resolve));
    stream.cancel();
    while (seen.cancelledStreams === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.is(seen.cancelledStreams, 1, 'a cancelled stream is told');
  } finally {
    client.close();
    await server.stop(0);
  }
});

test('bad input: unknown method, wrong content-type, compressed, oversized, undecodable, a bad grpc-timeout; the server serves on', async () => {
  const server = await startEcho(newSeen());
  const lb = new LoadBalancerClient(server.address, credentials.createInsecure());
  const path = '/lbx.v1.Backend/ProcessTask';
  const grpcHeaders = { ':path': path, 'content-type': 'application/grpc', te: 'trailers' };
  try {
    const unimplemented = await new Promise<ServiceError | null>((resolve) => lb.getServer(GetServerRequest.fromPartial({}), (error: ServiceError | null) => resolve(error)));
    assert.is(unimplemented?.code, status.UNIMPLEMENTED, unimplemented?.details);
    assert.match(unimplemented?.details ?? '', /unknown method \/lbx\.v1\.LoadBalancer\/GetServer/);
    assert.is((await rawCall(server.address, { ':path': path, 'content-type': 'text/plain' }, Buffer.alloc(0)))[':status'], 415);
    const compressed = frameMessage(TaskRequest.encode(task('z')).finish());
    compressed[0] = 1;
    assert.is((await rawCall(server.address, grpcHeaders, compressed))['grpc-status'], String(status.UNIMPLEMENTED));
    const huge = Buffer.alloc(5);
    huge.writeUInt32BE(5 * 1024 * 1024, 1);
    const oversized = await rawCall(server.address, grpcHeaders, huge);
    assert.is(oversized['grpc-status'], String(status.RESOURCE_EXHAUSTED));
    assert.match(String(oversized['grpc-message']), /5242880 bytes.*at most 4194304/);
    const garbage = await rawCall(server.address, grpcHeaders, frameMessage(Buffer.from([0xff, 0xff, 0xff])));
    assert.is(garbage['grpc-status'], String(status.INTERNAL));
    assert.match(String(garbage['grpc-message']), /^Error deserializing request: /);
    const badTimeout = await rawCall(server.address, { ...grpcHeaders, 'grpc-timeout': '12 seconds' }, frameMessage(TaskRequest.encode(task('a')).finish()));
    assert.is(badTimeout['grpc-status'], String(status.OUT_OF_RANGE));
    const client = new BackendClient(server.address, credentials.createInsecure());
    assert.is((await unary(client, task('still-serving'))).taskId, 'still-serving');
    client.close();
  } finally {
    lb.close();
    await server.stop(0);
  }
});

test("a connection's unfinished requests are bounded: past the bound a call is refused RESOURCE_EXHAUSTED, the others go on", async () => {
  const server = await startLeanGrpcServer('127.0.0.1', 0, [{ name: 'lbx.v1.Backend', definition: BackendService, implementation: echoBackend(newSeen()) }], {
    maxBufferedBytesPerConnection: 64 * 1024,
  });
  const session = http2.connect(`http://${server.address}`);
  try {
    const partial = (): { stream: http2.ClientHttp2Stream; status: Promise<string | undefined> } => {
      const stream = session.request({ ':method': 'POST', ':path': '/lbx.v1.Backend/ProcessTask', 'content-type': 'application/grpc', te: 'trailers' });
      const status = new Promise<string | undefined>((resolve) => {
        stream.on('trailers', (trailers) => resolve(String(trailers['grpc-status'])));
        stream.on('response', (headers) => headers['grpc-status'] !== undefined && resolve(String(headers['grpc-status'])));
        stream.on('close', () => resolve(undefined));
      });
      stream.on('data', () => undefined);
      stream.on('error', () => undefined);
      const prefix = Buffer.alloc(5);
      prefix.writeUInt32BE(60_000, 1);
      stream.write(Buffer.concat([prefix, Buffer.alloc(40_000)]));
      return { stream, status };
    };
    const first = partial();
    const second = partial();
    assert.is(await second.status, String(status.RESOURCE_EXHAUSTED));
    first.stream.end(Buffer.alloc(20_000));
    assert.is(await first.status, String(status.OK), 'the first goes on and is answered (60,000 zero bytes decode as an empty TaskRequest)');
  } finally {
    session.destroy();
    await server.stop(0);
  }
});

test('stop: a call under way finishes, new connections are refused, and it ends once idle', async () => {
  let release: (() => void) | undefined;
  const slow: BackendServer = {
    ...echoBackend(newSeen()),
    processTask: (call, callback) => {
      release = () => callback(null, TaskResponse.fromPartial({ taskId: call.request.taskId }));
    },
  };
  const server = await startLeanGrpcServer('127.0.0.1', 0, [{ name: 'lbx.v1.Backend', definition: BackendService, implementation: slow }]);
  const client = new BackendClient(server.address, credentials.createInsecure());
  try {
    const answer = unary(client, task('slow'));
    while (release === undefined) await new Promise((resolve) => setTimeout(resolve, 5));
    const stopped = server.stop(5_000);
    const refused = await new Promise<boolean>((resolve) => {
      const socket = net.connect(server.port, '127.0.0.1');
      socket.on('connect', () => (socket.destroy(), resolve(false)));
      socket.on('error', () => resolve(true));
    });
    assert.ok(refused, 'no new connection once stopping');
    release();
    assert.is((await answer).taskId, 'slow');
    await stopped;
  } finally {
    client.close();
  }
});

test('stop(0), a kill: calls under way fail UNAVAILABLE (a dropped connection, retried elsewhere), never with a status that claims an answer', async () => {
  const seen: Seen = newSeen();
  const server = await startEcho(seen);
  const client = new BackendClient(server.address, credentials.createInsecure());
  try {
    const hung = unary(client, task('hang'));
    while (seen.startedUnary === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    await server.stop(0);
    assert.is((await hung).error?.code, status.UNAVAILABLE);
    assert.is(seen.cancelledUnary, 1, 'the handler is told');
  } finally {
    client.close();
  }
});

const clientSuite = suite('lean unary client against a grpc-js server');

async function grpcJsLb(handler: (request: unknown, metadata: Metadata) => Promise<object>): Promise<{ server: Server; address: string }> {
  const server = new Server();
  server.addService(LoadBalancerService, {
    reportLoad: (call: { request: unknown; metadata: Metadata }, callback: (error: Partial<ServiceError> | null, value?: object) => void) => {
      handler(call.request, call.metadata).then(
        (value) => callback(null, value),
        (error: Partial<ServiceError>) => callback(error),
      );
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  return { server, address: `127.0.0.1:${port}` };
}

clientSuite('answers, statuses, metadata, deadlines, cancellation; an unreachable server is UNAVAILABLE', async () => {
  const seenTokens: unknown[] = [];
  const { server, address } = await grpcJsLb(async (request, metadata) => {
    seenTokens.push(metadata.get('authorization')[0]);
    const { address: reported } = request as { address: string };
    if (reported === 'missing') throw { code: status.NOT_FOUND, details: 'backend "missing" not registered' };
    if (reported === 'slow') await new Promise((resolve) => setTimeout(resolve, 1_000));
    return {};
  });
  const client = new LeanUnaryClient(address, ['authorization', 'Bearer xyz']);
  try {
    await client.call(LoadBalancerService.reportLoad, LoadReport.fromPartial({ address: 'a' }), 2_000);
    assert.equal(seenTokens, ['Bearer xyz']);
    const notFound = await client.call(LoadBalancerService.reportLoad, LoadReport.fromPartial({ address: 'missing' }), 2_000).catch((error: ServiceError) => error);
    assert.is((notFound as ServiceError).code, status.NOT_FOUND);
    assert.match((notFound as ServiceError).message, /^5 NOT_FOUND: backend "missing" not registered$/);
    const late = await client.call(LoadBalancerService.reportLoad, LoadReport.fromPartial({ address: 'slow' }), 100).catch((error: ServiceError) => error);
    assert.is((late as ServiceError).code, status.DEADLINE_EXCEEDED);
    const abort = new AbortController();
    const cancelled = client.call(LoadBalancerService.reportLoad, LoadReport.fromPartial({ address: 'slow' }), 2_000, abort.signal).catch((error: ServiceError) => error);
    abort.abort();
    assert.is(((await cancelled) as ServiceError).code, status.CANCELLED);
    await client.call(LoadBalancerService.reportLoad, LoadReport.fromPartial({ address: 'after' }), 2_000);
  } finally {
    client.close();
    server.forceShutdown();
  }
  const down = await new LeanUnaryClient(address).call(LoadBalancerService.reportLoad, LoadReport.fromPartial({ address: 'a' }), 2_000).catch((error: ServiceError) => error);
  assert.is((down as ServiceError).code, status.UNAVAILABLE);
});

clientSuite('a restarted server on the same port is reached again by the next call', async () => {
  const first = await grpcJsLb(async () => ({}));
  const client = new LeanUnaryClient(first.address);
  try {
    await client.call(LoadBalancerService.reportLoad, LoadReport.fromPartial({ address: 'a' }), 2_000);
    first.server.forceShutdown();
    const port = Number(first.address.split(':')[1]);
    const second = new Server();
    second.addService(LoadBalancerService, { reportLoad: (_call: unknown, callback: (error: null, value: object) => void) => callback(null, {}) });
    await new Promise<void>((resolve, reject) => second.bindAsync(`127.0.0.1:${port}`, ServerCredentials.createInsecure(), (error) => (error ? reject(error) : resolve())));
    let answered = false;
    for (let attempt = 0; attempt < 20 && !answered; attempt++) {
      answered = await client.call(LoadBalancerService.reportLoad, LoadReport.fromPartial({ address: 'b' }), 1_000).then(
        () => true,
        (error: ServiceError) => (assert.is(error.code, status.UNAVAILABLE), false),
      );
    }
    assert.ok(answered, 'answered after the restart');
    second.forceShutdown();
  } finally {
    client.close();
  }
});

test.run();
clientSuite.run();
