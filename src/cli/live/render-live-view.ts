// Renders a live snapshot as lines (pure): a table for the terminal screen, or key=value lines for pipes and logs.
import { formatCount, formatPercent } from '../format.js';
import { renderTable } from '../table.js';
import type { BackendSnapshot, LiveHealth, LiveSnapshot } from '../../core/live/live-snapshot.js';

export interface ScreenOptions {
  /** ANSI colour on the health column (off for golden tests, NO_COLOR and pipes). */
  readonly color: boolean;
  readonly intervalMs: number;
  /** The command's name in the title: "lbx top" or "lbx report --watch". */
  readonly title: string;
}

const HEALTH_COLOR: Readonly<Record<LiveHealth, string>> = {
  serving: '\u001B[32m',
  starting: '\u001B[33m',
  unreachable: '\u001B[31m',
  exited: '\u001B[31m',
};
const RESET = '\u001B[0m';

const rate = (perSecond: number | undefined): string => (perSecond === undefined ? '-' : formatCount(Math.round(perSecond)));
const share = (fraction: number | undefined): string => (fraction === undefined ? '-' : formatPercent(fraction));

/** The terminal screen: a title line, a blank line, then one table row per backend. */
export function renderLiveScreen(snapshot: LiveSnapshot, options: ScreenOptions): string[] {
  const lb = snapshot.lbReachable ? `LB ${snapshot.lbAddress}` : `LB ${snapshot.lbAddress} unreachable`;
  const title = `${options.title} · cluster "${snapshot.cluster}" · policy ${snapshot.policy} · ${lb} · picks ${rate(snapshot.picksPerSecond)}/s · every ${options.intervalMs} ms · q to quit`;
  if (snapshot.backends.length === 0) return [title, '', '(no backends)'];
  const paint = (health: LiveHealth): string => (options.color ? `${HEALTH_COLOR[health]}${health}${RESET}` : health);
  const table = renderTable(
    ['BACKEND', 'ADDRESS', 'HEALTH', 'EJECTED', 'IN FLIGHT', 'QUEUE', 'REQ/S', 'WINDOW', 'OVERALL', 'SERVED'],
    snapshot.backends.map((backend) => [
      backend.name,
      backend.address,
      paint(backend.health),
      backend.ejected ? 'yes' : 'no',
      backend.inFlight,
      backend.queueDepth,
      rate(backend.requestsPerSecond),
      share(backend.windowShare),
      share(backend.overallShare),
      formatCount(backend.served),
    ]),
    ['left', 'left', 'left', 'left', 'right', 'right', 'right', 'right', 'right', 'right'],
  );
  return [title, '', ...table.split('\n')];
}

/**
 * Plain output: one self-contained line per backend per refresh (time, backend, then key=value),
 * so `grep backend-7001` or awk over a pipe sees every figure, the policy and the LB's rate included.
 */
export function renderLivePlain(snapshot: LiveSnapshot): string[] {
  const time = new Date(snapshot.atUnixMs).toISOString();
  const cluster = `policy=${snapshot.policy} lbPicksPerSecond=${plainNumber(snapshot.picksPerSecond)}${snapshot.lbReachable ? '' : ' lb=unreachable'}`;
  if (snapshot.backends.length === 0) return [`${time} - backends=0 ${cluster}`];
  return snapshot.backends.map((backend) => `${time} ${backend.name} ${backend.address} ${plainFields(backend)} ${cluster}`);
}

function plainFields(backend: BackendSnapshot): string {
  return [
    `health=${backend.health}`,
    `ejected=${backend.ejected ? 'yes' : 'no'}`,
    `inFlight=${backend.inFlight}`,
    `queue=${backend.queueDepth}`,
    `rps=${plainNumber(backend.requestsPerSecond)}`,
    `window=${share(backend.windowShare)}`,
    `overall=${share(backend.overallShare)}`,
    `served=${backend.served}`,
  ].join(' ');
}

const plainNumber = (value: number | undefined): string => (value === undefined ? '-' : String(Math.round(value)));
