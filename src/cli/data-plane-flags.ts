// `up --proxy lbx|haproxy|nginx`: which data plane forwards a proxy-mode cluster's tasks, checked before anything starts.
import { Flags } from '@oclif/core';

import { DATA_PLANE_PROGRAMS, isDataPlaneKind, PROXY_KINDS, type DataPlaneKind, type ProxyKind } from '../core/dataplane/data-plane-kind.js';
import { dataPlaneRefusal } from '../core/dataplane/policy-mapping.js';
import { LbxError } from '../core/lbx-error.js';
import type { LbMode } from '../runtime/lb/lb-mode.js';

export const proxyFlag = Flags.option({
  description:
    "Proxy mode's data plane: lbx = the LB forwards every task; haproxy / nginx = lbx runs Debian's HAProxy or NGINX on base+108, following the LB's membership and policy (needs --mode proxy; policies rr, lc, p2c, wrr, ch).",
  options: PROXY_KINDS,
  default: 'lbx' as const,
})();

export interface PlannedDataPlane {
  readonly dataPlane: DataPlaneKind;
  readonly dataPlaneBinary: string;
}

/**
 * The data plane to run, or undefined for lbx's own. Usage errors: --proxy haproxy|nginx without --mode proxy,
 * a policy (or --hash-balance) the proxy lacks, or the proxy not installed (naming the Debian package).
 */
export function planDataPlane(
  proxy: ProxyKind | undefined,
  mode: LbMode,
  policy: string,
  hashBalance: number | undefined,
  find: (name: string) => string | undefined,
): PlannedDataPlane | undefined {
  if (!isDataPlaneKind(proxy)) return undefined;
  if (mode !== 'proxy') throw new LbxError('usage', `--proxy ${proxy} needs --mode proxy: the data plane forwards every task, which look-aside clients do themselves`);
  const refusal = dataPlaneRefusal(proxy, policy, { ...(hashBalance === undefined ? {} : { hashBalance }) });
  if (refusal !== undefined) throw new LbxError('usage', refusal);
  const program = DATA_PLANE_PROGRAMS[proxy];
  const binary = find(program.binary);
  if (binary === undefined) {
    throw new LbxError(
      'usage',
      `--proxy ${proxy} needs the ${program.binary} executable, found neither on PATH nor in /usr/sbin; install the Debian package "${program.debianPackage}" (apt-get install ${program.debianPackage})`,
    );
  }
  return { dataPlane: proxy, dataPlaneBinary: binary };
}
