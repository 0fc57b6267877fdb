// One named cluster of an integration test file: its ports, the CLI aimed at it, and a bounded run that always tears it down.
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { credentials } from '@grpc/grpc-js';
import * as assert from 'uvu/assert';

import { DEFAULT_UP_TIMEOUT_MS } from '../../src/runtime/cluster/cluster-spec.js';
import { CLIENT_CHANNEL_OPTIONS } from '../../src/runtime/grpc/channel-options.js';
import { callUnary } from '../../src/runtime/grpc/unary.js';
import { LoadBalancerClient, type GetStatsResponse } from '../../src/runtime/wire/gen/lbx/v1/load_balancer.js';
import { findPidsMentioning, type LbxSandbox } from './lbx-cli.js';
import { slackMs } from './load-slack.js';
import { withTimeout } from './with-timeout.js';

const STATS_TIMEOUT_MS = 2_000;
const SEND_TIMEOUT_MS = 120_000;

/** S, R and P: the shapes the test reads from `status --json`, `send --json` and `report --json`. */
export interface TestCluster<S = unknown, R = unknown, P = unknown> {
  readonly name: string;
  readonly basePort: number;
  readonly lbAddress: string;
  /** The registry's HTTP base URL (embedded or Consul). */
  readonly registryBase: string;
  /** Backend number `index` (0-based), as `up` lays them out. */
  backend(index: number): { port: number; address: string };
  run(args: readonly string[]): ReturnType<LbxSandbox['run']>;
  json<T>(args: readonly string[], options?: { allowFailure?: boolean; timeoutMs?: number }): Promise<T>;
  status(): Promise<S>;
  report(): Promise<P>;
  /** A send with --json; resolves even when requests failed, so the test can show why. */
  send(args: readonly string[]): Promise<R>;
  /** The LB's GetStats, asked directly (cheap enough to poll). */
  lbStats(): Promise<GetStatsResponse>;
  /** A component's log so far; '' when it has none. */
  log(component: string): string;
  /** Pids of live processes of this cluster (every child has --cluster-dir <home>/<name> as its last argument). */
  pids(): number[];
}

export function defineCluster<S = unknown, R = unknown, P = unknown>(sandbox: LbxSandbox, name: string, basePort: number): TestCluster<S, R, P> {
  const withName = (args: readonly string[]): string[] => [...args, '--name', name];
  const lbAddress = `127.0.0.1:${basePort + 100}`;
  const cluster: TestCluster<S, R, P> = {
    name,
    basePort,
    lbAddress,
    registryBase: `http://127.0.0.1:${basePort + 102}`,
    backend: (index) => ({ port: basePort + 1 + index, address: `127.0.0.1:${basePort + 1 + index}` }),
    run: (args) => sandbox.run(withName(args)),
    json: (args, options) => sandbox.json(withName(args), options),
    status: () => cluster.json<S>(['status']),
    report: () => cluster.json<P>(['report']),
    send: (args) => cluster.json<R>(['send', ...args], { allowFailure: true, timeoutMs: SEND_TIMEOUT_MS }),
    lbStats: async () => {
      const client = new LoadBalancerClient(lbAddress, credentials.createInsecure(), CLIENT_CHANNEL_OPTIONS);
      try {
        return await callUnary(client.getStats.bind(client), {}, STATS_TIMEOUT_MS);
      } finally {
        client.close();
      }
    },
    log: (component) => {
      try {
        return readFileSync(path.join(sandbox.home, name, 'logs', `${component}.log`), 'utf8');
      } catch {
        return '';
      }
    },
    pids: () => findPidsMentioning(`${path.join(sandbox.home, name)}\0`),
  };
  return cluster;
}

/** Runs `body` on a fresh cluster, bounded in time; prints the logs if it fails; always tears down and checks nothing is left. */
export async function withCluster(
  sandbox: LbxSandbox,
  cluster: TestCluster<unknown, unknown, unknown>,
  upArgs: readonly string[],
  timeoutMs: number,
  body: () => Promise<void>,
): Promise<void> {
  let failed = false;
  try {
    await withTimeout(
      (async () => {
        // up's own readiness deadline is a hang guard here: stretched with the machine's load like the test's bound.
        const readyTimeout = upArgs.includes('--timeout') ? [] : ['--timeout', String(slackMs(DEFAULT_UP_TIMEOUT_MS))];
        await cluster.json(['up', ...upArgs, ...readyTimeout, '--base-port', String(cluster.basePort)]);
        await body();
      })(),
      timeoutMs,
      `test on cluster "${cluster.name}"`,
    );
  } catch (error) {
    failed = true;
    console.error(sandbox.logs(cluster.name));
    throw error;
  } finally {
    const down = await cluster.run(['down']);
    if (!failed) {
      assert.equal(down.exitCode, 0, down.stderr);
      assert.equal(cluster.pids(), [], `no process of cluster "${cluster.name}" is left after down`);
    }
  }
}
