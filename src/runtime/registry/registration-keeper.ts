// The loop behind every adapter's keepRegistered(): one check at a time, the next `intervalMs` after the last ended,
// one warning per outage, one event when the registry had lost the instance and it was registered again.
import type { KeeperEvent, RegistrationKeeper } from './registry-contract.js';

export function startRegistrationKeeper(
  check: () => Promise<'present' | 're-registered' | 'not-ours'>,
  id: string,
  intervalMs: number,
  onEvent: (event: KeeperEvent) => void,
  onStop: () => void,
): RegistrationKeeper {
  let isStopped = false;
  let isInOutage = false;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> | undefined;
  const emit = (event: KeeperEvent): void => {
    try {
      onEvent(event);
    } catch {
      // The keeper must keep running whatever its listener does.
    }
  };

  const tick = async (): Promise<void> => {
    try {
      const outcome = await check();
      isInOutage = false;
      if (outcome === 're-registered' && !isStopped) emit({ type: 're-registered', id });
    } catch (error) {
      if (!isInOutage && !isStopped) emit({ type: 'registry-unreachable', id, message: error instanceof Error ? error.message : String(error) });
      isInOutage = true;
    }
  };
  const schedule = (): void => {
    if (isStopped) return;
    timer = setTimeout(() => {
      inFlight = tick().finally(() => {
        inFlight = undefined;
        schedule();
      });
    }, intervalMs);
    // A role's own servers keep it alive; this timer alone must not.
    timer.unref();
  };
  schedule();

  return {
    async stop() {
      isStopped = true;
      clearTimeout(timer);
      if (inFlight === undefined) onStop();
      else await inFlight.finally(onStop);
    },
  };
}
