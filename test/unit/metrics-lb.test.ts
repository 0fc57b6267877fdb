// The LB's Prometheus metrics after simulated picks, reports, outcomes and RPC answers.
import { status as GrpcStatus, type sendUnaryData, type ServerDuplexStream, type ServerUnaryCall } from '@grpc/grpc-js';
import { Counter } from 'prom-client';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { Balancer } from '../../src/core/balancer.js';
import { pickFirst, roundRobin } from '../../src/core/policies/index.js';
import { LbMetrics } from '../../src/runtime/metrics/lb-metrics.js';
import { parseExposition, sumSamples, type Sample } from '../../src/runtime/metrics/parse-exposition.js';
import type { GetServerReply, GetServerRequest, GetServerResponse, LoadBalancerServer } from '../../src/runtime/wire/gen/lbx/v1/load_balancer.js';
import { statusError } from '../../src/runtime/grpc/status-errors.js';
import { fakeClock } from '../helpers/fake-clock.js';
import { pickRequest } from '../helpers/backends.js';
import { seededRandom } from '../helpers/seeded-random.js';

const A = '127.0.0.1:7001';
const B = '127.0.0.1:7002';

function meteredBalancer() {
  const clock = fakeClock(1_000);
  const metrics = new LbMetrics({ nowMs: clock.nowMs });
  const balancer = new Balancer(roundRobin, { random: seededRandom(3), nowMs: clock.nowMs, wallMs: () => 1_700_000_000_000 + clock.nowMs() }, (event) =>
    metrics.onBalancerEvent(event),
  );
  metrics.meter(balancer);
  balancer.register('backend-7001', A);
  balancer.register('backend-7002', B);
  return { balancer, metrics, clock };
}

const scrape = async (metrics: LbMetrics): Promise<Sample[]> => parseExposition(await metrics.exposition());

const test = suite('LB metrics');

test('picks are counted per backend and policy, and timed', async () => {
  const { balancer, metrics } = meteredBalancer();
  for (let index = 0; index < 10; index += 1) balancer.pick(pickRequest());
  balancer.setPolicy(pickFirst);
  for (let index = 0; index < 5; index += 1) balancer.pick(pickRequest());
  balancer.pick(pickRequest([A, B])); // unavailable: timed, not counted as a pick
  const samples = await scrape(metrics);
  assert.equal(sumSamples(samples, 'lbx_lb_picks_total', { backend: A, policy: 'round_robin' }), 5);
  assert.equal(sumSamples(samples, 'lbx_lb_picks_total', { backend: B, policy: 'round_robin' }), 5);
  assert.equal(sumSamples(samples, 'lbx_lb_picks_total', { policy: 'pick_first' }), 5);
  assert.equal(sumSamples(samples, 'lbx_lb_picks_total'), balancer.stats().picks);
  assert.equal(sumSamples(samples, 'lbx_lb_pick_duration_seconds_count'), 16);
  assert.equal(sumSamples(samples, 'lbx_lb_pick_duration_seconds_bucket', { le: '+Inf' }), 16);
  assert.equal(sumSamples(samples, 'lbx_lb_policy_info', { policy: 'pick_first' }), 1);
});

test('each scrape adds only the picks since the last one: counts are neither lost nor doubled', async () => {
  const { balancer, metrics } = meteredBalancer();
  const totals: number[] = [];
  for (const picks of [4, 0, 7]) {
    for (let index = 0; index < picks; index += 1) balancer.pick(pickRequest());
    const samples = await scrape(metrics);
    totals.push(sumSamples(samples, 'lbx_lb_picks_total'), sumSamples(samples, 'lbx_lb_pick_duration_seconds_count'));
  }
  assert.equal(totals, [4, 4, 4, 4, 11, 11]);
});

test('the pick path makes no label children after the first pick of each backend and policy', () => {
  const { balancer } = meteredBalancer();
  const labels = Counter.prototype.labels;
  let calls = 0;
  Counter.prototype.labels = function (this: Counter, ...args: unknown[]) {
    calls += 1;
    return (labels as (...values: unknown[]) => ReturnType<typeof labels>).apply(this, args);
  } as typeof labels;
  try {
    for (let index = 0; index < 1_000; index += 1) balancer.pick(pickRequest());
  } finally {
    Counter.prototype.labels = labels;
  }
  assert.equal(calls, 2, 'one child per backend under round_robin');
});

test('health, ejection, in flight and the last reported load are read at scrape time', async () => {
  const { balancer, metrics } = meteredBalancer();
  balancer.recordReport(A, { inFlight: 3, queueDepth: 2, cpuPercent: 41.5, servedSimple: 10, servedHeavy: 1, recentLatencyMs: 2, rssBytes: 1 });
  assert.equal(balancer.pick(pickRequest([B])).kind, 'backend');
  balancer.deregister(B, 'graceful');
  const samples = await scrape(metrics);
  assert.equal(sumSamples(samples, 'lbx_lb_reported_in_flight', { backend: A }), 3);
  assert.equal(sumSamples(samples, 'lbx_lb_reported_queue_depth', { backend: A }), 2);
  assert.equal(sumSamples(samples, 'lbx_lb_reported_cpu_percent', { backend: A }), 41.5);
  assert.equal(sumSamples(samples, 'lbx_lb_backend_in_flight', { backend: A }), 4, 'the load model: 3 reported plus 1 assigned since');
  assert.equal(sumSamples(samples, 'lbx_lb_backend_serving', { backend: A }), 1);
  assert.equal(sumSamples(samples, 'lbx_lb_backend_serving', { backend: B }), 0);
  assert.equal(sumSamples(samples, 'lbx_lb_backend_ejected', { backend: A }), 0);
  assert.equal(sumSamples(samples, 'lbx_lb_members', { state: 'serving' }), 1);
  assert.equal(sumSamples(samples, 'lbx_lb_members', { state: 'removed' }), 1);
  assert.equal(sumSamples(samples, 'lbx_lb_membership_changes_total', { change: 'joined' }), 2);
  assert.equal(sumSamples(samples, 'lbx_lb_membership_changes_total', { change: 'removed' }), 1);
});

test('ejections are counted by backend and evidence, beside the membership change', async () => {
  const { balancer, metrics } = meteredBalancer();
  // Needs a second serving backend: the cap never ejects the only one.
  balancer.register('backend-c', '127.0.0.1:7003');
  for (let call = 0; call < 3; call += 1) balancer.recordOutcome(A, false, GrpcStatus.UNAVAILABLE);
  const samples = await scrape(metrics);
  assert.equal(sumSamples(samples, 'lbx_lb_ejections_total', { backend: A, evidence: 'own-calls' }), 1);
  assert.equal(sumSamples(samples, 'lbx_lb_ejections_total', { evidence: 'success-rate' }), 0);
  assert.equal(sumSamples(samples, 'lbx_lb_membership_changes_total', { change: 'ejected' }), 1);
  assert.equal(sumSamples(samples, 'lbx_lb_backend_ejected', { backend: A }), 1);
});

test('reported failures are counted by backend and code name; successes are not', async () => {
  const { balancer, metrics } = meteredBalancer();
  balancer.recordOutcome(A, false, GrpcStatus.UNAVAILABLE);
  balancer.recordOutcome(A, false, GrpcStatus.UNAVAILABLE);
  balancer.recordOutcome(B, false, GrpcStatus.DEADLINE_EXCEEDED);
  balancer.recordOutcome(B, true, GrpcStatus.OK);
  const samples = await scrape(metrics);
  assert.equal(sumSamples(samples, 'lbx_lb_reported_failures_total', { backend: A, code: 'UNAVAILABLE' }), 2);
  assert.equal(sumSamples(samples, 'lbx_lb_reported_failures_total', { backend: B, code: 'DEADLINE_EXCEEDED' }), 1);
  assert.equal(sumSamples(samples, 'lbx_lb_reported_failures_total'), 3);
  assert.equal(balancer.stats().backends.find((member) => member.address === A)?.failuresReported, 2, 'the balancer still hears every outcome');
});

test('non-OK answers are counted by method and code, on unary calls and on the stream', async () => {
  const metrics = new LbMetrics({ nowMs: () => 0 });
  let streamHandled = 0;
  const service = metrics.instrument({
    getServer: (_call: ServerUnaryCall<GetServerRequest, GetServerResponse>, callback: sendUnaryData<GetServerResponse>) =>
      callback(statusError(GrpcStatus.UNAVAILABLE, 'no backend')),
    getServerStream: (call: ServerDuplexStream<GetServerRequest, GetServerReply>) => {
      streamHandled += 1;
      call.write({ requestId: 1, server: undefined, statusCode: GrpcStatus.OK, statusMessage: '' });
      call.write({ requestId: 2, server: undefined, statusCode: GrpcStatus.INVALID_ARGUMENT, statusMessage: 'bad' });
    },
    setPolicy: (_call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => callback(null, {}),
  } as unknown as LoadBalancerServer);
  const answers: unknown[] = [];
  (service.getServer as (call: unknown, callback: sendUnaryData<unknown>) => void)({}, (error) => answers.push(error?.code));
  (service.setPolicy as (call: unknown, callback: sendUnaryData<unknown>) => void)({}, (error) => answers.push(error ?? 'ok'));
  const written: number[] = [];
  (service.getServerStream as (call: unknown) => void)({ write: (reply: GetServerReply) => written.push(reply.statusCode) });
  assert.equal(answers, [GrpcStatus.UNAVAILABLE, 'ok'], 'answers pass through unchanged');
  assert.equal([streamHandled, ...written], [1, GrpcStatus.OK, GrpcStatus.INVALID_ARGUMENT]);
  const samples = parseExposition(await metrics.exposition());
  assert.equal(sumSamples(samples, 'lbx_lb_errors_total', { method: 'GetServer', code: 'UNAVAILABLE' }), 1);
  assert.equal(sumSamples(samples, 'lbx_lb_errors_total', { method: 'GetServerStream', code: 'INVALID_ARGUMENT' }), 1);
  assert.equal(sumSamples(samples, 'lbx_lb_errors_total'), 2);
});

test('the exposition declares every lbx metric with HELP and TYPE, and no default-registry metric leaks in', async () => {
  const { balancer, metrics } = meteredBalancer();
  balancer.pick(pickRequest());
  const text = await metrics.exposition();
  for (const [name, type] of [
    ['lbx_lb_picks_total', 'counter'],
    ['lbx_lb_pick_duration_seconds', 'histogram'],
    ['lbx_lb_errors_total', 'counter'],
    ['lbx_lb_reported_failures_total', 'counter'],
    ['lbx_lb_membership_changes_total', 'counter'],
    ['lbx_lb_ejections_total', 'counter'],
    ['lbx_lb_backend_in_flight', 'gauge'],
    ['lbx_lb_reported_in_flight', 'gauge'],
    ['lbx_lb_reported_queue_depth', 'gauge'],
    ['lbx_lb_reported_cpu_percent', 'gauge'],
    ['lbx_lb_backend_serving', 'gauge'],
    ['lbx_lb_backend_ejected', 'gauge'],
  ]) {
    assert.match(text, new RegExp(`^# HELP ${name} \\S`, 'm'));
    assert.match(text, new RegExp(`^# TYPE ${name} ${type}$`, 'm'));
  }
  assert.not.match(text, /^process_/m, 'process metrics only when asked for');
  assert.ok(parseExposition(text).length > 20);
});

test.run();
