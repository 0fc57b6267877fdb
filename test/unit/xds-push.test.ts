// Every xDS push names its plan version, why it was pushed and how many clients it went to: in the event the LB logs,
// in the control plane's status and in GetXdsStatus (what `lbx report` shows).
import { credentials, Server, ServerCredentials } from '@grpc/grpc-js';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { pushReasons } from '../../src/core/xds/push-reason.js';
import { planXds, type XdsBackendInput } from '../../src/core/xds/xds-plan.js';
import { AggregatedDiscoveryServiceClient, type DiscoveryResponse } from '../../src/runtime/wire/gen/envoy/service/discovery/v3/discovery_subset.js';
import { toStatusResponse } from '../../src/runtime/xds/xds-admin.js';
import { XdsControlPlane, type XdsEvent } from '../../src/runtime/xds/xds-control-plane.js';
import { CLUSTER_TYPE, ENDPOINT_TYPE, XDS_SERVICE_NAME } from '../../src/runtime/xds/xds-resources.js';
import { withTimeout } from '../helpers/with-timeout.js';

const backend = (port: number, weight = 1, health: 'healthy' | 'draining' = 'healthy'): XdsBackendInput => ({
  host: '127.0.0.1',
  port,
  weight,
  inFlight: undefined,
  health,
});

const reasons = suite('xDS push reasons');

reasons('the first plan is initial; then policy, membership and weights, each when it changed', () => {
  const rr = planXds('round_robin', [backend(7001), backend(7002)]);
  assert.equal(pushReasons(undefined, rr), ['initial']);
  assert.equal(pushReasons(rr, rr), []);
  assert.equal(pushReasons(rr, planXds('consistent_hash', [backend(7001), backend(7002)])), ['policy']);
  assert.equal(pushReasons(rr, planXds('round_robin', [backend(7001)])), ['membership'], 'one left');
  assert.equal(pushReasons(rr, planXds('round_robin', [backend(7001), backend(7003)])), ['membership'], 'as many, another one');
  assert.equal(pushReasons(rr, planXds('round_robin', [backend(7001), backend(7002, 1, 'draining')])), ['membership'], 'a drain starts');
  const wrr = planXds('weighted_round_robin', [backend(7001, 1), backend(7002, 2)]);
  assert.equal(pushReasons(wrr, planXds('weighted_round_robin', [backend(7001, 1), backend(7002, 5)])), ['weights']);
  assert.equal(pushReasons(rr, wrr), ['policy', 'weights'], 'a switch to wrr changes the weights too');
  assert.equal(pushReasons(wrr, planXds('weighted_round_robin', [backend(7001, 3), backend(7003, 2)])), ['membership', 'weights']);
});

reasons.run();

const pushes = suite('xDS push events and status');

interface Plane {
  readonly plane: XdsControlPlane;
  readonly events: XdsEvent[];
  readonly state: { policy: string; backends: XdsBackendInput[] };
  readonly address: string;
  close(): Promise<void>;
}

async function startPlane(): Promise<Plane> {
  const events: XdsEvent[] = [];
  const state = { policy: 'weighted_round_robin', backends: [backend(7001, 1), backend(7002, 2), backend(7003, 5)] };
  const plane = new XdsControlPlane({ plan: () => planXds(state.policy, state.backends), onEvent: (event) => events.push(event) });
  const server = new Server();
  server.addService(plane.service, plane.implementation);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  return {
    plane,
    events,
    state,
    address: `127.0.0.1:${port}`,
    close: async () => {
      plane.close();
      await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
    },
  };
}

const pushEvents = (events: readonly XdsEvent[]): Extract<XdsEvent, { type: 'xds-push' }>[] =>
  events.filter((event): event is Extract<XdsEvent, { type: 'xds-push' }> => event.type === 'xds-push');

pushes('each push is an event with its version, reason and the clients it went to; status and GetXdsStatus carry the last', async () => {
  const p = await startPlane();
  const client = new AggregatedDiscoveryServiceClient(p.address, credentials.createInsecure());
  try {
    assert.equal(
      pushEvents(p.events).map((event) => [event.version, event.reason, event.clients]),
      [['1', 'initial', 0]],
    );
    // Two streams subscribed to the endpoints, one only to the Cluster: a membership push goes to the first two.
    const received: DiscoveryResponse[] = [];
    const streams = [ENDPOINT_TYPE, ENDPOINT_TYPE, CLUSTER_TYPE].map((typeUrl) => {
      const stream = client.streamAggregatedResources();
      stream.on('data', (response: DiscoveryResponse) => received.push(response));
      stream.on('error', () => undefined);
      stream.write({ versionInfo: '', node: undefined, resourceNames: typeUrl === ENDPOINT_TYPE ? [XDS_SERVICE_NAME] : [], typeUrl, responseNonce: '', errorDetail: undefined });
      return stream;
    });
    await withTimeout(
      (async () => {
        while (received.length < 3) await new Promise((resolve) => setTimeout(resolve, 10));
      })(),
      2_000,
      'three first responses',
    );
    p.state.backends.push(backend(7004, 8));
    p.plane.publish();
    p.state.policy = 'round_robin';
    p.plane.publish();
    const [, membership, policy] = pushEvents(p.events);
    assert.equal([membership?.version, membership?.reason, membership?.clients, membership?.connected], ['2', 'membership', 2, 3]);
    assert.match(membership?.weights ?? '', '127.0.0.1:7004=8');
    assert.equal([policy?.version, policy?.reason], ['3', 'policy+weights']);
    const last = p.plane.status().lastPush;
    assert.equal([last?.version, last?.reason], ['3', 'policy+weights']);
    const response = toStatusResponse(p.plane.status());
    assert.equal([response.planVersion, response.pushReason, response.note], ['3', 'policy+weights', 'round_robin: the same as lbx']);
    assert.ok(Math.abs(response.pushedAtUnixMs - Date.now()) < 5_000);
    assert.equal(
      response.endpoints.map((endpoint) => `${endpoint.address}=${endpoint.weight}`),
      ['127.0.0.1:7001=1', '127.0.0.1:7002=1', '127.0.0.1:7003=1', '127.0.0.1:7004=1'],
    );
    for (const stream of streams) stream.cancel();
  } finally {
    client.close();
    await p.close();
  }
});

pushes('nothing material changed: no push, no event, the version stays', async () => {
  const p = await startPlane();
  try {
    p.plane.publish();
    p.plane.publish();
    assert.is(pushEvents(p.events).length, 1);
    assert.is(p.plane.status().lastPush?.version, '1');
  } finally {
    await p.close();
  }
});

pushes.run();
