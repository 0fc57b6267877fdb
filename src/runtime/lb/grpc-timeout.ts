// grpc-timeout as the proxies send it upstream: what is left of the call's deadline.
/** Units of grpc-timeout from the finest up, in ms; the value may have at most 8 digits (gRPC over HTTP/2). */
const TIMEOUT_UNITS: readonly (readonly [string, number])[] = [
  ['m', 1],
  ['S', 1_000],
  ['M', 60_000],
  ['H', 3_600_000],
];
const MAX_TIMEOUT_DIGITS_VALUE = 99_999_999;

/** A remaining time as grpc-timeout: milliseconds (at least 1), or the finest coarser unit whose value fits 8 digits. */
export function formatGrpcTimeout(remainingMs: number): string {
  for (const [unit, unitMs] of TIMEOUT_UNITS) {
    const value = Math.max(1, Math.ceil(remainingMs / unitMs));
    if (value <= MAX_TIMEOUT_DIGITS_VALUE) return `${value}${unit}`;
  }
  return `${MAX_TIMEOUT_DIGITS_VALUE}H`;
}
