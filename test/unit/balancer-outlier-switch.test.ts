// The Balancer's outlier-detection switch (`--outlier-detection`, SetPolicy's outlier_detection): off, a backend that
// fails every call is never ejected, by any evidence; on, it is; switching off returns the backends ejected then.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { Balancer, type BalancerEvent } from '../../src/core/balancer.js';
import { FAILURE_PERCENTAGE_INTERVAL_MS } from '../../src/core/health/failure-percentage.js';
import { roundRobin } from '../../src/core/policies/index.js';
import { fakeClock } from '../helpers/fake-clock.js';
import { seededRandom } from '../helpers/seeded-random.js';

const UNAVAILABLE = 14;
const ADDRESSES = ['127.0.0.1:7001', '127.0.0.1:7002', '127.0.0.1:7003', '127.0.0.1:7004'];
const FAILING = ADDRESSES[0]!;

function lab(outlierDetection: boolean) {
  const clock = fakeClock(10_000);
  const events: BalancerEvent[] = [];
  const balancer = new Balancer(roundRobin, { random: seededRandom(5), nowMs: clock.nowMs, wallMs: () => 1_700_000_000_000 + clock.nowMs() }, (event) => events.push(event));
  ADDRESSES.forEach((address, index) => balancer.register(`backend-${index + 1}`, address));
  balancer.setOutlierDetection(outlierDetection);
  return { balancer, clock, events };
}

/**
 * Three intervals of 40 calls to every backend from two client connections and from the LB itself (proxy mode): the
 * first backend fails all of its calls, so consecutive failures, failure percentage and success rate all find it.
 */
function failFirstBackend(balancer: Balancer, clock: { advance: (ms: number) => void }): void {
  for (let round = 0; round < 3; round += 1) {
    for (let call = 0; call < 40; call += 1) {
      for (const address of ADDRESSES) {
        const fails = address === FAILING;
        const reporter = [undefined, 'client-a', 'client-b'][call % 3];
        balancer.recordOutcome(address, !fails, fails ? UNAVAILABLE : 0, reporter);
      }
    }
    clock.advance(FAILURE_PERCENTAGE_INTERVAL_MS);
  }
  balancer.recordOutcome(ADDRESSES[1]!, true, 0);
}

/** Failures in a row seen by the LB itself (proxy mode): consecutive-failure evidence at once, with no time passing. */
function failInARow(balancer: Balancer): void {
  for (let call = 0; call < 10; call += 1) balancer.recordOutcome(FAILING, false, UNAVAILABLE);
}

const ejections = (events: readonly BalancerEvent[]) => events.filter((event) => event.type === 'ejected');
const isEjected = (balancer: Balancer, address: string) => balancer.stats().backends.find((backend) => backend.address === address)?.ejected;

const test = suite('outlier detection switch');

test('off: a backend failing 100 % of its calls is never ejected, nor probed, and stays in picks', () => {
  const { balancer, clock, events } = lab(false);
  assert.is(balancer.isOutlierDetectionOn, false);
  failFirstBackend(balancer, clock);
  assert.equal(ejections(events), []);
  assert.is(
    events.some((event) => event.type === 'probing'),
    false,
  );
  assert.is(isEjected(balancer, FAILING), false);
  const picked = new Set(
    ADDRESSES.map(() => balancer.pick({ taskKind: 'SIMPLE', key: '', exclude: new Set() })).map((result) => (result.kind === 'backend' ? result.backend.address : '')),
  );
  assert.ok(picked.has(FAILING), 'still picked');
});

test('on (the default): the same backend is ejected', () => {
  const { balancer, clock, events } = lab(true);
  assert.is(balancer.isOutlierDetectionOn, true);
  failFirstBackend(balancer, clock);
  assert.ok(
    ejections(events).some((event) => event.type === 'ejected' && event.address === FAILING),
    JSON.stringify(events),
  );
});

test('switched off while a backend is ejected: it returns at once; switched on again, later failures eject it again', () => {
  const { balancer, clock, events } = lab(true);
  failInARow(balancer);
  assert.is(isEjected(balancer, FAILING), true);
  balancer.setOutlierDetection(false);
  assert.is(isEjected(balancer, FAILING), false);
  assert.ok(events.some((event) => event.type === 'returned' && event.address === FAILING));
  failFirstBackend(balancer, clock);
  failInARow(balancer);
  assert.is(isEjected(balancer, FAILING), false, 'off: not ejected again');
  balancer.setOutlierDetection(true);
  failInARow(balancer);
  assert.is(isEjected(balancer, FAILING), true, 'on again: ejected');
});

test.run();
