// What `lbx up` prints once the cluster is ready: its components, its registry, and what to do next (or, with --json, the cluster as UpResult).
import type { ClusterFile, ComponentRecord } from '../runtime/cluster/cluster-file.js';
import type { RegistryKind } from '../runtime/cluster/cluster-spec.js';
import type { LbMode } from '../runtime/lb/lb-mode.js';
import { xdsAddressOf } from '../runtime/cluster/ports.js';
import { renderComponents } from './render-components.js';

/** What `up --json` prints: the cluster as started, and how long it took to be ready. */
export interface UpResult {
  readonly name: string;
  readonly policy: string;
  readonly mode: LbMode;
  readonly registry: RegistryKind;
  readonly registryAddress: string;
  readonly lbAddress: string;
  readonly controlAddress: string;
  readonly supervisorPid: number;
  readonly readyMs: number;
  readonly components: readonly ComponentRecord[];
}

export const upResult = (file: ClusterFile, readyMs: number): UpResult => ({
  name: file.name,
  policy: file.spec.policy,
  mode: file.spec.mode,
  registry: file.spec.registry,
  registryAddress: file.registryAddress,
  lbAddress: file.lbAddress,
  controlAddress: file.controlAddress,
  supervisorPid: file.supervisorPid,
  readyMs,
  components: file.components,
});

function describeRegistry(registry: RegistryKind, binary: string, choice: string): string {
  switch (registry) {
    case 'embedded':
      return `embedded (Consul-compatible, single machine${choice === 'auto' ? '; no consul binary on PATH' : ''})`;
    case 'consul':
      return `consul agent -dev (${binary})`;
    case 'etcd':
      return `etcd (${binary}, one member, data in the cluster directory)`;
  }
}

/** `registryBinary` as found on PATH ('' for the embedded registry); `registryChoice` what --registry said (auto, …). */
export function renderUp(file: ClusterFile, registryBinary: string, registryChoice: string): string {
  return [
    renderComponents(file.components, Date.now()),
    '',
    `registry: ${describeRegistry(file.spec.registry, registryBinary, registryChoice)} at ${file.registryAddress}`,
    `policy:   ${file.spec.policy} (${file.spec.mode} mode)    LB: ${file.lbAddress}    xDS: ${xdsAddressOf(file.lbAddress)}    supervisor: pid ${file.supervisorPid}`,
    ...dataPlaneLine(file),
    `next:     lbx send --simple 1000 --heavy 50    lbx status    lbx xds bootstrap    lbx down`,
  ].join('\n');
}

/** With `--proxy haproxy|nginx`: where `lbx send` goes (the proxy, not the LB). */
function dataPlaneLine(file: ClusterFile): string[] {
  const dataPlane = file.components.find((component) => component.role === 'dataplane');
  return dataPlane === undefined ? [] : [`proxy:    ${dataPlane.name} at ${dataPlane.address} (h2c; lbx send calls it; config in ${file.spec.name}/${dataPlane.name}/)`];
}
