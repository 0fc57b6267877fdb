// An etcd with auth enabled: lbx's etcd client authenticates with etcdctl's ETCDCTL_USER, sends the token, and asks for a
// fresh one when etcd lets it expire; without credentials it is refused. Skipped without an etcd binary.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { etcdCredentialsFromEnv } from '../../src/runtime/registry/etcd/etcd-auth.js';
import { createEtcdRegistryClient } from '../../src/runtime/registry/etcd/etcd-registry-client.js';
import { findExecutable } from '../../src/runtime/registry/find-executable.js';
import { waitFor } from '../../src/runtime/process/wait-for.js';
import { freePort } from '../helpers/registry-kit.js';
import { withTimeout } from '../helpers/with-timeout.js';

const etcdBinary = findExecutable('etcd');
const TOKEN_TTL_S = 1;
const TEST_TIMEOUT_MS = 60_000;
const credentials = { user: 'root', password: 'lbx-test-root' };

const test = suite('etcd with auth enabled');
const context: { child?: ChildProcess; dataDir?: string; address?: string } = {};

async function gateway(route: string, body: unknown, token?: string): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await withTimeout(
    fetch(`http://${context.address}${route}`, { method: 'POST', body: JSON.stringify(body), headers: token === undefined ? {} : { authorization: token } }),
    5_000,
    route,
  );
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

test.before(async () => {
  if (etcdBinary === undefined) return;
  const [clientPort, peerPort] = [await freePort(), await freePort()];
  context.dataDir = mkdtempSync(path.join(os.tmpdir(), 'lbx-etcd-auth-'));
  context.address = `127.0.0.1:${clientPort}`;
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  context.child = spawn(
    etcdBinary,
    [
      ['--name', 'lbx-auth', '--data-dir', path.join(context.dataDir, 'data')],
      ['--listen-client-urls', `http://${context.address}`, '--advertise-client-urls', `http://${context.address}`],
      ['--listen-peer-urls', peerUrl, '--initial-advertise-peer-urls', peerUrl, '--initial-cluster', `lbx-auth=${peerUrl}`],
      ['--auth-token', `simple`, '--auth-token-ttl', String(TOKEN_TTL_S)],
    ].flat(),
    { stdio: 'ignore', detached: true },
  );
  await waitFor(async () => ((await gateway('/v3/kv/range', { key: 'eA==' }).catch(() => undefined))?.status === 200 ? true : undefined), {
    description: `etcd on ${context.address}`,
    timeoutMs: 20_000,
    intervalMs: 100,
  });
  // What an operator does: a root user, then auth on (etcdctl user add root; user grant-role root root; auth enable).
  assert.is((await gateway('/v3/auth/user/add', { name: credentials.user, password: credentials.password })).status, 200);
  assert.is((await gateway('/v3/auth/user/grant', { user: credentials.user, role: 'root' })).status, 200);
  assert.is((await gateway('/v3/auth/enable', {})).status, 200);
});

test.after(() => {
  if (context.child?.pid !== undefined) {
    try {
      process.kill(-context.child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  if (context.dataDir !== undefined) rmSync(context.dataDir, { recursive: true, force: true });
});

const check = etcdBinary === undefined ? test.skip : test;
if (etcdBinary === undefined) console.log('etcd auth: skipped — no etcd binary on PATH (npm run setup installs etcd-server)');

check('ETCDCTL_USER is read as etcdctl reads it', () => {
  assert.equal(etcdCredentialsFromEnv({ ETCDCTL_USER: 'root:secret:with:colons' }), { user: 'root', password: 'secret:with:colons' });
  assert.equal(etcdCredentialsFromEnv({ ETCDCTL_USER: 'root', ETCDCTL_PASSWORD: 'pw' }), { user: 'root', password: 'pw' });
  assert.is(etcdCredentialsFromEnv({}), undefined);
  assert.throws(() => etcdCredentialsFromEnv({ ETCDCTL_USER: ':pw' }), /no user name/);
});

check('without credentials writes are refused; with them register, resolve and watch work, across an expired token', () =>
  withTimeout(
    (async () => {
      const connection = { address: context.address!, cluster: 'auth', requestTimeoutMs: 2_000, watchRetryMaxMs: 200 };
      const anonymous = createEtcdRegistryClient({ ...connection, credentials: undefined });
      const member = createEtcdRegistryClient({ ...connection, credentials });
      try {
        const instance = { id: 'b-1', service: 'lbx-backend', address: '127.0.0.1', port: 13_601, meta: {} };
        const refused = await anonymous.register(instance, { kind: 'ttl', ttlMs: 2_000 }).then(
          () => 'registered',
          (error: Error) => error.message,
        );
        assert.match(refused, /etcd at .* answered HTTP [0-9]+/, refused);
        await member.register(instance, { kind: 'ttl', ttlMs: 2_000 });
        assert.equal(
          (await member.resolve('lbx-backend')).map((entry) => entry.id),
          ['b-1'],
        );
        const seen: string[][] = [];
        const watch = member.watch('lbx-backend', (instances) => seen.push(instances.map((entry) => entry.id)));
        try {
          await waitFor(async () => (seen.length > 0 ? true : undefined), { description: 'the first watch set', timeoutMs: 5_000, intervalMs: 20 });
          // The simple token lapses after TOKEN_TTL_S of disuse; the next call must get a new one by itself.
          const idleUntil = Date.now() + (TOKEN_TTL_S + 1) * 1_000;
          await waitFor(async () => (Date.now() >= idleUntil ? true : undefined), { description: 'the token to lapse', timeoutMs: 10_000, intervalMs: 100 });
          await member.deregister('b-1');
          assert.equal(
            (await member.resolve('lbx-backend')).map((entry) => entry.id),
            [],
          );
          await waitFor(async () => (seen.at(-1)?.length === 0 ? true : undefined), { description: 'the watch to see b-1 go', timeoutMs: 10_000, intervalMs: 20 });
        } finally {
          watch.stop();
        }
      } finally {
        anonymous.close();
        member.close();
      }
    })(),
    TEST_TIMEOUT_MS,
    'the etcd auth test',
  ),
);

test.run();
