// lbx.v1.BackendAdmin: set, clear and read a backend's fault. Token-guarded like the LB's state changes: a fault
// is an outage, so only the user who started the cluster may cause one.
import type { sendUnaryData, ServerUnaryCall } from '@grpc/grpc-js';
import { Status as GrpcStatus } from '../grpc/status.js';

import { checkFault, DEFAULT_FAULT_ERROR_CODE, NO_FAULT, type FaultSpec } from '../../core/faults/fault.js';
import { invalidArgument, statusError } from '../grpc/status-errors.js';
import { BackendAdminService, type BackendAdminServer, type Fault, type FaultState, type GetFaultRequest, type SetFaultRequest } from '../wire/gen/lbx/v1/backend_admin.js';
import type { ServiceBinding } from '../grpc/grpc-server.js';
import { requireToken } from '../grpc/bearer-token.js';
import { readTokenFile } from '../cluster/cluster-token.js';
import type { FaultInjector, FaultSnapshot } from './fault-injector.js';

/** The wire's zero values mean "none": error code 0 is UNAVAILABLE, slowdown 0 is 1. */
export function faultFromWire(fault: Fault | undefined): FaultSpec {
  if (fault === undefined) return NO_FAULT;
  return {
    latencyMs: fault.latencyMs,
    jitterMs: fault.jitterMs,
    latencyP99Ms: fault.latencyP99Ms,
    errorRate: fault.errorRate,
    errorCode: fault.errorCode === 0 ? DEFAULT_FAULT_ERROR_CODE : fault.errorCode,
    hangRate: fault.hangRate,
    slowdown: fault.slowdown === 0 ? 1 : fault.slowdown,
    durationMs: fault.durationMs,
  };
}

export const faultToWire = (fault: FaultSpec): Fault => ({ ...fault });

function stateOf(snapshot: FaultSnapshot, address: string): FaultState {
  const isSet = snapshot.setAtUnixMs > 0;
  return {
    ...(isSet ? { fault: faultToWire(snapshot.fault) } : {}),
    summary: snapshot.summary,
    setAtUnixMs: snapshot.setAtUnixMs,
    expiresAtUnixMs: snapshot.expiresAtUnixMs,
    delayed: snapshot.delayed,
    errored: snapshot.errored,
    hung: snapshot.hung,
    backendAddress: address,
  } as FaultState;
}

export function backendAdminBinding(injector: FaultInjector, address: () => string, tokenFile: string | undefined): ServiceBinding {
  const implementation: BackendAdminServer = {
    setFault: (call: ServerUnaryCall<SetFaultRequest, FaultState>, callback: sendUnaryData<FaultState>) => {
      const checked = checkFault(faultFromWire(call.request.fault));
      if (!checked.ok) return callback(invalidArgument(`fault refused: ${checked.message}`));
      callback(null, stateOf(injector.set(checked.fault), address()));
    },
    getFault: (_call: ServerUnaryCall<GetFaultRequest, FaultState>, callback: sendUnaryData<FaultState>) => callback(null, stateOf(injector.snapshot(), address())),
  };
  // Without a token file (a backend started by hand, outside a cluster) nobody may set a fault: reading is harmless.
  const guarded = tokenFile === undefined ? { ...implementation, setFault: refuseWithoutToken } : requireToken(implementation, readTokenFile(tokenFile), tokenFile, ['setFault']);
  return { name: 'lbx.v1.BackendAdmin', definition: BackendAdminService, implementation: guarded };
}

function refuseWithoutToken(_call: ServerUnaryCall<SetFaultRequest, FaultState>, callback: sendUnaryData<FaultState>): void {
  callback(statusError(GrpcStatus.FAILED_PRECONDITION, 'this backend runs without a cluster token (--token-file), so it takes no faults'));
}
