// `bench --kill-during`: one backend SIGKILLed through the control API once half of an arm's tasks have ended, started again after the arm.
import type { ControlClient } from '../cluster/control-client.js';

/** How long the killed backend may take to be ready again after the arm. */
const RESTART_TIMEOUT_MS = 30_000;

export interface BackendKill {
  /** Feed it the arm's progress: at half the tasks it kills the backend (once). */
  onProgress(done: number, total: number): void;
  /** After the arm: waits for the kill, starts the backend again (ready), and says which it was (undefined when the arm ended before half). */
  finish(): Promise<string | undefined>;
}

/** The victim is the last of `addresses` (host:port, in port order): the same backend in every arm of a bench. */
export function planBackendKill(control: ControlClient, addresses: readonly string[]): BackendKill {
  const victim = addresses.at(-1);
  let killing: Promise<unknown> | undefined;
  return {
    onProgress: (done, total) => {
      if (victim === undefined || killing !== undefined || done * 2 < total) return;
      // Caught here, thrown from finish(): a progress callback must not reject.
      killing = control.killBackend(portOf(victim), 'SIGKILL').catch((error: unknown) => error);
    },
    finish: async () => {
      if (victim === undefined || killing === undefined) return undefined;
      const outcome = await killing;
      if (outcome instanceof Error) throw outcome;
      await control.startBackend(portOf(victim), RESTART_TIMEOUT_MS);
      return victim;
    },
  };
}

const portOf = (address: string): number => Number(address.slice(address.lastIndexOf(':') + 1));
