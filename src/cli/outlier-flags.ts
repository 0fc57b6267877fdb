// Success-rate outlier ejection's flags (gRPC A50 success_rate_ejection), shared by `up`, `bench` and `serve lb`, and the settings they make.
import { Flags } from '@oclif/core';

import { DEFAULT_SUCCESS_RATE, SUCCESS_RATE_BOUNDS, type SuccessRateConfig } from '../core/health/success-rate.js';

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
