// Two full garbage collections once a role's start-up has settled, where its Node was started with --expose-gc (a
// supervised backend).
//
// Start-up leaves garbage a quiet process keeps for a long time: the bundle's bytes and its code cache (1 MB of
// buffers, read once), and a young generation grown by start-up's allocations. An idle backend allocates too little to
// trigger a full GC, and V8's memory reducer, which would, costs an idle backend half its CPU (lbx-entry.ts).
// - One collection took an idle backend from 51.7 to 50.0 MB RSS (array buffers 1.1 to 0.1 MB, 2026-12-07).
// - A second one right after it shrinks the young generation's semi-spaces to their smallest: V8 sizes them from what
//   survived, and after the first collection almost nothing does. Without it, the first scavenge after the collection
//   commits the second 1 MB semi-space again: 15 s after start the young generation held 1.8 MB against 0.27, RSS
//   50.7 against 49.2 MB (two minutes on, 50.4 against 49.8: survivors grow it back slowly).
// - Both wait until start-up's own chatter is over (the first load reports, the LB's and the registry's first calls):
//   collected at once, the young generation had grown back within 15 s in one run of two; collected 3 s after ready,
//   in none of seven (three runs).
// The price is two pauses of a few milliseconds, once.

/** How long after ready the collections wait. */
export const STARTUP_GARBAGE_DELAY_MS = 3_000;

/** Collects twice, STARTUP_GARBAGE_DELAY_MS from now, if this process exposes gc() (--expose-gc); keeps no process alive. */
export function collectStartupGarbageSoon(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) return;
  setTimeout(() => {
    gc();
    gc();
  }, STARTUP_GARBAGE_DELAY_MS).unref();
}
