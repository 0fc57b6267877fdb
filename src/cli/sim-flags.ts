// The flags of `lbx sim` and how they become a plan: every value checked, files read, rates resolved.
import { Flags } from '@oclif/core';

import { LbxError } from '../core/lbx-error.js';
import type { PolicyConfig } from '../core/policies/policy.js';
import { ARRIVAL_FORMS, isOpenArrival, parseArrivalSpec } from '../core/sim/arrival-model.js';
import { type ArrivalPlan, SIM_MODES, type SimMode } from '../core/sim/sim-config.js';
import { parseServiceSpec, SERVICE_FORMS, serviceMeanMs, type ServiceSpec } from '../core/sim/service-model.js';
import { parseSubsetSpec, SUBSET_FORMS } from '../core/sim/subsetting.js';
import type { SimPlan } from '../runtime/sim/run-sim.js';
import { readReplayedRun, readServiceQuantiles } from '../runtime/sim/sim-inputs.js';
import { parsePolicyList } from './bench-flags.js';
import { durationFlag, seedFlag } from './flags.js';
import { MAX_SPEED, MIN_SPEED, parseFactor, parseFactorList } from './number-lists.js';

export const MAX_SIM_BACKENDS = 100_000;
export const MAX_SIM_CLIENTS = 100_000;
const DEFAULT_BACKENDS = 4;
/** Client mode keeps a balancer per client over its subset: memory grows with clients × subset size, so that product is bounded. */
const MAX_CLIENT_MEMBERS = 5_000_000;
const DEFAULT_LOAD = 0.9;
export const VALIDATIONS = ['supermarket', 'subsetting'] as const;

const numberFlag = (description: string, helpValue: string, max: number) =>
  Flags.custom<number>({ description, helpValue, parse: async (input, _context, flag) => parseFactor(`--${flag.name}`, input, max) })();

export const simFlags = {
  backends: Flags.integer({
    char: 'b',
    description: `Simulated backends (1–${MAX_SIM_BACKENDS}; default ${DEFAULT_BACKENDS}, 1,000 with --validate supermarket, 300 with subsetting).`,
    min: 1,
    max: MAX_SIM_BACKENDS,
  }),
  clients: Flags.integer({
    description: `Simulated clients (1–${MAX_SIM_CLIENTS}; default 1, 300 with --validate subsetting). In client mode each balances on its own.`,
    min: 1,
    max: MAX_SIM_CLIENTS,
  }),
  requests: Flags.integer({ description: 'Requests per policy (default 100,000; with --validate supermarket, per case).', min: 1, max: 2_000_000_000 }),
  duration: durationFlag({ description: 'Simulated time after which no request starts (those in flight still end).', minMs: 1, maxMs: 365 * 86_400_000 }),
  arrival: Flags.string({
    description: `How requests arrive: ${ARRIVAL_FORMS}. closed:C keeps C in flight like lbx send --concurrency; replay takes a saved send run's task count, SIMPLE share and concurrency.`,
    default: 'poisson',
  }),
  rate: numberFlag('Open arrivals: requests per simulated second.', '<per-second>', 1e12),
  load: numberFlag(`Open arrivals: offered load λ, the rate as a share of the backends' capacity (Σ speeds / mean service; default ${DEFAULT_LOAD}).`, '<λ>', 10),
  service: Flags.string({
    description: `Service time of one task on a full-speed backend, in ms: ${SERVICE_FORMS} (a measured run's latencies: lbx send --json).`,
    default: 'exp:1',
  }),
  speeds: Flags.string({
    description: `Per backend, comma-separated (${MIN_SPEED}–${MAX_SPEED}): a task takes its service time / speed there, as lbx up --speeds.`,
    helpValue: '<1,1,1,0.25>',
  }),
  cores: numberFlag(
    'Cores the backends share, as processes on one machine (default: a core each): while more backends are busy than cores, each runs at cores / busy of its speed.',
    '<n>',
    1_000_000,
  ),
  policies: Flags.string({ description: 'Policies to compare, comma-separated, as lbx bench takes them.', default: 'rr,lc,p2c,ewma' }),
  mode: Flags.option({
    description:
      'lookaside: one LB picks (told of ends at the client’s next pick) · client: each client balances on its own from stale reports · proxy: one LB forwards and sees every end.',
    options: SIM_MODES,
    default: 'lookaside' as SimMode,
  })(),
  subset: Flags.string({ description: `Client mode: which backends each client uses: ${SUBSET_FORMS}.`, default: 'none' }),
  'update-interval': durationFlag({
    description: 'How often load figures reach a balancer: each client in client mode, the LB from the backends otherwise.',
    minMs: 1,
    maxMs: 3_600_000,
    defaultMs: 500,
  }),
  seed: seedFlag('Seed of every random draw (arrivals, service times, picks, subsets); the same seed gives the same run. Default 1.'),
  warmup: Flags.custom<number>({
    description: 'Share of the requests served first and left out of the figures (0–0.9).',
    helpValue: '<share>',
    parse: async (input) => parseFactor('--warmup', input, 0.9),
  })(),
  html: Flags.string({ description: 'Also write the results as one self-contained HTML file, as lbx bench --html does.', helpValue: '<file>' }),
  validate: Flags.option({
    description:
      'Run a check against known results instead: supermarket (Mitzenmacher, random vs p2c at λ 0.9 and 0.99) or subsetting (connection counts, random vs deterministic).',
    options: VALIDATIONS,
  })(),
};

type SimFlagValues = {
  backends?: number;
  clients?: number;
  requests?: number;
  duration?: number;
  arrival: string;
  rate?: number;
  load?: number;
  service: string;
  speeds?: string;
  cores?: number;
  policies: string;
  mode: SimMode;
  subset: string;
  'update-interval': number;
  seed?: number;
  warmup?: number;
};

/** The flags as a plan; a value out of range or a flag that cannot apply is a usage error naming it. */
export function simPlanFromFlags(flags: SimFlagValues): SimPlan {
  const backends = flags.backends ?? DEFAULT_BACKENDS;
  const clients = flags.clients ?? 1;
  const arrivalSpec = parseArrivalSpec(flags.arrival);
  const subset = parseSubsetSpec(flags.subset);
  if (subset.kind !== 'none' && flags.mode !== 'client') throw new LbxError('usage', `--subset ${flags.subset} applies to client-side balancing only; add --mode client`);
  const perClient = subset.kind === 'none' ? backends : Math.min(subset.size, backends);
  if (flags.mode === 'client' && clients * perClient > MAX_CLIENT_MEMBERS) {
    throw new LbxError(
      'usage',
      `--mode client with ${clients} clients × ${perClient} backends each would keep ${(clients * perClient).toLocaleString('en-US')} load records (one per client and backend it uses), more than ${MAX_CLIENT_MEMBERS.toLocaleString('en-US')}; give each client a subset (--subset deterministic:K or random:K)`,
    );
  }
  if (!isOpenArrival(arrivalSpec) && (flags.rate !== undefined || flags.load !== undefined)) {
    throw new LbxError(
      'usage',
      `--${flags.rate === undefined ? 'load' : 'rate'} applies to open arrivals (poisson, burst:N); --arrival ${flags.arrival} keeps a fixed number in flight`,
    );
  }
  if (flags.rate !== undefined && flags.load !== undefined) throw new LbxError('usage', '--rate and --load both set the arrival rate: give one');
  const service = resolveService(parseServiceSpec(flags.service));
  const speeds = flags.speeds === undefined ? new Array<number>(backends).fill(1) : parseFactorList('--speeds', flags.speeds, backends, MAX_SPEED, MIN_SPEED);
  const meanMs = serviceMeanMs(service);
  const capacityPerMs = speeds.reduce((sum, speed) => sum + speed, 0) / meanMs;
  const replayed = arrivalSpec.kind === 'replay' ? readReplayedRun(arrivalSpec.file) : undefined;
  const requests = flags.requests ?? replayed?.requests ?? 100_000;
  let arrival: ArrivalPlan;
  if (arrivalSpec.kind === 'closed' || replayed) arrival = { kind: 'closed', concurrency: replayed?.concurrency ?? (arrivalSpec.kind === 'closed' ? arrivalSpec.concurrency : 1) };
  else {
    const ratePerMs = flags.rate === undefined ? (flags.load ?? DEFAULT_LOAD) * capacityPerMs : flags.rate / 1_000;
    arrival = arrivalSpec.kind === 'burst' ? { kind: 'burst', ratePerMs, size: arrivalSpec.size } : { kind: 'poisson', ratePerMs };
  }
  const seed = flags.seed ?? 1;
  const warmupRequests = Math.floor((flags.warmup ?? 0) * requests);
  const policyConfig: PolicyConfig = {};
  const base = {
    backends,
    clients,
    requests,
    durationMs: flags.duration ?? Infinity,
    arrival,
    simpleShare: replayed?.simpleShare ?? 0,
    service,
    speeds,
    ...(flags.cores === undefined ? {} : { cores: flags.cores }),
    mode: flags.mode,
    subset,
    updateIntervalMs: flags['update-interval'],
    policyConfig,
    seed,
    warmupRequests,
  };
  const model = {
    backends,
    clients,
    mode: flags.mode,
    arrival: flags.arrival,
    ...(arrival.kind === 'closed' ? { concurrency: arrival.concurrency } : { ratePerSec: arrival.ratePerMs * 1_000, load: arrival.ratePerMs / capacityPerMs }),
    service: flags.service,
    serviceMeanMs: meanMs,
    simpleShare: base.simpleShare,
    ...(flags.speeds === undefined ? {} : { speeds }),
    ...(flags.cores === undefined ? {} : { cores: flags.cores }),
    subset: flags.subset,
    updateIntervalMs: flags['update-interval'],
    requests,
    ...(flags.duration === undefined ? {} : { durationMs: flags.duration }),
    warmupRequests,
    seed,
  };
  return { model, base, policies: parsePolicyList(flags.policies) };
}

/** hist:<file> with its quantiles read from the file. */
function resolveService(spec: ServiceSpec): ServiceSpec {
  return spec.kind === 'hist' ? { ...spec, points: readServiceQuantiles(spec.file) } : spec;
}
