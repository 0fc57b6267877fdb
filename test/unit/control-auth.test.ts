// The control token: a 0600 file, fresh each time, and a guard that refuses calls without it before any handler runs.
import { mkdtempSync, rmSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { credentials, Metadata, Server, ServerCredentials, status as GrpcStatus } from '@grpc/grpc-js';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { isLbxError } from '../../src/core/lbx-error.js';
import { callUnary } from '../../src/runtime/grpc/unary.js';
import { isServiceError } from '../../src/runtime/grpc/status-errors.js';
import { requireToken } from '../../src/runtime/grpc/bearer-token.js';
import { tokenInterceptor } from '../../src/runtime/grpc/token-interceptor.js';
import { createControlToken, readControlToken, tokenFile } from '../../src/runtime/cluster/cluster-token.js';
import { SupervisorClient, SupervisorService, type SupervisorServer } from '../../src/runtime/wire/gen/lbx/v1/supervisor.js';
import { statusError } from '../../src/runtime/grpc/status-errors.js';
import { withTimeout } from '../helpers/with-timeout.js';

const CALL_TIMEOUT_MS = 2_000;

// ---------------------------------------------------------------- the token file
const file = suite('control token file');
const dir = mkdtempSync(path.join(os.tmpdir(), 'lbx-control-auth-'));
const paths = { name: 'unit', dir };
file.after(() => rmSync(dir, { recursive: true, force: true }));

file('is mode 0600 exactly, even under a permissive umask, and holds what it returned', async () => {
  const previous = process.umask(0o000);
  let token: string;
  try {
    token = await createControlToken(paths);
  } finally {
    process.umask(previous);
  }
  assert.equal((statSync(tokenFile(paths)).mode & 0o777).toString(8), '600');
  assert.match(token, /^[0-9a-f]{64}$/);
  assert.equal(readControlToken(paths), token);
});

file('differs on every call, and a new one replaces the old file', async () => {
  const tokens = new Set<string>();
  for (let index = 0; index < 5; index += 1) tokens.add(await createControlToken(paths));
  assert.equal(tokens.size, 5);
  assert.ok(tokens.has(readControlToken(paths)), 'the file holds one of them');
  assert.equal((statSync(tokenFile(paths)).mode & 0o777).toString(8), '600');
});

file('a missing, unreadable or malformed token is an LbxError naming the file', () => {
  const other = mkdtempSync(path.join(os.tmpdir(), 'lbx-control-auth-none-'));
  try {
    const expectError = (pattern: RegExp): void => {
      try {
        readControlToken({ name: 'other', dir: other });
      } catch (error) {
        assert.ok(isLbxError(error), String(error));
        assert.match(error.message, pattern);
        assert.ok(error.message.includes(path.join(other, 'control.token')), error.message);
        return;
      }
      assert.unreachable(`expected ${pattern}`);
    };
    expectError(/has no control token/);
    writeFileSync(path.join(other, 'control.token'), 'not-a-token\n');
    expectError(/malformed/);
    // Root reads anything, so the permission case is only checkable as an ordinary user.
    if (process.getuid?.() !== 0) {
      chmodSync(path.join(other, 'control.token'), 0o000);
      expectError(/cannot read the control token .* owned by another user\?/);
    }
  } finally {
    rmSync(other, { recursive: true, force: true });
  }
});

file.run();

// ---------------------------------------------------------------- the guard, on a real server
const guard = suite('requireToken on a live server');
const TOKEN = 'ab'.repeat(32);
const TOKEN_FILE = '/somewhere/control.token';
let server: Server;
let address: string;
const ran: string[] = [];

const fakeSupervisor: SupervisorServer = {
  getStatus: (_call, callback) => {
    ran.push('getStatus');
    callback(null, {
      name: 'fake',
      supervisorPid: 1,
      startedAtUnixMs: 0,
      policy: 'rr',
      registryKind: 'embedded',
      registryAddress: '',
      lbAddress: '',
      components: [],
      respawn: false,
    });
  },
  killBackend: (_call, callback) => {
    ran.push('killBackend');
    callback(null, { pid: 1, name: 'backend-1' });
  },
  shutdown: (_call, callback) => {
    ran.push('shutdown');
    callback(null, {});
  },
  setPolicy: (_call, callback) => callback(statusError(GrpcStatus.UNIMPLEMENTED, 'fake')),
  addBackend: (_call, callback) => callback(statusError(GrpcStatus.UNIMPLEMENTED, 'fake')),
  removeBackend: (_call, callback) => callback(statusError(GrpcStatus.UNIMPLEMENTED, 'fake')),
  startBackend: (_call, callback) => callback(statusError(GrpcStatus.UNIMPLEMENTED, 'fake')),
  scale: (_call, callback) => callback(statusError(GrpcStatus.UNIMPLEMENTED, 'fake')),
  killComponent: (_call, callback) => callback(statusError(GrpcStatus.UNIMPLEMENTED, 'fake')),
  setNetFault: (_call, callback) => callback(statusError(GrpcStatus.UNIMPLEMENTED, 'fake')),
  listNetFaults: (_call, callback) => callback(statusError(GrpcStatus.UNIMPLEMENTED, 'fake')),
};

guard.before(async () => {
  server = new Server();
  server.addService(SupervisorService, requireToken(fakeSupervisor, TOKEN, TOKEN_FILE));
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  address = `127.0.0.1:${port}`;
});

guard.after(() => {
  server?.forceShutdown();
});

guard.before.each(() => {
  ran.length = 0;
});

/** Calls GetStatus with `authorization` set to each of `values` (none when empty). */
async function getStatusWith(values: readonly string[]): Promise<unknown> {
  const client = new SupervisorClient(address, credentials.createInsecure());
  const metadata = new Metadata();
  for (const value of values) metadata.add('authorization', value);
  try {
    return await withTimeout(
      new Promise((resolve, reject) => {
        client.getStatus({}, metadata, { deadline: Date.now() + CALL_TIMEOUT_MS }, (error, response) => (error ? reject(error) : resolve(response)));
      }),
      CALL_TIMEOUT_MS * 2,
      'GetStatus',
    );
  } finally {
    client.close();
  }
}

async function expectUnauthenticated(call: Promise<unknown>): Promise<void> {
  try {
    await call;
  } catch (error) {
    assert.ok(isServiceError(error), `expected a gRPC status error, got ${String(error)}`);
    assert.equal(GrpcStatus[error.code], 'UNAUTHENTICATED');
    assert.ok(error.details.includes(TOKEN_FILE), `names the token file: ${error.details}`);
    return;
  }
  assert.unreachable('expected UNAUTHENTICATED');
}

for (const [label, values] of [
  ['no authorization', []],
  ['a wrong token of the right length', [`Bearer ${'cd'.repeat(32)}`]],
  ['the token one character short', [`Bearer ${TOKEN.slice(0, -1)}`]],
  ['the token with a suffix', [`Bearer ${TOKEN}0`]],
  ['the bare token, no scheme', [TOKEN]],
  ['another scheme', [`Basic ${TOKEN}`]],
  ['lower-case scheme and two spaces', [`bearer  ${TOKEN}`]],
  ['an empty value', ['']],
] as const) {
  guard(`${label}: UNAUTHENTICATED and the handler never runs`, async () => {
    await expectUnauthenticated(getStatusWith(values));
    assert.equal(ran, []);
  });
}

guard('two authorization values (a wrong one, then the right one): refused, the handler never runs', async () => {
  // HTTP/2 allows one authorization header, so grpc-js's client fails the call itself (INTERNAL);
  // the guard would refuse it too (it accepts exactly one value).
  try {
    await getStatusWith(['Bearer nope', `Bearer ${TOKEN}`]);
    assert.unreachable('expected the call to fail');
  } catch (error) {
    assert.ok(isServiceError(error), String(error));
    assert.not.equal(error.code, GrpcStatus.OK);
  }
  assert.equal(ran, []);
});

guard('the right token: the handler runs once', async () => {
  const response = (await getStatusWith([`Bearer ${TOKEN}`])) as { name: string };
  assert.equal(response.name, 'fake');
  assert.equal(ran, ['getStatus']);
});

guard('every method is guarded: Shutdown and KillBackend without the token do nothing', async () => {
  const client = new SupervisorClient(address, credentials.createInsecure());
  try {
    await expectUnauthenticated(callUnary(client.shutdown.bind(client), {}, CALL_TIMEOUT_MS));
    await expectUnauthenticated(callUnary(client.killBackend.bind(client), { port: 7001, signal: 'SIGKILL' }, CALL_TIMEOUT_MS));
    await expectUnauthenticated(callUnary(client.scale.bind(client), { backends: 3 }, CALL_TIMEOUT_MS));
  } finally {
    client.close();
  }
  assert.equal(ran, []);
});

guard("tokenInterceptor adds the token to every call, and leaves the caller's metadata alone", async () => {
  const client = new SupervisorClient(address, credentials.createInsecure(), { interceptors: [tokenInterceptor(TOKEN)] });
  const shared = new Metadata();
  try {
    for (let index = 0; index < 3; index += 1) {
      await new Promise((resolve, reject) =>
        client.getStatus({}, shared, { deadline: Date.now() + CALL_TIMEOUT_MS }, (error, response) => (error ? reject(error) : resolve(response))),
      );
    }
    await callUnary(client.shutdown.bind(client), {}, CALL_TIMEOUT_MS);
  } finally {
    client.close();
  }
  assert.equal(ran, ['getStatus', 'getStatus', 'getStatus', 'shutdown']);
  assert.equal(shared.get('authorization'), [], 'the token did not leak into the shared Metadata');
});

guard('requireToken refuses to guard with a malformed token', () => {
  assert.throws(() => requireToken(fakeSupervisor, 'short', TOKEN_FILE), /malformed token/);
});

guard.run();
