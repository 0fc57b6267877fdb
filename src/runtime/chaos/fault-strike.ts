// Chaos's gray-failure actions: a fault of the drawn kind on a random ready backend (it clears itself after two
// ticks), and at the end every fault chaos set cleared, so chaos leaves the cluster as it found it.
import { chaosFault, type ChaosFaultKind } from '../../core/faults/chaos-faults.js';
import { NO_FAULT } from '../../core/faults/fault.js';
import type { ClusterStatus } from '../wire/gen/lbx/v1/supervisor.js';
import type { ChaosAction, ChaosFaults } from './chaos-types.js';

type Record = (kind: ChaosAction['kind'], component: string, detail: string) => void;

export class FaultStrikes {
  /** Backends chaos gave a fault: port → name. */
  private readonly faulted = new Map<number, string>();

  constructor(
    private readonly faults: ChaosFaults,
    private readonly intervalMs: number,
    private readonly random: () => number,
    private readonly record: Record,
  ) {}

  async strike(kind: ChaosFaultKind, status: ClusterStatus): Promise<void> {
    const candidates = status.components.filter((component) => component.role === 'backend' && component.state === 'ready');
    const victim = candidates[Math.floor(this.random() * candidates.length)];
    if (victim === undefined) return this.record('skipped', 'backend', `no backend is ready for a ${kind} fault`);
    try {
      const set = await this.faults.set(victim.port, chaosFault(kind, this.intervalMs));
      this.faulted.set(victim.port, victim.name);
      this.record('faulted', victim.name, set.summary);
    } catch (error) {
      this.record('failed', victim.name, error instanceof Error ? error.message : String(error));
    }
  }

  /** Clears what chaos set; a backend gone meanwhile took its fault with it. */
  async clearAll(): Promise<void> {
    for (const [port, name] of this.faulted) {
      try {
        await this.faults.set(port, NO_FAULT);
        this.record('cleared', name, 'fault cleared');
      } catch (error) {
        this.record('failed', name, `could not clear its fault: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    this.faulted.clear();
  }
}
