// After a registry outage, a grace period in which registry snapshots may add members but not remove them.
//
// A restarted registry starts empty, and the backends re-register with it within about a
// second; taking its first, partial snapshots at their word would remove healthy backends and
// fail every request meanwhile. The grace starts with the first snapshot after the outage
// (while the registry is down none arrives), so it covers the re-registration however long
// the restart took.

export const REGISTRY_RESYNC_GRACE_MS = 5_000;

export class RegistryResyncGrace {
  /** undefined: no grace · Infinity: outage seen, waiting for its first snapshot · else: when the grace ends (monotonic ms). */
  private endsAtMs: number | undefined;

  /** The registry watch failed: hold removals until the grace after its next snapshot. Again during a grace: it starts over. */
  outage(): void {
    this.endsAtMs = Infinity;
  }

  /** A snapshot arrived at `nowMs`: whether it may remove members. The first one after an outage starts the grace. */
  snapshotMayRemove(nowMs: number): boolean {
    if (this.endsAtMs === Infinity) this.endsAtMs = nowMs + REGISTRY_RESYNC_GRACE_MS;
    if (this.endsAtMs === undefined || nowMs >= this.endsAtMs) {
      this.endsAtMs = undefined;
      return true;
    }
    return false;
  }

  /** True when a started grace has run out by `nowMs` (a snapshot is owed its removals). */
  hasRunOut(nowMs: number): boolean {
    return this.endsAtMs !== undefined && nowMs >= this.endsAtMs;
  }
}
