// What stock gRPC clients are told for one lbx policy and membership: the plan lbx's xDS control plane serves.
//
// Stock clients (grpc-go, grpc-java, C-core, grpc-js-xds) implement round_robin, ring_hash and pick_first from xDS,
// and weighted_target over localities. lbx gives every backend its own locality, so a locality weight is a backend
// weight: that is how `wrr` and the load-aware policies reach a client that has no such policy of its own. The
// load-aware policies (least_load, least_connections, power_of_two, peak_ewma) become weights the control plane
// computes from each backend's load reports and pushes when they change materially (see loadDrivenWeights),
// or, with load weights from ORCA, gRPC's weighted_round_robin: each client weighs the backends by the load
// reports they stream to it (core/load/orca-load.ts), and the control plane pushes no weights at all.

/** The header whose value stock clients hash under `ch` (ring_hash): `lbx send --client xds --key` sets it. */
export const XDS_HASH_HEADER = 'x-lbx-key';
/** Locality (and so backend) weights are whole numbers; a load-driven weight lies in 1..MAX_LOAD_WEIGHT. */
export const MAX_LOAD_WEIGHT = 100;

export type XdsLbPolicy = 'round_robin' | 'ring_hash' | 'pick_first' | 'weighted_round_robin';
/** How the weights a client sees are made. */
export type XdsWeighting = 'equal' | 'backend-weights' | 'load-reports';

export interface XdsPolicyMapping {
  readonly lbPolicy: XdsLbPolicy;
  readonly weighting: XdsWeighting;
  /** Set for ring_hash: the request header clients hash. */
  readonly hashHeader?: string;
  /** What a reader should know: how close the client's behaviour comes to lbx's own policy. */
  readonly note: string;
}

const MAPPINGS: Readonly<Record<string, XdsPolicyMapping>> = {
  round_robin: { lbPolicy: 'round_robin', weighting: 'equal', note: 'round_robin: the same as lbx' },
  pick_first: { lbPolicy: 'pick_first', weighting: 'equal', note: 'pick_first: each client keeps its first reachable backend (lbx uses one for all clients)' },
  consistent_hash: {
    lbPolicy: 'ring_hash',
    weighting: 'equal',
    hashHeader: XDS_HASH_HEADER,
    note: `ring_hash on the ${XDS_HASH_HEADER} header (the client's own ring, not lbx's)`,
  },
  weighted_round_robin: { lbPolicy: 'round_robin', weighting: 'backend-weights', note: 'weighted_target over one locality per backend, locality weight = backend weight' },
  least_load: { lbPolicy: 'round_robin', weighting: 'load-reports', note: 'weights pushed from load reports (no least-load policy in stock clients)' },
  least_connections: { lbPolicy: 'round_robin', weighting: 'load-reports', note: 'weights pushed from load reports (no least-request policy in grpc-js-xds)' },
  power_of_two: { lbPolicy: 'round_robin', weighting: 'load-reports', note: 'weights pushed from load reports (stock clients have no power of two)' },
  peak_ewma: { lbPolicy: 'round_robin', weighting: 'load-reports', note: 'weights pushed from load reports (stock clients have no peak EWMA)' },
  prequal: { lbPolicy: 'round_robin', weighting: 'load-reports', note: 'weights pushed from load reports (stock clients have no Prequal)' },
  random: { lbPolicy: 'round_robin', weighting: 'equal', note: 'round_robin: stock clients have no random policy; the shares are the same on average' },
};

/**
 * Where stock clients get the weights of a load-aware policy from: `lb`, the LB's load reports, pushed in EDS
 * (any client that weighs localities follows them); `orca`, the backends' own ORCA streams, weighed by each
 * client's weighted_round_robin (grpc-js-xds only with GRPC_EXPERIMENTAL_XDS_WRR_LB=true; others NACK it).
 */
export const XDS_LOAD_WEIGHTS = ['lb', 'orca'] as const;
export type XdsLoadWeights = (typeof XDS_LOAD_WEIGHTS)[number];

const ORCA_MAPPING: XdsPolicyMapping = {
  lbPolicy: 'weighted_round_robin',
  weighting: 'equal',
  note: 'weighted_round_robin: each client weighs backends by their ORCA reports (requests per second / utilisation)',
};

/** What a stock client does for an lbx policy (by its long name); an unknown name is an error, never a silent default. */
export function mapPolicyForXds(policyName: string, loadWeights: XdsLoadWeights = 'lb'): XdsPolicyMapping {
  const mapping = MAPPINGS[policyName];
  if (mapping === undefined) throw new Error(`no xDS mapping for policy "${policyName}"; expected one of ${Object.keys(MAPPINGS).join(', ')}`);
  return loadWeights === 'orca' && mapping.weighting === 'load-reports' ? ORCA_MAPPING : mapping;
}

/** Every lbx policy with what stock clients are told (with load weights from the LB, and from ORCA): the table the README shows. */
export function xdsPolicyTable(): readonly { readonly policy: string; readonly mapping: XdsPolicyMapping; readonly withOrca: XdsPolicyMapping }[] {
  return Object.entries(MAPPINGS).map(([policy, mapping]) => ({ policy, mapping, withOrca: mapPolicyForXds(policy, 'orca') }));
}

export type XdsHealth = 'healthy' | 'draining';

/** One backend as the control plane sees it. */
export interface XdsBackendInput {
  readonly host: string;
  readonly port: number;
  /** The weight it registered with (wrr). */
  readonly weight: number;
  /** In flight at its last fresh load report; undefined without one. */
  readonly inFlight: number | undefined;
  readonly health: XdsHealth;
  /** Slow start: the share of its weight it should get now (min … 1); absent or 1 when not ramping. */
  readonly slowStartFactor?: number;
}

export interface XdsEndpoint {
  readonly host: string;
  readonly port: number;
  readonly weight: number;
  readonly health: XdsHealth;
}

export interface XdsPlan {
  readonly policy: string;
  readonly loadWeights: XdsLoadWeights;
  readonly mapping: XdsPolicyMapping;
  /** Sorted by host and port, so the same membership always encodes to the same bytes. */
  readonly endpoints: readonly XdsEndpoint[];
  /** Weights differ between endpoints (weighted policy or a backend in slow start): one locality per backend. */
  readonly weighted: boolean;
}

/** While a backend ramps, every weight is scaled up by this, so a ramping weight moves in steps of 1 % rather than 10 %. */
export const RAMP_SCALE = 100;

/**
 * Weights from load: a backend with more in flight gets proportionally less new work, 1 + in flight being the
 * queue a new call would join. Backends without a fresh report get the median weight of the others, so a
 * backend that has just joined is neither starved nor flooded.
 */
export function loadDrivenWeights(inFlight: readonly (number | undefined)[]): number[] {
  const raw = inFlight.map((count) => (count === undefined || !Number.isFinite(count) ? undefined : MAX_LOAD_WEIGHT / (1 + Math.max(0, count))));
  const known = raw.filter((weight): weight is number => weight !== undefined).sort((a, b) => a - b);
  const median = known.length === 0 ? MAX_LOAD_WEIGHT : known[Math.floor(known.length / 2)]!;
  return raw.map((weight) => Math.max(1, Math.min(MAX_LOAD_WEIGHT, Math.round(weight ?? median))));
}

/** The plan for a policy and membership. */
export function planXds(policyName: string, backends: readonly XdsBackendInput[], loadWeights: XdsLoadWeights = 'lb'): XdsPlan {
  const mapping = mapPolicyForXds(policyName, loadWeights);
  const sorted = [...backends].sort((a, b) => (a.host === b.host ? a.port - b.port : a.host < b.host ? -1 : 1));
  const reportWeights = mapping.weighting === 'load-reports' ? loadDrivenWeights(sorted.map((backend) => backend.inFlight)) : [];
  // Slow start scales weights, which ring_hash (affinity) and pick_first (one backend) do not use to spread load.
  const isRamping = mapping.lbPolicy === 'round_robin' && sorted.some((backend) => (backend.slowStartFactor ?? 1) < 1);
  const endpoints = sorted.map((backend, index) => {
    const base = mapping.weighting === 'backend-weights' ? Math.max(1, Math.round(backend.weight)) : mapping.weighting === 'load-reports' ? reportWeights[index]! : 1;
    const weight = isRamping ? Math.max(1, Math.round(base * RAMP_SCALE * Math.min(1, backend.slowStartFactor ?? 1))) : base;
    return { host: backend.host, port: backend.port, weight, health: backend.health };
  });
  return { policy: policyName, loadWeights, mapping, endpoints, weighted: mapping.weighting !== 'equal' || isRamping };
}

/**
 * Whether a new plan differs enough from the last pushed one to push again. Membership, health and policy
 * changes always count; load-driven weights only when one moved by more than `tolerance` (relative), so
 * clients are not re-configured on every report.
 */
export function isMaterialChange(previous: XdsPlan | undefined, next: XdsPlan, tolerance = 0.2): boolean {
  if (previous === undefined || previous.policy !== next.policy || previous.loadWeights !== next.loadWeights || previous.endpoints.length !== next.endpoints.length) return true;
  return next.endpoints.some((endpoint, index) => {
    const before = previous.endpoints[index]!;
    if (before.host !== endpoint.host || before.port !== endpoint.port || before.health !== endpoint.health) return true;
    if (before.weight === endpoint.weight) return false;
    if (next.mapping.weighting !== 'load-reports') return true;
    return Math.abs(endpoint.weight - before.weight) / Math.max(before.weight, endpoint.weight) > tolerance;
  });
}
