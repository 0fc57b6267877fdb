// lbx.v1.XdsAdmin: the control plane's view of its clients, for `lbx status` and tests.
import type { GetXdsStatusResponse, XdsAdminServer } from '../wire/gen/lbx/v1/xds_admin.js';
import type { XdsStatus } from './xds-control-plane.js';
import { formatHostPort } from '../../core/host-port.js';

export function toStatusResponse(status: XdsStatus): GetXdsStatusResponse {
  return {
    clients: status.clients.map((client) => ({
      nodeId: client.nodeId,
      zone: client.zone,
      userAgent: client.userAgent,
      peer: client.peer,
      connectedAtUnixMs: client.connectedAtUnixMs,
      types: Object.entries(client.types).map(([typeUrl, state]) => ({
        typeUrl,
        names: [...state.names],
        wildcard: state.wildcard,
        sentVersion: state.sentVersion,
        ackedVersion: state.ackedVersion,
        lastNack:
          state.lastNack === undefined
            ? undefined
            : { version: state.lastNack.version, nonce: state.lastNack.nonce, message: state.lastNack.message, atUnixMs: state.lastNack.atUnixMs },
      })),
    })),
    policy: status.plan?.policy ?? '',
    lbPolicy: status.plan?.mapping.lbPolicy ?? '',
    weighting: status.plan?.mapping.weighting ?? '',
    endpoints: (status.plan?.endpoints ?? []).map((endpoint) => ({
      address: formatHostPort(endpoint.host, endpoint.port),
      weight: endpoint.weight,
      health: endpoint.health,
    })),
    versions: Object.fromEntries(Object.entries(status.versions).map(([typeUrl, version]) => [typeUrl.split('.').pop() ?? typeUrl, version])),
    planVersion: status.lastPush?.version ?? '',
    pushedAtUnixMs: status.lastPush?.atUnixMs ?? 0,
    pushReason: status.lastPush?.reason ?? '',
    pushedToClients: status.lastPush?.clients ?? 0,
    note: status.plan?.mapping.note ?? '',
  };
}

export function createXdsAdmin(status: () => XdsStatus): XdsAdminServer {
  return {
    getXdsStatus: (_call, callback) => callback(null, toStatusResponse(status())),
  };
}
