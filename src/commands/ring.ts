import { Flags } from '@oclif/core';

import { LbxCommand } from '../cli/lbx-command.js';
import { clusterNameFlag } from '../cli/flags.js';
import { renderRing } from '../cli/render-ring.js';
import { analyzeRing, DEFAULT_RING_KEYS, MAX_RING_KEYS, type RingInput, type RingResult, type RingSource } from '../core/hash/ring-analysis.js';
import type { RingMember } from '../core/hash/hash-ring.js';
import type { PolicyConfig } from '../core/policies/policy.js';
import { DEFAULT_BASE_PORT, MAX_BACKENDS, MAX_BASE_PORT, MIN_BASE_PORT } from '../runtime/cluster/ports.js';

const HYPOTHETICAL_HOST = '127.0.0.1';
const RING_HASHES = ['murmur3', 'course'] as const;

export default class Ring extends LbxCommand {
  static override summary = "Show the consistent-hash ring of a running cluster, or of a hypothetical one: each backend's share, and which keys a change would move.";

  static override description = `VNODES are the slots a backend's virtual nodes hold; DISPLACED those that found their slot taken and moved on (linear probing); SHARE is its part of the key space; KEYS how many of key-0 … key-(N-1) it owns (--keys N).

The ring is the running cluster's settings (512 slots × 9 virtual nodes, murmur3, unless \`lbx up\` or \`lbx policy\` changed them), overridden by --ring-slots, --vnodes and --ring-hash. With --backends N no cluster is needed: the ring of N backends on 127.0.0.1:base+1…base+N.

--add N / --remove PORT show the ring after that change, how many of the keys move and between which backends.`;

  static override examples = [
    '<%= config.bin %> ring',
    '<%= config.bin %> ring --remove 7002',
    '<%= config.bin %> ring --backends 4 --add 1',
    '<%= config.bin %> ring --backends 3 --ring-hash course',
    '<%= config.bin %> ring --backends 8 --vnodes 40 --ring-slots 4096 --json',
  ];

  static override flags = {
    name: clusterNameFlag,
    backends: Flags.integer({
      char: 'b',
      description: `Show a hypothetical cluster of this many backends (1–${MAX_BACKENDS}) instead of the running one.`,
      min: 1,
      max: MAX_BACKENDS,
    }),
    'base-port': Flags.integer({
      description: `With --backends: the base port, as in \`lbx up\` (backends on base+1…; default ${DEFAULT_BASE_PORT}).`,
      min: MIN_BASE_PORT,
      max: MAX_BASE_PORT,
      dependsOn: ['backends'],
    }),
    add: Flags.integer({ description: 'Show what adding this many backends (on the next ports) would move.', min: 1, max: MAX_BACKENDS, exclusive: ['remove'] }),
    remove: Flags.integer({ description: 'Show what removing the backend on this port would move.', min: 1, max: 65_535 }),
    keys: Flags.integer({ description: `Size of the key set key-0 … key-(N-1) (1–${MAX_RING_KEYS}).`, default: DEFAULT_RING_KEYS }),
    'ring-slots': Flags.integer({ description: 'Slots on the ring (default: the cluster\'s, else 512).' }),
    vnodes: Flags.integer({ description: 'Virtual nodes per backend (default: the cluster\'s, else 9).' }),
    'ring-hash': Flags.option({ description: "Placement: murmur3, or course for the source course's formulas (default: the cluster's, else murmur3).", options: RING_HASHES })(),
  };

  async run(): Promise<RingResult> {
    const { flags } = await this.parse(Ring);
    // The supervisor's own naming: murmur3 places a backend's nodes by this id, so the ring matches the LB's.
    const { backendId } = await import('../runtime/supervisor/role-commands.js');
    const ringMember = (host: string, port: number): RingMember => ({ address: `${host}:${port}`, id: backendId(port) });
    // Flags override only what they set; the ring checks the values (0 included) and names the flag.
    const overrides: PolicyConfig = {
      ...(flags['ring-slots'] === undefined ? {} : { ringSlots: flags['ring-slots'] }),
      ...(flags.vnodes === undefined ? {} : { virtualNodes: flags.vnodes }),
      ...(flags['ring-hash'] === undefined ? {} : { ringHash: flags['ring-hash'] }),
    };

    let source: RingSource;
    let members: RingMember[];
    let config: PolicyConfig;
    let host: string;
    /** Highest backend port the cluster uses (exited ones included); added backends go after it. */
    let lastPort: number;
    if (flags.backends === undefined) {
      const { requireRunningCluster } = await import('../runtime/cluster/cluster-lookup.js');
      const cluster = await requireRunningCluster(flags.name);
      const backends = cluster.components.filter((component) => component.role === 'backend');
      const live = backends.filter((component) => component.state !== 'exited' && component.state !== 'removed');
      members = live.map((component) => ({ address: component.address, id: backendId(component.port) }));
      source = {
        kind: 'cluster',
        name: cluster.name,
        policy: cluster.spec.policy,
        exited: backends.filter((component) => component.state === 'exited').map((component) => component.address),
      };
      config = { ...cluster.spec.policyConfig, ...overrides };
      host = cluster.spec.host;
      lastPort = Math.max(cluster.spec.basePort, ...backends.map((component) => component.port));
    } else {
      const basePort = flags['base-port'] ?? DEFAULT_BASE_PORT;
      host = HYPOTHETICAL_HOST;
      members = Array.from({ length: flags.backends }, (_, index) => ringMember(host, basePort + 1 + index));
      source = { kind: 'hypothetical', host, basePort };
      config = overrides;
      lastPort = basePort + flags.backends;
    }

    const change: RingInput['change'] =
      flags.add !== undefined
        ? { kind: 'add', members: Array.from({ length: flags.add }, (_, index) => ringMember(host, lastPort + 1 + index)) }
        : flags.remove !== undefined
          ? { kind: 'remove', port: flags.remove }
          : undefined;
    const result = analyzeRing({ source, members, config, keyCount: flags.keys, ...(change === undefined ? {} : { change }) });
    if (!flags.json) this.log(renderRing(result));
    return result;
  }
}
