// Success-rate outlier detection (gRPC A50): the rule on tallies (mean − 1.9 stdev, minimum hosts and request
// volume, enforcement), and through the Balancer with an injected clock: ejected after one interval, back after its
// ejection time, never more than max ejection percent at once.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { Balancer, type BalancerEvent } from '../../src/core/balancer.js';
import { FAILURE_PERCENTAGE_INTERVAL_MS, IntervalTally } from '../../src/core/health/failure-percentage.js';
import { BASE_EJECTION_MS } from '../../src/core/health/outlier-ejection.js';
import { checkSuccessRateConfig, DEFAULT_SUCCESS_RATE, successRateOutliers } from '../../src/core/health/success-rate.js';
import { roundRobin } from '../../src/core/policies/index.js';
import { fakeClock } from '../helpers/fake-clock.js';
import { seededRandom } from '../helpers/seeded-random.js';

const UNAVAILABLE = 14;
const CALLS = 100;
const addressOf = (index: number): string => `127.0.0.1:${7001 + index}`;
const always = (): number => 0;

/** A tally of `calls` with `successPercent` of them ok, failures UNAVAILABLE as the LB saw them. */
function tally(successPercent: number, calls = CALLS): IntervalTally {
  const counted = new IntervalTally();
  const ok = Math.round((calls * successPercent) / 100);
  for (let index = 0; index < calls; index += 1) counted.record(index < ok, index < ok ? 0 : UNAVAILABLE);
  return counted;
}

const talliesOf = (rates: readonly number[], calls = CALLS): Map<string, IntervalTally> => new Map(rates.map((rate, index) => [addressOf(index), tally(rate, calls)]));

function lab(backends: number) {
  const clock = fakeClock(10_000);
  const events: BalancerEvent[] = [];
  const balancer = new Balancer(roundRobin, { random: seededRandom(5), nowMs: clock.nowMs, wallMs: () => 1_700_000_000_000 + clock.nowMs() }, (event) => events.push(event));
  for (let index = 0; index < backends; index += 1) balancer.register(`backend-${index + 1}`, addressOf(index));
  return { balancer, clock, events };
}

/** One interval of CALLS outcomes per backend at the given success rates (no failure twice in a row: consecutive-failure ejection stays out of it), then the first outcome after it. */
function runInterval(cluster: ReturnType<typeof lab>, rates: readonly number[]): void {
  for (let call = 0; call < CALLS; call += 1) {
    rates.forEach((rate, index) => {
      const failsEvery = rate === 100 ? 0 : Math.round(100 / (100 - rate));
      const fails = failsEvery > 0 && call % failsEvery === failsEvery - 1;
      cluster.balancer.recordOutcome(addressOf(index), !fails, fails ? UNAVAILABLE : 0);
    });
  }
  cluster.clock.advance(FAILURE_PERCENTAGE_INTERVAL_MS);
  cluster.balancer.recordOutcome(addressOf(rates.length - 1), true, 0);
}

const ejections = (events: readonly BalancerEvent[]) => events.flatMap((event) => (event.type === 'ejected' ? [event] : []));

const rule = suite('success-rate rule');

rule('a backend at 50 % success among 5 at 100 % is an outlier; the healthy ones are not', () => {
  assert.equal(successRateOutliers(talliesOf([50, 100, 100, 100, 100, 100]), DEFAULT_SUCCESS_RATE, always), [addressOf(0)]);
});

rule('5 % failures beside healthy peers stand out (mean − 1.9 stdev), though far below any failure-percentage threshold', () => {
  assert.equal(successRateOutliers(talliesOf([95, 100, 100, 100, 100, 100]), DEFAULT_SUCCESS_RATE, always), [addressOf(0)]);
});

rule('everyone equally bad: nobody stands out', () => {
  assert.equal(successRateOutliers(talliesOf([50, 50, 50, 50, 50]), DEFAULT_SUCCESS_RATE, always), []);
});

rule('fewer than minimum hosts with the request volume: nobody is judged', () => {
  assert.equal(successRateOutliers(talliesOf([50, 100, 100, 100]), DEFAULT_SUCCESS_RATE, always), [], '4 hosts < 5');
  assert.equal(successRateOutliers(talliesOf([50, 100, 100, 100, 100, 100], 99), DEFAULT_SUCCESS_RATE, always), [], '99 calls < 100 each');
  const mixed = talliesOf([50, 100, 100, 100, 100]);
  mixed.set(addressOf(5), tally(100, 10));
  assert.equal(successRateOutliers(mixed, { ...DEFAULT_SUCCESS_RATE, minimumHosts: 6 }, always), [], 'the sixth has too few calls to count as a host');
});

rule('enforcement percentage: 0 never ejects, 50 ejects when the draw is under it', () => {
  const rates = talliesOf([50, 100, 100, 100, 100, 100]);
  assert.equal(successRateOutliers(rates, { ...DEFAULT_SUCCESS_RATE, enforcementPercent: 0 }, always), []);
  assert.equal(
    successRateOutliers(rates, { ...DEFAULT_SUCCESS_RATE, enforcementPercent: 50 }, () => 0.49),
    [addressOf(0)],
  );
  assert.equal(
    successRateOutliers(rates, { ...DEFAULT_SUCCESS_RATE, enforcementPercent: 50 }, () => 0.5),
    [],
  );
});

rule('settings are checked, each problem naming the field and its value', () => {
  assert.equal(checkSuccessRateConfig(DEFAULT_SUCCESS_RATE), []);
  const problems = checkSuccessRateConfig({ stdevFactor: -1, enforcementPercent: 101, minimumHosts: 0, requestVolume: 1.5 });
  assert.is(problems.length, 4);
  assert.match(problems[0]!, /stdevFactor -1: expected an integer 0–100000/);
  assert.match(problems[1]!, /enforcementPercent 101/);
});

rule.run();

const balancing = suite('success-rate ejection through the Balancer');

balancing('a backend at 80 % success among 5 healthy is ejected after one interval (evidence success-rate) and back after its ejection time', () => {
  const cluster = lab(6);
  runInterval(cluster, [80, 100, 100, 100, 100, 100]);
  const [event] = ejections(cluster.events);
  assert.ok(event !== undefined && event.address === addressOf(0) && event.evidence === 'success-rate', JSON.stringify(cluster.events));
  assert.is(event.forMs, BASE_EJECTION_MS);
  assert.is(ejections(cluster.events).length, 1, 'only the outlier');
  assert.ok(cluster.balancer.stats().backends[0]!.ejected);
  cluster.clock.advance(BASE_EJECTION_MS - 1);
  cluster.balancer.pick({ taskKind: 'SIMPLE', key: '', exclude: new Set() });
  assert.not.ok(
    cluster.events.some((candidate) => candidate.type === 'returned'),
    'not before its time',
  );
  cluster.clock.advance(1);
  cluster.balancer.pick({ taskKind: 'SIMPLE', key: '', exclude: new Set() });
  assert.ok(cluster.events.some((candidate) => candidate.type === 'returned' && candidate.address === addressOf(0)));
  assert.not.ok(cluster.balancer.stats().backends[0]!.ejected);
});

balancing('a backend at 50 % success among 5 healthy is ejected after one interval (failure percentage names it first)', () => {
  const cluster = lab(6);
  runInterval(cluster, [50, 100, 100, 100, 100, 100]);
  assert.equal(
    ejections(cluster.events).map((event) => [event.address, event.evidence]),
    [[addressOf(0), 'failure-percentage']],
  );
});

balancing('fewer than minimum hosts: no success-rate ejection', () => {
  const cluster = lab(4);
  runInterval(cluster, [80, 100, 100, 100]);
  assert.is(ejections(cluster.events).length, 0);
});

balancing('max ejection percent: of 4 outliers among 6, only 3 (50 %) are ejected', () => {
  const cluster = lab(6);
  cluster.balancer.setSuccessRate({ ...DEFAULT_SUCCESS_RATE, stdevFactor: 500 });
  runInterval(cluster, [80, 80, 80, 80, 100, 100]);
  assert.is(ejections(cluster.events).length, 3);
  assert.ok(ejections(cluster.events).every((event) => event.evidence === 'success-rate'));
  assert.is(cluster.balancer.stats().backends.filter((backend) => backend.ejected).length, 3);
});

balancing('bad settings are refused, the old ones kept', () => {
  const cluster = lab(6);
  assert.throws(() => cluster.balancer.setSuccessRate({ ...DEFAULT_SUCCESS_RATE, minimumHosts: 0 }), /minimumHosts 0/);
  runInterval(cluster, [80, 100, 100, 100, 100, 100]);
  assert.is(ejections(cluster.events).length, 1);
});

balancing.run();
