// Ctrl-C and SIGTERM for long work (send, bench), as k6 and ghz do: the first one asks the work to wind
// down (no new tasks, in-flight ones finish), the second one aborts at once.
export interface InterruptGuard {
  /** Aborted on the first SIGINT or SIGTERM: stop issuing work, let in-flight work end, keep what was done. */
  readonly signal: AbortSignal;
  /** The signal that asked for the stop, once one did. */
  readonly received: NodeJS.Signals | undefined;
  /** The exit code a run interrupted by `received` ends with: 130 for SIGINT, 143 for SIGTERM (128 + the signal's number). */
  readonly exitCode: number | undefined;
  dispose(): void;
}

export interface InterruptHandlers {
  /** The first signal: the work is asked to wind down. */
  readonly onStop?: (signal: NodeJS.Signals) => void;
  /** The second signal: the caller must end now (it is expected not to return). */
  readonly onAbort: (signal: NodeJS.Signals) => void;
}

const EXIT_CODE_BY_SIGNAL: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 130, SIGTERM: 143 };

/** Installs SIGINT and SIGTERM handlers until dispose(); while installed, the process does not die on them. */
export function guardInterrupts(handlers: InterruptHandlers): InterruptGuard {
  const controller = new AbortController();
  let received: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (received !== undefined) {
      handlers.onAbort(signal);
      return;
    }
    received = signal;
    controller.abort(new Error(`interrupted by ${signal}`));
    handlers.onStop?.(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    get received() {
      return received;
    },
    get exitCode() {
      return received === undefined ? undefined : (EXIT_CODE_BY_SIGNAL[received] ?? 1);
    },
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
