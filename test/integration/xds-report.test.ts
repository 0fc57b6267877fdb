// What the LB pushed to stock clients, as `lbx report` and `lbx logs lb` tell it: the plan version, why, each endpoint's
// pushed weight and health, the clients connected; every push logged with its version; an LB that does not answer
// leaves the report working with the xDS section unavailable.
import { credentials } from '@grpc/grpc-js';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { AggregatedDiscoveryServiceClient } from '../../src/runtime/wire/gen/envoy/service/discovery/v3/discovery_subset.js';
import type { XdsReport } from '../../src/runtime/xds/collect-xds-status.js';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, XDS_SERVICE_NAME } from '../../src/runtime/xds/xds-resources.js';
import { checkDocument } from '../helpers/json-schema-doc.js';
import { defineCluster, withCluster, type TestCluster } from '../helpers/cluster-kit.js';
import { freeBasePort } from '../helpers/free-base-port.js';
import { createSandbox, eventually, killLeftovers } from '../helpers/lbx-cli.js';
import { slackMs } from '../helpers/load-slack.js';

interface ReportJson {
  readonly lbReachable: boolean;
  readonly xds: XdsReport;
}
interface StatusJson {
  readonly components: readonly { readonly name: string; readonly pid: number }[];
}

type Available = Extract<XdsReport, { isAvailable: true }>;

const sandbox = createSandbox('xds-report');
const report = suite('lbx report and lbx logs lb: the xDS plan pushed');

report.after(() => {
  const leftovers = killLeftovers(sandbox);
  sandbox.dispose();
  if (leftovers.length > 0) throw new Error(`processes left behind: ${leftovers.join(', ')}`);
});

/** One raw ADS stream subscribed to everything, as a stock client is: the control plane counts it as a client. */
function openAdsStream(xdsAddress: string): { close(): void } {
  const client = new AggregatedDiscoveryServiceClient(xdsAddress, credentials.createInsecure());
  const stream = client.streamAggregatedResources();
  const node = { id: 'report-test', cluster: '', locality: { region: '', zone: 'test', subZone: '' }, userAgentName: 'raw', clientFeatures: [] };
  stream.on('data', () => undefined);
  stream.on('error', () => undefined);
  for (const typeUrl of [LISTENER_TYPE, CLUSTER_TYPE, ENDPOINT_TYPE]) {
    stream.write({ versionInfo: '', node, resourceNames: typeUrl === ENDPOINT_TYPE ? [XDS_SERVICE_NAME] : [], typeUrl, responseNonce: '', errorDetail: undefined });
  }
  return {
    close: () => {
      stream.cancel();
      client.close();
    },
  };
}

interface PushLine {
  readonly version: number;
  readonly reason: string;
  readonly clients: number;
}

/** The xds-push lines of `lbx logs lb`, in order. */
async function pushLines(cluster: TestCluster): Promise<PushLine[]> {
  const logs = await cluster.run(['logs', 'lb']);
  assert.is(logs.exitCode, 0, logs.stderr);
  return [...logs.stdout.matchAll(/ xds-push version=(\d+) reason=(\S+) clients=(\d+) /g)].map((match) => ({
    version: Number(match[1]),
    reason: match[2]!,
    clients: Number(match[3]),
  }));
}

const availableXds = async (cluster: TestCluster): Promise<Available> => {
  const { xds } = await cluster.json<ReportJson>(['report']);
  if (!xds.isAvailable) throw new Error(`xDS unavailable in the report: ${xds.unavailableReason}`);
  return xds;
};

report('wrr 1,2,5: report shows the pushed weights and health; kill and policy are pushed, each logged with version, reason and clients', async () => {
  const cluster = defineCluster(sandbox, 'pushed', await freeBasePort());
  await withCluster(sandbox, cluster, ['--backends', '3', '--policy', 'wrr', '--weights', '1,2,5'], 150_000, async () => {
    const ads = openAdsStream(`127.0.0.1:${cluster.basePort + 107}`);
    try {
      assert.ok(await eventually(async () => (await availableXds(cluster)).clients === 1, slackMs(10_000)), 'the raw ADS stream counts as a client');
      const json = await cluster.json<ReportJson>(['report']);
      assert.equal(checkDocument('lbx.report/v1', json), []);
      const xds = await availableXds(cluster);
      assert.equal([xds.policy, xds.lbPolicy, xds.weighting], ['weighted_round_robin', 'round_robin', 'backend-weights']);
      assert.equal(
        xds.endpoints.map((endpoint) => `${endpoint.address}=${endpoint.weight} ${endpoint.health}`),
        [0, 1, 2].map((index) => `${cluster.backend(index).address}=${[1, 2, 5][index]} HEALTHY`),
      );
      const text = await cluster.run(['report']);
      assert.is(text.exitCode, 0, text.stderr);
      assert.match(text.stdout, new RegExp(`^xDS 127\\.0\\.0\\.1:${cluster.basePort + 107} \\(xds:///lbx-backend\\): 1 stock client connected$`, 'm'));
      assert.match(text.stdout, new RegExp(`^last push: plan v${xds.version} at `, 'm'));
      assert.match(text.stdout, new RegExp(`^${cluster.backend(2).address.replace(/\./g, '\\.')}\\s+5\\s+62\\.5%\\s+HEALTHY$`, 'm'));

      // Every push so far is logged, numbered 1, 2, … with no gap; the report names the last one.
      const before = await pushLines(cluster);
      assert.ok(before.length >= 1, 'the first plan is logged');
      assert.equal(
        before.map((line) => line.version),
        before.map((_, index) => index + 1),
      );
      assert.is(String(before.at(-1)!.version), xds.version);

      const kill = await cluster.run(['kill', String(cluster.backend(2).port)]);
      assert.is(kill.exitCode, 0, kill.stderr);
      const killed = await eventually(async () => (await pushLines(cluster)).some((line) => line.version > before.length && line.reason === 'membership'), slackMs(10_000));
      assert.ok(killed, `the kill is pushed as a membership change:\n${cluster.log('lb')}`);
      const afterKill = await pushLines(cluster);
      const killPush = afterKill.find((line) => line.version > before.length && line.reason === 'membership')!;
      assert.is(killPush.clients, 1, 'sent to the one client');
      const killedXds = await availableXds(cluster);
      assert.not.ok(
        killedXds.endpoints.some((endpoint) => endpoint.address === cluster.backend(2).address),
        'the killed backend is no longer pushed',
      );

      const policy = await cluster.run(['policy', 'rr']);
      assert.is(policy.exitCode, 0, policy.stderr);
      const switched = await eventually(async () => (await availableXds(cluster)).policy === 'round_robin', slackMs(10_000));
      assert.ok(switched, 'the policy switch is pushed');
      const lines = await pushLines(cluster);
      const policyPush = lines.find((line) => line.reason.split('+').includes('policy'));
      assert.ok(policyPush !== undefined, `a push with reason policy:\n${cluster.log('lb')}`);
      assert.is(policyPush.clients, 1);
      assert.equal(
        lines.map((line) => line.version),
        lines.map((_, index) => index + 1),
        'every push logged',
      );
      const switchedXds = await availableXds(cluster);
      assert.is(switchedXds.version, String(lines.at(-1)!.version), 'report and log agree on the last version');
      assert.equal([switchedXds.lbPolicy, switchedXds.weighting], ['round_robin', 'equal']);
      assert.ok(
        switchedXds.endpoints.every((endpoint) => endpoint.weight === 1),
        JSON.stringify(switchedXds.endpoints),
      );
    } finally {
      ads.close();
    }
  });
});

report('an LB that does not answer: report still works, lbReachable false and the xDS section unavailable', async () => {
  const cluster = defineCluster<StatusJson, unknown, ReportJson>(sandbox, 'stopped-lb', await freeBasePort());
  await withCluster(sandbox, cluster, ['--backends', '2'], 90_000, async () => {
    const lbPid = (await cluster.status()).components.find((component) => component.name === 'lb')!.pid;
    // SIGSTOP: the LB holds its ports and answers nothing, as a hung LB does; SIGCONT in finally.
    process.kill(lbPid, 'SIGSTOP');
    try {
      const json = await cluster.json<ReportJson>(['report'], { timeoutMs: 30_000 });
      assert.is(json.lbReachable, false);
      assert.is(json.xds.isAvailable, false);
      assert.equal(checkDocument('lbx.report/v1', json), []);
      const text = await cluster.run(['report']);
      assert.is(text.exitCode, 0, text.stderr);
      assert.match(text.stdout, /^xDS: unavailable \(the LB's control plane at 127\.0\.0\.1:\d+ did not answer: /m);
      assert.match(text.stdout, /\bBACKEND\b/, 'the rest of the report is there');
    } finally {
      process.kill(lbPid, 'SIGCONT');
    }
    assert.ok(await eventually(async () => (await cluster.json<ReportJson>(['report'])).xds.isAvailable, slackMs(10_000)), 'available again');
  });
});

report.run();
