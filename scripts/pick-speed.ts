// `npx tsx scripts/pick-speed.ts [--mode lookaside|proxy] [--json]`: how fast each policy picks over 1,000 backends (issue 3's "a million picks take under 1 s").
//
// Every policy in POLICIES gets a fresh picker over BACKENDS backends and makes PICKS picks as
// the LB would: after each pick it records the assignment on the chosen backend, and every
// REPORT_EVERY_PICKS picks one random backend sends a load report. The clock is fake and moves
// PICK_INTERVAL_MS per pick, randomness is seeded, so two runs do the same work. In proxy mode
// each pick also starts a call, and calls end in the order they started once more than
// PROXY_IN_FLIGHT are open (what the LB's forwarding does). The timing covers the picks and the
// LB's bookkeeping around them, not building the picker (shown apart). The target is wall-clock
// time; CPU time is printed too, since on a busy machine the two part ways.

import { BackendLoad, type LoadSample } from '../src/core/load/backend-load.js';
import { POLICIES } from '../src/core/policies/index.js';
import type { PickableBackend, PickerDeps, PickRequest, PolicyConfig, PolicyFactory } from '../src/core/policies/policy.js';
import { seededRandom } from '../src/core/random/seeded-random.js';

const BACKENDS = 1_000;
const PICKS = 1_000_000;
const REPORT_EVERY_PICKS = 1_000;
/** The fake clock's step: 1 µs per pick. */
const PICK_INTERVAL_MS = 0.001;
const TARGET_MS = 1_000;
/** Distinct keys for consistent_hash, cycled; built before timing so key strings cost nothing. */
const KEY_COUNT = 10_000;
/** Proxy mode: calls open at once; the oldest ends when one more starts. */
const PROXY_IN_FLIGHT = 200;
const SEED = 2024;

/** consistent_hash needs more slots than the default 512 to place 1,000 × 9 virtual nodes. */
const CONFIG_BY_POLICY: Readonly<Record<string, PolicyConfig>> = { consistent_hash: { ringSlots: 16_384 } };

type Mode = 'lookaside' | 'proxy';

interface PolicySpeed {
  readonly policy: string;
  readonly buildMs: number;
  readonly picksMs: number;
  /** CPU time of the process over the picks (user + system, all threads). */
  readonly cpuMs: number;
  readonly picksPerSecond: number;
  readonly unavailable: number;
  readonly meetsTarget: boolean;
}

/** Backends on consecutive ports, sorted by address as the balancer passes them. */
function makeBackends(count: number): PickableBackend[] {
  return Array.from({ length: count }, (_, index) => ({
    address: `127.0.0.1:${10_000 + index}`,
    id: `backend-${index + 1}`,
    weight: 1,
    load: new BackendLoad(),
  }));
}

function loadSample(random: () => number): LoadSample {
  return {
    inFlight: Math.floor(random() * 8),
    queueDepth: 0,
    cpuPercent: 0,
    servedSimple: 0,
    servedHeavy: 0,
    recentLatencyMs: 1 + Math.floor(random() * 50),
    rssBytes: 0,
  };
}

/** Times PICKS picks of `policy` over fresh backends, doing the LB's bookkeeping after each. */
function measure(policy: PolicyFactory, mode: Mode): PolicySpeed {
  const random = seededRandom(SEED);
  let pickCount = 0;
  // Computed from the count rather than summed, so the clock does not drift by rounding.
  const deps: PickerDeps = { random: seededRandom(SEED + 1), nowMs: () => pickCount * PICK_INTERVAL_MS };
  const backends = makeBackends(BACKENDS);
  const keys = Array.from({ length: KEY_COUNT }, (_, index) => `user-${index}`);
  const noExclusions: ReadonlySet<string> = new Set();
  const keyless: PickRequest = { taskKind: 'SIMPLE', key: '', exclude: noExclusions };
  const isKeyed = policy.name === 'consistent_hash';
  const open: BackendLoad[] = [];
  let oldestOpen = 0;
  let unavailable = 0;

  const buildStartMs = performance.now();
  const picker = policy.createPicker(backends, deps, CONFIG_BY_POLICY[policy.name] ?? {});
  const startMs = performance.now();
  const startCpu = process.cpuUsage();
  for (; pickCount < PICKS; pickCount += 1) {
    if (pickCount % REPORT_EVERY_PICKS === 0) {
      const reporting = backends[Math.floor(random() * BACKENDS)] as PickableBackend;
      reporting.load.recordReport(loadSample(random), deps.nowMs());
    }
    const request = isKeyed ? { taskKind: 'SIMPLE' as const, key: keys[pickCount % KEY_COUNT] as string, exclude: noExclusions } : keyless;
    const result = picker.pick(request);
    if (result.kind !== 'backend') {
      unavailable += 1;
      continue;
    }
    result.backend.load.recordAssignment();
    if (mode === 'proxy') {
      result.backend.load.callStarted();
      open.push(result.backend.load);
      if (open.length - oldestOpen > PROXY_IN_FLIGHT) {
        (open[oldestOpen] as BackendLoad).callEnded(1, deps.nowMs());
        oldestOpen += 1;
      }
    }
  }
  const endMs = performance.now();
  const cpu = process.cpuUsage(startCpu);
  const picksMs = endMs - startMs;
  return {
    policy: policy.name,
    buildMs: startMs - buildStartMs,
    picksMs,
    cpuMs: (cpu.user + cpu.system) / 1_000,
    picksPerSecond: PICKS / (picksMs / 1_000),
    unavailable,
    meetsTarget: picksMs < TARGET_MS && unavailable === 0,
  };
}

function parseMode(argv: readonly string[]): Mode {
  const index = argv.indexOf('--mode');
  const mode = index < 0 ? 'lookaside' : argv[index + 1];
  if (mode !== 'lookaside' && mode !== 'proxy') {
    console.error(`--mode must be lookaside or proxy, got ${mode}`);
    process.exit(2);
  }
  return mode;
}

function formatRow(cells: readonly string[], widths: readonly number[]): string {
  return cells.map((cell, index) => (index === 0 ? cell.padEnd(widths[index] ?? 0) : cell.padStart(widths[index] ?? 0))).join('  ');
}

const mode = parseMode(process.argv.slice(2));
const results = POLICIES.map((policy) => measure(policy, mode));

if (process.argv.includes('--json')) {
  console.log(JSON.stringify({ backends: BACKENDS, picks: PICKS, mode, results }, null, 2));
} else {
  const header = ['policy', 'picks/s', `ms for ${PICKS.toLocaleString('en')}`, 'cpu ms', 'build ms', `< ${TARGET_MS} ms`];
  const rows = results.map((result) => [
    result.policy,
    Math.round(result.picksPerSecond).toLocaleString('en'),
    result.picksMs.toFixed(0),
    result.cpuMs.toFixed(0),
    result.buildMs.toFixed(1),
    result.meetsTarget ? 'yes' : result.unavailable > 0 ? `no (${result.unavailable} unavailable)` : 'no',
  ]);
  const widths = header.map((cell, index) => Math.max(cell.length, ...rows.map((row) => (row[index] ?? '').length)));
  console.log(`${PICKS.toLocaleString('en')} picks over ${BACKENDS.toLocaleString('en')} backends, ${mode} mode (node ${process.version})`);
  console.log(formatRow(header, widths));
  for (const row of rows) console.log(formatRow(row, widths));
}
if (results.some((result) => !result.meetsTarget)) process.exitCode = 1;
