// Asks an LB which policy it runs (GetStats): a proxy-mode send sees no pick, and without a local cluster file nothing else says.
import { credentials } from '@grpc/grpc-js';

import { LoadBalancerClient } from '../wire/gen/lbx/v1/load_balancer.js';
import { CLIENT_CHANNEL_OPTIONS } from '../grpc/channel-options.js';
import { callUnary } from '../grpc/unary.js';

const STATS_TIMEOUT_MS = 2_000;

/** The LB's active policy, or undefined when it does not answer in time. */
export async function askLbPolicy(address: string): Promise<string | undefined> {
  const lb = new LoadBalancerClient(address, credentials.createInsecure(), CLIENT_CHANNEL_OPTIONS);
  try {
    return (await callUnary(lb.getStats.bind(lb), {}, STATS_TIMEOUT_MS)).policy || undefined;
  } catch {
    return undefined;
  } finally {
    lb.close();
  }
}
