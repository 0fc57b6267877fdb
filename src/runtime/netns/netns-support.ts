// Whether this machine can run `lbx up --netns`: iproute2's `ip`, root or CAP_NET_ADMIN, and namespaces the kernel
// lets us make. Each missing piece is named, so `up` can say which one (a usage error, exit 2).
import { readFileSync } from 'node:fs';

import { findNetTool, tryNetTool } from './ip-command.js';

export type NetnsSupport = { readonly ok: true } | { readonly ok: false; readonly missing: 'linux' | 'ip' | 'privilege' | 'namespaces'; readonly message: string };

/** CAP_NET_ADMIN's bit in /proc/self/status CapEff. */
const CAP_NET_ADMIN_BIT = 12n;

function hasNetAdmin(): boolean {
  if (process.getuid?.() === 0) return true;
  try {
    const line = /^CapEff:\s*([0-9a-f]+)$/im.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    return line !== undefined && ((BigInt(`0x${line}`) >> CAP_NET_ADMIN_BIT) & 1n) === 1n;
  } catch {
    return false;
  }
}

/** Checks in order (Linux, ip, privilege, a probe namespace added and deleted) and names the first thing missing. */
export function checkNetnsSupport(probeName = `lbx-probe-${process.pid}`): NetnsSupport {
  if (process.platform !== 'linux') return { ok: false, missing: 'linux', message: `--netns needs Linux network namespaces (this is ${process.platform})` };
  if (findNetTool('ip') === undefined) return { ok: false, missing: 'ip', message: '--netns needs the ip command (iproute2), which is not on PATH: apt-get install iproute2' };
  if (!hasNetAdmin())
    return { ok: false, missing: 'privilege', message: `--netns needs root or CAP_NET_ADMIN to make namespaces and veth pairs (running as uid ${process.getuid?.()})` };
  const added = tryNetTool('ip', ['netns', 'add', probeName]);
  tryNetTool('ip', ['netns', 'del', probeName]);
  if (!added.ok) return { ok: false, missing: 'namespaces', message: `--netns: this machine does not let lbx make a network namespace (ip netns add: ${added.stderr})` };
  return { ok: true };
}

/** Whether the kernel has tc's netem qdisc (delay, jitter, loss), probed on a throwaway veth pair; the message says why not. */
export function probeNetem(probeLink = `lbxq${process.pid % 100_000}`): { readonly ok: boolean; readonly message: string } {
  const made = tryNetTool('ip', ['link', 'add', probeLink, 'type', 'veth', 'peer', 'name', `${probeLink}p`]);
  if (!made.ok) return { ok: false, message: `cannot make a probe veth pair: ${made.stderr}` };
  try {
    const netem = tryNetTool('tc', ['qdisc', 'replace', 'dev', probeLink, 'root', 'netem', 'delay', '1ms']);
    return netem.ok ? { ok: true, message: '' } : { ok: false, message: `this kernel has no netem qdisc (CONFIG_NET_SCH_NETEM; tc said: ${netem.stderr})` };
  } finally {
    tryNetTool('ip', ['link', 'del', probeLink]);
  }
}
