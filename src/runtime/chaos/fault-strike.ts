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
  /** Backends chaos partitioned: port → when that partition ends (nowMs's clock). */
  private readonly partitionedUntil = new Map<number, number>();

  constructor(
    private readonly faults: ChaosFaults,
    private readonly intervalMs: number,
    private readonly random: () => number,
    private readonly record: Record,
    private readonly nowMs: () => number = () => performance.now(),
  ) {}

  async strike(kind: ChaosStrikeKind, status: ClusterStatus): Promise<void> {
    const candidates = status.components.filter((component) => component.role === 'backend' && component.state === 'ready');
    const victim = kind === 'partition' ? this.partitionVictim(candidates) : this.reachable(candidates)[Math.floor(this.random() * this.reachable(candidates).length)];
    if (victim === null) return;
    if (victim === undefined) return this.record('skipped', 'backend', `no backend is ready for a ${kind} fault`);
    try {
      const isNet = kind === 'partition';
      if (isNet && this.faults.setNet === undefined) throw new Error('partition needs a cluster started with lbx up --netns');
      const partition = chaosPartition(this.intervalMs);
      const set = isNet ? await this.faults.setNet!(victim.port, partition) : await this.faults.set(victim.port, chaosFault(kind, this.intervalMs));
      if (isNet) this.partitionedUntil.set(victim.port, this.nowMs() + partition.durationMs);
      const previous = this.faulted.get(victim.port);
      this.faulted.set(victim.port, { name: victim.name, isNet: isNet || previous?.isNet === true });
      this.record('faulted', victim.name, set.summary);
    } catch (error) {
      this.record('failed', victim.name, error instanceof Error ? error.message : String(error));
    }
  }

  /**
   * A ready backend to cut, among those chaos has not cut already, or null when that would leave fewer than one
   * reachable (the supervisor lists a cut backend as ready: only chaos knows it is cut off), said as a skip.
   */
  private partitionVictim<T extends { readonly port: number }>(candidates: readonly T[]): T | undefined | null {
    const reachable = this.reachable(candidates);
    if (reachable.length <= 1) {
      this.record('skipped', 'backend', `${reachable.length} backend reachable: the last one is not partitioned`);
      return null;
    }
    return reachable[Math.floor(this.random() * reachable.length)];
  }

  /** The candidates chaos has not cut off right now (a gray fault could not reach a cut one). */
  private reachable<T extends { readonly port: number }>(candidates: readonly T[]): T[] {
    const now = this.nowMs();
    return candidates.filter((candidate) => (this.partitionedUntil.get(candidate.port) ?? 0) <= now);
  }

  /** Clears what chaos set; a backend gone meanwhile took its fault with it. */
  async clearAll(): Promise<void> {
    for (const [port, { name, isNet }] of this.faulted) {
      try {
        // The network first: a cut backend cannot hear that its own fault is cleared.
        if (isNet) await this.faults.setNet?.(port, NO_NET_FAULT);
        await this.faults.set(port, NO_FAULT);
        this.record('cleared', name, 'fault cleared');
      } catch (error) {
        this.record('failed', name, `could not clear its fault: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    this.faulted.clear();
  }
}
