// Names and addresses of `lbx up --netns`: one network namespace per backend, joined to the root namespace by a veth
// pair, and a hub address in the root namespace that the registry, the LB and the control API listen on.
//
// Everything is named from a 4-hex tag of the cluster's directory, so `down` (even after a crash, with no cluster file)
// finds and deletes exactly what this cluster made, by name. Addresses come from 10.<octet>.0.0/16, an octet picked per
// cluster among those no address or route of the machine uses: loopback (127/8) cannot be routed between namespaces.

/** Linux caps interface names at 15 characters (IFNAMSIZ - 1). */
export const MAX_LINK_NAME_LENGTH = 15;
/** Octets tried for 10.<octet>.0.0/16, from a point the tag chooses (10.201/16 is left to the multi-host test's lab). */
const FIRST_OCTET = 64;
const OCTET_COUNT = 128;
/** The hub's third octet: backends use 10.<octet>.<index>.0/30, index < 255. */
const HUB_THIRD_OCTET = 255;

export interface NetnsPlan {
  /** 4 hex digits naming everything this cluster makes. */
  readonly tag: string;
  /** Second octet of the cluster's 10.<octet>.0.0/16. */
  readonly octet: number;
}

/** One backend's namespace, its veth ends and their /30. */
export interface BackendNetwork {
  readonly namespace: string;
  /** The veth end in the root namespace (where netem shapes traffic towards the backend) and its address. */
  readonly hostLink: string;
  readonly hostAddress: string;
  /** The veth end inside the namespace, and the backend's own address. */
  readonly nsLink: string;
  readonly nsAddress: string;
}

/** The root namespace's hub: a veth pair of its own carrying the address the cluster's root roles listen on. */
export interface HubNetwork {
  readonly link: string;
  readonly peerLink: string;
  readonly address: string;
}

/** FNV-1a, 32 bits: a stable, well-spread hash of a short text. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index += 1) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/** The tag of a cluster, from its state directory (unique per LBX_HOME and name). */
export const netnsTag = (clusterDir: string): string => (fnv1a(clusterDir) & 0xffff).toString(16).padStart(4, '0');

/** The namespace name prefix of a cluster's backends: "lbx-<tag>-". */
export const namespacePrefix = (tag: string): string => `lbx-${tag}-`;
/** Every link of a cluster starts with this: "lbx<tag>". */
export const linkPrefix = (tag: string): string => `lbx${tag}`;

export function hubNetwork(plan: NetnsPlan): HubNetwork {
  return { link: `${linkPrefix(plan.tag)}hub`, peerLink: `${linkPrefix(plan.tag)}hup`, address: `10.${plan.octet}.${HUB_THIRD_OCTET}.1` };
}

/** Backend `index` (its port minus base+1) on `port`: namespace lbx-<tag>-<port>, links lbx<tag>h<port> / lbx<tag>n<port>, 10.<octet>.<index>.1/.2. */
export function backendNetwork(plan: NetnsPlan, port: number, index: number): BackendNetwork {
  if (!(Number.isInteger(index) && index >= 0 && index < HUB_THIRD_OCTET)) throw new RangeError(`backend index ${index}: expected 0–${HUB_THIRD_OCTET - 1}`);
  const prefix = linkPrefix(plan.tag);
  return {
    namespace: `${namespacePrefix(plan.tag)}${port}`,
    hostLink: `${prefix}h${port}`,
    hostAddress: `10.${plan.octet}.${index}.1`,
    nsLink: `${prefix}n${port}`,
    nsAddress: `10.${plan.octet}.${index}.2`,
  };
}

/** The prefix length of a backend's veth pair: two addresses, nothing else. */
export const BACKEND_PREFIX_LENGTH = 30;

/**
 * The first octet, from where the tag points, whose 10.<octet>.0.0/16 nothing in `inUse` mentions (the text of
 * `ip -4 addr` and `ip -4 route`); undefined when all are taken.
 */
export function pickOctet(tag: string, inUse: string): number | undefined {
  const start = Number.parseInt(tag, 16) % OCTET_COUNT;
  for (let step = 0; step < OCTET_COUNT; step += 1) {
    const octet = FIRST_OCTET + ((start + step) % OCTET_COUNT);
    if (!inUse.includes(`10.${octet}.`)) return octet;
  }
  return undefined;
}

/** Whether a namespace or link name is one this cluster made (its tag, then a port or the hub). */
export const isNamespaceOf = (tag: string, name: string): boolean => name.startsWith(namespacePrefix(tag)) && /^\d+$/.test(name.slice(namespacePrefix(tag).length));
export const isLinkOf = (tag: string, name: string): boolean => name.startsWith(linkPrefix(tag)) && /^(?:[hn]\d+|hub|hup)$/.test(name.slice(linkPrefix(tag).length));
