// Progress on stderr: an ora spinner in a real terminal, a few plain lines elsewhere (CI, pipes, 0-column terminals).

export interface Progress {
  update(text: string): void;
  succeed(text: string): void;
  fail(text: string): void;
  stop(): void;
}

let active: Progress | undefined;

/** ora spins at 100% CPU when a terminal reports 0 columns, so it is used only where it can draw. */
const canSpin = (): boolean => Boolean(process.stderr.isTTY) && (process.stderr.columns ?? 0) > 0 && !process.env.CI;

/** Without a terminal, progress prints a heartbeat line at most this often, so CI logs show life without flooding. */
export const HEARTBEAT_INTERVAL_MS = 5_000;

const plainProgress = (quiet: boolean): Progress => {
  const write = (line: string): void => {
    if (!quiet) process.stderr.write(`${line}\n`);
  };
  let lastBeatAt = performance.now();
  return {
    update: (text) => {
      const now = performance.now();
      if (now - lastBeatAt < HEARTBEAT_INTERVAL_MS) return;
      lastBeatAt = now;
      write(text);
    },
    succeed: (text) => write(text),
    fail: (text) => write(text),
    stop: () => undefined,
  };
};

/** Starts progress output; `quiet` (e.g. --json) keeps stderr silent unless a terminal shows a spinner. */
export async function startProgress(text: string, options: { quiet?: boolean } = {}): Promise<Progress> {
  if (!canSpin()) {
    active = plainProgress(options.quiet ?? false);
    return active;
  }
  const { default: ora } = await import('ora');
  const spinner = ora({ text, stream: process.stderr }).start();
  active = {
    update: (next) => {
      spinner.text = next;
    },
    succeed: (done) => spinner.succeed(done),
    fail: (failed) => spinner.fail(failed),
    stop: () => spinner.stop(),
  };
  return active;
}

export function stopActiveSpinner(): void {
  active?.stop();
  active = undefined;
}
