// Pickable backends on consecutive ports, as the balancer would pass them (sorted by address).

import { BackendLoad } from '../../src/core/load/backend-load.js';
import type { PickableBackend, PickRequest, PickResult } from '../../src/core/policies/policy.js';

export function makeBackends(count: number, options: { firstPort?: number; staleAfterMs?: number } = {}): PickableBackend[] {
  const firstPort = options.firstPort ?? 7001;
  return Array.from({ length: count }, (_, index) => ({
    address: `127.0.0.1:${firstPort + index}`,
    id: `backend-${index + 1}`,
    weight: 1,
    load: new BackendLoad({ staleAfterMs: options.staleAfterMs }),
  }));
}

export function pickRequest(exclude: Iterable<string> = []): PickRequest {
  return { taskKind: 'SIMPLE', key: '', exclude: new Set(exclude) };
}

/** The address a pick chose; throws with the reason when it found nothing, so a test fails loudly. */
export function pickedAddress(result: PickResult): string {
  if (result.kind !== 'backend') throw new Error(`expected a backend, got unavailable: ${result.reason}`);
  return result.backend.address;
}
