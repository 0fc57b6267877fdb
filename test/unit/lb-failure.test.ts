// Which failures a send run waits out (the LB down, restarting or without backends) and which end the try.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Metadata, status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';

import { describeLbUnavailable, isProxyUnavailable, pickFailureAction } from '../../src/runtime/client/lb-failure.js';

const grpcError = (code: GrpcStatus, details: string): ServiceError =>
  Object.assign(new Error(`${code} ${GrpcStatus[code]}: ${details}`), { code, details, metadata: new Metadata() });

const picks = suite('pickFailureAction');

picks('the LB unreachable, silent, restarting or without backends: wait for it', () => {
  const waited = [
    grpcError(GrpcStatus.UNAVAILABLE, 'No connection established. Last error: connect ECONNREFUSED 127.0.0.1:21100'),
    grpcError(GrpcStatus.UNAVAILABLE, 'Connection dropped'),
    grpcError(GrpcStatus.UNAVAILABLE, 'the LB ended the pick stream'),
    grpcError(GrpcStatus.DEADLINE_EXCEEDED, 'no pick from the LB within 2000 ms'),
    grpcError(GrpcStatus.CANCELLED, 'pick stream closed by the client'),
    grpcError(GrpcStatus.UNAVAILABLE, 'no healthy backend'),
  ];
  assert.equal(
    waited.map(pickFailureAction),
    waited.map(() => 'wait-for-lb'),
  );
});

picks('an invalid request or something that is no gRPC error: final', () => {
  const final = [grpcError(GrpcStatus.INVALID_ARGUMENT, 'key is longer than 256 characters'), new Error('a bug')];
  assert.equal(
    final.map(pickFailureAction),
    final.map(() => 'final'),
  );
});

picks('every candidate excluded: ask again without exclusions, as a retry', () => {
  const excluded = [
    grpcError(GrpcStatus.UNAVAILABLE, 'all 3 healthy backends excluded by the client'),
    grpcError(GrpcStatus.UNAVAILABLE, 'the only healthy backend (127.0.0.1:21001) is excluded by the client'),
  ];
  assert.equal(
    excluded.map(pickFailureAction),
    excluded.map(() => 'retry-all'),
  );
});

picks.run();

const proxy = suite('isProxyUnavailable');

proxy('the LB itself gone or without backends is waited for; failures it passes on from a backend are not', () => {
  const table: Array<[ServiceError | Error, boolean, boolean, string]> = [
    [grpcError(GrpcStatus.UNAVAILABLE, 'No connection established. Last error: connect ECONNREFUSED'), false, true, 'LB down'],
    [grpcError(GrpcStatus.UNAVAILABLE, 'Connection dropped'), false, true, 'LB died mid-call'],
    [grpcError(GrpcStatus.UNAVAILABLE, 'no healthy backend'), true, true, 'LB restarted, no members yet'],
    [grpcError(GrpcStatus.UNAVAILABLE, 'something else'), false, true, 'unknown cause on a channel that is not connected'],
    [grpcError(GrpcStatus.UNAVAILABLE, 'read ECONNRESET'), true, true, 'reset'],
    [grpcError(GrpcStatus.UNAVAILABLE, 'something else'), true, false, 'a backend failure the LB passed on'],
    [grpcError(GrpcStatus.DEADLINE_EXCEEDED, 'Deadline exceeded after 5.001s'), true, false, 'a slow backend'],
    [grpcError(GrpcStatus.INVALID_ARGUMENT, 'work_units too large'), false, false, 'a bad task'],
    [new Error('a bug'), false, false, 'no gRPC error'],
  ];
  for (const [error, isChannelReady, expected, what] of table) assert.is(isProxyUnavailable(error, isChannelReady), expected, what);
});

proxy('reasons are the same whatever grpc-js put in the details, so failures group', () => {
  const lb = '127.0.0.1:21100';
  assert.is(
    describeLbUnavailable(grpcError(GrpcStatus.UNAVAILABLE, 'No connection established. Last error: x (12:00:01)'), lb),
    'the LB at 127.0.0.1:21100 is unreachable (UNAVAILABLE)',
  );
  assert.is(describeLbUnavailable(grpcError(GrpcStatus.UNAVAILABLE, 'Connection dropped'), lb), 'the LB at 127.0.0.1:21100 is unreachable (UNAVAILABLE)');
  assert.is(describeLbUnavailable(grpcError(GrpcStatus.DEADLINE_EXCEEDED, 'no pick from the LB within 2000 ms'), lb), 'the LB at 127.0.0.1:21100 did not answer in time');
  assert.is(describeLbUnavailable(grpcError(GrpcStatus.UNAVAILABLE, 'no healthy backend'), lb), 'the LB at 127.0.0.1:21100 has no healthy backend');
});

proxy.run();
