// A backend's load reports to an LB that restarts: NOT_FOUND means register again; an unreachable LB is one warning per outage.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Metadata, status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';

import { LoadReporter } from '../../src/runtime/backend/load-reporter.js';
import type { LoadReport } from '../../src/runtime/wire/gen/lbx/v1/load_balancer.js';
import type { LoadReportTarget } from '../../src/runtime/backend/load-reporter.js';

const grpcError = (code: GrpcStatus, details: string): ServiceError =>
  Object.assign(new Error(`${code} ${GrpcStatus[code]}: ${details}`), { code, details, metadata: new Metadata() });

/** An LB client whose reportLoad answers with the scripted outcomes in turn (undefined = ok). */
function scriptedLb(outcomes: Array<ServiceError | undefined>): LoadReportTarget {
  let index = 0;
  return {
    reportLoad: async () => {
      const outcome = outcomes[index];
      index += 1;
      if (outcome !== undefined) throw outcome;
      return {};
    },
  };
}

const sample = (): LoadReport => ({ address: '127.0.0.1:21001', inFlight: 0, queueDepth: 0, cpuPercent: 0, servedSimple: 0, servedHeavy: 0, recentLatencyMs: 0, rssBytes: 0 });

const test = suite('LoadReporter');

test('NOT_FOUND (a restarted LB) registers again; an unreachable LB warns once per outage, not once per report', async () => {
  const down = grpcError(GrpcStatus.UNAVAILABLE, 'No connection established');
  const lb = scriptedLb([undefined, down, down, down, grpcError(GrpcStatus.NOT_FOUND, 'backend not registered'), undefined, down, down]);
  let reRegistered = 0;
  const warnings: string[] = [];
  const reporter = new LoadReporter({
    lb: () => lb,
    intervalMs: 500,
    sample,
    reRegister: async () => {
      reRegistered += 1;
    },
    onError: (message) => warnings.push(message),
  });
  for (let report = 0; report < 8; report += 1) await reporter.reportOnce();
  assert.is(reRegistered, 1);
  assert.is(warnings.length, 2, `one warning for each of the two outages: ${JSON.stringify(warnings)}`);
  assert.match(warnings[0] ?? '', /UNAVAILABLE.*retrying every 500 ms, quietly/);
});

test('a stopped reporter never registers again', async () => {
  let reRegistered = 0;
  const reporter = new LoadReporter({
    lb: () => scriptedLb([grpcError(GrpcStatus.NOT_FOUND, 'backend not registered')]),
    intervalMs: 500,
    sample,
    reRegister: async () => {
      reRegistered += 1;
    },
    onError: () => undefined,
  });
  reporter.stop();
  await reporter.reportOnce();
  assert.is(reRegistered, 0);
});

test('with activity figures, an idle backend reports once and then waits for news or its heartbeat', async () => {
  let reports = 0;
  const lb: LoadReportTarget = {
    reportLoad: async () => {
      reports += 1;
      return {};
    },
  };
  let activity = { inFlight: 0, queueDepth: 0, servedSimple: 0, servedHeavy: 0 };
  const reporter = new LoadReporter({
    lb: () => lb,
    intervalMs: 500,
    heartbeatMs: 60_000,
    sample: () => ({ ...sample(), ...activity }),
    activity: () => activity,
    reRegister: async () => undefined,
    onError: () => undefined,
  });
  await reporter.reportOnce();
  await reporter.reportOnce();
  await reporter.reportOnce();
  assert.is(reports, 1, 'idle: the first report only');
  activity = { ...activity, inFlight: 2 };
  await reporter.reportOnce();
  await reporter.reportOnce();
  assert.is(reports, 3, 'busy: every tick');
  activity = { ...activity, inFlight: 0, servedSimple: 2 };
  await reporter.reportOnce();
  await reporter.reportOnce();
  assert.is(reports, 4, 'back to idle: one report saying so, then quiet');
});

test.run();
