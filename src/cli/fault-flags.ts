// `lbx fault`'s flags and the fault they describe: every value checked, every mistake a usage error naming it.
import { Flags } from '@oclif/core';

import {
  checkFault,
  DEFAULT_FAULT_ERROR_CODE,
  FAULT_ERROR_CODES,
  MAX_FAULT_DURATION_MS,
  MAX_FAULT_LATENCY_MS,
  MAX_SLOWDOWN,
  NO_FAULT,
  type FaultSpec,
} from '../core/faults/fault.js';
import { LbxError } from '../core/lbx-error.js';
import { checkNetFault, MAX_NET_DELAY_MS, NO_NET_FAULT, type NetFaultSpec } from '../core/faults/net-fault.js';
import { durationFlag, shareFlag } from './flags.js';

const rateFlag = (description: string) => shareFlag({ description, helpValue: '<rate>', what: 'a share of calls', example: 0.05 });

export const faultFlags = {
  latency: durationFlag({ description: 'Added latency before each call is served (the median, with --latency-p99).', minMs: 0, maxMs: MAX_FAULT_LATENCY_MS }),
  jitter: durationFlag({ description: 'Uniform jitter around --latency: each call waits latency ± up to this.', minMs: 0, maxMs: MAX_FAULT_LATENCY_MS }),
  'latency-p99': durationFlag({ description: 'Makes the latency log-normal: --latency is its median, this its 99th percentile.', minMs: 1, maxMs: MAX_FAULT_LATENCY_MS }),
  errors: rateFlag('Share of calls answered at once with --error-code (e.g. 5%).'),
  'error-code': Flags.option({ description: 'The gRPC status of an injected error.', options: Object.keys(FAULT_ERROR_CODES), default: 'unavailable' })(),
  hang: rateFlag('Share of calls never answered: the caller’s deadline ends them (e.g. 1%).'),
  slowdown: Flags.custom<number>({
    description: `CPU_HEAVY work multiplied by this (1–${MAX_SLOWDOWN}), as --speeds 1/N, changeable live.`,
    helpValue: '<factor>',
    parse: async (input) => {
      const value = Number(input);
      if (!(Number.isFinite(value) && value >= 1 && value <= MAX_SLOWDOWN)) throw new LbxError('usage', `--slowdown "${input}": expected a factor from 1 to ${MAX_SLOWDOWN}`);
      return value;
    },
  })(),
  'net-delay': durationFlag({
    description: 'Kernel network delay (tc netem) towards the backend; needs a cluster started with lbx up --netns.',
    minMs: 1,
    maxMs: MAX_NET_DELAY_MS,
  }),
  'net-jitter': durationFlag({ description: 'Uniform jitter around --net-delay (netem), at most the delay.', minMs: 1, maxMs: MAX_NET_DELAY_MS }),
  'net-loss': shareFlag({
    description: 'Share of packets towards the backend the kernel drops (netem, or an nftables rule where the kernel lacks netem; e.g. 5%); needs --netns.',
    helpValue: '<rate>',
    what: 'a share of packets',
    example: 0.05,
  }),
  partition: Flags.boolean({ description: 'Cut the backend off the network: its namespace’s end of the veth goes down (needs --netns).' }),
  for: durationFlag({ description: 'The fault clears itself after this long (default: until --clear).', minMs: 1_000, maxMs: MAX_FAULT_DURATION_MS }),
  clear: Flags.boolean({ description: 'Clear the fault of the backend on PORT.', default: false }),
  'clear-all': Flags.boolean({ description: 'Clear every backend’s fault.', default: false }),
  list: Flags.boolean({ description: 'List every running backend’s fault and the calls it touched.', default: false }),
};

export interface FaultFlagValues {
  readonly latency?: number;
  readonly jitter?: number;
  readonly 'latency-p99'?: number;
  readonly errors?: number;
  readonly 'error-code': string;
  readonly hang?: number;
  readonly slowdown?: number;
  readonly 'net-delay'?: number;
  readonly 'net-jitter'?: number;
  readonly 'net-loss'?: number;
  readonly partition?: boolean;
  readonly for?: number;
  readonly clear: boolean;
  readonly 'clear-all': boolean;
  readonly list: boolean;
}

const BACKEND_SETTINGS = ['latency', 'jitter', 'latency-p99', 'errors', 'hang', 'slowdown'] as const;
const NET_SETTINGS = ['net-delay', 'net-jitter', 'net-loss', 'partition'] as const;

/** Set: the backend's own fault, its network fault (kernel, --netns clusters), or both; undefined = leave it as it is. --clear sets both to none. */
export type FaultAction =
  | { readonly kind: 'list' }
  | { readonly kind: 'clear-all' }
  | { readonly kind: 'set'; readonly port: number; readonly fault: FaultSpec | undefined; readonly net: NetFaultSpec | undefined; readonly isClear: boolean };

/** The flags that need a --netns cluster, as typed (for the usage error of a cluster without it). */
export const netFlagsGiven = (flags: FaultFlagValues): string[] => NET_SETTINGS.filter((name) => flags[name] !== undefined && flags[name] !== false).map((name) => `--${name}`);

/** What the flags ask for; a contradiction (a setting with --clear, no port, nothing to set) is a usage error. */
export function faultActionFromFlags(port: number | undefined, flags: FaultFlagValues): FaultAction {
  const backendSettings = BACKEND_SETTINGS.filter((name) => flags[name] !== undefined);
  const netSettings = NET_SETTINGS.filter((name) => flags[name] !== undefined && flags[name] !== false);
  const settings = [...backendSettings, ...netSettings, ...(flags.for === undefined ? [] : ['for' as const])];
  const modes = (['list', 'clear-all', 'clear'] as const).filter((name) => flags[name]);
  if (modes.length > 1) throw new LbxError('usage', `--${modes.join(' and --')} cannot be combined: give one`);
  const mode = modes[0];
  if (mode !== undefined && settings.length > 0) throw new LbxError('usage', `--${mode} takes no fault settings (got --${settings.join(', --')})`);
  if (mode === 'list' || mode === 'clear-all') {
    if (port !== undefined) throw new LbxError('usage', `--${mode} applies to every backend: drop the port ${port}`);
    return { kind: mode };
  }
  if (port === undefined) throw new LbxError('usage', 'which backend? give its port (lbx fault 7002 --latency 200ms), or --list / --clear-all');
  if (mode === 'clear') return { kind: 'set', port, fault: NO_FAULT, net: NO_NET_FAULT, isClear: true };
  if (backendSettings.length === 0 && netSettings.length === 0) {
    throw new LbxError('usage', `nothing to inject on ${port}: give --latency, --errors, --hang, --slowdown, --net-delay, --net-loss or --partition (or --clear)`);
  }
  return { kind: 'set', port, fault: backendSettings.length === 0 ? undefined : backendFault(flags), net: netSettings.length === 0 ? undefined : netFault(flags), isClear: false };
}

/** The network fault the --net-* flags and --partition describe, checked. */
function netFault(flags: FaultFlagValues): NetFaultSpec {
  const fault: NetFaultSpec = {
    delayMs: flags['net-delay'] ?? 0,
    jitterMs: flags['net-jitter'] ?? 0,
    lossRate: flags['net-loss'] ?? 0,
    partition: flags.partition === true,
    durationMs: flags.for ?? 0,
  };
  if (fault.jitterMs > 0 && fault.delayMs === 0) throw new LbxError('usage', `--net-jitter ${fault.jitterMs}ms needs --net-delay: jitter is spread around a delay`);
  const problem = checkNetFault(fault);
  if (problem !== '') throw new LbxError('usage', `network fault refused: ${problem}`);
  return fault;
}

function backendFault(flags: FaultFlagValues): FaultSpec {
  const fault: FaultSpec = {
    ...NO_FAULT,
    latencyMs: flags.latency ?? 0,
    jitterMs: flags.jitter ?? 0,
    latencyP99Ms: flags['latency-p99'] ?? 0,
    errorRate: flags.errors ?? 0,
    errorCode: FAULT_ERROR_CODES[flags['error-code']] ?? DEFAULT_FAULT_ERROR_CODE,
    hangRate: flags.hang ?? 0,
    slowdown: flags.slowdown ?? 1,
    durationMs: flags.for ?? 0,
  };
  const checked = checkFault(fault);
  if (!checked.ok) throw new LbxError('usage', `fault refused: ${checked.message}`);
  return fault;
}
