// The supervisor's side of `lbx fault --net-*`: puts netem on a backend's veth (or, for loss on a kernel without
// netem, an nftables drop rule in its namespace) or takes its namespace's end down,
// remembers what it set, clears it on request, when its duration ends, or at `down` (with the veth itself).
import { LbxError } from '../../core/lbx-error.js';
import {
  clearQdiscArgs,
  describeNetFault,
  isNoNetFault,
  linkStateArgs,
  netemArgs,
  nftClearArgs,
  nftLossArgs,
  NO_NET_FAULT,
  type NetFaultSpec,
} from '../../core/faults/net-fault.js';
import type { BackendNetwork } from '../../core/netns/netns-plan.js';
import { restoreDefaultRoute } from './cluster-network.js';
import { runNetTool, tryNetTool, tryNftIn } from './ip-command.js';

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
    const mechanism = applyFault(network, fault);
    const now = Date.now();
    const record: NetFaultRecord = {
      port,
      namespace: network.namespace,
      link: network.hostLink,
      fault,
      summary: `${describeNetFault(fault)}${mechanism === 'nftables' ? ' (nftables drop: this kernel has no netem)' : ''}`,
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

/** How loss or delay reached the link: netem, nftables (loss on a kernel without netem), or neither (a partition only). */
type ShapingMechanism = 'netem' | 'nftables' | 'none';

/** The fault on the link: netem on the root end (or nftables drop), or the namespace's end down. */
function applyFault(network: BackendNetwork, fault: NetFaultSpec): ShapingMechanism {
  const mechanism = applyShaping(network, fault);
  if (fault.partition) runNetTool('ip', linkStateArgs(network.namespace, network.nsLink, false));
  return mechanism;
}

/** Delay, jitter and loss through netem; loss alone through nftables where the kernel lacks netem. A kernel that can do neither is the user's to hear of. */
function applyShaping(network: BackendNetwork, fault: NetFaultSpec): ShapingMechanism {
  const netem = netemArgs(network.hostLink, fault);
  if (netem === undefined) return 'none';
  const run = tryNetTool('tc', netem);
  if (run.ok) return 'netem';
  if (!/qdisc kind is unknown/i.test(run.stderr)) throw new LbxError('runtime', `tc ${netem.join(' ')} failed: ${run.stderr}`);
  if (fault.delayMs > 0) {
    throw new LbxError(
      'usage',
      `this kernel has no netem qdisc (CONFIG_NET_SCH_NETEM), so --net-delay and --net-jitter cannot work here; --net-loss (an nftables drop rule) and --partition can (tc said: ${run.stderr})`,
    );
  }
  const dropped = tryNftIn(network.namespace, nftLossArgs(network.nsLink, fault.lossRate));
  if (dropped.ok) return 'nftables';
  if (/no nft binary/.test(dropped.stderr)) {
    throw new LbxError('usage', `this kernel has no netem qdisc, so --net-loss needs nftables' nft instead, which is not on PATH: apt-get install nftables`);
  }
  throw new LbxError('runtime', `nft in ${network.namespace} failed to add the loss rule: ${dropped.stderr}`);
}

/** Back to a clean link: no qdisc of ours, the namespace's end up, its default route back. Idempotent. */
function removeFault(network: BackendNetwork): void {
  tryNetTool('tc', clearQdiscArgs(network.hostLink));
  tryNftIn(network.namespace, nftClearArgs());
  runNetTool('ip', linkStateArgs(network.namespace, network.nsLink, true));
  restoreDefaultRoute(network);
  // A cut left each end's neighbour entry FAILED: the first connections after the cut would meet EHOSTUNREACH.
  tryNetTool('ip', ['neigh', 'flush', 'dev', network.hostLink]);
  tryNetTool('ip', ['-n', network.namespace, 'neigh', 'flush', 'dev', network.nsLink]);
}
