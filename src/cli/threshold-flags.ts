// The CI threshold flags shared by `send` and `bench`, parsed into Thresholds (bad values are usage errors, exit 2).
import { Flags } from '@oclif/core';

import { parseMaxErrorRate, parseMaxImbalance, parseMaxP99Ms, parseMinThroughput, type Thresholds } from '../core/thresholds.js';

// oclif renders help text as an EJS template (the usage line twice), where `%>` closes a tag: `<fraction|N%>` came out cut,
// and no escape survives both renderings, so the placeholder puts the % elsewhere.
// Strings parsed in run(), so a bad value gets lbx's own one-line usage error naming the expected form.
export const thresholdFlags = {
  'max-p99': Flags.string({ description: 'Fail (exit 5) when p99 latency is above this: 200ms, 0.5s, 1m, or a bare number of ms.', helpValue: '<duration>' }),
  'max-error-rate': Flags.string({
    description: 'Fail (exit 5) when the share of failed tasks is above this: a fraction 0–1 (0, 0.01) or a percentage (1%).',
    helpValue: '<N%|fraction>',
  }),
  'min-throughput': Flags.string({ description: 'Fail (exit 5) when throughput is below this many tasks per second.', helpValue: '<tasks/s>' }),
  'max-imbalance': Flags.string({ description: 'Fail (exit 5) when the busiest backend got more than this × the mean ok count (1 = even; at least 1).', helpValue: '<ratio>' }),
};

export interface ThresholdFlagValues {
  readonly 'max-p99'?: string;
  readonly 'max-error-rate'?: string;
  readonly 'min-throughput'?: string;
  readonly 'max-imbalance'?: string;
}

/** Only the thresholds given. */
export function thresholdsFromFlags(flags: ThresholdFlagValues): Thresholds {
  return {
    ...(flags['max-p99'] === undefined ? {} : { maxP99Ms: parseMaxP99Ms(flags['max-p99']) }),
    ...(flags['max-error-rate'] === undefined ? {} : { maxErrorRate: parseMaxErrorRate(flags['max-error-rate']) }),
    ...(flags['min-throughput'] === undefined ? {} : { minThroughputPerSec: parseMinThroughput(flags['min-throughput']) }),
    ...(flags['max-imbalance'] === undefined ? {} : { maxImbalance: parseMaxImbalance(flags['max-imbalance']) }),
  };
}
