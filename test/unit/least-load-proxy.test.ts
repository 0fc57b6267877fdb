// least_load in proxy mode: the LB sees every call start and end, so the exact count replaces the report-based estimate.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { leastLoad } from '../../src/core/policies/least-load.js';
import { fakeClock } from '../helpers/fake-clock.js';
import { makeBackends, pickedAddress, pickRequest } from '../helpers/backends.js';
import { seededRandom } from '../helpers/seeded-random.js';

const test = suite('least_load in proxy mode');

test('exact in-flight counts decide, and a stale-looking report does not override them', () => {
  const clock = fakeClock(1_000);
  const [a, b] = makeBackends(2);
  if (!a || !b) throw new Error('two backends expected');
  const picker = leastLoad.createPicker([a, b], { random: seededRandom(3), nowMs: clock.nowMs });
  // A report says B is busy, but the LB is forwarding and knows B has nothing in flight.
  b.load.recordReport({ inFlight: 50, queueDepth: 49, cpuPercent: 90, servedSimple: 0, servedHeavy: 0, recentLatencyMs: 0, rssBytes: 0 }, clock.nowMs());
  for (let call = 0; call < 3; call += 1) a.load.callStarted();
  b.load.callStarted();
  b.load.callEnded(5, clock.nowMs());
  assert.equal(pickedAddress(picker.pick(pickRequest())), b.address);
  for (let call = 0; call < 5; call += 1) b.load.callStarted();
  assert.equal(pickedAddress(picker.pick(pickRequest())), a.address);
});

test.run();
