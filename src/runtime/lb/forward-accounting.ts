// The end of one forwarded call on its backend, for both HTTP/2 forwarders: in-flight down, latency, and the outcome for the policy and outlier ejection.
import type { Balancer } from '../../core/balancer.js';
import type { PickResult } from '../../core/policies/policy.js';
import { GRPC_STATUS_CANCELLED, GRPC_STATUS_OK, GRPC_STATUS_UNAVAILABLE, type ForwardOutcome } from './h2-forward-stream.js';

export function accountForward(balancer: Balancer, pick: Extract<PickResult, { kind: 'backend' }>, grpcStatus: number, startedAt: number, endedAt: number): void {
  const latencyMs = endedAt - startedAt;
  pick.backend.load.callEnded(latencyMs, endedAt);
  const ok = grpcStatus === GRPC_STATUS_OK;
  pick.onDone({ ok, latencyMs });
  balancer.recordOutcome(pick.backend.address, ok, grpcStatus);
}

/** The gRPC status a forward ended with, as the policy and outlier ejection count it. */
export function outcomeStatus(outcome: ForwardOutcome): number {
  switch (outcome.kind) {
    case 'answered':
    case 'failed':
      return outcome.grpcStatus;
    case 'not-sent':
      return GRPC_STATUS_UNAVAILABLE;
    case 'cancelled':
      return GRPC_STATUS_CANCELLED;
  }
}
