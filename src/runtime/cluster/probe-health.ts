// One-shot health probes for `lbx status` and `lbx report`: grpc.health.v1 for gRPC components, the registry's own status API for the registry.
import { credentials } from '@grpc/grpc-js';

import { HealthCheckResponse_ServingStatus as ServingStatus, HealthClient } from '../wire/gen/grpc/health/v1/health.js';
import { callUnary } from '../grpc/unary.js';
import { statusName } from '../grpc/status-errors.js';
import { createRegistry, type RegistryConnection } from '../registry/create-registry.js';
import type { ComponentRecord } from './cluster-file.js';

const PROBE_TIMEOUT_MS = 1_000;

/**
 * "serving", "not-serving", or what went wrong ("UNAVAILABLE"). The registry is asked with the
 * client of its kind (Consul's status API, or etcd's health), under the cluster's name.
 */
export async function probeHealth(component: ComponentRecord, registryOf: Pick<RegistryConnection, 'kind' | 'cluster'>): Promise<string> {
  if (component.state === 'exited') return '-';
  if (component.role === 'registry') {
    const registry = createRegistry({ ...registryOf, address: component.address }, { requestTimeoutMs: PROBE_TIMEOUT_MS });
    try {
      return (await registry.leader()) ? 'serving' : 'no-leader';
    } catch {
      return 'unreachable';
    } finally {
      registry.close?.();
    }
  }
  return probeGrpcHealth(component.address);
}

/** grpc.health.v1 Check of the server at `address`: "serving", "not-serving", or the failure's code in lower case ("unavailable"). */
export async function probeGrpcHealth(address: string): Promise<string> {
  const client = new HealthClient(address, credentials.createInsecure());
  try {
    const response = await callUnary(client.check.bind(client), { service: '' }, PROBE_TIMEOUT_MS);
    return response.status === ServingStatus.SERVING ? 'serving' : 'not-serving';
  } catch (error) {
    return statusName(error).toLowerCase();
  } finally {
    client.close();
  }
}
