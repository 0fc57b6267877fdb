// Success-rate outlier detection (gRPC A50 success_rate_ejection, Envoy's success-rate detector): each interval,
// among backends that each had enough calls to judge, a backend whose success rate lies more than stdev_factor
// standard deviations below the mean of them all is ejected, with enforcement_percentage probability. Unlike
// failure percentage it needs no fixed threshold: a backend failing 5 % of calls beside peers failing none
// stands out, while a cluster-wide outage (everyone equally bad) ejects nobody.
//
// A50's defaults (stdev_factor 1900 = 1.9, enforcement 100 %, 5 hosts, 100 requests), on the LB's shared 1 s
// interval (A50's is 10 s: lbx's demos last seconds). The variance is the population one (÷ n), as in Envoy and
// grpc-go. Evidence must be trusted, as for failure percentage (IntervalTally.isTrusted).
import type { IntervalTally } from './failure-percentage.js';

/** A50 success_rate_ejection settings; stdevFactor in thousandths, as on the wire (1900 = 1.9). */
export interface SuccessRateConfig {
  readonly stdevFactor: number;
  /** 0–100: the chance an outlier found is ejected (0 turns the detector off). */
  readonly enforcementPercent: number;
  readonly minimumHosts: number;
  readonly requestVolume: number;
}

export const DEFAULT_SUCCESS_RATE: SuccessRateConfig = { stdevFactor: 1_900, enforcementPercent: 100, minimumHosts: 5, requestVolume: 100 };

/** Bounds a flag or a test may set: a factor beyond 100 standard deviations never ejects; a host count beyond the member cap never judges. */
export const SUCCESS_RATE_BOUNDS = {
  stdevFactor: { min: 0, max: 100_000 },
  enforcementPercent: { min: 0, max: 100 },
  minimumHosts: { min: 1, max: 1_024 },
  requestVolume: { min: 1, max: 1_000_000 },
} as const;

/** The settings' problems, each naming the field, its value and the range expected; empty when all fit. */
export function checkSuccessRateConfig(config: SuccessRateConfig): string[] {
  return (Object.keys(SUCCESS_RATE_BOUNDS) as Array<keyof SuccessRateConfig>).flatMap((field) => {
    const { min, max } = SUCCESS_RATE_BOUNDS[field];
    const value = config[field];
    return Number.isInteger(value) && value >= min && value <= max ? [] : [`success-rate ${field} ${value}: expected an integer ${min}–${max}`];
  });
}

/** Mean and population standard deviation of the rates. */
function meanAndStdev(rates: readonly number[]): { mean: number; stdev: number } {
  const mean = rates.reduce((sum, rate) => sum + rate, 0) / rates.length;
  const variance = rates.reduce((sum, rate) => sum + (rate - mean) ** 2, 0) / rates.length;
  return { mean, stdev: Math.sqrt(variance) };
}

/**
 * Of the tallies of one interval (by address), the backends to eject, worst first: success rate (percent) below
 * mean − stdev × stdevFactor/1000 over the backends with requestVolume calls, when at least minimumHosts have them;
 * each outlier kept with enforcementPercent chance (`random` in [0, 1)). The caller applies max ejection percent.
 */
export function successRateOutliers(tallies: ReadonlyMap<string, IntervalTally>, config: SuccessRateConfig, random: () => number): string[] {
  if (config.enforcementPercent === 0) return [];
  const judged = [...tallies.entries()].filter(([, tally]) => tally.volume >= config.requestVolume);
  if (judged.length < config.minimumHosts || judged.length === 0) return [];
  const successRate = (tally: IntervalTally): number => 100 - tally.failurePercent;
  const { mean, stdev } = meanAndStdev(judged.map(([, tally]) => successRate(tally)));
  const threshold = mean - stdev * (config.stdevFactor / 1_000);
  return judged
    .filter(([, tally]) => successRate(tally) < threshold && tally.isTrusted)
    .sort(([, a], [, b]) => successRate(a) - successRate(b))
    .filter(() => random() * 100 < config.enforcementPercent)
    .map(([address]) => address);
}
