// The xDS side of `lbx status` and `lbx report`: the control plane's clients with what each ACKed and any NACK, and the plan pushed.
import { xdsAddressOf } from '../cluster/ports.js';
import { describeError } from '../process/wait-for.js';
import { fetchXdsStatus } from './xds-admin-client.js';

const STATUS_TIMEOUT_MS = 2_000;

export interface XdsClientSummary {
  readonly nodeId: string;
  readonly zone: string;
  readonly userAgent: string;
  readonly peer: string;
  readonly connectedAtUnixMs: number;
  /** Per type (short name, e.g. Cluster): the version the client ACKed last ("" before its first ACK). */
  readonly acked: Readonly<Record<string, string>>;
  readonly nacks: readonly { readonly type: string; readonly version: string; readonly message: string; readonly atUnixMs: number }[];
}

export type XdsStatusSummary =
  | {
      readonly address: string;
      readonly policy: string;
      readonly lbPolicy: string;
      readonly weighting: string;
      /** How close stock clients come to the lbx policy, in words. */
      readonly note: string;
      /** The plan last pushed: its version (the push's number; '' before the first), when, why, and to how many clients. */
      readonly planVersion: string;
      readonly pushedAtUnixMs: number;
      readonly pushReason: string;
      readonly pushedToClients: number;
      readonly endpoints: readonly { readonly address: string; readonly weight: number; readonly health: string }[];
      readonly versions: Readonly<Record<string, string>>;
      readonly clients: readonly XdsClientSummary[];
    }
  | { readonly address: string; readonly error: string };

const shortType = (typeUrl: string): string => typeUrl.split('.').pop() ?? typeUrl;

/** Asks the LB at `lbAddress` for its xDS status on base+107; an LB that does not answer there gives an error entry, not a failure. */
export async function collectXdsStatus(lbAddress: string): Promise<XdsStatusSummary> {
  const address = xdsAddressOf(lbAddress);
  try {
    const status = await fetchXdsStatus(address, STATUS_TIMEOUT_MS);
    return {
      address,
      policy: status.policy,
      lbPolicy: status.lbPolicy,
      weighting: status.weighting,
      note: status.note,
      planVersion: status.planVersion,
      pushedAtUnixMs: status.pushedAtUnixMs,
      pushReason: status.pushReason,
      pushedToClients: status.pushedToClients,
      endpoints: status.endpoints,
      versions: status.versions,
      clients: status.clients.map((client) => ({
        nodeId: client.nodeId,
        zone: client.zone,
        userAgent: client.userAgent,
        peer: client.peer,
        connectedAtUnixMs: client.connectedAtUnixMs,
        acked: Object.fromEntries(client.types.map((type) => [shortType(type.typeUrl), type.ackedVersion])),
        nacks: client.types.flatMap((type) =>
          type.lastNack === undefined ? [] : [{ type: shortType(type.typeUrl), version: type.lastNack.version, message: type.lastNack.message, atUnixMs: type.lastNack.atUnixMs }],
        ),
      })),
    };
  } catch (error) {
    return { address, error: describeError(error) };
  }
}

/** Endpoint health as stock clients are sent it (envoy.config.core.v3.HealthStatus). */
export type XdsEndpointHealth = 'HEALTHY' | 'DRAINING';

/** The xDS section of `lbx report`: the plan last pushed and how many clients are connected, or why it is unavailable. */
export type XdsReport =
  | {
      readonly address: string;
      readonly isAvailable: true;
      /** The plan version (the push's number, as the LB's log names it); '' before the first push. */
      readonly version: string;
      readonly versions: Readonly<Record<string, string>>;
      readonly pushedAtUnixMs: number;
      readonly pushReason: string;
      readonly pushedToClients: number;
      readonly policy: string;
      readonly lbPolicy: string;
      readonly weighting: string;
      readonly note: string;
      readonly endpoints: readonly { readonly address: string; readonly weight: number; readonly health: XdsEndpointHealth }[];
      /** Stock clients connected now. */
      readonly clients: number;
    }
  | { readonly address: string; readonly isAvailable: false; readonly unavailableReason: string };

/** The xDS section of the report from the LB's GetXdsStatus; an LB that is down or serves no xDS gives isAvailable false. */
export async function collectXdsReport(lbAddress: string): Promise<XdsReport> {
  const status = await collectXdsStatus(lbAddress);
  if ('error' in status) return { address: status.address, isAvailable: false, unavailableReason: status.error };
  return {
    address: status.address,
    isAvailable: true,
    version: status.planVersion,
    versions: status.versions,
    pushedAtUnixMs: status.pushedAtUnixMs,
    pushReason: status.pushReason,
    pushedToClients: status.pushedToClients,
    policy: status.policy,
    lbPolicy: status.lbPolicy,
    weighting: status.weighting,
    note: status.note,
    endpoints: status.endpoints.map((endpoint) => ({
      address: endpoint.address,
      weight: endpoint.weight,
      health: endpoint.health === 'draining' ? 'DRAINING' : 'HEALTHY',
    })),
    clients: status.clients.length,
  };
}
