// A kernel network fault on a backend in its own namespace (`lbx up --netns`, `lbx fault --net-*`): what it is,
// checked, described, and the `tc` / `ip` arguments that apply and clear it.
//
// Delay, jitter and loss are one netem qdisc on the veth end in the root namespace: traffic towards the backend
// (requests, health checks) waits or is dropped, so a round trip grows by the delay once. Kernels built without
// netem (CONFIG_NET_SCH_NETEM) can still lose packets: an nftables rule in the backend's namespace drops the same
// share of what arrives on its veth end (numgen random), still in the kernel, still towards the backend only. A partition takes the
// namespace's end of the veth down: both directions are cut, nothing refuses the packets (they are dropped), the
// backend's keepalives stop and its registry lease or health check lapses, as when a real cable is pulled.

/** Bounds: a minute of delay is already a partition. */
export const MAX_NET_DELAY_MS = 60_000;

export interface NetFaultSpec {
  readonly delayMs: number;
  /** Uniform jitter around the delay (netem's second delay argument). */
  readonly jitterMs: number;
  /** Share of packets towards the backend dropped, 0–1. */
  readonly lossRate: number;
  readonly partition: boolean;
  /** 0 = until cleared. */
  readonly durationMs: number;
}

export const NO_NET_FAULT: NetFaultSpec = { delayMs: 0, jitterMs: 0, lossRate: 0, partition: false, durationMs: 0 };

export const isNoNetFault = (fault: NetFaultSpec): boolean => fault.delayMs === 0 && fault.lossRate === 0 && !fault.partition;
/** Whether the fault needs netem (delay, jitter or loss), which some kernels lack; a partition does not. */
export const needsNetem = (fault: NetFaultSpec): boolean => fault.delayMs > 0 || fault.lossRate > 0;

/** The problems of a fault from the wire or the CLI, each naming the field, its value and what is expected; '' when none. */
export function checkNetFault(fault: NetFaultSpec): string {
  const problems: string[] = [];
  const isIn = (value: number, min: number, max: number): boolean => Number.isFinite(value) && value >= min && value <= max;
  if (!isIn(fault.delayMs, 0, MAX_NET_DELAY_MS)) problems.push(`net delay ${fault.delayMs} ms: expected 0–${MAX_NET_DELAY_MS} ms`);
  if (!isIn(fault.jitterMs, 0, MAX_NET_DELAY_MS)) problems.push(`net jitter ${fault.jitterMs} ms: expected 0–${MAX_NET_DELAY_MS} ms`);
  if (fault.jitterMs > 0 && fault.jitterMs > fault.delayMs) problems.push(`net jitter ${fault.jitterMs} ms: needs a net delay at least as large (got ${fault.delayMs} ms)`);
  if (!isIn(fault.lossRate, 0, 1)) problems.push(`net loss ${fault.lossRate}: expected 0–1`);
  if (!isIn(fault.durationMs, 0, 24 * 3_600_000)) problems.push(`duration ${fault.durationMs} ms: expected 0–86400000 ms`);
  if (fault.partition && (fault.delayMs > 0 || fault.lossRate > 0)) problems.push('a partition drops every packet: net delay and loss on top of it mean nothing, give one');
  return problems.join('; ');
}

const percent = (rate: number): string => `${Number((rate * 100).toFixed(3))}%`;

/** One line a person reads: "net delay 100ms ± 20ms, 5% loss, for 30s" or "partitioned". */
export function describeNetFault(fault: NetFaultSpec): string {
  if (isNoNetFault(fault)) return 'none';
  const parts: string[] = [];
  if (fault.partition) parts.push('partitioned (link down)');
  if (fault.delayMs > 0) parts.push(`net delay ${fault.delayMs}ms${fault.jitterMs > 0 ? ` ± ${fault.jitterMs}ms` : ''}`);
  if (fault.lossRate > 0) parts.push(`${percent(fault.lossRate)} net loss`);
  if (fault.durationMs > 0) parts.push(`for ${fault.durationMs / 1_000}s`);
  return parts.join(', ');
}

/** `tc` arguments that put the fault's netem on `link` (replacing any), or undefined when it has no delay or loss. */
export function netemArgs(link: string, fault: NetFaultSpec): string[] | undefined {
  if (!needsNetem(fault)) return undefined;
  const delay = fault.delayMs > 0 ? ['delay', `${fault.delayMs}ms`, ...(fault.jitterMs > 0 ? [`${fault.jitterMs}ms`] : [])] : [];
  const loss = fault.lossRate > 0 ? ['loss', percent(fault.lossRate)] : [];
  return ['qdisc', 'replace', 'dev', link, 'root', 'netem', ...delay, ...loss];
}

/** The nftables table lbx owns in a backend's namespace (only for loss on a kernel without netem). */
export const NFT_LOSS_TABLE = 'lbx_net_fault';
/** numgen's range: loss is kept to a millionth, finer than --net-loss's three decimals of a percent. */
const NFT_LOSS_SCALE = 1_000_000;

/**
 * One `nft` command line (nft reads `;`-separated commands from its arguments) that drops `lossRate` of the packets
 * arriving on `nsLink` inside the backend's namespace, with a counter the kernel keeps; it replaces any earlier rule.
 */
export function nftLossArgs(nsLink: string, lossRate: number): string[] {
  const threshold = Math.round(lossRate * NFT_LOSS_SCALE);
  const chain = `inet ${NFT_LOSS_TABLE} towards_backend`;
  return [
    `add table inet ${NFT_LOSS_TABLE}; flush table inet ${NFT_LOSS_TABLE};`,
    `add chain ${chain} { type filter hook input priority 0; policy accept; };`,
    `add rule ${chain} iifname "${nsLink}" numgen random mod ${NFT_LOSS_SCALE} lt ${threshold} counter drop`,
  ];
}

/** `nft` arguments that remove lbx's loss table (an error when there is none, which a caller ignores). */
export const nftClearArgs = (): string[] => ['delete', 'table', 'inet', NFT_LOSS_TABLE];

/** `tc` arguments that remove whatever root qdisc `link` has (an error when it has none, which a caller ignores). */
export const clearQdiscArgs = (link: string): string[] => ['qdisc', 'del', 'dev', link, 'root'];

/** `ip` arguments that take the namespace's end of the veth down (a partition) or up again. */
export const linkStateArgs = (namespace: string, nsLink: string, up: boolean): string[] => ['-n', namespace, 'link', 'set', 'dev', nsLink, up ? 'up' : 'down'];
