// Stops a cluster bench started for itself, as `lbx down` does: shutdown through the control API, then force if it hangs.
import { cleanStaleCluster, lookupCluster, supervisorMarkers } from '../cluster/cluster-lookup.js';
import { ControlClient } from '../cluster/control-client.js';
import { isOurProcess, signalProcess } from '../process/pid-probe.js';
import { waitFor } from '../process/wait-for.js';

/** How long the supervisor may take to stop everything before it is killed (as `lbx down`). */
export const SUPERVISOR_EXIT_TIMEOUT_MS = 20_000;

/** Stops the named cluster and removes its state; nothing to do when it is not there. */
export async function stopCluster(name: string): Promise<void> {
  const lookup = await lookupCluster(name);
  if (lookup.kind === 'none' || lookup.kind === 'starting') return;
  if (lookup.kind === 'stale') {
    await cleanStaleCluster(lookup);
    return;
  }
  const pid = lookup.file.supervisorPid;
  const markers = supervisorMarkers(lookup.paths);
  const control = new ControlClient(lookup.file);
  try {
    await control.shutdown();
    await waitFor(async () => (isOurProcess(pid, markers) ? undefined : true), { description: `supervisor ${pid} exit`, timeoutMs: SUPERVISOR_EXIT_TIMEOUT_MS });
  } catch {
    // Wedged or gone: end it (verified ours by its argv); its children follow it.
    if (isOurProcess(pid, markers)) signalProcess(pid, 'SIGKILL');
    await cleanStaleCluster({ kind: 'stale', paths: lookup.paths, file: lookup.file, reason: 'forced' });
  } finally {
    control.close();
  }
}
