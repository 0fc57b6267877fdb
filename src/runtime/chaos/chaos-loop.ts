// `lbx chaos`: kill a random component every interval for a bounded time, and say what was done.
//
// Without --respawn nobody would bring a killed backend back, and after a few rounds there
// would be nothing left to balance over; so chaos starts its own victims again from the next
// round on (and at the end), leaving the cluster as it found it. It never kills the last ready
// backend: a demo of fault tolerance needs somewhere for the traffic to go.
//
// One kill per tick, ticks at start + n × interval: a start again runs beside the loop, never
// in it, a tick that comes late is not made up for, and a backend tick whose last victim is not
// serving again yet is skipped, so chaos has one backend down at a time. Kills that bunch up (10–90 ms apart,
// when a slow start held the loop and the late rounds then fired together) are a different
// fault from the one asked for: they took out a retry's second backend in the same burst.
import type { ClusterStatus } from '../wire/gen/lbx/v1/supervisor.js';
import type { ChaosKind } from '../../core/faults/chaos-faults.js';
import type { ChaosAction, ChaosControl, ChaosFaults, ChaosTarget } from './chaos-types.js';
import { FaultStrikes } from './fault-strike.js';
import { VictimReviver } from './victim-reviver.js';

export type { ChaosAction, ChaosControl, ChaosTarget } from './chaos-types.js';

export interface ChaosOptions {
  readonly targets: readonly ChaosTarget[];
  /** What a tick may do (default: kill): a kill among `targets`, or a gray failure on a backend through `faults`. */
  readonly kinds?: readonly ChaosKind[];
  readonly faults?: ChaosFaults;
  readonly intervalMs: number;
  readonly durationMs: number;
  readonly signal: 'SIGKILL' | 'SIGTERM';
  /** Start killed backends again (off when the supervisor respawns them itself). */
  readonly revive: boolean;
  readonly startTimeoutMs: number;
  readonly random: () => number;
  readonly nowMs: () => number;
  /** Waits `ms`, or less when `abort` fires. */
  readonly sleep: (ms: number, abort: AbortSignal) => Promise<void>;
  readonly abort: AbortSignal;
  readonly onAction: (action: ChaosAction) => void;
}

export async function runChaos(control: ChaosControl, options: ChaosOptions): Promise<ChaosAction[]> {
  const actions: ChaosAction[] = [];
  const startedAt = options.nowMs();
  const record = (kind: ChaosAction['kind'], component: string, detail: string): void => {
    const action = { atMs: Math.round(options.nowMs() - startedAt), kind, component, detail };
    actions.push(action);
    options.onAction(action);
  };
  const victims = new VictimReviver(control, { ...options, record });
  const kinds = options.kinds ?? ['kill'];
  const grayStrikes = options.faults === undefined ? undefined : new FaultStrikes(options.faults, options.intervalMs, options.random, record, options.nowMs);
  /**
   * Every pid chaos signalled. The supervisor may list a victim as ready for a moment after the
   * kill (it has not seen the exit yet), and a round that runs late comes right after the last:
   * such a process must not be drawn again, nor counted as a ready backend.
   */
  const signalled = new Set<number>();
  let lastBackendVictim: { readonly name: string; readonly pid: number } | undefined;

  /**
   * The backend chaos killed last, while it is not serving again (started by chaos or respawned
   * by the supervisor). Ticks keep their time, so a start again that takes longer than an
   * interval would otherwise let kills pile up until three of four backends are down, and a
   * retried task would meet a dying backend at every attempt.
   */
  const backendNotBack = (status: ClusterStatus): string | undefined => {
    if (lastBackendVictim === undefined) return undefined;
    const { name, pid } = lastBackendVictim;
    const component = status.components.find((candidate) => candidate.name === name);
    const isBack = component === undefined || component.state === 'removed' || (component.state === 'ready' && component.pid !== pid);
    if (isBack) lastBackendVictim = undefined;
    return isBack ? undefined : name;
  };

  const strike = async (): Promise<void> => {
    // One kind alone draws nothing, so a kill-only run's seed picks the same victims as before kinds existed.
    const kind = kinds.length === 1 ? kinds[0]! : kinds[Math.floor(options.random() * kinds.length)]!;
    if (kind !== 'kill' && grayStrikes !== undefined) return grayStrikes.strike(kind, await control.status());
    const target = options.targets[Math.floor(options.random() * options.targets.length)] ?? 'backend';
    const status = await control.status();
    const candidates = status.components.filter((component) => component.role === target && component.state === 'ready' && !signalled.has(component.pid));
    const notBack = target === 'backend' ? backendNotBack(status) : undefined;
    if (notBack !== undefined) {
      record('skipped', 'backend', `${notBack} is not back yet: one backend down at a time`);
      return;
    }
    if (target === 'backend' && candidates.length <= 1) {
      record('skipped', 'backend', `${candidates.length} backend ready: the last one is spared`);
      return;
    }
    const victim = candidates[Math.floor(options.random() * candidates.length)];
    if (victim === undefined) {
      record('skipped', target, `no ${target} is ready (still restarting)`);
      return;
    }
    try {
      signalled.add(victim.pid);
      const killed = await control.killComponent(victim.name, options.signal);
      if (victim.role === 'backend') {
        victims.add(victim.port, victim.name);
        lastBackendVictim = { name: victim.name, pid: victim.pid };
      }
      record('killed', victim.name, `${options.signal} to pid ${killed.pid}`);
    } catch (error) {
      record('failed', victim.name, error instanceof Error ? error.message : String(error));
    }
  };

  for (let round = 0; !options.abort.aborted;) {
    const roundAt = startedAt + round * options.intervalMs;
    if (roundAt - startedAt >= options.durationMs) break;
    await options.sleep(Math.max(0, roundAt - options.nowMs()), options.abort);
    // A round that comes late must not run on past the duration: the clock decides (the first
    // round always runs: a duration shorter than one interval means one round).
    if (options.abort.aborted || (round > 0 && options.nowMs() - startedAt >= options.durationMs)) break;
    // Not awaited past the status call: a start that takes seconds must not hold the next kill.
    await victims
      .reviveInBackground()
      .catch((error: unknown) => record('failed', 'backend', `could not look for victims to start: ${error instanceof Error ? error.message : String(error)}`));
    await strike();
    // The next tick still ahead: ticks this round overran are dropped, never fired together.
    round = Math.max(round + 1, Math.floor((options.nowMs() - startedAt) / options.intervalMs) + 1);
  }
  await victims.reviveAll();
  await grayStrikes?.clearAll();
  return actions;
}
