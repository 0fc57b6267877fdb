// Chaos's gray-failure and partition actions: a fault of the drawn kind on a random ready backend (it clears itself
// after two ticks), and at the end every fault chaos set cleared, so chaos leaves the cluster as it found it.
import { chaosFault, chaosPartition, type ChaosStrikeKind } from '../../core/faults/chaos-faults.js';
import { NO_FAULT } from '../../core/faults/fault.js';
import { NO_NET_FAULT } from '../../core/faults/net-fault.js';
import type { ClusterStatus } from '../wire/gen/lbx/v1/supervisor.js';
import type { ChaosAction, ChaosFaults } from './chaos-types.js';

type Record = (kind: ChaosAction['kind'], component: string, detail: string) => void;

export class FaultStrikes {
  /** Backends chaos gave a fault: port → name and whether a network fault (partition) was among them. */
  private readonly faulted = new Map<number, { readonly name: string; isNet: boolean }>();

  constructor(
    private readonly faults: ChaosFaults,
    private readonly intervalMs: number,
    private readonly random: () => number,
    private readonly record: Record,
  ) {}

  async strike(kind: ChaosStrikeKind, status: ClusterStatus): Promise<void> {
    const candidates = status.components.filter((component) => component.role === 'backend' && component.state === 'ready');
    // A partition of the last ready backend would leave the traffic nowhere to go, as a kill would.
    if (kind === 'partition' && candidates.length <= 1) return this.record('skipped', 'backend', `${candidates.length} backend ready: the last one is not partitioned`);
    const victim = candidates[Math.floor(this.random() * candidates.length)];
    if (victim === undefined) return this.record('skipped', 'backend', `no backend is ready for a ${kind} fault`);
    try {
      const isNet = kind === 'partition';
      if (isNet && this.faults.setNet === undefined) throw new Error('partition needs a cluster started with lbx up --netns');
      const set = isNet ? await this.faults.setNet!(victim.port, chaosPartition(this.intervalMs)) : await this.faults.set(victim.port, chaosFault(kind, this.intervalMs));
      const previous = this.faulted.get(victim.port);
      this.faulted.set(victim.port, { name: victim.name, isNet: isNet || previous?.isNet === true });
      this.record('faulted', victim.name, set.summary);
    } catch (error) {
      this.record('failed', victim.name, error instanceof Error ? error.message : String(error));
    }
  }

  /** Clears what chaos set; a backend gone meanwhile took its fault with it. */
  async clearAll(): Promise<void> {
    for (const [port, { name, isNet }] of this.faulted) {
      try {
        await this.faults.set(port, NO_FAULT);
        if (isNet) await this.faults.setNet?.(port, NO_NET_FAULT);
        this.record('cleared', name, 'fault cleared');
      } catch (error) {
        this.record('failed', name, `could not clear its fault: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    this.faulted.clear();
  }
}
