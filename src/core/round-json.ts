// Rounds the numbers of a --json document to the precision they carry: whole milliseconds for durations, thousandths otherwise.

/** Decimal places kept on numbers that are not whole: 0.001 is a microsecond of latency, a tenth of a percent of a share. */
const DECIMALS = 3;
/** A duration (a key ending in Ms) at least this long is given in whole ms: below a millisecond of timer noise, digits say nothing. */
const WHOLE_MS_FROM = 10;

const isDurationKey = (key: string | undefined): boolean => key !== undefined && /Ms$/.test(key);

function roundNumber(value: number, key: string | undefined): number {
  if (Number.isInteger(value) || !Number.isFinite(value)) return value;
  if (isDurationKey(key) && Math.abs(value) >= WHOLE_MS_FROM) return Math.round(value);
  const factor = 10 ** DECIMALS;
  return Math.round(value * factor) / factor;
}

/** A copy of `value` with every number rounded (`elapsedMs: 1523.4567` → 1523, `share: 0.2512345` → 0.251); other values as they are. */
export function roundJsonNumbers(value: unknown, key?: string): unknown {
  if (typeof value === 'number') return roundNumber(value, key);
  if (Array.isArray(value)) return value.map((element) => roundJsonNumbers(element, key));
  if (typeof value === 'object' && value !== null) {
    // As JSON.stringify would: a Date (or anything with toJSON) is written as what toJSON gives.
    const toJson = (value as { toJSON?: () => unknown }).toJSON;
    if (typeof toJson === 'function') return roundJsonNumbers(toJson.call(value), key);
    return Object.fromEntries(Object.entries(value).map(([name, child]) => [name, roundJsonNumbers(child, name)]));
  }
  return value;
}
