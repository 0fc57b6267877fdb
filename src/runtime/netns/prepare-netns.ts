// `lbx up --netns` before the cluster starts: the machine can do it (or a usage error says what is missing), the
// cluster's leftovers from a crash are gone, an unused 10.<octet>/16 is picked, and the hub address exists, so the
// port check and the supervisor can bind it.
import { LbxError } from '../../core/lbx-error.js';
import { hubNetwork, netnsTag, pickOctet, type NetnsPlan } from '../../core/netns/netns-plan.js';
import type { ClusterSpec } from '../cluster/cluster-spec.js';
import { lookupCluster } from '../cluster/cluster-lookup.js';
import { clusterPaths } from '../cluster/cluster-paths.js';
import { ensureHub, sweepClusterNetwork } from './cluster-network.js';
import { runNetTool } from './ip-command.js';
import { checkNetnsSupport } from './netns-support.js';

export interface PreparedNetns {
  readonly spec: ClusterSpec;
  /** Undoes what preparing made, when the start fails (nothing when the hub was there already: another `up` owns it). */
  readonly undo: () => void;
}

/** The spec with its backends in namespaces and every root role on the hub address; throws usage errors naming what is missing. */
export async function prepareNetns(spec: ClusterSpec, options: { readonly hostGiven: boolean }): Promise<PreparedNetns> {
  if (options.hostGiven)
    throw new LbxError('usage', `--netns and --host ${spec.host}: with --netns the registry, the LB and the control API listen on the cluster's hub address; drop --host`);
  if (spec.dataPlane !== undefined) {
    throw new LbxError('usage', `--netns with --proxy ${spec.dataPlane}: the stock data planes reach backends on one host only; use --proxy lbx (or no --proxy)`);
  }
  if (spec.backendProcesses !== undefined) {
    throw new LbxError(
      'usage',
      `--netns with --backend-processes ${spec.backendProcesses}: a namespace holds a whole process, and dense mode puts many backends in one; drop one of them`,
    );
  }
  const support = checkNetnsSupport();
  if (!support.ok) throw new LbxError('usage', support.message);
  const paths = clusterPaths(spec.name);
  const tag = netnsTag(paths.dir);
  // A cluster that is not running cannot own namespaces: whatever carries its tag is a crash's leftover.
  const lookup = await lookupCluster(spec.name);
  if (lookup.kind === 'none' || lookup.kind === 'stale') sweepClusterNetwork(tag);
  const inUse = `${runNetTool('ip', ['-4', '-o', 'addr', 'show'])}\n${runNetTool('ip', ['-4', 'route', 'show', 'table', 'all'])}`;
  const octet = pickOctet(tag, inUse);
  if (octet === undefined) throw new LbxError('runtime', '--netns: every 10.<n>.0.0/16 lbx picks from (n = 64–191) is in use on this machine');
  const plan: NetnsPlan = { tag, octet };
  const { created } = ensureHub(plan);
  return {
    spec: { ...spec, host: hubNetwork(plan).address, netns: plan },
    undo: () => {
      if (created) sweepClusterNetwork(tag);
    },
  };
}
