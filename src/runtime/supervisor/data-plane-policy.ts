// `lbx policy X` on a cluster whose data plane is HAProxy or NGINX: X must be one that data plane runs.
import { status as GrpcStatus } from '@grpc/grpc-js';

import type { DataPlaneKind } from '../../core/dataplane/data-plane-kind.js';
import { dataPlaneRefusal } from '../../core/dataplane/policy-mapping.js';
import { POLICIES } from '../../core/policies/index.js';

/** Throws INVALID_ARGUMENT (passed through to `lbx policy`, exit 2) when the data plane has no such policy. */
export function refuseUnsupportedDataPlanePolicy(dataPlane: DataPlaneKind | undefined, policy: string, hashBalance?: number): void {
  if (dataPlane === undefined) return;
  const wanted = policy.trim().toLowerCase();
  // An unknown name is the LB's to refuse, with its own list of choices.
  const known = POLICIES.find((candidate) => candidate.name === wanted || candidate.shortName === wanted);
  if (known === undefined) return;
  const refusal = dataPlaneRefusal(dataPlane, known.name, { ...(hashBalance === undefined ? {} : { hashBalance }) });
  if (refusal === undefined) return;
  throw Object.assign(new Error(refusal), { code: GrpcStatus.INVALID_ARGUMENT, details: refusal, metadata: undefined });
}
