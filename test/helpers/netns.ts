// Linux network namespaces joined to the root namespace by veth pairs: several "hosts" on one machine for tests.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** iproute2; the sessions and CI run as root with it here. */
export const IP = '/usr/sbin/ip';
const IP_TIMEOUT_MS = 10_000;
/** Linux caps interface names at 15 characters (IFNAMSIZ - 1). */
const MAX_LINK_NAME_LENGTH = 15;
/** Test subnets are 10.201.<n>.0/24; n is chosen per run among those no address or route of this machine uses. */
const SUBNET_PREFIX = '10.201';
const SUBNET_COUNT = 250;

export type NetnsSupport = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/** One "host": a namespace joined to the root namespace by a veth pair on its own /24. */
export interface NetnsHost {
  readonly namespace: string;
  /** The veth end in the root namespace, and its address (the host's gateway). */
  readonly rootLink: string;
  readonly rootAddress: string;
  /** The veth end inside the namespace, and the host's own address. */
  readonly hostLink: string;
  readonly address: string;
}

/** Runs `ip …`; throws with its stderr when it fails. */
export function ip(args: readonly string[]): string {
  const result = spawnSync(IP, [...args], { encoding: 'utf8', timeout: IP_TIMEOUT_MS });
  if (result.error) throw new Error(`ip ${args.join(' ')}: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`ip ${args.join(' ')} exited ${result.status ?? result.signal}: ${result.stderr.trim()}`);
  return result.stdout;
}

/**
 * Whether this machine lets a test build namespaces: root, iproute2 at IP, and a probe namespace with a veth pair
 * that can be added and deleted. Synchronous, so a suite can skip its tests when it defines them.
 */
export function checkNetnsSupport(probeName = `lbx-probe-${process.pid}`): NetnsSupport {
  if (process.platform !== 'linux') return { ok: false, reason: `network namespaces need Linux (this is ${process.platform})` };
  if (process.getuid?.() !== 0) return { ok: false, reason: `network namespaces need root (uid ${process.getuid?.()})` };
  if (!existsSync(IP)) return { ok: false, reason: `no iproute2 at ${IP} (apt-get install iproute2)` };
  const rootLink = `lbxp${process.pid}r`;
  try {
    ip(['netns', 'add', probeName]);
  } catch (error) {
    return { ok: false, reason: `cannot create a network namespace: ${(error as Error).message}` };
  }
  try {
    ip(['link', 'add', rootLink, 'type', 'veth', 'peer', 'name', `lbxp${process.pid}n`, 'netns', probeName]);
    ip(['link', 'del', rootLink]);
    return { ok: true };
  } catch (error) {
    return { ok: false, reason: `cannot create a veth pair into a namespace: ${(error as Error).message}` };
  } finally {
    spawnSync(IP, ['link', 'del', rootLink], { timeout: IP_TIMEOUT_MS });
    spawnSync(IP, ['netns', 'del', probeName], { timeout: IP_TIMEOUT_MS });
  }
}

/** Namespaces that exist now, by name. */
export function listNamespaces(): string[] {
  return ip(['netns', 'list'])
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter((name) => name !== '');
}

/** Whether a link of that name exists in the root namespace. */
export function hasLink(name: string): boolean {
  return spawnSync(IP, ['link', 'show', 'dev', name], { timeout: IP_TIMEOUT_MS }).status === 0;
}

/** The root namespace's device for traffic to `address` (`ip route get`), or undefined when there is no route. */
export function routeDevice(address: string): string | undefined {
  const result = spawnSync(IP, ['-4', 'route', 'get', address], { encoding: 'utf8', timeout: IP_TIMEOUT_MS });
  return result.status === 0 ? /\bdev (\S+)/.exec(result.stdout)?.[1] : undefined;
}

/** The first `count` /24s under 10.201/16, from `startAt` on, that no address or route of the root namespace mentions. */
function pickFreeSubnets(count: number, startAt: number): number[] {
  const inUse = `${ip(['-4', '-o', 'addr', 'show'])}\n${ip(['-4', 'route', 'show', 'table', 'all'])}`;
  const free: number[] = [];
  for (let step = 0; step < SUBNET_COUNT && free.length < count; step += 1) {
    const third = 1 + ((startAt + step) % SUBNET_COUNT);
    if (!inUse.includes(`${SUBNET_PREFIX}.${third}.`)) free.push(third);
  }
  if (free.length < count) throw new Error(`no ${count} free /24s under ${SUBNET_PREFIX}.0.0/16`);
  return free;
}

/**
 * Namespaces and veth pairs created for one test run, all named after `tag` (e.g. the pid) so a crashed run's
 * leftovers cannot collide with the next run's. Everything it creates is recorded before anything else can fail,
 * and destroy() removes it all.
 */
export class NetnsLab {
  readonly hosts: NetnsHost[] = [];
  private readonly namespaces: string[] = [];
  private readonly rootLinks: string[] = [];
  private readonly subnets: number[];

  constructor(
    private readonly tag: string,
    hostCount: number,
  ) {
    if (`lbx${tag}r${hostCount}`.length > MAX_LINK_NAME_LENGTH) throw new Error(`tag ${tag} makes link names longer than ${MAX_LINK_NAME_LENGTH} characters`);
    this.subnets = pickFreeSubnets(hostCount, Number.parseInt(tag, 10) || 0);
  }

  /**
   * Host `index` (0-based): namespace lbx-<tag>-<index>, root end <gateway>/24 on 10.201.<n>.1, host end 10.201.<n>.2,
   * loopback up, and a default route via the root end, so the host reaches every root-namespace address.
   */
  addHost(index: number): NetnsHost {
    const third = this.subnets[index];
    if (third === undefined) throw new Error(`host ${index}: the lab was made for ${this.subnets.length} hosts`);
    const host: NetnsHost = {
      namespace: `lbx-${this.tag}-${index}`,
      rootLink: `lbx${this.tag}r${index}`,
      hostLink: `lbx${this.tag}n${index}`,
      rootAddress: `${SUBNET_PREFIX}.${third}.1`,
      address: `${SUBNET_PREFIX}.${third}.2`,
    };
    ip(['netns', 'add', host.namespace]);
    this.namespaces.push(host.namespace);
    ip(['link', 'add', host.rootLink, 'type', 'veth', 'peer', 'name', host.hostLink, 'netns', host.namespace]);
    this.rootLinks.push(host.rootLink);
    ip(['addr', 'add', `${host.rootAddress}/24`, 'dev', host.rootLink]);
    ip(['link', 'set', 'dev', host.rootLink, 'up']);
    ip(['-n', host.namespace, 'link', 'set', 'dev', 'lo', 'up']);
    ip(['-n', host.namespace, 'addr', 'add', `${host.address}/24`, 'dev', host.hostLink]);
    ip(['-n', host.namespace, 'link', 'set', 'dev', host.hostLink, 'up']);
    ip(['-n', host.namespace, 'route', 'add', 'default', 'via', host.rootAddress]);
    this.hosts.push(host);
    return host;
  }

  /** argv that runs `file args…` inside the host's namespace (`ip netns exec` execs in place: the pid is the command's). */
  execArgs(host: NetnsHost, file: string, args: readonly string[]): string[] {
    return ['netns', 'exec', host.namespace, file, ...args];
  }

  /**
   * Pulls the host's cable: its own end goes down. The root end keeps its address and route (now "linkdown"),
   * so packets to the host are dropped by the veth rather than rerouted, say through the default route.
   */
  cut(host: NetnsHost): void {
    ip(['-n', host.namespace, 'link', 'set', 'dev', host.hostLink, 'down']);
  }

  /** Namespaces and root links of this lab that still exist. */
  leftovers(): string[] {
    const namespaces = new Set(listNamespaces());
    return [...this.namespaces.filter((name) => namespaces.has(name)), ...this.rootLinks.filter((name) => hasLink(name))];
  }

  /**
   * Deletes every veth pair and namespace it made; returns what could not be deleted. Deleting the root end takes
   * its peer with it even while a process still holds the namespace open.
   */
  destroy(): string[] {
    for (const link of this.rootLinks) spawnSync(IP, ['link', 'del', link], { timeout: IP_TIMEOUT_MS });
    for (const namespace of this.namespaces) spawnSync(IP, ['netns', 'del', namespace], { timeout: IP_TIMEOUT_MS });
    return this.leftovers();
  }
}
