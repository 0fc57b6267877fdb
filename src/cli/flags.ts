// Flags shared by several commands.
import type { Interfaces } from '@oclif/core';
// The flags module alone: a role process loads neither oclif's config nor the rest of its index (see role-entry.ts).
import * as Flags from '@oclif/core/flags';

import { formatDurationMs, parseDurationFlag } from '../core/duration.js';
import { parseFraction } from '../core/fraction.js';
import { LbxError } from '../core/lbx-error.js';
import { DEFAULT_CLUSTER_NAME, validateClusterName } from '../runtime/cluster/cluster-paths.js';
import type { RegistryConnection, RegistryKind } from '../runtime/registry/create-registry.js';

// No -n: like tail, `lbx logs -n` is a number of lines, so no command uses -n for anything else.
export const clusterNameFlag = Flags.string({
  description: 'Cluster name: several clusters can run side by side (state in $LBX_HOME/<name>, default ~/.lbx).',
  default: DEFAULT_CLUSTER_NAME,
});

/** Where a role reaches the registry (host:port); each role also needs it when run on its own. */
export const registryAddressFlag = Flags.string({
  description: "Registry address, host:port: a Consul agent's (or the embedded registry's) HTTP API, or an etcd client URL.",
  required: true,
});

/** The APIs a registry may speak; the embedded registry speaks Consul's. */
export const REGISTRY_KINDS = ['embedded', 'consul', 'etcd'] as const satisfies readonly RegistryKind[];

/** Which API the registry at --registry-addr speaks. */
export const registryKindFlag = Flags.option({
  description: "What the registry at --registry-addr is: consul (a Consul agent; lbx's embedded registry speaks the same API), embedded, or etcd.",
  options: REGISTRY_KINDS,
  default: 'consul' as const,
})();

/** The cluster's name in the registry: etcd keys live under /lbx/<name>/. */
export const registryClusterFlag = Flags.string({
  description: 'Cluster name in the registry: etcd keys live under /lbx/<name>/ (Consul and the embedded registry ignore it).',
  default: DEFAULT_CLUSTER_NAME,
});

/** The registry a role or command was pointed at with --registry, --registry-addr and --cluster. */
export function registryConnectionFromFlags(flags: { readonly registry: RegistryKind; readonly 'registry-addr': string; readonly cluster: string }): RegistryConnection {
  return { kind: flags.registry, address: flags['registry-addr'], cluster: validateClusterName(flags.cluster) };
}

/** An address of this machine to listen on (checked: an empty or foreign one is a usage error); IPv6 with or without brackets. */
export const hostFlag = Flags.custom<string>({
  description: "Address to listen on: an address of this machine (127.0.0.1, ::1, an interface's address) or 0.0.0.0 / :: for all.",
  default: '127.0.0.1',
  parse: async (input, _context, flag) => {
    const { checkLocalHost } = await import('../runtime/cluster/local-host.js');
    return checkLocalHost(`--${flag.name}`, input);
  },
})();

/** The cluster's token file (set by the supervisor): the LB requires it on calls that change its state; backends send it. */
export const tokenFileFlag = Flags.string({
  description:
    'File holding the cluster token (an `lbx up` cluster keeps it in $LBX_HOME/<name>/control.token). An LB given one requires it on RegisterServer, DeregisterServer, ReportLoad and SetPolicy; a backend sends it. Without it, those calls are open to every local user.',
});

/** Marks a child's argv with its cluster directory so stale pids can be verified before any signal. */
export const clusterDirFlag = Flags.string({ description: 'Cluster directory (set by the supervisor).', hidden: true });

export interface DurationFlagOptions {
  readonly description: string;
  readonly minMs: number;
  readonly maxMs: number;
  readonly char?: 'd' | 'i';
  readonly hidden?: boolean;
  /** Keep fractions of a millisecond (a latency limit); timers and intervals are whole ms. */
  readonly isFractional?: boolean;
}

/**
 * A duration flag: 500ms, 30s, 2m, 1m30s, or a bare number of ms (what every lbx duration flag took
 * before units), within [minMs, maxMs]. Parsed into ms; a bad value is a usage error naming the
 * flag, the value and the accepted forms.
 */
export function durationFlag(options: DurationFlagOptions & { readonly defaultMs: number }): Interfaces.OptionFlag<number>;
export function durationFlag(options: DurationFlagOptions): Interfaces.OptionFlag<number | undefined>;
export function durationFlag(options: DurationFlagOptions & { readonly defaultMs?: number }): Interfaces.OptionFlag<number | undefined> {
  const { defaultMs, minMs, maxMs, description, char, hidden, isFractional } = options;
  const bounds = { minMs, maxMs, isWholeMs: !isFractional };
  const build = Flags.custom<number>({
    parse: async (input, _context, flag) => parseDurationFlag(`--${flag.name}`, input, bounds),
    helpValue: '<duration>',
  });
  const common = { description, ...(char ? { char } : {}), ...(hidden ? { hidden } : {}) };
  if (defaultMs === undefined) return build(common);
  // Help shows the default as typed (10s), not as the ms it parses to.
  return build({ ...common, default: defaultMs, defaultHelp: async () => formatDurationMs(defaultMs) });
}

/** Highest seed: seeds are unsigned 32-bit integers. */
const MAX_SEED = 4_294_967_295;

/** A --seed flag (send and bench: the task order; chaos: its choices); `description` says what it seeds and what happens without it. */
export const seedFlag = (description: string) => Flags.integer({ description, min: 0, max: MAX_SEED });

/** The seed used when --seed is not given: random, and reported with the results so a run can be repeated. */
export const randomSeed = (): number => Math.floor(Math.random() * (MAX_SEED + 1));

/** The signals `kill` and `chaos` may send: a crash, or a graceful stop. */
export const KILL_SIGNALS = ['SIGKILL', 'SIGTERM'] as const;
export const killSignalFlag = Flags.option({
  char: 's',
  description: 'Signal to send: SIGKILL (a crash) or SIGTERM (a graceful stop).',
  options: KILL_SIGNALS,
  default: 'SIGKILL' as const,
})();

/** host:port as a flag value: a name or IPv4 address, or a bracketed IPv6 address, and a port (xds bootstrap --address, send --xds-addr). */
export const HOST_PORT_PATTERN = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/;

/**
 * A flag taking a share typed as a fraction or a percentage (--errors 5%, --retry-budget 0.2); a bad value is a usage
 * error naming the flag, the value and `what` it should be, with `example` as both forms.
 */
export const shareFlag = (options: { readonly description: string; readonly helpValue: string; readonly what: string; readonly example: number }) =>
  Flags.custom<number>({
    description: options.description,
    helpValue: options.helpValue,
    parse: async (input, _context, flag) => {
      const value = parseFraction(input);
      const forms = `(e.g. ${options.example}) or a percentage (e.g. ${options.example * 100}%)`;
      if (value === undefined) throw new LbxError('usage', `--${flag.name} "${input}": expected ${options.what} from 0 to 1 ${forms}`);
      return value;
    },
  })();
