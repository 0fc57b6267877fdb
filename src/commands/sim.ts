import { LbxCommand } from '../cli/lbx-command.js';
import { shouldColor } from '../cli/bars.js';
import { loadSimHtmlRenderer, runSimValidation, type SimValidationResult } from '../cli/sim-validate.js';
import { simFlags, simPlanFromFlags } from '../cli/sim-flags.js';
import { formatCount } from '../cli/format.js';
import type { SimEvent } from '../runtime/sim/run-sim.js';
import type { SimResult } from '../runtime/sim/sim-result.js';

/** Progress lines at most this often on long runs. */
const PROGRESS_INTERVAL_MS = 2_000;

export default class Sim extends LbxCommand {
  static override summary = "Simulate load balancing at any size: lbx's own policies and Balancer, driven by modelled clients, backends and time.";

  static override description = `A discrete-event simulation: no processes, no network. Backends are FIFO servers (one task at a time, as lbx's are for CPU_HEAVY work) with a service-time model and speeds; clients send open (Poisson, bursts) or closed (a fixed number in flight, like lbx send) arrivals. The policies are lbx's own, picking through its Balancer and fed the same load figures the LB feeds them: look-aside (one LB, told of each end at the client's next pick), proxy (one LB that sees every end) or client (each client its own balancer over its subset, with load reports as stale as --update-interval).

Output is lbx bench's: the same table, --json (schema lbx.sim/v1) and --html page, in simulated time; a second table gives each policy's exact mean latency, utilisation and the simulator's own speed. --validate supermarket|subsetting checks the simulator against known results instead. See docs/simulator.md.`;

  static override examples = [
    '<%= config.bin %> sim --backends 100 --load 0.9 --policies random,p2c,lc --mode proxy',
    '<%= config.bin %> sim --backends 4 --speeds 1,1,1,0.25 --arrival closed:16 --service lognormal:30,45 --requests 2000',
    '<%= config.bin %> sim --backends 10000 --clients 1000 --requests 10000000 --mode client --subset deterministic:50 --policies p2c',
    '<%= config.bin %> sim --service hist:run.json --arrival replay:run.json --backends 4 --json',
    '<%= config.bin %> sim --validate supermarket --requests 2000000',
    '<%= config.bin %> sim --validate subsetting --subset random:90',
  ];

  static override flags = simFlags;

  async run(): Promise<SimResult | SimValidationResult> {
    const { flags } = await this.parse(Sim);
    const quiet = flags.json ?? false;
    if (flags.validate !== undefined) {
      const result = runSimValidation(flags.validate, flags);
      if (!quiet) this.log(result.text);
      if (!result.passed) process.exitCode = 1;
      const { text: _text, ...document } = result;
      return document as SimValidationResult;
    }
    const plan = simPlanFromFlags(flags);
    const renderHtml = await loadSimHtmlRenderer(flags.html);
    const { runSim } = await import('../runtime/sim/run-sim.js');
    const result = runSim(plan, this.#progress(quiet));
    if (renderHtml && flags.html !== undefined) {
      const { writeFile } = await import('node:fs/promises');
      await writeFile(flags.html, renderHtml(result));
    }
    if (!quiet) {
      const { renderSimResult } = await import('../cli/render-sim.js');
      this.log(renderSimResult(result, { color: shouldColor(process.stdout, process.env), html: flags.html }));
    }
    return result;
  }

  /** Progress on stderr: each policy's start and end, and a line every few seconds on long runs (silent with --json). */
  #progress(quiet: boolean): (event: SimEvent) => void {
    let lastAt = 0;
    return (event) => {
      if (quiet) return;
      if (event.type === 'policy-started') this.logToStderr(`sim: ${event.policy} (${event.index + 1}/${event.count})…`);
      else if (event.type === 'policy-done') this.logToStderr(`sim: ${event.result.policy} done in ${(event.result.wallMs / 1_000).toFixed(1)} s`);
      else if (event.wallMs - lastAt >= PROGRESS_INTERVAL_MS) {
        lastAt = event.wallMs;
        const { ended, total, simulatedMs } = event.progress;
        this.logToStderr(
          `sim: ${event.policy}: ${formatCount(ended)} / ${formatCount(total)} requests (${Math.floor((ended / total) * 100)}%), ${(simulatedMs / 1_000).toFixed(2)} s simulated, ${(event.wallMs / 1_000).toFixed(1)} s wall`,
        );
      }
    };
  }
}
