// The flags of `lbx bench` and their checks: the policies to compare, the workload, `up`'s cluster flags, the thresholds.
import { Flags } from '@oclif/core';

import { LbxError } from '../core/lbx-error.js';
import { POLICIES, resolvePolicy } from '../core/policies/index.js';
import type { PolicyFactory } from '../core/policies/policy.js';
import type { BenchClient, BenchResult } from '../runtime/bench/bench-result.js';
import { clusterFlags } from './cluster-flags.js';
import { CLIENT_KINDS } from './send-client.js';
import { thresholdFlags } from './threshold-flags.js';
import { workloadFlags } from './workload-flags.js';

const DEFAULT_POLICIES = 'rr,pf,ll,lc,p2c,ewma,ch';
/** `--scenario`: a prepared comparison instead of a plain one (cli/bench-scenario.ts runs it). */
export const BENCH_SCENARIOS = ['gray'] as const;
/** Flags that shape a new cluster; with --name of a running one they would be silently ignored, so they are refused. */
const CLUSTER_SHAPE_FLAGS = ['backends', 'registry', 'base-port', 'host', 'heavy-work-units', 'report-interval', 'mode', 'weights', 'speeds', 'respawn'];

export const benchFlags = {
  name: Flags.string({
    description: 'Bench this running cluster (left running) instead of a private one; a cluster by that name that is not running is started and stopped like a private one.',
  }),
  policies: Flags.string({
    description: `Policies to compare, comma-separated, in order: ${POLICIES.map((policy) => policy.shortName).join(', ')} (or long names).`,
    default: DEFAULT_POLICIES,
  }),
  client: Flags.string({
    description: `Who balances each policy's tasks, comma-separated: ${CLIENT_KINDS.join(', ')}. lbx = its look-aside picks (or the proxy); xds = a stock gRPC client (@grpc/grpc-js-xds) following the LB's xDS control plane. With two, each policy runs once per client, one after the other, and CLIENT is a column.`,
    default: 'lbx',
    helpValue: '<lbx,xds>',
  }),
  proxy: Flags.string({
    description:
      "Compare data planes, comma-separated: lbx, haproxy, nginx (implies --mode proxy). Each runs the same seeded workload on a private cluster of its own (same ports, backends and seed), one after the other; a policy a data plane lacks is skipped, and said so. PROXY and PROXY CPU/1K (its processes' CPU ms per 1,000 calls, from /proc) become columns.",
    helpValue: '<lbx,haproxy,nginx>',
  }),
  scenario: Flags.option({
    description:
      'Run a scenario instead of a plain comparison. gray: 6 backends (one +200 ms, one 5% UNAVAILABLE, one 1% hang, three healthy), a no-fault baseline, then each policy (default rr,lc,p2c,ewma,pq) without and with defences (retries in a budget, hedging); default workload 3,000 SIMPLE + 150 CPU_HEAVY, seed 7.',
    options: BENCH_SCENARIOS,
  })(),
  'kill-during': Flags.boolean({
    description:
      "SIGKILL one backend (the last by port) when half of each run's tasks have ended, through the control API; it is started again after the run. FAILED then counts the tasks the kill cost.",
    default: false,
  }),
  ...workloadFlags(' per policy and client'),
  keys: Flags.integer({
    description: 'Cycle through this many distinct keys, one per task in turn (for consistent hashing); the same keys for every policy.',
    min: 1,
    max: 10_000_000,
  }),
  html: Flags.string({ description: 'Also write the results as one self-contained HTML file.', helpValue: '<file>' }),
  ...clusterFlags,
  ...thresholdFlags,
};

/** "rr,ll,ch" → the policies, in order, each once; an unknown name is a usage error naming the choices. */
export function parsePolicyList(text: string): PolicyFactory[] {
  const names = text
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name.length > 0);
  if (names.length === 0) throw new LbxError('usage', `--policies "${text}": expected policy names separated by commas, e.g. rr,ll,p2c`);
  const policies = names.map((name) => resolvePolicy(name));
  return policies.filter((policy, index) => policies.findIndex((other) => other.name === policy.name) === index);
}

/** "lbx,xds" → the clients, in order, each once; an unknown name is a usage error naming it and the choices. */
export function parseClientList(text: string): BenchClient[] {
  const names = text
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name.length > 0);
  const choices = CLIENT_KINDS.join(', ');
  if (names.length === 0) throw new LbxError('usage', `--client "${text}": expected client names (${choices}) separated by commas, e.g. lbx,xds`);
  const unknown = names.find((name) => !isClientKind(name));
  if (unknown !== undefined) throw new LbxError('usage', `--client "${text}": unknown client "${unknown}"; expected one of: ${choices} (comma-separated, e.g. lbx,xds)`);
  return [...new Set(names.filter(isClientKind))];
}

/** --client parsed, and refused up front (before any cluster starts) where an arm cannot run: xds from the single binary. */
export async function benchClientsFromFlag(text: string): Promise<BenchClient[]> {
  const clients = parseClientList(text);
  if (clients.includes('xds')) (await import('../runtime/bench/xds-arm.js')).checkXdsArmCanRun();
  return clients;
}

const isClientKind = (name: string): name is BenchClient => (CLIENT_KINDS as readonly string[]).includes(name);

/** True when the flag was on the command line (not just its default). */
export const isFlagGiven = (raw: ReadonlyArray<{ readonly type: string; readonly flag?: string }>, flag: string): boolean =>
  raw.some((token) => token.type === 'flag' && token.flag === flag);

/** Flags that would shape a new cluster cannot apply to a running one: refused, not silently ignored. `raw` is what oclif parsed, as given. */
export function refuseShapingFlags(name: string, raw: ReadonlyArray<{ readonly type: string; readonly flag?: string }>): void {
  const givenFlags = new Set(raw.flatMap((token) => (token.type === 'flag' && token.flag !== undefined ? [token.flag] : [])));
  const shaping = CLUSTER_SHAPE_FLAGS.filter((flag) => givenFlags.has(flag));
  if (shaping.length === 0) return;
  throw new LbxError('usage', `cluster "${name}" is running: ${shaping.map((flag) => `--${flag}`).join(', ')} would shape a new cluster and cannot apply to it`, [
    `drop ${shaping.length > 1 ? 'them' : 'it'} to bench "${name}" as it is`,
    'or leave out --name to bench a private cluster with those settings',
  ]);
}

/** What a first Ctrl-C during a bench leads to, after the tasks in flight: a shared cluster is left running, a private one stopped. */
export function benchStopNote(bench: { readonly name: string; readonly isShared: boolean }): string {
  const then = bench.isShared ? `leaving cluster "${bench.name}" running on the policy being benched (lbx policy shows it)` : `stopping cluster "${bench.name}"`;
  return `finishing the tasks in flight, then ${then}`;
}

/** The HTML renderer when --html asks for it (a literal import, so a bundler includes it); an empty path is refused before any work. */
export async function loadHtmlRenderer(file: string | undefined): Promise<((result: BenchResult) => string) | undefined> {
  if (file === undefined) return undefined;
  if (file.trim() === '') throw new LbxError('usage', '--html "": expected the path of the HTML file to write');
  const { renderBenchHtml } = await import('./html/render-bench-html.js');
  return renderBenchHtml;
}
