// Outlier detection's flags, shared by `up`, `bench` and `serve lb`, and the settings they make: the on/off switch, and
// success-rate ejection's settings (gRPC A50 success_rate_ejection).
import * as Flags from '@oclif/core/flags';

import { DEFAULT_SUCCESS_RATE, SUCCESS_RATE_BOUNDS, type SuccessRateConfig } from '../core/health/success-rate.js';

export const OUTLIER_DETECTION_CHOICES = ['on', 'off'] as const;
export type OutlierDetectionChoice = (typeof OUTLIER_DETECTION_CHOICES)[number];

export const outlierDetectionFlag = {
  'outlier-detection': Flags.option({
    description:
      'Outlier ejection of every kind (consecutive failures, failure percentage, success rate): off = the LB never ejects a backend for its calls (health checks and the registry still remove dead ones). `bench --scenario gray` switches it per arm itself.',
    options: OUTLIER_DETECTION_CHOICES,
    default: 'on' as const,
  })(),
};

/** `{ outlierDetection: false }` when switched off, else nothing (on is the default, left out of specs). */
export const withOutlierDetection = (choice: OutlierDetectionChoice | undefined): { outlierDetection?: false } => (choice === 'off' ? { outlierDetection: false } : {});

export const successRateFlags = {
  'success-rate-stdev-factor': Flags.integer({
    description: `Success-rate ejection (gRPC A50): eject a backend whose success rate in an interval is below the mean minus this many thousandths of a standard deviation (${DEFAULT_SUCCESS_RATE.stdevFactor} = 1.9).`,
    min: SUCCESS_RATE_BOUNDS.stdevFactor.min,
    max: SUCCESS_RATE_BOUNDS.stdevFactor.max,
    default: DEFAULT_SUCCESS_RATE.stdevFactor,
  }),
  'success-rate-enforcement': Flags.integer({
    description: 'Success-rate ejection: the percent chance an outlier found is ejected (0 = off).',
    min: SUCCESS_RATE_BOUNDS.enforcementPercent.min,
    max: SUCCESS_RATE_BOUNDS.enforcementPercent.max,
    default: DEFAULT_SUCCESS_RATE.enforcementPercent,
  }),
  'success-rate-minimum-hosts': Flags.integer({
    description: 'Success-rate ejection: judge an interval only when at least this many backends had the request volume.',
    min: SUCCESS_RATE_BOUNDS.minimumHosts.min,
    max: SUCCESS_RATE_BOUNDS.minimumHosts.max,
    default: DEFAULT_SUCCESS_RATE.minimumHosts,
  }),
  'success-rate-request-volume': Flags.integer({
    description: 'Success-rate ejection: calls a backend needs in an interval (1 s) to be judged.',
    min: SUCCESS_RATE_BOUNDS.requestVolume.min,
    max: SUCCESS_RATE_BOUNDS.requestVolume.max,
    default: DEFAULT_SUCCESS_RATE.requestVolume,
  }),
};

export interface SuccessRateFlagValues {
  readonly 'success-rate-stdev-factor': number;
  readonly 'success-rate-enforcement': number;
  readonly 'success-rate-minimum-hosts': number;
  readonly 'success-rate-request-volume': number;
}

/** The settings the flags ask for; undefined when they are A50's defaults (nothing to pass on). */
export function successRateFromFlags(flags: SuccessRateFlagValues): SuccessRateConfig | undefined {
  const config: SuccessRateConfig = {
    stdevFactor: flags['success-rate-stdev-factor'],
    enforcementPercent: flags['success-rate-enforcement'],
    minimumHosts: flags['success-rate-minimum-hosts'],
    requestVolume: flags['success-rate-request-volume'],
  };
  const isDefault = (Object.keys(config) as Array<keyof SuccessRateConfig>).every((key) => config[key] === DEFAULT_SUCCESS_RATE[key]);
  return isDefault ? undefined : config;
}

/** `{ successRate }` for settings that are not the defaults, else nothing (a spread into a spec or the LB's options). */
export const withSuccessRate = (config: SuccessRateConfig | undefined): { successRate?: SuccessRateConfig } => (config === undefined ? {} : { successRate: config });
