// Go's time.ParseDuration, as Consul applies it to Interval, Timeout, TTL and wait ("1s", "500ms", "1m30s").

const NANOSECONDS_PER_UNIT: Readonly<Record<string, number>> = {
  ns: 1,
  us: 1e3,
  µs: 1e3, // U+00B5 micro sign
  μs: 1e3, // U+03BC Greek mu
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3_600e9,
};

const NUMBER_PATTERN = /^(\d*)(?:\.(\d*))?/;
const UNIT_PATTERN = /^[^\d.]+/;

/** Raised for text Go would reject; the message is Go's own ("time: invalid duration \"x\""). */
export class DurationSyntaxError extends Error {
  override readonly name = 'DurationSyntaxError';
}

/** Parses a Go duration string into milliseconds (fractions kept); throws DurationSyntaxError. */
export function parseGoDurationMs(text: string): number {
  const quoted = JSON.stringify(text);
  let rest = text;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    sign = rest.startsWith('-') ? -1 : 1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') throw new DurationSyntaxError(`time: invalid duration ${quoted}`);

  let totalNs = 0;
  // Each pass consumes one "<number><unit>" pair, so the loop ends within text.length passes.
  while (rest !== '') {
    const number = NUMBER_PATTERN.exec(rest);
    const whole = number?.[1] ?? '';
    const fraction = number?.[2] ?? '';
    if (number === null || (whole === '' && fraction === '')) {
      throw new DurationSyntaxError(`time: invalid duration ${quoted}`);
    }
    rest = rest.slice(number[0].length);
    const unit = UNIT_PATTERN.exec(rest)?.[0];
    if (unit === undefined) throw new DurationSyntaxError(`time: missing unit in duration ${quoted}`);
    const scale = NANOSECONDS_PER_UNIT[unit];
    if (scale === undefined) throw new DurationSyntaxError(`time: unknown unit ${JSON.stringify(unit)} in duration ${quoted}`);
    rest = rest.slice(unit.length);
    totalNs += Number(`${whole || '0'}.${fraction || '0'}`) * scale;
  }
  return (sign * totalNs) / 1e6;
}

/** Formats milliseconds as Go's Duration.String does ("1m30s", "1.5s", "250ms"), for echoing definitions. */
export function formatGoDuration(ms: number): string {
  if (ms === 0) return '0s';
  const sign = ms < 0 ? '-' : '';
  let restMs = Math.abs(ms);
  const plain = (value: number): string => String(Number(value.toFixed(6)));
  if (restMs < 1) return `${sign}${plain(restMs * 1_000)}µs`;
  if (restMs < 1_000) return `${sign}${plain(restMs)}ms`;
  const hours = Math.floor(restMs / 3_600_000);
  restMs -= hours * 3_600_000;
  const minutes = Math.floor(restMs / 60_000);
  restMs -= minutes * 60_000;
  let text = `${plain(restMs / 1_000)}s`;
  if (hours > 0 || minutes > 0) text = `${minutes}m${text}`;
  if (hours > 0) text = `${hours}h${text}`;
  return sign + text;
}
