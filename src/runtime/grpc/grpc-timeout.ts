// grpc-timeout (gRPC over HTTP/2): read from a call's headers, and written as what is left of a deadline (the proxies send it upstream).
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

/** grpc-timeout units in milliseconds. */
const TIMEOUT_UNIT_MS: Readonly<Record<string, number>> = { H: 3_600_000, M: 60_000, S: 1_000, m: 1, u: 0.001, n: 0.000_001 };

/** A grpc-timeout header ("250m", "5S") in ms; undefined when absent or malformed (the default applies). */
export function parseGrpcTimeoutMs(value: string | string[] | undefined): number | undefined {
  if (typeof value !== 'string') return undefined;
  const match = /^(\d{1,8})([HMSmun])$/.exec(value);
  if (match === null) return undefined;
  return Number(match[1]) * (TIMEOUT_UNIT_MS[match[2] as string] as number);
}
