// PickDone failure reports are hints: one client's reports trigger a probe, and only a failed probe (or reports from several clients) ejects.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { Balancer, type BalancerEvent } from '../../src/core/balancer.js';
import { roundRobin } from '../../src/core/policies/index.js';
import { pickedAddress, pickRequest } from '../helpers/backends.js';
import { fakeClock } from '../helpers/fake-clock.js';
import { seededRandom } from '../helpers/seeded-random.js';

const OK = 0;
const UNAVAILABLE = 14;
const addresses = ['127.0.0.1:7001', '127.0.0.1:7002', '127.0.0.1:7003', '127.0.0.1:7004'];
const [A = '', B = '', C = ''] = addresses;
const HOSTILE = '127.0.0.1:50001';
const OTHER = '127.0.0.1:50002';

function lab(): { balancer: Balancer; probes: string[]; events: BalancerEvent[] } {
  const clock = fakeClock(10_000);
  const probes: string[] = [];
  const events: BalancerEvent[] = [];
  const balancer = new Balancer(
    roundRobin,
    { random: seededRandom(3), nowMs: clock.nowMs, wallMs: () => 1_700_000_000_000, probeBackend: (address) => void probes.push(address) },
    (event) => events.push(event),
  );
  addresses.forEach((address, index) => balancer.register(`backend-${index + 1}`, address));
  return { balancer, probes, events };
}

const report = (balancer: Balancer, address: string, times: number, reporter: string): void => {
  for (let index = 0; index < times; index += 1) balancer.recordOutcome(address, false, UNAVAILABLE, reporter);
};
const ejected = (balancer: Balancer): string[] =>
  balancer
    .stats()
    .backends.filter((backend) => backend.ejected)
    .map((backend) => backend.address);
const picked = (balancer: Balancer, count: number): Set<string> => new Set(Array.from({ length: count }, () => pickedAddress(balancer.pick(pickRequest()))));

const test = suite('PickDone failures are hints');

test('one client faking failures on half the backends ejects none while the probes pass', () => {
  const { balancer, probes, events } = lab();
  report(balancer, A, 10, HOSTILE);
  report(balancer, B, 10, HOSTILE);
  assert.equal(ejected(balancer), [], "no ejection on one client's word");
  assert.equal(probes, [A, B], 'one probe per suspected backend, not one per report');
  balancer.probeResult(A, true);
  balancer.probeResult(B, true);
  assert.equal(ejected(balancer), []);
  assert.equal(picked(balancer, 40).size, 4, 'every backend still gets picks');
  assert.equal(
    events.filter((event) => event.type === 'probe-passed').map((event) => event.address),
    [A, B],
  );
  // The passed probe forgets the run: three more fake reports ask again, they do not eject.
  report(balancer, A, 3, HOSTILE);
  assert.equal([probes.length, ejected(balancer)], [3, []]);
});

test('a failed probe ejects the backend one client reported', () => {
  const { balancer, probes, events } = lab();
  report(balancer, C, 3, HOSTILE);
  assert.equal(probes, [C]);
  balancer.probeResult(C, false);
  assert.equal(ejected(balancer), [C]);
  const ejection = events.find((event) => event.type === 'ejected');
  assert.equal(ejection, { type: 'ejected', address: C, consecutiveFailures: 3, forMs: 1_000, evidence: 'probe-failed' });
  assert.not.ok(picked(balancer, 40).has(C));
});

test('failures reported by two clients eject at once, without a probe', () => {
  const { balancer, probes, events } = lab();
  report(balancer, A, 2, HOSTILE);
  report(balancer, A, 1, OTHER);
  assert.equal(ejected(balancer), [A]);
  assert.equal(probes, []);
  const ejection = events.find((event) => event.type === 'ejected');
  assert.is(ejection?.type === 'ejected' ? ejection.evidence : undefined, 'several-clients');
});

test('a success in between starts the run afresh, forgetting its reporters', () => {
  const { balancer, probes } = lab();
  report(balancer, A, 2, HOSTILE);
  balancer.recordOutcome(A, true, OK, OTHER);
  report(balancer, A, 3, OTHER);
  assert.equal([ejected(balancer), probes], [[], [A]], 'one reporter in the new run: a probe, no ejection');
});

test('a probe result for a backend that was not probed, or an unknown one, changes nothing', () => {
  const { balancer } = lab();
  balancer.probeResult(A, false);
  balancer.probeResult('127.0.0.1:9', false);
  assert.equal(ejected(balancer), []);
});

test("without a probe, and for the LB's own calls, failures eject as before", () => {
  const { balancer, probes } = lab();
  for (let index = 0; index < 3; index += 1) balancer.recordOutcome(B, false, UNAVAILABLE);
  assert.equal([ejected(balancer), probes], [[B], []]);
});

test.run();
