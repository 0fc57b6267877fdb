// What the embedded registry reports for log lines; it never prints, the caller renders these.

import type { CheckStatus } from './service-definition.js';

/** Why a service left the catalog. */
export type DeregisterReason =
  | 'api' // PUT /v1/agent/service/deregister/:id
  | 'critical-timeout'; // a check stayed critical past DeregisterCriticalServiceAfter

export type RegistryEvent =
  | {
      type: 'registered';
      serviceId: string;
      serviceName: string;
      address: string;
      port: number;
      /** True when the ID was already registered and its definition was replaced. */
      isReplacement: boolean;
      checks: ReadonlyArray<{ checkId: string; status: CheckStatus }>;
      index: number;
    }
  | { type: 'deregistered'; serviceId: string; serviceName: string; reason: DeregisterReason; index: number }
  | {
      type: 'check-status-changed';
      checkId: string;
      serviceId: string;
      from: CheckStatus;
      to: CheckStatus;
      output: string;
      index: number;
    };
