// Ctrl-C and SIGTERM for `send` and `bench`: the first winds the run down (a note says what comes next), the second ends the process at once.
import { guardInterrupts, type InterruptGuard } from '../runtime/process/interrupt-guard.js';
import type { CommandOutput } from './send-outcome.js';

/** 128 + SIGINT: what a second signal exits with when the guard has no code of its own yet. */
const FALLBACK_INTERRUPT_EXIT_CODE = 130;

export interface RunInterruptOptions {
  /** What the first signal starts, printed after "SIGINT: " (e.g. "no new tasks; waiting for the ones in flight"). */
  readonly stopNote: string;
  /** The last words on the second signal; a promise (stopping a private cluster) is awaited, settled or not, before the exit. */
  readonly onAbort: (signal: NodeJS.Signals) => void | Promise<unknown>;
}

/** Installs the two-step interrupt until dispose(): the run stops on `signal`, a second signal exits 130 (SIGINT) or 143 (SIGTERM). */
export function guardRunInterrupts(out: Pick<CommandOutput, 'logToStderr'>, options: RunInterruptOptions): InterruptGuard {
  const guard = guardInterrupts({
    onStop: (signal) => out.logToStderr(`\n${signal}: ${options.stopNote} (Ctrl-C again to abort)`),
    onAbort: (signal) => {
      // From a signal handler: oclif's this.exit() throws, which would surface as an uncaught error.
      const exit = (): never => process.exit(guard.exitCode ?? FALLBACK_INTERRUPT_EXIT_CODE);
      const pending = options.onAbort(signal);
      if (pending instanceof Promise) void pending.finally(exit);
      else exit();
    },
  });
  return guard;
}
