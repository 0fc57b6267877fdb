// The ADS server against a raw xDS client: versions, nonces, ACK, NACK, stale requests, unknown names, bad requests.
import { credentials, Server, ServerCredentials, type ClientDuplexStream } from '@grpc/grpc-js';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { planXds, type XdsBackendInput } from '../../src/core/xds/xds-plan.js';
import { XdsControlPlane, type XdsEvent } from '../../src/runtime/xds/xds-control-plane.js';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, XDS_SERVICE_NAME } from '../../src/runtime/xds/xds-resources.js';
import { ClusterLoadAssignment } from '../../src/runtime/wire/gen/envoy/config/endpoint/v3/endpoint_subset.js';
import { Cluster, Cluster_LbPolicy } from '../../src/runtime/wire/gen/envoy/config/cluster/v3/cluster_subset.js';
import { AggregatedDiscoveryServiceClient, type DiscoveryRequest, type DiscoveryResponse } from '../../src/runtime/wire/gen/envoy/service/discovery/v3/discovery_subset.js';
import { withTimeout } from '../helpers/with-timeout.js';

interface Harness {
  readonly plane: XdsControlPlane;
  readonly events: XdsEvent[];
  readonly backends: XdsBackendInput[];
  policy: string;
  readonly client: AggregatedDiscoveryServiceClient;
  close(): Promise<void>;
}

const backend = (port: number, weight = 1): XdsBackendInput => ({ host: '127.0.0.1', port, weight, inFlight: undefined, health: 'healthy' });

async function harness(): Promise<Harness> {
  const events: XdsEvent[] = [];
  const state = { policy: 'round_robin', backends: [backend(7001), backend(7002)] };
  const plane = new XdsControlPlane({ plan: () => planXds(state.policy, state.backends), onEvent: (event) => events.push(event) });
  const server = new Server();
  server.addService(plane.service, plane.implementation);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  const client = new AggregatedDiscoveryServiceClient(`127.0.0.1:${port}`, credentials.createInsecure());
  return {
    plane,
    events,
    backends: state.backends,
    get policy() {
      return state.policy;
    },
    set policy(name: string) {
      state.policy = name;
    },
    client,
    close: async () => {
      client.close();
      plane.close();
      await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
    },
  };
}

/** An ADS stream whose responses queue up for next(). */
function open(client: AggregatedDiscoveryServiceClient): {
  stream: ClientDuplexStream<DiscoveryRequest, DiscoveryResponse>;
  next(ms?: number): Promise<DiscoveryResponse>;
  ended: Promise<{ code: number; details: string }>;
} {
  const stream = client.streamAggregatedResources();
  const queue: DiscoveryResponse[] = [];
  const waiters: ((response: DiscoveryResponse) => void)[] = [];
  stream.on('data', (response: DiscoveryResponse) => {
    const waiter = waiters.shift();
    if (waiter) waiter(response);
    else queue.push(response);
  });
  const ended = new Promise<{ code: number; details: string }>((resolve) => {
    stream.on('error', (error: { code: number; details: string }) => resolve({ code: error.code, details: error.details }));
    stream.on('status', (status: { code: number; details: string }) => resolve(status));
  });
  const next = (ms = 2_000): Promise<DiscoveryResponse> =>
    withTimeout(
      new Promise<DiscoveryResponse>((resolve) => {
        const queued = queue.shift();
        if (queued) resolve(queued);
        else waiters.push(resolve);
      }),
      ms,
      'an ADS response',
    );
  return { stream, next, ended };
}

/** No response within `ms`: resolves true when none came. */
async function silentFor(next: (ms?: number) => Promise<DiscoveryResponse>, ms: number): Promise<boolean> {
  return next(ms).then(
    () => false,
    () => true,
  );
}

const request = (typeUrl: string, fields: Partial<DiscoveryRequest> = {}): DiscoveryRequest => ({
  versionInfo: '',
  node: { id: 'test-node', cluster: '', locality: { region: '', zone: 'z1', subZone: '' }, userAgentName: 'raw', clientFeatures: [] },
  resourceNames: [],
  typeUrl,
  responseNonce: '',
  errorDetail: undefined,
  ...fields,
});

const ads = suite('ADS state of the world');

ads('the first request of a type gets the current resources with a version and a nonce; its ACK gets nothing back', async () => {
  const h = await harness();
  try {
    const { stream, next } = open(h.client);
    stream.write(request(CLUSTER_TYPE));
    const first = await next();
    assert.is(first.typeUrl, CLUSTER_TYPE);
    assert.is(first.resources.length, 1);
    assert.ok(first.versionInfo !== '' && first.nonce !== '');
    assert.is(Cluster.decode(first.resources[0]!.value).name, XDS_SERVICE_NAME);
    stream.write(request(CLUSTER_TYPE, { versionInfo: first.versionInfo, responseNonce: first.nonce }));
    assert.ok(await silentFor(next, 300), 'an ACK is not answered');
    const client = h.plane.status().clients[0]!;
    assert.is(client.nodeId, 'test-node');
    assert.is(client.zone, 'z1');
    assert.is(client.types[CLUSTER_TYPE]!.ackedVersion, first.versionInfo);
    stream.end();
  } finally {
    await h.close();
  }
});

ads('a membership change pushes only the types whose bytes changed, with a new version', async () => {
  const h = await harness();
  try {
    const { stream, next } = open(h.client);
    stream.write(request(CLUSTER_TYPE));
    const cluster = await next();
    stream.write(request(CLUSTER_TYPE, { versionInfo: cluster.versionInfo, responseNonce: cluster.nonce }));
    stream.write(request(ENDPOINT_TYPE, { resourceNames: [XDS_SERVICE_NAME] }));
    const endpoints = await next();
    assert.is(ClusterLoadAssignment.decode(endpoints.resources[0]!.value).endpoints[0]!.lbEndpoints.length, 2);
    stream.write(request(ENDPOINT_TYPE, { resourceNames: [XDS_SERVICE_NAME], versionInfo: endpoints.versionInfo, responseNonce: endpoints.nonce }));
    h.backends.push(backend(7003));
    h.plane.publish();
    const pushed = await next();
    assert.is(pushed.typeUrl, ENDPOINT_TYPE, 'only the endpoints changed');
    assert.is.not(pushed.versionInfo, endpoints.versionInfo);
    assert.is(ClusterLoadAssignment.decode(pushed.resources[0]!.value).endpoints[0]!.lbEndpoints.length, 3);
    assert.ok(await silentFor(next, 300), 'the cluster is not sent again');
    stream.end();
  } finally {
    await h.close();
  }
});

ads('a policy switch pushes the Cluster with the new lb_policy', async () => {
  const h = await harness();
  try {
    const { stream, next } = open(h.client);
    stream.write(request(CLUSTER_TYPE));
    const before = await next();
    assert.is(Cluster.decode(before.resources[0]!.value).lbPolicy, Cluster_LbPolicy.ROUND_ROBIN);
    stream.write(request(CLUSTER_TYPE, { versionInfo: before.versionInfo, responseNonce: before.nonce }));
    h.policy = 'consistent_hash';
    h.plane.publish();
    const after = await next();
    assert.is(Cluster.decode(after.resources[0]!.value).lbPolicy, Cluster_LbPolicy.RING_HASH);
    stream.end();
  } finally {
    await h.close();
  }
});

ads('a NACK is recorded with its message and the version refused; the client is not sent the same again', async () => {
  const h = await harness();
  try {
    const { stream, next } = open(h.client);
    stream.write(request(LISTENER_TYPE));
    const sent = await next();
    stream.write(request(LISTENER_TYPE, { versionInfo: '', responseNonce: sent.nonce, errorDetail: { code: 3, message: 'unsupported filter', details: [] } }));
    assert.ok(await silentFor(next, 300));
    const state = h.plane.status().clients[0]!.types[LISTENER_TYPE]!;
    assert.is(state.lastNack?.message, 'unsupported filter');
    assert.is(state.lastNack?.version, sent.versionInfo);
    assert.is(state.ackedVersion, '', 'a NACK does not move the acked version');
    assert.ok(h.events.some((event) => event.type === 'xds-nack' && event.message === 'unsupported filter'));
    stream.end();
  } finally {
    await h.close();
  }
});

ads('a request with a stale nonce is ignored, even when it changes names', async () => {
  const h = await harness();
  try {
    const { stream, next } = open(h.client);
    stream.write(request(ENDPOINT_TYPE, { resourceNames: [XDS_SERVICE_NAME] }));
    const first = await next();
    h.backends.push(backend(7003));
    h.plane.publish();
    const second = await next();
    // An answer to the first response, after the second was sent: stale.
    stream.write(request(ENDPOINT_TYPE, { resourceNames: ['other'], versionInfo: first.versionInfo, responseNonce: first.nonce }));
    assert.ok(await silentFor(next, 300), 'a stale request gets nothing');
    assert.equal(h.plane.status().clients[0]!.types[ENDPOINT_TYPE]!.names, [XDS_SERVICE_NAME]);
    assert.is.not(second.nonce, first.nonce);
    stream.end();
  } finally {
    await h.close();
  }
});

ads('an unknown resource name gets an empty answer and an event, and the stream goes on', async () => {
  const h = await harness();
  try {
    const { stream, next } = open(h.client);
    stream.write(request(ENDPOINT_TYPE, { resourceNames: ['no-such-cluster'] }));
    const empty = await next();
    assert.is(empty.resources.length, 0);
    assert.ok(h.events.some((event) => event.type === 'xds-unknown' && event.names.includes('no-such-cluster')));
    stream.write(request(LISTENER_TYPE));
    assert.is((await next()).resources.length, 1, 'the same stream still serves');
    stream.end();
  } finally {
    await h.close();
  }
});

ads('a request without a type_url, or with too many names, ends the stream with INVALID_ARGUMENT naming the problem', async () => {
  const h = await harness();
  try {
    const untyped = open(h.client);
    untyped.stream.write(request(''));
    const status = await withTimeout(untyped.ended, 2_000, 'the stream to end');
    assert.is(status.code, 3);
    assert.match(status.details, 'type_url is empty');
    const flood = open(h.client);
    flood.stream.write(request(ENDPOINT_TYPE, { resourceNames: Array.from({ length: 1_001 }, (_, index) => `name-${index}`) }));
    const flooded = await withTimeout(flood.ended, 2_000, 'the stream to end');
    assert.is(flooded.code, 3);
    assert.match(flooded.details, '1001 resources');
    assert.is(h.plane.status().clients.length, 0, 'ended streams are forgotten');
  } finally {
    await h.close();
  }
});

ads.run();
