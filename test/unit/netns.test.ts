// `lbx up --netns` and network faults, the pure parts: names and addresses, octet choice, tc/ip arguments, flags.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { faultActionFromFlags, netFlagsGiven, type FaultFlagValues } from '../../src/cli/fault-flags.js';
import { chaosPartition } from '../../src/core/faults/chaos-faults.js';
import {
  checkNetFault,
  clearQdiscArgs,
  describeNetFault,
  linkStateArgs,
  netemArgs,
  nftClearArgs,
  nftLossArgs,
  NO_NET_FAULT,
  type NetFaultSpec,
} from '../../src/core/faults/net-fault.js';
import { seededRandom } from '../../src/core/random/seeded-random.js';
import { runChaos } from '../../src/runtime/chaos/chaos-loop.js';
import type { ClusterStatus } from '../../src/runtime/wire/gen/lbx/v1/supervisor.js';
import { backendNetwork, hubNetwork, isLinkOf, isNamespaceOf, MAX_LINK_NAME_LENGTH, netnsTag, pickOctet } from '../../src/core/netns/netns-plan.js';

const netns = suite('netns: names, addresses, network faults');

const net = (fields: Partial<NetFaultSpec>): NetFaultSpec => ({ ...NO_NET_FAULT, ...fields });
const flags = (fields: Partial<FaultFlagValues>): FaultFlagValues => ({ 'error-code': 'unavailable', clear: false, 'clear-all': false, list: false, ...fields });

netns('names: tag from the cluster directory, every link within 15 characters, addresses per backend index', () => {
  const tag = netnsTag('/root/.lbx/default');
  assert.match(tag, /^[0-9a-f]{4}$/);
  assert.is(netnsTag('/root/.lbx/default'), tag, 'stable');
  assert.is.not(netnsTag('/root/.lbx/other'), tag, 'another cluster, another tag');
  const plan = { tag: 'a1b2', octet: 90 };
  assert.equal(backendNetwork(plan, 65_535, 2), {
    namespace: 'lbx-a1b2-65535',
    hostLink: 'lbxa1b2h65535',
    hostAddress: '10.90.2.1',
    nsLink: 'lbxa1b2n65535',
    nsAddress: '10.90.2.2',
  });
  const hub = hubNetwork(plan);
  assert.equal(hub, { link: 'lbxa1b2hub', peerLink: 'lbxa1b2hup', address: '10.90.255.1' });
  for (const name of [backendNetwork(plan, 65_535, 0).hostLink, backendNetwork(plan, 65_535, 0).nsLink, hub.link, hub.peerLink])
    assert.ok(name.length <= MAX_LINK_NAME_LENGTH, name);
  assert.throws(() => backendNetwork(plan, 7001, 255), /backend index 255/);
  assert.ok(isNamespaceOf('a1b2', 'lbx-a1b2-7002'));
  assert.not.ok(isNamespaceOf('a1b2', 'lbx-a1b2-probe'), 'not a port');
  assert.not.ok(isNamespaceOf('a1b2', 'lbx-ffff-7002'), "another cluster's");
  assert.ok(isLinkOf('a1b2', 'lbxa1b2h7002') && isLinkOf('a1b2', 'lbxa1b2hub'));
  assert.not.ok(isLinkOf('a1b2', 'lbxa1b2x7002') || isLinkOf('a1b2', 'eth0'));
});

netns('octet: the first 10.<n>/16 from where the tag points that no address or route mentions', () => {
  const start = pickOctet('0000', '');
  assert.is(start, 64);
  assert.is(pickOctet('0000', 'inet 10.64.0.1/30\n10.65.3.0/24 dev x'), 66, 'skips both in use');
  const everything = Array.from({ length: 128 }, (_, index) => `10.${64 + index}.0.1`).join('\n');
  assert.is(pickOctet('0000', everything), undefined);
  assert.ok((pickOctet('ffff', '') ?? 0) >= 64 && (pickOctet('ffff', '') ?? 0) < 192);
});

netns('tc and ip arguments: netem with delay, jitter, loss; none for a partition; link state by namespace', () => {
  assert.equal(netemArgs('lbxa1b2h7002', net({ delayMs: 100, jitterMs: 20, lossRate: 0.05 })), [
    'qdisc',
    'replace',
    'dev',
    'lbxa1b2h7002',
    'root',
    'netem',
    'delay',
    '100ms',
    '20ms',
    'loss',
    '5%',
  ]);
  assert.equal(netemArgs('l', net({ lossRate: 0.5 })), ['qdisc', 'replace', 'dev', 'l', 'root', 'netem', 'loss', '50%']);
  assert.equal(netemArgs('l', net({ delayMs: 7 })), ['qdisc', 'replace', 'dev', 'l', 'root', 'netem', 'delay', '7ms']);
  assert.is(netemArgs('l', net({ partition: true })), undefined);
  assert.equal(clearQdiscArgs('l'), ['qdisc', 'del', 'dev', 'l', 'root']);
  // Without netem, loss is an nftables rule on the namespace's end: 5% is 50,000 in a million, the link matched by name.
  const nft = nftLossArgs('lbxa1b2n7002', 0.05).join(' ');
  assert.match(nft, /add table inet lbx_net_fault; flush table inet lbx_net_fault;/, 'replaces an earlier rule');
  assert.match(nft, /hook input priority 0/);
  assert.match(nft, /iifname "lbxa1b2n7002" numgen random mod 1000000 lt 50000 counter drop$/);
  assert.match(nftLossArgs('l', 0.00001).join(' '), /lt 10 counter/, 'a thousandth of a percent is kept');
  assert.equal(nftClearArgs(), ['delete', 'table', 'inet', 'lbx_net_fault']);
  assert.equal(linkStateArgs('lbx-a1b2-7002', 'lbxa1b2n7002', false), ['-n', 'lbx-a1b2-7002', 'link', 'set', 'dev', 'lbxa1b2n7002', 'down']);
  assert.is(describeNetFault(net({ delayMs: 100, jitterMs: 20, lossRate: 0.05, durationMs: 30_000 })), 'net delay 100ms ± 20ms, 5% net loss, for 30s');
  assert.is(describeNetFault(net({ partition: true })), 'partitioned (link down)');
  assert.is(describeNetFault(NO_NET_FAULT), 'none');
  assert.is(checkNetFault(net({ delayMs: 100, jitterMs: 20 })), '');
  assert.match(checkNetFault(net({ delayMs: 10, jitterMs: 20 })), /net jitter 20 ms: needs a net delay at least as large/);
  assert.match(checkNetFault(net({ lossRate: 1.5 })), /net loss 1.5: expected 0–1/);
  assert.match(checkNetFault(net({ partition: true, lossRate: 0.1 })), /a partition drops every packet/);
  const partition = chaosPartition(400);
  assert.ok(partition.partition && partition.durationMs === 1_000, 'chaos partitions for two ticks, at least a second');
});

netns('flags: --net-* and --partition make a network fault beside (or without) the backend’s own; --for applies to both', () => {
  assert.equal(faultActionFromFlags(7002, flags({ 'net-delay': 100, 'net-jitter': 20, 'net-loss': 0.05 })), {
    kind: 'set',
    port: 7002,
    fault: undefined,
    net: net({ delayMs: 100, jitterMs: 20, lossRate: 0.05 }),
    isClear: false,
  });
  const both = faultActionFromFlags(7002, flags({ latency: 50, partition: true, for: 10_000 }));
  assert.ok(both.kind === 'set' && both.fault?.latencyMs === 50 && both.fault.durationMs === 10_000);
  assert.ok(both.kind === 'set' && both.net?.partition === true && both.net.durationMs === 10_000);
  assert.equal(netFlagsGiven(flags({ 'net-loss': 0.1, partition: true, latency: 3 })), ['--net-loss', '--partition']);
  assert.equal(netFlagsGiven(flags({ partition: false })), []);
  const refused: [Partial<FaultFlagValues>, RegExp][] = [
    [{ 'net-jitter': 20 }, /--net-jitter 20ms needs --net-delay/],
    [{ 'net-delay': 100, partition: true }, /a partition drops every packet/],
    [{ clear: true, partition: true }, /--clear takes no fault settings \(got --partition\)/],
    [{ for: 5_000 }, /nothing to inject on 7002: give .*--net-delay, --net-loss or --partition/],
  ];
  for (const [fields, message] of refused) {
    assert.throws(
      () => faultActionFromFlags(7002, flags(fields)),
      (error: Error) => message.test(error.message),
      JSON.stringify(fields),
    );
  }
});

netns('chaos --kinds partition: cuts a random ready backend through the network faults, spares the last one, and clears what it cut', async () => {
  const backends = [7001, 7002, 7003].map((port) => ({ name: `backend-${port}`, role: 'backend', port, state: 'ready', pid: port }));
  const status = async (): Promise<ClusterStatus> => ({ components: backends }) as unknown as ClusterStatus;
  const calls: string[] = [];
  const cutTimes: { port: number; fromMs: number; toMs: number }[] = [];
  let now = 0;
  const actions = await runChaos(
    { status, killComponent: async () => Promise.reject(new Error('no kills')), startBackend: async () => Promise.reject(new Error('no starts')) },
    {
      targets: ['backend'],
      kinds: ['partition'],
      faults: {
        set: async (port, fault) => (calls.push(`own ${port} ${fault.latencyMs}`), { summary: 'none' }),
        setNet: async (port, fault) => {
          calls.push(`net ${port} ${fault.partition ? 'cut' : 'clear'} ${fault.durationMs}`);
          if (fault.partition) cutTimes.push({ port, fromMs: now, toMs: now + fault.durationMs });
          return { summary: fault.partition ? 'partitioned' : 'none' };
        },
      },
      intervalMs: 500,
      durationMs: 2_000,
      signal: 'SIGKILL',
      revive: false,
      startTimeoutMs: 1_000,
      random: seededRandom(7),
      nowMs: () => now,
      sleep: async (ms) => void (now += ms),
      abort: new AbortController().signal,
      onAction: () => undefined,
    },
  );
  const cuts = calls.filter((call) => call.includes(' cut '));
  assert.is(cuts.length, 4, `one cut per tick: ${calls.join('; ')}`);
  assert.ok(
    cuts.every((call) => call.endsWith(' 1000')),
    'each for two ticks (at least a second)',
  );
  const cutPorts = new Set(cuts.map((call) => call.split(' ')[1]));
  assert.equal(
    calls.filter((call) => call.includes(' clear ')).map((call) => call.split(' ')[1]),
    [...cutPorts],
    'each cut backend cleared once at the end',
  );
  assert.is(actions.filter((action) => action.kind === 'faulted').length, 4);
  for (const cut of cutTimes) {
    const cutAtOnce = cutTimes.filter((other) => other.fromMs <= cut.fromMs && cut.fromMs < other.toMs).length;
    assert.ok(cutAtOnce <= 2, `at most 2 of 3 cut at once (a cut backend stays "ready" to the supervisor): ${JSON.stringify(cutTimes)}`);
    assert.not.ok(
      cutTimes.some((other) => other !== cut && other.port === cut.port && other.fromMs < cut.fromMs && cut.fromMs < other.toMs),
      'a cut backend is not cut again',
    );
  }
  backends.splice(1);
  const spared = await runChaos(
    { status, killComponent: async () => Promise.reject(new Error('no kills')), startBackend: async () => Promise.reject(new Error('no starts')) },
    {
      targets: ['backend'],
      kinds: ['partition'],
      faults: { set: async () => ({ summary: 'none' }), setNet: async () => ({ summary: 'partitioned' }) },
      intervalMs: 500,
      durationMs: 500,
      signal: 'SIGKILL',
      revive: false,
      startTimeoutMs: 1_000,
      random: seededRandom(7),
      nowMs: () => now,
      sleep: async (ms) => void (now += ms),
      abort: new AbortController().signal,
      onAction: () => undefined,
    },
  );
  assert.match(spared[0]?.detail ?? '', /the last one is not partitioned/);
});

netns.run();
