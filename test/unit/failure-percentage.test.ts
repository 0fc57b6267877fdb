// Failure-percentage outlier detection through the Balancer: a backend failing every other call (never three in a
// row) is ejected after an interval on trusted evidence, comes back when its ejection ends, and one client alone
// cannot eject it.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { Balancer, type BalancerEvent } from '../../src/core/balancer.js';
import { FAILURE_PERCENTAGE_INTERVAL_MS, failurePercentageOutliers, IntervalTally } from '../../src/core/health/failure-percentage.js';
import { roundRobin } from '../../src/core/policies/index.js';
import { fakeClock } from '../helpers/fake-clock.js';
import { seededRandom } from '../helpers/seeded-random.js';

const UNAVAILABLE = 14;
const ADDRESSES = ['127.0.0.1:7001', '127.0.0.1:7002', '127.0.0.1:7003', '127.0.0.1:7004'];

function lab() {
  const clock = fakeClock(10_000);
  const events: BalancerEvent[] = [];
  const balancer = new Balancer(roundRobin, { random: seededRandom(3), nowMs: clock.nowMs, wallMs: () => 1_700_000_000_000 + clock.nowMs() }, (event) => events.push(event));
  ADDRESSES.forEach((address, index) => balancer.register(`backend-${index + 1}`, address));
  return { balancer, clock, events };
}

/** 40 calls to every backend; the first fails every other one. `reporter` as a client connection would report them. */
function interval(balancer: Balancer, reporter?: (call: number) => string): void {
  for (let call = 0; call < 40; call += 1) {
    for (const address of ADDRESSES) {
      const fails = address === ADDRESSES[0] && call % 2 === 1;
      balancer.recordOutcome(address, !fails, fails ? UNAVAILABLE : 0, reporter?.(call));
    }
  }
}

const ejected = (events: readonly BalancerEvent[]) => events.filter((event) => event.type === 'ejected');

const test = suite('failure-percentage ejection');

test('a backend failing 50 % (never 3 in a row) is ejected at the end of the interval its calls were seen in, and returns', () => {
  const { balancer, clock, events } = lab();
  interval(balancer);
  assert.is(ejected(events).length, 0, 'not before the interval ends');
  clock.advance(FAILURE_PERCENTAGE_INTERVAL_MS);
  balancer.recordOutcome(ADDRESSES[1]!, true, 0);
  const [event] = ejected(events);
  assert.ok(event?.type === 'ejected' && event.address === ADDRESSES[0] && event.evidence === 'failure-percentage', JSON.stringify(events));
  assert.ok(balancer.stats().backends.find((backend) => backend.address === ADDRESSES[0])?.ejected);
  clock.advance(event!.type === 'ejected' ? event!.forMs : 0);
  balancer.pick({ taskKind: 'SIMPLE', key: '', exclude: new Set() });
  assert.ok(
    events.some((candidate) => candidate.type === 'returned' && candidate.address === ADDRESSES[0]),
    'back after its ejection',
  );
});

test('one client connection alone cannot eject by failure percentage; two can', () => {
  const single = lab();
  interval(single.balancer, () => 'client-a');
  single.clock.advance(FAILURE_PERCENTAGE_INTERVAL_MS);
  single.balancer.recordOutcome(ADDRESSES[1]!, true, 0, 'client-a');
  assert.is(ejected(single.events).length, 0);
  const two = lab();
  interval(two.balancer, (call) => (call % 4 < 2 ? 'client-a' : 'client-b'));
  two.clock.advance(FAILURE_PERCENTAGE_INTERVAL_MS);
  two.balancer.recordOutcome(ADDRESSES[1]!, true, 0, 'client-b');
  assert.is(ejected(two.events).length, 1);
});

test('too few calls or too few backends to judge: nobody is ejected', () => {
  const tally = (ok: number, failed: number): IntervalTally => {
    const counted = new IntervalTally();
    for (let index = 0; index < ok; index += 1) counted.record(true, 0);
    for (let index = 0; index < failed; index += 1) counted.record(false, UNAVAILABLE);
    return counted;
  };
  assert.equal(
    failurePercentageOutliers(
      new Map([
        ['a', tally(5, 10)],
        ['b', tally(30, 0)],
        ['c', tally(30, 0)],
      ]),
    ),
    [],
    'a: 15 calls, below the volume',
  );
  assert.equal(
    failurePercentageOutliers(
      new Map([
        ['a', tally(10, 20)],
        ['b', tally(30, 0)],
      ]),
    ),
    [],
    'two hosts only',
  );
  assert.equal(
    failurePercentageOutliers(
      new Map([
        ['a', tally(10, 20)],
        ['b', tally(30, 0)],
        ['c', tally(30, 0)],
      ]),
    ),
    ['a'],
  );
});

test.run();
