// The last lines of a cluster's component logs, merged in time order: what `lbx logs` prints before it follows.
import { LbxError } from '../../core/lbx-error.js';
import { clusterPaths, DEFAULT_CLUSTER_NAME, type ClusterPaths } from '../cluster/cluster-paths.js';
import { listLogComponents, readLastLines } from './log-files.js';
import { matchesComponent, mergeLogLines, parseLogLine, prefixWidth, type LogLine } from './log-multiplex.js';

export interface ClusterLogTails {
  readonly paths: ClusterPaths;
  /** The components shown (all, or those `component` selects). */
  readonly shown: readonly string[];
  readonly select: (component: string) => boolean;
  readonly lines: readonly LogLine[];
  /** Where each shown log ended when read: following starts there. */
  readonly offsets: Map<string, number>;
  /** Width of the name prefix that aligns the shown components. */
  readonly width: number;
}

/** Reads the last `lineCount` lines of each selected component; a missing cluster or an unknown component is an LbxError. */
export async function readClusterLogTails(name: string, component: string | undefined, lineCount: number): Promise<ClusterLogTails> {
  const paths = clusterPaths(name);
  const components = await listLogComponents(paths.logsDir);
  if (components === undefined) {
    throw new LbxError('no-cluster', `no cluster "${name}": its state directory ${paths.dir} is gone, and its logs with it (\`lbx down\` removes both)`, [
      `start one with: lbx up${name === DEFAULT_CLUSTER_NAME ? '' : ` --name ${name}`}`,
    ]);
  }
  const select = (candidate: string): boolean => matchesComponent(candidate, component);
  const shown = components.filter(select);
  if (component !== undefined && shown.length === 0) {
    throw new LbxError('usage', `unknown component "${component}" in cluster "${name}"; its components are: ${components.join(', ') || '(none)'} (or "backend" for every backend)`);
  }
  const offsets = new Map<string, number>();
  const groups = await Promise.all(
    shown.map(async (each) => {
      const tail = await readLastLines(paths.logFile(each), lineCount);
      offsets.set(each, tail.endOffset);
      return tail.lines.map((text) => parseLogLine(each, text));
    }),
  );
  return { paths, shown, select, lines: mergeLogLines(groups), offsets, width: prefixWidth(shown) };
}
