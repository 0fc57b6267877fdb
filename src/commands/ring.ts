import { Flags } from '@oclif/core';

import { LbxCommand } from '../cli/lbx-command.js';
import { clusterNameFlag } from '../cli/flags.js';
import { renderRing } from '../cli/render-ring.js';
import { analyzeRing, DEFAULT_RING_KEYS, MAX_RING_KEYS, type RingResult } from '../core/hash/ring-analysis.js';
import type { PolicyConfig } from '../core/policies/policy.js';
import { DEFAULT_BASE_PORT, MAX_BACKENDS, MAX_BASE_PORT, MIN_BASE_PORT } from '../runtime/cluster/ports.js';

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
    'ring-slots': Flags.integer({ description: "Slots on the ring (default: the cluster's, else 512)." }),
    vnodes: Flags.integer({ description: "Virtual nodes per backend (default: the cluster's, else 9)." }),
    'ring-hash': Flags.option({ description: "Placement: murmur3, or course for the source course's formulas (default: the cluster's, else murmur3).", options: RING_HASHES })(),
  };

  async run(): Promise<RingResult> {
    const { flags } = await this.parse(Ring);
    const { ringInputOf } = await import('../runtime/cluster/ring-input.js');
    // Flags override only what they set; the ring checks the values (0 included) and names the flag.
    const overrides: PolicyConfig = {
      ...(flags['ring-slots'] === undefined ? {} : { ringSlots: flags['ring-slots'] }),
      ...(flags.vnodes === undefined ? {} : { virtualNodes: flags.vnodes }),
      ...(flags['ring-hash'] === undefined ? {} : { ringHash: flags['ring-hash'] }),
    };
    const input = await ringInputOf({
      name: flags.name,
      ...(flags.backends === undefined ? {} : { backends: flags.backends }),
      ...(flags['base-port'] === undefined ? {} : { basePort: flags['base-port'] }),
      overrides,
      ...(flags.add === undefined ? {} : { add: flags.add }),
      ...(flags.remove === undefined ? {} : { remove: flags.remove }),
      keyCount: flags.keys,
    });
    const result = analyzeRing(input);
    if (!flags.json) this.log(renderRing(result));
    return result;
  }
}
