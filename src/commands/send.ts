import { LbxCommand } from '../cli/lbx-command.js';
import { guardRunInterrupts } from '../cli/run-interrupts.js';
import { parseSendFlags, sendFlags } from '../cli/send-flags.js';
import { concludeSend, type SendJson } from '../cli/send-outcome.js';
import { startProgress } from '../cli/spinner.js';
import { trackTaskProgress } from '../cli/task-progress.js';
import { DEFAULT_SIMPLE_WHEN_UNSPECIFIED } from '../cli/workload-flags.js';

export type { SendJson } from '../cli/send-outcome.js';

export default class Send extends LbxCommand {
  static override summary = 'Drive tasks through the cluster and show where they went.';

  static override description = `Finds the LB through the registry; for each task asks it for a backend (GetServer), then calls that backend (ProcessTask).

On UNAVAILABLE or a deadline the task is retried on another backend (the failed one excluded), up to --retries times.

While the LB is down or restarting, tasks wait for it (pausing 50 ms, doubling to 1 s, and looking it up in the registry again) without using retries; a task fails only after --lb-wait without a pick.

Progress goes to stderr (a line every 5 s without a terminal); the distribution table (or --json) to stdout; the run is saved for \`lbx report\`, also when it could not finish.

Ctrl-C (or SIGTERM) stops issuing tasks, lets the ones in flight end, prints and saves the partial run marked interrupted, and exits 130 (143 for SIGTERM); a second Ctrl-C aborts at once.

Exits 1 when any task failed or the run could not be saved; 5 when a threshold (--max-p99, --max-error-rate, --min-throughput, --max-imbalance) is not met, which wins over 1. With neither --simple nor --heavy, sends ${DEFAULT_SIMPLE_WHEN_UNSPECIFIED} SIMPLE tasks.

With --registry-addr it drives a cluster that has no local state, such as roles started with \`lbx serve lb|backend\` on several machines: the LB is found in that registry (--registry consul|embedded|etcd, --cluster for etcd's key prefix), look-aside unless --mode proxy. Such a run is printed (or --json) but not saved: there is no cluster directory to keep it in, and \`lbx report\` needs a supervisor to reconcile against.`;

  static override examples = [
    '<%= config.bin %> send --simple 2000 --heavy 50',
    '<%= config.bin %> send --heavy 500 --concurrency 32',
    '<%= config.bin %> send --simple 10000 --concurrency 64 --json',
    '<%= config.bin %> send --simple 100000 --concurrency 128 --workers 2   # two threads drive the load',
    '<%= config.bin %> send --simple 10000 --keys 1000   # for consistent hashing',
    '<%= config.bin %> send --simple 5000 --max-p99 200ms --max-error-rate 0   # a CI gate: exit 5 when not met',
    '<%= config.bin %> send --simple 5000 --lb-wait 30s   # ride out a slow LB restart',
    '<%= config.bin %> send --registry etcd --registry-addr 10.0.0.5:2379 --cluster lab --simple 500',
    "<%= config.bin %> send --client xds --simple 5000   # a stock gRPC client balanced by the LB's xDS",
  ];

  static override flags = sendFlags;

  async run(): Promise<SendJson> {
    const { flags } = await this.parse(Send);
    const { workload, thresholds, registry } = parseSendFlags(flags);
    const { resolveSendDestination } = await import('../runtime/client/send-destination.js');
    const { sendAndRecord } = await import('../runtime/client/recorded-send.js');
    const destination = await resolveSendDestination(flags.name, registry, flags.mode);
    for (const warning of destination.warnings) this.logToStderr(`warning: ${warning}`);

    const { describeSendClient, exitDespiteXdsClient, sendClient } = await import('../cli/send-client.js');
    const client = sendClient(flags, destination.lbAddress);
    const progress = await startProgress(`sending ${workload.simple + workload.heavy} tasks via ${describeSendClient(client, destination.lbAddress)}`, { quiet: flags.json });
    const interrupts = guardRunInterrupts(this, {
      stopNote: 'no new tasks; waiting for the ones in flight',
      onAbort: (signal) => {
        progress.stop();
        this.logToStderr(`${signal} again: aborted; tasks in flight abandoned, run not saved`);
      },
    });
    const recorded = await sendAndRecord(destination, { ...workload, onProgress: trackTaskProgress(progress, 'sending'), stop: interrupts.signal }, client).finally(() => {
      interrupts.dispose();
      exitDespiteXdsClient(client);
    });
    const json = flags.json ?? false;
    return concludeSend(recorded, { progress, out: this, json, thresholds, runsDir: destination.paths?.runsDir, interruptExitCode: interrupts.exitCode });
  }
}
