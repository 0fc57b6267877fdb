// Why the xDS control plane pushes a plan: what changed since the plan it pushed before.
import type { XdsPlan } from './xds-plan.js';

/**
 * initial: the first plan · policy: the lbx policy switched · membership: an endpoint joined, left, or changed
 * health (a drain starts or ends) · weights: an endpoint's pushed weight moved (wrr, load reports, slow start).
 */
export type XdsPushReason = 'initial' | 'policy' | 'membership' | 'weights';

const keyOf = (endpoint: XdsPlan['endpoints'][number]): string => `${endpoint.host}:${endpoint.port}`;

/** Every reason that applies, in the order policy, membership, weights; [] when nothing changed. */
export function pushReasons(previous: XdsPlan | undefined, next: XdsPlan): XdsPushReason[] {
  if (previous === undefined) return ['initial'];
  const reasons: XdsPushReason[] = [];
  if (previous.policy !== next.policy) reasons.push('policy');
  const before = new Map(previous.endpoints.map((endpoint) => [keyOf(endpoint), endpoint]));
  const isSameSet = previous.endpoints.length === next.endpoints.length && next.endpoints.every((endpoint) => before.has(keyOf(endpoint)));
  const isHealthSame = next.endpoints.every((endpoint) => (before.get(keyOf(endpoint))?.health ?? endpoint.health) === endpoint.health);
  if (!isSameSet || !isHealthSame) reasons.push('membership');
  if (next.endpoints.some((endpoint) => (before.get(keyOf(endpoint))?.weight ?? endpoint.weight) !== endpoint.weight)) reasons.push('weights');
  return reasons;
}
