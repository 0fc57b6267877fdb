// Load over time as per-interval figures (utilisation, mean in flight, mean CPU, throughput) from load samples, with a gap where a backend sent none.
//
// A backend reports `inFlight` as it is at one instant, so a raw line jumps between 0, 1 and 2 and says
// little. Grouped into intervals of several samples, the share of samples that saw a task in flight is the
// backend's utilisation over that interval (PASTA: regular samples see time averages), and the mean of
// `inFlight` is its mean queue length (Little's L). `cpuPercent` is already CPU since the previous report,
// so its mean is the interval's CPU. Where samples carry the backend's cumulative served count, its rise
// over time is the interval's throughput. An interval with no sample at all is a gap: the backend was down
// or not answering, which a chart must show as a break rather than as zero load. Backends report on change (an
// idle one every few seconds), so given a hold time a report stands for the load until the next one: a silence
// shorter than the hold is "unchanged", filled from the report before it, and only a longer one is a gap.

export interface LoadSample {
  /** Milliseconds from the chart's origin (the first sample of any backend). */
  readonly atMs: number;
  readonly inFlight: number;
  readonly cpuPercent: number;
  /** Tasks the backend has served since it first started (cumulative), when the sample carries it. */
  readonly served?: number;
}

export interface LoadInterval {
  /** Start of the interval, milliseconds from the origin. */
  readonly startMs: number;
  /** Samples that fell in it; 0 means a gap, or a silence filled from the report before it (`held`). */
  readonly samples: number;
  /** True when it had no sample and its figures are the last report's, which still stood (see the hold time). */
  readonly held?: boolean;
  /** 0–1: the share of its samples that saw a task in flight; undefined for a gap. */
  readonly utilisation: number | undefined;
  /** Mean tasks in flight (queued + running); undefined for a gap. */
  readonly meanInFlight: number | undefined;
  /** Mean CPU, 100 = one core; undefined for a gap. */
  readonly meanCpuPercent: number | undefined;
  /** Tasks served per second, from the served counts of samples ending in it; undefined without served counts. */
  readonly throughputPerSec: number | undefined;
}

/** Interval lengths a reader takes in at a glance: 250 ms up to 10 min. */
export const NICE_INTERVALS_MS = [250, 500, 1_000, 2_000, 5_000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000] as const;
const LONGEST_INTERVAL_MS = 600_000;
/** Samples an interval should hold, so utilisation is more than 0 %, 50 % or 100 %. */
export const PREFERRED_SAMPLES_PER_INTERVAL = 4;
/** At most this many intervals: a long history is summarised, not drawn sample by sample. */
export const MAX_INTERVALS = 60;
/** A short run still gets about this many intervals, even with fewer samples in each. */
export const MIN_INTERVALS = 8;
/** Timers run late by a few percent: a wanted length this much over a nice one still takes it. */
const CADENCE_SLACK = 0.95;
/** With a hold time: the step quantile taken as the sampling cadence (the busy one; idle heartbeats are the long steps). */
const BUSY_STEP_QUANTILE = 0.1;
/** Fewest samples per interval even on a short run: one sample per interval would be the raw 0/1 line again. */
const MIN_SAMPLES_PER_INTERVAL = 2;

/**
 * The typical time between a backend's consecutive samples: the median step over every series, or another quantile
 * of the steps (0 when no series has two samples).
 */
export function typicalSampleIntervalMs(series: readonly (readonly LoadSample[])[], quantile = 0.5): number {
  const steps = series
    .flatMap((samples) => samples.slice(1).map((sample, index) => sample.atMs - samples[index]!.atMs))
    .filter((step) => step > 0)
    .sort((a, b) => a - b);
  return steps.length === 0 ? 0 : steps[Math.min(steps.length - 1, Math.floor(steps.length * quantile))]!;
}

/**
 * The interval to summarise `spanMs` of samples taken every `sampleIntervalMs`: the shortest nice length that
 * holds about four samples and keeps to MAX_INTERVALS, but no longer than a short run needs for MIN_INTERVALS.
 */
export function chooseIntervalMs(spanMs: number, sampleIntervalMs: number): number {
  const sampleMs = sampleIntervalMs > 0 ? sampleIntervalMs : NICE_INTERVALS_MS[0];
  const span = Math.max(0, spanMs);
  const wanted = Math.min(Math.max(sampleMs * PREFERRED_SAMPLES_PER_INTERVAL, span / MAX_INTERVALS), Math.max(sampleMs * MIN_SAMPLES_PER_INTERVAL, span / MIN_INTERVALS));
  // A little slack: reports every 500 ms arrive every 504 ms or so, and two of them should still fit one second.
  return NICE_INTERVALS_MS.find((length) => length >= wanted * CADENCE_SLACK) ?? LONGEST_INTERVAL_MS;
}

/** How many intervals of `intervalMs` cover samples from 0 to `spanMs` (at least one). */
export function intervalCount(spanMs: number, intervalMs: number): number {
  return Math.max(1, Math.floor(Math.max(0, spanMs) / intervalMs) + 1);
}

/**
 * One backend's samples (in time order) summarised into `count` intervals of `intervalMs` from the origin; samples
 * outside them are ignored. With `holdMs`, an empty interval takes the last report's figures while it still stood.
 */
export function summariseIntervals(samples: readonly LoadSample[], intervalMs: number, count: number, holdMs = 0): LoadInterval[] {
  const sums = Array.from({ length: count }, () => ({ samples: 0, busy: 0, inFlight: 0, cpuPercent: 0, servedRise: 0, servedMs: 0 }));
  let previous: LoadSample | undefined;
  for (const sample of samples) {
    const sum = sums[Math.floor(sample.atMs / intervalMs)];
    const before = previous;
    previous = sample;
    if (sum === undefined || !Number.isFinite(sample.inFlight)) continue;
    sum.samples += 1;
    if (sample.inFlight > 0) sum.busy += 1;
    sum.inFlight += sample.inFlight;
    sum.cpuPercent += Number.isFinite(sample.cpuPercent) ? sample.cpuPercent : 0;
    // The step from the previous sample counts towards the interval this one ends in. Left out: a fall (the
    // counter started again) and a step longer than an interval (a silence the served tasks cannot be placed in).
    const rise = before?.served !== undefined && sample.served !== undefined ? sample.served - before.served : -1;
    const stepMs = before === undefined ? 0 : sample.atMs - before.atMs;
    if (rise >= 0 && stepMs > 0 && stepMs <= intervalMs) {
      sum.servedRise += rise;
      sum.servedMs += stepMs;
    }
  }
  const intervals = sums.map((sum, index) => ({
    startMs: index * intervalMs,
    samples: sum.samples,
    utilisation: sum.samples === 0 ? undefined : sum.busy / sum.samples,
    meanInFlight: sum.samples === 0 ? undefined : sum.inFlight / sum.samples,
    meanCpuPercent: sum.samples === 0 ? undefined : sum.cpuPercent / sum.samples,
    throughputPerSec: sum.servedMs === 0 ? undefined : (sum.servedRise * 1_000) / sum.servedMs,
  }));
  return holdMs > 0 ? holdAcrossSilences(intervals, samples, holdMs) : intervals;
}

/**
 * Fills each empty interval from the report before it when that report still stood: the next report came at most
 * `holdMs` after it (the load had not changed meanwhile), or there is no next one yet and the interval starts within
 * `holdMs` of it (the newest report of a live backend). A longer silence stays a gap. A backend killed just after a
 * report is therefore drawn for up to `holdMs` longer than it lived.
 */
function holdAcrossSilences(intervals: readonly LoadInterval[], samples: readonly LoadSample[], holdMs: number): LoadInterval[] {
  const reports = samples.filter((sample) => Number.isFinite(sample.inFlight));
  let nextAt = 0;
  return intervals.map((interval) => {
    while (nextAt < reports.length && reports[nextAt]!.atMs < interval.startMs) nextAt += 1;
    const previous = reports[nextAt - 1];
    if (interval.samples > 0 || previous === undefined) return interval;
    const next = reports[nextAt];
    const stood = next === undefined ? interval.startMs < previous.atMs + holdMs : next.atMs <= previous.atMs + holdMs;
    if (!stood) return interval;
    const served = next?.served !== undefined && previous.served !== undefined && next.served >= previous.served && next.atMs > previous.atMs;
    return {
      ...interval,
      held: true,
      utilisation: previous.inFlight > 0 ? 1 : 0,
      meanInFlight: previous.inFlight,
      meanCpuPercent: Number.isFinite(previous.cpuPercent) ? previous.cpuPercent : 0,
      throughputPerSec: interval.throughputPerSec ?? (served ? ((next.served! - previous.served!) * 1_000) / (next.atMs - previous.atMs) : undefined),
    };
  });
}

export interface LoadIntervalGrid {
  readonly intervalMs: number;
  /** One list per input series, in the same order, all of the same length. */
  readonly intervals: LoadInterval[][];
}

/** Every series summarised on one shared grid of intervals, its length chosen from the samples themselves; `holdMs` as summariseIntervals. */
export function summariseLoad(series: readonly (readonly LoadSample[])[], holdMs = 0): LoadIntervalGrid {
  // A loop, not Math.max(...): a long history has more samples than a call takes arguments.
  let spanMs = 0;
  for (const samples of series) for (const sample of samples) if (sample.atMs > spanMs) spanMs = sample.atMs;
  // On-change reports come fast while busy and at the heartbeat while idle; the median step would be the heartbeat
  // and the chart a few coarse intervals. Held reports fill the silences, so the busy cadence sets the interval.
  const intervalMs = chooseIntervalMs(spanMs, typicalSampleIntervalMs(series, holdMs > 0 ? BUSY_STEP_QUANTILE : 0.5));
  const count = intervalCount(spanMs, intervalMs);
  return { intervalMs, intervals: series.map((samples) => summariseIntervals(samples, intervalMs, count, holdMs)) };
}
