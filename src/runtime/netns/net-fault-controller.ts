// The supervisor's side of `lbx fault --net-*`: puts netem on a backend's veth or takes its namespace's end down,
// remembers what it set, clears it on request, when its duration ends, or at `down` (with the veth itself).
import { LbxError } from '../../core/lbx-error.js';
import { clearQdiscArgs, describeNetFault, isNoNetFault, linkStateArgs, netemArgs, NO_NET_FAULT, type NetFaultSpec } from '../../core/faults/net-fault.js';
import type { BackendNetwork } from '../../core/netns/netns-plan.js';
import { restoreDefaultRoute } from './cluster-network.js';
import { runNetTool, tryNetTool } from './ip-command.js';

export interface NetFaultRecord {
  readonly port: number;
  readonly namespace: string;
  readonly link: string;
  readonly fault: NetFaultSpec;
  /** "none" when the backend has no network fault. */
  readonly summary: string;
  readonly setAtUnixMs: number;
  readonly expiresAtUnixMs: number;
}

interface Entry {
  readonly record: NetFaultRecord;
  readonly timer?: NodeJS.Timeout;
}

export class NetFaultController {
  private readonly entries = new Map<number, Entry>();

  /** `onExpired` hears of a fault its duration cleared (for the supervisor's log). */
  constructor(private readonly onExpired: (record: NetFaultRecord) => void = () => undefined) {}

  /** Replaces the backend's network fault (NO_NET_FAULT clears it); a duration clears it later by itself. */
  set(port: number, network: BackendNetwork, fault: NetFaultSpec): NetFaultRecord {
    this.clearTimer(port);
    removeFault(network);
    if (isNoNetFault(fault)) {
      this.entries.delete(port);
      return this.recordOf(port, network);
    }
    applyFault(network, fault);
    const now = Date.now();
    const record: NetFaultRecord = {
      port,
      namespace: network.namespace,
      link: network.hostLink,
      fault,
      summary: describeNetFault(fault),
      setAtUnixMs: now,
      expiresAtUnixMs: fault.durationMs > 0 ? now + fault.durationMs : 0,
    };
    const timer = fault.durationMs > 0 ? setTimeout(() => this.expire(port, network), fault.durationMs) : undefined;
    timer?.unref();
    this.entries.set(port, { record, ...(timer ? { timer } : {}) });
    return record;
  }

  /** The backend's fault now ("none" included). */
  recordOf(port: number, network: BackendNetwork): NetFaultRecord {
    return (
      this.entries.get(port)?.record ?? { port, namespace: network.namespace, link: network.hostLink, fault: NO_NET_FAULT, summary: 'none', setAtUnixMs: 0, expiresAtUnixMs: 0 }
    );
  }

  /** Forgets every fault and timer: at `down`, where deleting the veths removes the faults themselves. */
  dispose(): void {
    for (const port of this.entries.keys()) this.clearTimer(port);
    this.entries.clear();
  }

  private expire(port: number, network: BackendNetwork): void {
    const entry = this.entries.get(port);
    if (entry === undefined) return;
    this.entries.delete(port);
    removeFault(network);
    this.onExpired(entry.record);
  }

  private clearTimer(port: number): void {
    clearTimeout(this.entries.get(port)?.timer);
  }
}

/** The fault on the link: netem on the root end, or the namespace's end down. A kernel without netem is the user's to hear of. */
function applyFault(network: BackendNetwork, fault: NetFaultSpec): void {
  const netem = netemArgs(network.hostLink, fault);
  if (netem !== undefined) {
    const run = tryNetTool('tc', netem);
    if (!run.ok && /qdisc kind is unknown/i.test(run.stderr)) {
      throw new LbxError(
        'usage',
        `this kernel has no netem qdisc (CONFIG_NET_SCH_NETEM), so --net-delay, --net-jitter and --net-loss cannot work here; --partition can (tc said: ${run.stderr})`,
      );
    }
    if (!run.ok) throw new LbxError('runtime', `tc ${netem.join(' ')} failed: ${run.stderr}`);
  }
  if (fault.partition) runNetTool('ip', linkStateArgs(network.namespace, network.nsLink, false));
}

/** Back to a clean link: no qdisc of ours, the namespace's end up, its default route back. Idempotent. */
function removeFault(network: BackendNetwork): void {
  tryNetTool('tc', clearQdiscArgs(network.hostLink));
  runNetTool('ip', linkStateArgs(network.namespace, network.nsLink, true));
  restoreDefaultRoute(network);
  // A cut left each end's neighbour entry FAILED: the first connections after the cut would meet EHOSTUNREACH.
  tryNetTool('ip', ['neigh', 'flush', 'dev', network.hostLink]);
  tryNetTool('ip', ['-n', network.namespace, 'neigh', 'flush', 'dev', network.nsLink]);
}
