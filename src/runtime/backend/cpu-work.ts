// The real CPU work a CPU_HEAVY task does: integer mixing that cannot be optimised away.

/** Iterations in one work unit: about 0.55 ms on the 2-core development machines (2026-11). */
export const ITERATIONS_PER_WORK_UNIT = 100_000;
/**
 * What one unit is taken to cost when a backend reports its utilisation (ORCA): the calibration above. Measured
 * CPU per unit varies 2–3× between processes running the same loop (V8 optimises it differently: 0.2–0.6 ms
 * seen on one machine), which would make `--speeds` mean different things on different backends.
 */
export const NOMINAL_MS_PER_WORK_UNIT = 0.55;
/** Default CPU_HEAVY size: about 30 ms here, inside the 20–50 ms the lab is tuned for. */
export const DEFAULT_HEAVY_WORK_UNITS = 55;
/** Upper bound on one task (about 5.5 s), so no request can pin a backend for long. */
export const MAX_WORK_UNITS = 10_000;

/** Runs `units` of xorshift mixing and returns a checksum of it. */
export function runWorkUnits(units: number): number {
  let state = 0x9e3779b9 | 0;
  let checksum = 0;
  const iterations = units * ITERATIONS_PER_WORK_UNIT;
  for (let index = 0; index < iterations; index += 1) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    checksum = (checksum + ((state >>> 0) % 1_000_003)) | 0;
  }
  return checksum >>> 0;
}
