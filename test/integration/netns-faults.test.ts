// Network faults with the real kernel (issue 15): `lbx up --netns` puts each backend in its own network namespace behind
// a veth pair; `lbx fault --net-delay` shows in that backend's p50 (where the kernel has netem), `--partition` in the
// registry's health and the LB's membership while sends still succeed on the others; faults clear on --clear and on
// --for; chaos partitions and clears; `down` leaves no namespace and no veth.
import { readlinkSync } from 'node:fs';

import { credentials } from '@grpc/grpc-js';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { netnsTag } from '../../src/core/netns/netns-plan.js';
import { clusterPaths } from '../../src/runtime/cluster/cluster-paths.js';
import { CLIENT_CHANNEL_OPTIONS } from '../../src/runtime/grpc/channel-options.js';
import { callUnary } from '../../src/runtime/grpc/unary.js';
import { clusterNetworkLeftovers } from '../../src/runtime/netns/cluster-network.js';
import { findNetTool, tryNetTool, tryNftIn } from '../../src/runtime/netns/ip-command.js';
import { probeNetem } from '../../src/runtime/netns/netns-support.js';
import { BACKEND_SERVICE } from '../../src/runtime/registry/service-names.js';
import { LoadBalancerClient, type GetStatsResponse } from '../../src/runtime/wire/gen/lbx/v1/load_balancer.js';
import { freeBasePort } from '../helpers/free-base-port.js';
import { createSandbox, eventually, killLeftovers } from '../helpers/lbx-cli.js';
import { checkNetnsSupport, listNamespaces } from '../helpers/netns.js';
import { withTimeout } from '../helpers/with-timeout.js';
import { slackMs } from '../helpers/load-slack.js';

interface Component {
  readonly name: string;
  readonly role: string;
  readonly address: string;
  readonly port: number;
  readonly pid: number;
}
interface UpJson {
  readonly lbAddress: string;
  readonly registryAddress: string;
  readonly components: Component[];
}
interface BackendRow {
  readonly address: string;
  readonly ok: number;
  readonly latencyMs: { p50: number };
}
interface Sent {
  readonly summary: { sent: number; ok: number; failed: number; backends: BackendRow[] };
}
interface NetFaultJson {
  readonly port: number;
  readonly summary: string;
  readonly namespace: string;
  readonly link: string;
}
interface FaultJson {
  readonly netFaults?: NetFaultJson[];
}

const TEST_TIMEOUT_MS = 60_000;
/** The registry checks every second and the LB follows its watch: a cut backend is gone well within this. */
const REMOVAL_TIMEOUT_MS = 10_000;
const NAME = 'netns';

const support = checkNetnsSupport();
const netem = support.ok ? probeNetem() : { ok: false, message: '' };
const sandbox = createSandbox('netns');
const tag = netnsTag(clusterPaths(NAME, sandbox.home).dir);
const netns = suite('network faults in namespaces (lbx up --netns)');

netns.after(() => {
  const leftovers = killLeftovers(sandbox);
  sandbox.dispose();
  if (leftovers.length > 0) throw new Error(`processes left behind: ${leftovers.join(', ')}`);
});

const lbx = (args: readonly string[]) => sandbox.run([...args, '--name', NAME]);
const json = <T>(args: readonly string[]) => sandbox.json<T>([...args, '--name', NAME]);
const send = (args: readonly string[]) => sandbox.json<Sent>(['send', ...args, '--name', NAME], { allowFailure: true, timeoutMs: 30_000 });

async function lbStats(lbAddress: string): Promise<GetStatsResponse> {
  const client = new LoadBalancerClient(lbAddress, credentials.createInsecure(), CLIENT_CHANNEL_OPTIONS);
  try {
    return await callUnary(client.getStats.bind(client), {}, 2_000);
  } finally {
    client.close();
  }
}

/** Addresses the registry lists as passing. */
async function passing(registryAddress: string): Promise<string[]> {
  const response = await fetch(`http://${registryAddress}/v1/health/service/${BACKEND_SERVICE}?passing`);
  const entries = (await response.json()) as { Service: { Address: string; Port: number } }[];
  return entries.map((entry) => `${entry.Service.Address}:${entry.Service.Port}`).sort();
}

const serving = async (lbAddress: string): Promise<string[]> =>
  (await lbStats(lbAddress)).backends
    .filter((backend) => backend.state === 'serving' && !backend.ejected)
    .map((backend) => backend.address)
    .sort();

/** Packets the kernel dropped for a loss fault: netem's qdisc counter, or the nftables rule's where the kernel has no netem. */
function droppedPackets(fault: NetFaultJson): number {
  const counted = netem.ok ? tryNetTool('tc', ['-s', 'qdisc', 'show', 'dev', fault.link]) : tryNftIn(fault.namespace, ['list', 'table', 'inet', 'lbx_net_fault']);
  const match = (netem.ok ? /dropped (\d+)/ : /counter packets (\d+)/).exec(counted.stdout);
  if (!counted.ok || match === null) throw new Error(`no drop counter for ${fault.namespace}: ${counted.stderr || counted.stdout}`);
  return Number(match[1]);
}
/** Whether lbx's loss is still on the link: a netem qdisc, or lbx's nftables table in the namespace. */
const lossInPlace = (fault: NetFaultJson): boolean =>
  netem.ok ? /netem/.test(tryNetTool('tc', ['qdisc', 'show', 'dev', fault.link]).stdout) : tryNftIn(fault.namespace, ['list', 'table', 'inet', 'lbx_net_fault']).ok;
const canLose = netem.ok || findNetTool('nft') !== undefined;

const whenSupported = support.ok ? netns : netns.skip;
if (!support.ok) console.log(`netns-faults: SKIPPED — ${support.reason}`);

whenSupported('backends in namespaces serve; net delay shows in p50; a partition removes the backend; faults clear; down leaves nothing', async () => {
  const before = listNamespaces();
  let failed = false;
  try {
    await withTimeout(
      (async () => {
        const up = await json<UpJson>(['up', '--netns', '--backends', '3', '--registry', 'embedded', '--base-port', String(await freeBasePort())]);
        const backends = up.components.filter((component) => component.role === 'backend').sort((a, b) => a.port - b.port);
        const [first, second, third] = backends as [Component, Component, Component];
        const addresses = backends.map((backend) => backend.address).sort();
        // Each backend listens on its namespace's address, and the pid the supervisor tracks is the node process inside it.
        for (const backend of backends) assert.match(backend.address, /^10\.\d+\.\d+\.2:\d+$/, backend.name);
        const namespaces = listNamespaces().filter((name) => name.startsWith(`lbx-${tag}-`));
        assert.equal(namespaces.sort(), backends.map((backend) => `lbx-${tag}-${backend.port}`).sort(), 'one namespace per backend');
        const ownNet = readlinkSync('/proc/self/ns/net');
        for (const backend of backends) assert.is.not(readlinkSync(`/proc/${backend.pid}/ns/net`), ownNet, `${backend.name} (pid ${backend.pid}) runs in its own namespace`);

        const baseline = await send(['--simple', '300']);
        assert.equal([baseline.summary.ok, baseline.summary.failed], [300, 0], 'every task ok across the veths');
        assert.equal(baseline.summary.backends.map((row) => row.address).sort(), addresses, 'every backend served');

        // A delay on the second backend's link, where the kernel has netem.
        if (netem.ok) {
          await json(['fault', String(second.port), '--net-delay', '100ms']);
          const delayed = await send(['--simple', '150', '--concurrency', '8']);
          const p50 = (address: string): number => delayed.summary.backends.find((row) => row.address === address)?.latencyMs.p50 ?? 0;
          assert.ok(p50(second.address) >= p50(first.address) + 80, `p50 ${p50(second.address)} ms on the delayed backend, ${p50(first.address)} ms on another`);
          await json(['fault', String(second.port), '--clear']);
          const cleared = await send(['--simple', '150', '--concurrency', '8']);
          const clearedP50 = cleared.summary.backends.find((row) => row.address === second.address)?.latencyMs.p50 ?? Infinity;
          assert.ok(clearedP50 < 80, `after --clear the p50 is back: ${clearedP50} ms`);
        } else {
          console.log(`  netns-faults: net delay part SKIPPED — ${netem.message}`);
          const refused = await lbx(['fault', String(second.port), '--net-delay', '100ms']);
          assert.is(refused.exitCode, 2, 'a kernel without netem is a usage error');
          assert.match(refused.stderr, /no netem qdisc/);
        }

        // Loss on the second backend's link, in the kernel (netem, or nftables without it): TCP resends, so every task
        // still ends once, and the kernel's own counter says it dropped packets; --clear removes the rule.
        if (canLose) {
          const lossy = await json<FaultJson>(['fault', String(second.port), '--net-loss', '10%']);
          const lossFault = lossy.netFaults?.find((fault) => fault.port === second.port);
          assert.match(lossFault?.summary ?? '', /10% net loss/);
          const underLoss = await send(['--simple', '200', '--concurrency', '8']);
          assert.is(underLoss.summary.ok + underLoss.summary.failed, 200, 'every task ends once under loss');
          const dropped = droppedPackets(lossFault as NetFaultJson);
          assert.ok(dropped > 0, `the kernel dropped ${dropped} packets towards ${second.address}`);
          console.log(`  netns-faults: 10% loss dropped ${dropped} packets towards one backend (${lossFault?.summary}); ${underLoss.summary.ok} ok`);
          await json(['fault', String(second.port), '--clear']);
          assert.not.ok(lossInPlace(lossFault as NetFaultJson), '--clear removed the loss');
        } else {
          console.log('  netns-faults: net loss part SKIPPED — no netem and no nft (apt-get install nftables)');
        }

        // A partition: the registry stops passing it and the LB drops it; sends go on the others; --clear brings it back.
        const cut = await json<FaultJson>(['fault', String(third.port), '--partition']);
        const cutAt = performance.now();
        assert.match(cut.netFaults?.[0]?.summary ?? '', /partitioned/);
        const others = addresses.filter((address) => address !== third.address);
        assert.ok(await eventually(async () => (await passing(up.registryAddress)).join() === others.join(), slackMs(REMOVAL_TIMEOUT_MS)), 'the registry stops passing it');
        assert.ok(await eventually(async () => (await serving(up.lbAddress)).join() === others.join(), slackMs(REMOVAL_TIMEOUT_MS)), 'the LB removes it');
        console.log(`  netns-faults: partitioned backend out of the registry and the LB ${Math.round(performance.now() - cutAt)} ms after the cut`);
        const removed = (await lbStats(up.lbAddress)).backends.find((backend) => backend.address === third.address);
        assert.match(removed?.removedReason ?? '', /registry/, `the LB says why: ${removed?.state} (${removed?.removedReason})`);
        const listed = await json<FaultJson>(['fault', '--list']);
        assert.match(listed.netFaults?.find((fault) => fault.port === third.port)?.summary ?? '', /partitioned/, 'fault --list shows it');
        const during = await send(['--simple', '300']);
        assert.equal([during.summary.ok, during.summary.failed], [300, 0], 'sends succeed on the others');
        assert.not.ok(
          during.summary.backends.some((row) => row.address === third.address && row.ok > 0),
          'nothing reaches the cut backend',
        );
        await json(['fault', String(third.port), '--clear']);
        assert.ok(await eventually(async () => (await serving(up.lbAddress)).join() === addresses.join(), slackMs(REMOVAL_TIMEOUT_MS)), 'back after --clear');

        // A partition with a duration clears itself.
        await json(['fault', String(first.port), '--partition', '--for', '1s']);
        const untilNone = async (): Promise<boolean> => (await json<FaultJson>(['fault', '--list'])).netFaults?.every((fault) => fault.summary === 'none') === true;
        assert.ok(await eventually(untilNone, slackMs(8_000)), 'the partition ended after --for 1s');

        // A partition cleared by --clear-all, and chaos's partitions cleared at its end.
        await json(['fault', String(first.port), '--partition']);
        const clearedAll = await lbx(['fault', '--clear-all']);
        assert.match(clearedAll.stdout, /cleared the network faults of 1 backends/);
        const chaos = await json<{ faulted: number; actions: { kind: string; detail: string }[] }>([
          'chaos',
          '--kinds',
          'partition',
          '--duration',
          '1s',
          '--interval',
          '500ms',
          '--seed',
          '7',
        ]);
        assert.ok(chaos.faulted >= 1, `chaos partitioned: ${JSON.stringify(chaos.actions)}`);
        assert.ok(
          chaos.actions.some((action) => action.kind === 'cleared'),
          'chaos clears what it set',
        );
        const after = await json<FaultJson>(['fault', '--list']);
        assert.equal(
          after.netFaults?.map((fault) => fault.summary),
          ['none', 'none', 'none'],
          'no network fault left',
        );
        assert.ok(await eventually(async () => (await serving(up.lbAddress)).join() === addresses.join(), slackMs(REMOVAL_TIMEOUT_MS)), 'every backend back');
        const final = await send(['--simple', '300']);
        assert.equal([final.summary.ok, final.summary.failed], [300, 0]);
        assert.equal(final.summary.backends.map((row) => row.address).sort(), addresses, 'every backend serves again');
      })(),
      slackMs(TEST_TIMEOUT_MS),
      'netns faults',
    );
  } catch (error) {
    failed = true;
    console.error(sandbox.logs(NAME));
    throw error;
  } finally {
    const down = await lbx(['down']);
    if (!failed) assert.is(down.exitCode, 0, down.stderr);
  }
  assert.equal(clusterNetworkLeftovers(tag), [], 'down deleted every namespace and veth');
  assert.equal(listNamespaces(), before, 'the namespaces are as before up');
});

whenSupported('--netns refuses what it cannot do, naming it (exit 2)', async () => {
  const haproxy = await lbx(['up', '--netns', '--mode', 'proxy', '--proxy', 'haproxy']);
  assert.is(haproxy.exitCode, 2);
  assert.match(haproxy.stderr, /--netns with --proxy haproxy/);
  const host = await lbx(['up', '--netns', '--host', '0.0.0.0']);
  assert.is(host.exitCode, 2);
  assert.match(host.stderr, /--netns and --host 0.0.0.0/);
  assert.equal(clusterNetworkLeftovers(tag), [], 'a refused up makes nothing');
});

netns.run();
