// Network faults on the control API's wire (lbx.v1.NetFault, NetFaultState) and back.
import { NO_NET_FAULT, type NetFaultSpec } from '../../core/faults/net-fault.js';
import type { NetFault, NetFaultState } from '../wire/gen/lbx/v1/supervisor.js';
import type { NetFaultRecord } from './net-fault-controller.js';

export const netFaultToWire = (fault: NetFaultSpec): NetFault => ({ ...fault });

export const netFaultFromWire = (fault: NetFault | undefined): NetFaultSpec => (fault === undefined ? NO_NET_FAULT : { ...fault });

export const netFaultStateToWire = (record: NetFaultRecord & { readonly name: string; readonly address: string }): NetFaultState => ({
  name: record.name,
  port: record.port,
  address: record.address,
  fault: netFaultToWire(record.fault),
  summary: record.summary,
  setAtUnixMs: record.setAtUnixMs,
  expiresAtUnixMs: record.expiresAtUnixMs,
  namespace: record.namespace,
  link: record.link,
});

/** What `lbx fault` shows and returns for a backend's network fault. */
export interface BackendNetFault {
  readonly name: string;
  readonly port: number;
  readonly address: string;
  readonly namespace: string;
  readonly link: string;
  readonly fault: NetFaultSpec;
  /** "none" when the backend has no network fault. */
  readonly summary: string;
  readonly setAtUnixMs: number;
  readonly expiresAtUnixMs: number;
}

export const netFaultStateFromWire = (state: NetFaultState): BackendNetFault => ({
  name: state.name,
  port: state.port,
  address: state.address,
  namespace: state.namespace,
  link: state.link,
  fault: netFaultFromWire(state.fault),
  summary: state.summary,
  setAtUnixMs: state.setAtUnixMs,
  expiresAtUnixMs: state.expiresAtUnixMs,
});
