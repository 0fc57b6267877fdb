// Asks a running LB for its backends' load history (GetLoadHistory), for `lbx report --html`.
import { credentials } from '@grpc/grpc-js';

import { CLIENT_CHANNEL_OPTIONS } from '../grpc/channel-options.js';
import { callUnary } from '../grpc/unary.js';
import { LoadBalancerClient } from '../wire/gen/lbx/v1/load_balancer.js';
import type { BackendLoadHistory } from './load-history.js';

const CALL_TIMEOUT_MS = 2_000;

/** Every point the LB kept (about the last ten minutes); empty when the LB does not answer, so a report still renders. */
export async function fetchLoadHistory(lbAddress: string): Promise<BackendLoadHistory[]> {
  const lb = new LoadBalancerClient(lbAddress, credentials.createInsecure(), CLIENT_CHANNEL_OPTIONS);
  try {
    const response = await callUnary(lb.getLoadHistory.bind(lb), { sinceUnixMs: 0 }, CALL_TIMEOUT_MS);
    return response.backends;
  } catch {
    return [];
  } finally {
    lb.close();
  }
}
