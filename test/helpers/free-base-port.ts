// Base ports for integration tests whose whole cluster layout is free now: no collision with a user's running cluster, or with another test file.
import net from 'node:net';

import { MAX_BACKENDS, MAX_BASE_PORT, portLayout, portsToBind } from '../../src/runtime/cluster/ports.js';

/** Ports one cluster can take from its base: 64 backends, their metrics ports and Consul's three (base … base+174). */
export const LAYOUT_SPAN = Math.max(...portsToBind(portLayout(0), MAX_BACKENDS, 'consul').map((entry) => entry.port)) + 1;
/** Candidates start here: above the ports dev servers and lbx's own default (7000) take. */
const LOWEST_BASE_PORT = 10_000;
/** Candidate bases this far apart: the layout rounded up to a round number, so ranges read well in logs. */
const CANDIDATE_STEP = 200;
/**
 * The top of the range is kept for files that lay out several clusters from one base (a span of up to 2,400): they
 * are packed there from the top down, while one-cluster ranges take random candidates below it. Mixed at random,
 * 25 small ranges left no 2,400-port gap often enough to fail a run.
 */
const WIDE_ZONE_PORTS = 12_000;
/** Ports probed at once: enough to be quick, few enough not to exhaust file descriptors. */
const PROBE_BATCH = 128;

/**
 * Ranges handed out in this process. uvu imports every test file before it runs any, so every file asks for its
 * ports before any cluster binds them: a probe alone would give each file the same range.
 */
const handedOut: Array<{ from: number; to: number }> = [];

/** Whether nothing listens on 127.0.0.1:`port` (a listener on 0.0.0.0 counts: binding the loopback address fails too). */
function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen({ port, host: '127.0.0.1', exclusive: true }, () => probe.close(() => resolve(true)));
  });
}

async function isRangeFree(from: number, to: number): Promise<boolean> {
  for (let start = from; start < to; start += PROBE_BATCH) {
    const batch = Array.from({ length: Math.min(PROBE_BATCH, to - start) }, (_, offset) => start + offset);
    if (!(await Promise.all(batch.map(isPortFree))).every(Boolean)) return false;
  }
  return true;
}

export interface FreeBasePortOptions {
  /** Ports needed from the base; more than LAYOUT_SPAN when a file lays out several clusters from one base (base + slot × step). */
  readonly span?: number;
}

/**
 * A base port below 32768 (ports.ts: clear of the ephemeral range) whose `span` ports are all free on 127.0.0.1 now
 * and were not handed out before in this process. The scan starts at a random candidate, so two test runs on one
 * machine (or a user's clusters) rarely meet even between the probe and `up`.
 */
export async function freeBasePort(options: FreeBasePortOptions = {}): Promise<number> {
  const span = Math.max(LAYOUT_SPAN, Math.ceil(options.span ?? LAYOUT_SPAN));
  const highest = MAX_BASE_PORT + LAYOUT_SPAN - span;
  const candidates = Math.floor((highest - LOWEST_BASE_PORT) / CANDIDATE_STEP) + 1;
  if (candidates < 1) throw new Error(`no base port leaves ${span} ports below 32768`);
  const isWide = span > LAYOUT_SPAN;
  const smallCandidates = Math.max(1, Math.floor((MAX_BASE_PORT - WIDE_ZONE_PORTS - LOWEST_BASE_PORT) / CANDIDATE_STEP) + 1);
  const first = Math.floor(Math.random() * smallCandidates);
  for (let tried = 0; tried < candidates; tried += 1) {
    // Wide: from the highest candidate down. Small: a random start below the wide zone, then onwards (wrapping).
    const index = isWide ? candidates - 1 - tried : (first + tried) % candidates;
    const from = LOWEST_BASE_PORT + index * CANDIDATE_STEP;
    const to = from + span;
    if (handedOut.some((range) => from < range.to && range.from < to)) continue;
    if (!(await isRangeFree(from, to))) continue;
    handedOut.push({ from, to });
    return from;
  }
  throw new Error(`no free range of ${span} ports from ${LOWEST_BASE_PORT} to 32767 (every candidate had a port in use)`);
}
