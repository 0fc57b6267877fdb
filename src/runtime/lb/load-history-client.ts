// Asks a running LB for its backends' load history (GetLoadHistory), for `lbx report --html`.
import { credentials } from '@grpc/grpc-js';

import { CLIENT_CHANNEL_OPTIONS } from '../grpc/channel-options.js';
import { callUnary } from '../grpc/unary.js';
import { isServiceError, statusName } from '../grpc/status-errors.js';
import { LoadBalancerClient } from '../wire/gen/lbx/v1/load_balancer.js';
import type { BackendLoadHistory } from './load-history.js';

const CALL_TIMEOUT_MS = 2_000;

/**
 * Every point the LB kept (about the last ten minutes), or why there are none: a report still
 * renders when the call fails, and says it failed rather than that nothing was recorded.
 */
export async function fetchLoadHistory(lbAddress: string): Promise<{ backends: BackendLoadHistory[] } | { failed: string }> {
  const lb = new LoadBalancerClient(lbAddress, credentials.createInsecure(), CLIENT_CHANNEL_OPTIONS);
  try {
    const response = await callUnary(lb.getLoadHistory.bind(lb), { sinceUnixMs: 0 }, CALL_TIMEOUT_MS);
    return { backends: response.backends };
  } catch (error) {
    return { failed: isServiceError(error) ? `${statusName(error)}: ${error.details}` : String(error) };
  } finally {
    lb.close();
  }
}
