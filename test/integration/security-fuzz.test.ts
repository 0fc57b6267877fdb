// Hostile local clients cannot harm a cluster: the control API wants its token, and seeded fuzzing of every RPC leaves every process up and every task served.
//
// Replay a failing run with LBX_FUZZ_SEED=<the seed printed at the start>.
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';

import { Client, credentials, Metadata, status as GrpcStatus, type ServiceDefinition } from '@grpc/grpc-js';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { callUnary } from '../../src/runtime/grpc/unary.js';
import { isServiceError } from '../../src/runtime/grpc/status-errors.js';
import { isProcessAlive } from '../../src/runtime/process/pid-probe.js';
import { HealthService } from '../../src/runtime/wire/gen/grpc/health/v1/health.js';
import { BackendService } from '../../src/runtime/wire/gen/lbx/v1/backend.js';
import { LoadBalancerClient, LoadBalancerService } from '../../src/runtime/wire/gen/lbx/v1/load_balancer.js';
import { SupervisorClient, SupervisorService } from '../../src/runtime/wire/gen/lbx/v1/supervisor.js';
import { createSandbox, killLeftovers } from '../helpers/lbx-cli.js';
import { createFuzzer, describeBody, encodeDoubleField, encodeStringField, encodeVarintField, REQUEST_SHAPES, type Fuzzer, type MessageShape } from '../helpers/proto-fuzz.js';
import { seededRandom } from '../helpers/seeded-random.js';
import { withTimeout } from '../helpers/with-timeout.js';
import { freeBasePort } from '../helpers/free-base-port.js';

const SEED = process.env.LBX_FUZZ_SEED ? Number(process.env.LBX_FUZZ_SEED) : Math.floor(Math.random() * 2 ** 32);
console.log(`security-fuzz seed ${SEED} (replay: LBX_FUZZ_SEED=${SEED})`);

const LOOKASIDE = { name: 'fuzz', basePort: await freeBasePort() } as const;
const PROXY = { name: 'fuzzproxy', basePort: await freeBasePort() } as const;
const lbOf = (cluster: { basePort: number }): string => `127.0.0.1:${cluster.basePort + 100}`;
const controlOf = (cluster: { basePort: number }): string => `127.0.0.1:${cluster.basePort + 101}`;
const backendOf = (cluster: { basePort: number }, index: number): string => `127.0.0.1:${cluster.basePort + 1 + index}`;

const CALL_TIMEOUT_MS = 3_000;
/** Bodies of a MiB or more share one connection's flow-control window with 31 other calls: give them longer. */
const BIG_BODY_BYTES = 64 * 1024;
const BIG_BODY_TIMEOUT_MS = 15_000;
const deadlineForBytes = (bytes: number): number => Date.now() + (bytes >= BIG_BODY_BYTES ? BIG_BODY_TIMEOUT_MS : CALL_TIMEOUT_MS);
const deadlineFor = (body: Buffer): number => deadlineForBytes(body.length);
const FUZZ_CONCURRENCY = 32;
/** Per method and target: calls with random bytes as the body, and calls with random field values. */
const RANDOM_BODY_CALLS = 20;
const SHAPED_CALLS = 40;
const REGISTER_FLOOD_LOOKASIDE = 2_000;
const REGISTER_FLOOD_PROXY = 1_000;
const UNKNOWN_REPORTS = 300;
const HUGE_STRING_BUDGET = 30;
const OVER_RECEIVE_CAP_BYTES = 4 * 1024 * 1024 + 1024;
const SEND_TIMEOUT_MS = 30_000;
/** A 1 MiB request answered with an error: it takes ~50 ms when it works. */
const HUGE_ECHO_TIMEOUT_MS = 5_000;

interface StatusJson {
  readonly supervisorPid: number;
  readonly components: ReadonlyArray<{ readonly name: string; readonly pid: number; readonly state: string; readonly health: string }>;
}
interface RunJson {
  readonly summary: {
    readonly sent: number;
    readonly ok: number;
    readonly failed: number;
    readonly failuresByReason: Record<string, number>;
    readonly backends: ReadonlyArray<{ address: string; ok: number }>;
  };
}

const sandbox = createSandbox('security');
const identity = (value: Buffer): Buffer => value;

// Last resort if the run dies between suites: nothing of ours may outlive the test process.
process.on('exit', () => killLeftovers(sandbox));

/** Every pid of a cluster (supervisor and components) from `lbx status --json`, with states and health. */
async function clusterStatus(name: string): Promise<StatusJson> {
  return sandbox.json<StatusJson>(['status', '--name', name]);
}

const pidsOf = (status: StatusJson): number[] => [status.supervisorPid, ...status.components.map((component) => component.pid)].sort((a, b) => a - b);

function assertAllReady(status: StatusJson, name: string): void {
  for (const component of status.components) {
    assert.equal(`${component.name} ${component.state} ${component.health}`, `${component.name} ready serving`, `cluster ${name}`);
  }
}

async function expectCode(call: Promise<unknown>, code: GrpcStatus, pattern?: RegExp): Promise<void> {
  try {
    await call;
  } catch (error) {
    assert.ok(isServiceError(error), `expected a gRPC status error, got ${String(error)}`);
    assert.equal(GrpcStatus[error.code], GrpcStatus[code], error.details);
    if (pattern) assert.match(error.details, pattern);
    return;
  }
  assert.unreachable(`expected ${GrpcStatus[code]}`);
}

// ---------------------------------------------------------------- raw calls

interface Outcome {
  readonly code: GrpcStatus;
  readonly details: string;
}

/** One unary call with `body` as the raw request bytes; resolves with the status, never rejects. */
function rawUnary(client: Client, methodPath: string, body: Buffer, metadata = new Metadata(), timeoutMs?: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const deadline = timeoutMs === undefined ? deadlineFor(body) : Date.now() + timeoutMs;
    client.makeUnaryRequest(methodPath, identity, identity, body, metadata, { deadline }, (error) => {
      resolve(error ? { code: error.code, details: error.details } : { code: GrpcStatus.OK, details: '' });
    });
  });
}

/** A server-streaming call (Health.Watch): takes what comes for a moment, then cancels. */
function rawServerStream(client: Client, methodPath: string, body: Buffer): Promise<Outcome> {
  return new Promise((resolve) => {
    const call = client.makeServerStreamRequest(methodPath, identity, identity, body, new Metadata(), { deadline: Date.now() + CALL_TIMEOUT_MS });
    let messages = 0;
    const timer = setTimeout(() => call.cancel(), 150);
    call.on('data', () => {
      messages += 1;
    });
    call.on('error', (error: { code: GrpcStatus; details: string }) => {
      clearTimeout(timer);
      // Our own cancel after the first status message is the normal end of a watch.
      resolve(error.code === GrpcStatus.CANCELLED && messages > 0 ? { code: GrpcStatus.OK, details: '' } : { code: error.code, details: error.details });
    });
    call.on('end', () => {
      clearTimeout(timer);
      resolve({ code: GrpcStatus.OK, details: '' });
    });
  });
}

/**
 * A bidi stream (GetServerStream) fed `bodies` one after the other, then half-closed. A flood of megabytes gets the big
 * bodies' deadline, as a unary call's does: on a busy 2-core CI machine a 5.4 MB stream once took the LB over 3 s.
 */
function rawBidi(client: Client, methodPath: string, bodies: readonly Buffer[]): Promise<Outcome & { replies: number }> {
  return new Promise((resolve) => {
    const deadline = deadlineForBytes(bodies.reduce((sum, body) => sum + body.length, 0));
    const call = client.makeBidiStreamRequest(methodPath, identity, identity, new Metadata(), { deadline });
    let replies = 0;
    call.on('data', () => {
      replies += 1;
    });
    call.on('error', (error: { code: GrpcStatus; details: string }) => resolve({ code: error.code, details: error.details, replies }));
    call.on('status', (status: { code: GrpcStatus; details: string }) => {
      if (status.code === GrpcStatus.OK) resolve({ code: GrpcStatus.OK, details: '', replies });
    });
    for (const body of bodies) call.write(body);
    call.end();
  });
}

// ---------------------------------------------------------------- the fuzz plan

interface PlannedCall {
  /** Where and what, for the tally: "fuzz LB /lbx.v1.LoadBalancer/GetServer". */
  readonly label: string;
  readonly run: () => Promise<Outcome>;
  readonly body: Buffer;
}

class Tally {
  private readonly counts = new Map<string, Map<string, number>>();
  /** Answers that mean a handler threw or the server broke: a finding, kept with the input. */
  readonly suspicious: string[] = [];
  total = 0;
  slowest = { label: '', ms: 0, bytes: 0 };

  record(label: string, outcome: Outcome, body: Buffer, ms: number): void {
    this.total += 1;
    if (ms > this.slowest.ms) this.slowest = { label, ms: Math.round(ms), bytes: body.length };
    const name = GrpcStatus[outcome.code] ?? `CODE_${outcome.code}`;
    const byCode = this.counts.get(label) ?? new Map<string, number>();
    byCode.set(name, (byCode.get(name) ?? 0) + 1);
    this.counts.set(label, byCode);
    // UNKNOWN is what grpc-js answers when a handler throws; INTERNAL other than an undecodable
    // request is a handler's own failure; a deadline on a loopback server means it hung.
    // (A server that died shows in the checks after the run: its pid and its clients' UNAVAILABLE.)
    const isSuspicious =
      outcome.code === GrpcStatus.UNKNOWN ||
      (outcome.code === GrpcStatus.INTERNAL && !outcome.details.startsWith('Error deserializing request')) ||
      outcome.code === GrpcStatus.DEADLINE_EXCEEDED;
    if (isSuspicious) this.suspicious.push(`${label} → ${name} "${outcome.details.slice(0, 200)}" for body ${describeBody(body)}`);
  }

  render(): string {
    return [...this.counts.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([label, byCode]) => `  ${label}: ${[...byCode.entries()].map(([code, count]) => `${code} ${count}`).join(', ')}`)
      .join('\n');
  }
}

async function runPlan(plan: readonly PlannedCall[], tally: Tally): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < plan.length) {
      const call = plan[next] as PlannedCall;
      next += 1;
      const startedAt = performance.now();
      const outcome = await call.run();
      tally.record(call.label, outcome, call.body, performance.now() - startedAt);
    }
  };
  await Promise.all(Array.from({ length: FUZZ_CONCURRENCY }, worker));
}

interface Target {
  readonly label: string;
  readonly client: Client;
  readonly definition: ServiceDefinition;
  /** Shapes that replace the generic ones for this target (a narrower choice of values). */
  readonly shapes?: Readonly<Record<string, MessageShape>>;
  readonly skip?: ReadonlySet<string>;
  readonly metadata?: () => Metadata;
}

/** Random-bytes and random-field calls for every method of every target; streams get a few of each. */
function planFuzz(fuzzer: Fuzzer, targets: readonly Target[]): PlannedCall[] {
  const plan: PlannedCall[] = [];
  for (const target of targets) {
    for (const method of Object.values(target.definition)) {
      if (target.skip?.has(method.path)) continue;
      const shape = target.shapes?.[method.path] ?? REQUEST_SHAPES[method.path];
      if (shape === undefined) throw new Error(`no request shape for ${method.path}: add it to test/helpers/proto-fuzz.ts`);
      const label = `${target.label} ${method.path}`;
      const bodies = [...Array.from({ length: RANDOM_BODY_CALLS }, () => fuzzer.randomBody()), ...Array.from({ length: SHAPED_CALLS }, () => fuzzer.message(shape))];
      if (method.requestStream) {
        // Bidi: a handful of streams, each carrying a run of bodies.
        for (let index = 0; index < bodies.length; index += 10) {
          const run = bodies.slice(index, index + 10);
          plan.push({ label, body: Buffer.concat(run), run: () => rawBidi(target.client, method.path, run) });
        }
      } else if (method.responseStream) {
        for (const body of bodies.slice(0, 10)) plan.push({ label, body, run: () => rawServerStream(target.client, method.path, body) });
      } else {
        for (const body of bodies) plan.push({ label, body, run: () => rawUnary(target.client, method.path, body, target.metadata?.()) });
      }
    }
  }
  // Interleave targets and methods, as many clients at once would.
  for (let index = plan.length - 1; index > 0; index -= 1) {
    const other = fuzzer.int(index + 1);
    [plan[index], plan[other]] = [plan[other] as PlannedCall, plan[index] as PlannedCall];
  }
  return plan;
}

/** Registers `count` distinct bogus backends (loopback addresses nothing listens on) and reports load for unknown ones. */
function planFlood(fuzzer: Fuzzer, label: string, client: Client, count: number): PlannedCall[] {
  const plan: PlannedCall[] = [];
  const string = encodeStringField;
  for (let index = 0; index < count; index += 1) {
    // 127.77.x.y: loopback, so a connection is refused at once rather than timing out.
    const address = `127.77.${Math.floor(index / 250)}.${(index % 250) + 1}:${1 + fuzzer.int(9)}`;
    const body = Buffer.concat([string(1, `bogus-${index}`), string(2, address)]);
    plan.push({ label: `${label} RegisterServer flood`, body, run: () => rawUnary(client, '/lbx.v1.LoadBalancer/RegisterServer', body) });
  }
  for (let index = 0; index < UNKNOWN_REPORTS; index += 1) {
    const body = Buffer.concat([string(1, `127.88.${fuzzer.int(256)}.${fuzzer.int(256)}:${1 + fuzzer.int(65_535)}`), encodeVarintField(2, BigInt(fuzzer.int(1_000)))]);
    plan.push({ label: `${label} ReportLoad unknown backend`, body, run: () => rawUnary(client, '/lbx.v1.LoadBalancer/ReportLoad', body) });
  }
  return plan;
}

// ---------------------------------------------------------------- suite 1: the control API wants its token

const auth = suite('control API token on a live cluster');

// uvu drops an error thrown in a `before` hook without a word; keep it for the tests to throw.
let startError: Error | undefined;
const requireClusters = (): void => {
  if (startError) throw new Error(`the clusters did not start: ${startError.message}\n${sandbox.logs(LOOKASIDE.name)}\n${sandbox.logs(PROXY.name)}`);
};

auth.before(async () => {
  try {
    await Promise.all(
      [LOOKASIDE, PROXY].map((cluster) =>
        sandbox.json(['up', '--name', cluster.name, '--backends', '2', '--base-port', String(cluster.basePort), ...(cluster === PROXY ? ['--mode', 'proxy'] : [])], {
          timeoutMs: 60_000,
        }),
      ),
    );
  } catch (error) {
    startError = error instanceof Error ? error : new Error(String(error));
  }
});

auth.before.each(requireClusters);

auth('the token file is mode 0600 and holds a 256-bit hex token', () => {
  const file = path.join(sandbox.home, LOOKASIDE.name, 'control.token');
  assert.equal((statSync(file).mode & 0o777).toString(8), '600');
  assert.match(readFileSync(file, 'utf8').trim(), /^[0-9a-f]{64}$/);
});

auth('without the token, GetStatus, Shutdown and KillBackend are UNAUTHENTICATED and change nothing; lbx status still works', () =>
  withTimeout(
    (async () => {
      const before = await clusterStatus(LOOKASIDE.name);
      const raw = new SupervisorClient(controlOf(LOOKASIDE), credentials.createInsecure());
      const tokenHint = new RegExp(path.join(sandbox.home, LOOKASIDE.name, 'control.token').replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
      try {
        await expectCode(callUnary(raw.getStatus.bind(raw), {}, CALL_TIMEOUT_MS), GrpcStatus.UNAUTHENTICATED, tokenHint);
        await expectCode(callUnary(raw.shutdown.bind(raw), {}, CALL_TIMEOUT_MS), GrpcStatus.UNAUTHENTICATED, tokenHint);
        await expectCode(callUnary(raw.killBackend.bind(raw), { port: LOOKASIDE.basePort + 1, signal: 'SIGKILL' }, CALL_TIMEOUT_MS), GrpcStatus.UNAUTHENTICATED);
        // A wrong token of the right shape fares no better.
        const wrong = new Metadata();
        wrong.set('authorization', `Bearer ${'0'.repeat(64)}`);
        await expectCode(
          new Promise((resolve, reject) => raw.shutdown({}, wrong, { deadline: Date.now() + CALL_TIMEOUT_MS }, (error, response) => (error ? reject(error) : resolve(response)))),
          GrpcStatus.UNAUTHENTICATED,
        );
      } finally {
        raw.close();
      }
      const after = await clusterStatus(LOOKASIDE.name);
      assert.equal(pidsOf(after), pidsOf(before), 'same processes: nothing was killed or restarted');
      assert.ok(pidsOf(after).every(isProcessAlive), 'every process alive');
      assertAllReady(after, LOOKASIDE.name);
      const status = await sandbox.run(['status', '--name', LOOKASIDE.name]);
      assert.equal(status.exitCode, 0, status.stderr);
      assert.match(status.stdout, new RegExp(`backend-${LOOKASIDE.basePort + 1} .* ready +serving`));
    })(),
    20_000,
    'unauthenticated control calls',
  ),
);

auth.run();

// ---------------------------------------------------------------- suite 2: seeded fuzzing of every RPC

const fuzz = suite('seeded fuzz of every RPC');
const clients: Client[] = [];
const newClient = (address: string): Client => {
  const client = new Client(address, credentials.createInsecure(), { 'grpc.enable_retries': 0 });
  clients.push(client);
  return client;
};
let pidsBefore: Record<string, number[]> = {};

fuzz.before(async () => {
  if (startError) return;
  try {
    pidsBefore = {
      [LOOKASIDE.name]: pidsOf(await clusterStatus(LOOKASIDE.name)),
      [PROXY.name]: pidsOf(await clusterStatus(PROXY.name)),
    };
  } catch (error) {
    startError = error instanceof Error ? error : new Error(String(error));
  }
});

fuzz.before.each(requireClusters);

fuzz.after(async () => {
  for (const client of clients) client.close();
  await Promise.all([LOOKASIDE, PROXY].map((cluster) => sandbox.run(['down', '--name', cluster.name]).catch(() => undefined)));
  killLeftovers(sandbox);
  sandbox.dispose();
});

fuzz('random bytes, random fields and floods on every RPC: no handler throws, no server dies or hangs', () =>
  withTimeout(
    (async () => {
      const fuzzer = createFuzzer(seededRandom(SEED), HUGE_STRING_BUDGET);
      const token = readFileSync(path.join(sandbox.home, LOOKASIDE.name, 'control.token'), 'utf8').trim();
      const withToken = (): Metadata => {
        const metadata = new Metadata();
        metadata.set('authorization', `Bearer ${token}`);
        return metadata;
      };
      const lookLb = newClient(lbOf(LOOKASIDE));
      const proxyLb = newClient(lbOf(PROXY));
      const control = newClient(controlOf(LOOKASIDE));
      const backend = newClient(backendOf(LOOKASIDE, 0));
      // With the token, only what cannot take the cluster down: no Shutdown, no component
      // names that exist, and only invalid sizes for AddBackend and Scale.
      const harmlessKillComponent: MessageShape = [
        // Never a generic string: the pools hold "lb" and "registry", which are real components.
        {
          no: 1,
          kind: 'string',
          onlyHints: true,
          hints: ['', 'supervisor', 'backend-1', 'backend-', 'backend-99999', 'LB', 'lb ', ' lb', 'lb\u0000', 'REGISTRY', '\u202elb', '../lb'],
        },
        { no: 2, kind: 'string', hints: ['SIGKILL', 'SIGSTOP', 'SIGHUP'] },
      ];
      const targets: Target[] = [
        { label: 'lookaside LB', client: lookLb, definition: LoadBalancerService },
        { label: 'lookaside LB', client: lookLb, definition: HealthService },
        { label: 'backend', client: backend, definition: BackendService },
        { label: 'backend', client: backend, definition: HealthService },
        { label: 'proxy LB', client: proxyLb, definition: BackendService },
        { label: 'proxy LB', client: proxyLb, definition: LoadBalancerService },
        { label: 'supervisor (no token)', client: control, definition: SupervisorService },
        { label: 'supervisor', client: control, definition: HealthService },
        {
          label: 'supervisor (token)',
          client: control,
          definition: SupervisorService,
          metadata: withToken,
          skip: new Set(['/lbx.v1.Supervisor/Shutdown', '/lbx.v1.Supervisor/AddBackend', '/lbx.v1.Supervisor/Scale']),
          shapes: { '/lbx.v1.Supervisor/KillComponent': harmlessKillComponent },
        },
      ];
      const plan = [
        ...planFuzz(fuzzer, targets),
        ...planFlood(fuzzer, 'lookaside LB', lookLb, REGISTER_FLOOD_LOOKASIDE),
        ...planFlood(fuzzer, 'proxy LB', proxyLb, REGISTER_FLOOD_PROXY),
      ];
      // AddBackend and Scale with the token: invalid sizes only, each must be refused.
      const double = encodeDoubleField;
      const notFinite = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -1, -Number.MIN_VALUE, 1e308];
      for (const body of [...[...notFinite, 0.0099, Number.MIN_VALUE, 100.5].map((speed) => double(1, speed)), ...[...notFinite, 1_000.5].map((weight) => double(2, weight))]) {
        plan.push({ label: 'supervisor (token) AddBackend invalid', body, run: () => rawUnary(control, '/lbx.v1.Supervisor/AddBackend', body, withToken()) });
      }
      for (const value of [65n, 99n, 2n ** 31n, 2n ** 32n - 1n, -1n, 2n ** 64n - 1n]) {
        const body = encodeVarintField(1, value);
        plan.push({ label: 'supervisor (token) Scale invalid', body, run: () => rawUnary(control, '/lbx.v1.Supervisor/Scale', body, withToken()) });
      }

      const tally = new Tally();
      const startedAt = performance.now();
      await runPlan(plan, tally);
      const elapsedMs = Math.round(performance.now() - startedAt);
      console.log(
        `fuzz: ${tally.total} calls in ${elapsedMs} ms (seed ${SEED}, ${fuzzer.hugeStringsSent} strings of 1 MiB; slowest call ${tally.slowest.ms} ms, ${tally.slowest.label} with ${tally.slowest.bytes} bytes)\n${tally.render()}`,
      );
      assert.equal(tally.suspicious.slice(0, 20), [], `seed ${SEED}: answers that mean a handler threw or a server broke (${tally.suspicious.length})`);
    })(),
    60_000,
    'the fuzz run',
  ),
);

for (const cluster of [LOOKASIDE, PROXY]) {
  fuzz(`after the fuzz the ${cluster.name} cluster has the same processes, all alive and ready, and its LB answers GetStats`, () =>
    withTimeout(
      (async () => {
        const after = await clusterStatus(cluster.name);
        const logs = (): string => `\n${sandbox.logs(cluster.name)}`;
        assert.equal(pidsOf(after), pidsBefore[cluster.name], `same processes, none died or was restarted; now ${JSON.stringify(after.components)}${logs()}`);
        assert.ok(pidsOf(after).every(isProcessAlive), `every process alive${logs()}`);
        assertAllReady(after, cluster.name);
        const lb = new LoadBalancerClient(lbOf(cluster), credentials.createInsecure());
        try {
          const stats = await callUnary(lb.getStats.bind(lb), {}, CALL_TIMEOUT_MS);
          for (const index of [0, 1]) {
            const member = stats.backends.find((entry) => entry.address === backendOf(cluster, index));
            assert.equal(member?.state, 'serving', `backend ${backendOf(cluster, index)} still serving: ${JSON.stringify(member)}`);
          }
        } finally {
          lb.close();
        }
      })(),
      30_000,
      `checks of ${cluster.name} after the fuzz`,
    ),
  );
}

fuzz('a message over the 4 MiB receive cap is RESOURCE_EXHAUSTED, on every kind of server', () =>
  withTimeout(
    (async () => {
      const body = createFuzzer(seededRandom(SEED + 1), 0).bytes(OVER_RECEIVE_CAP_BYTES);
      for (const [address, methodPath] of [
        [lbOf(LOOKASIDE), '/lbx.v1.LoadBalancer/GetServer'],
        [backendOf(LOOKASIDE, 0), '/lbx.v1.Backend/ProcessTask'],
        [controlOf(LOOKASIDE), '/lbx.v1.Supervisor/GetStatus'],
        [lbOf(PROXY), '/lbx.v1.Backend/ProcessTask'],
      ] as const) {
        const outcome = await rawUnary(newClient(address), methodPath, body);
        assert.equal(GrpcStatus[outcome.code], 'RESOURCE_EXHAUSTED', `${address} ${methodPath}: ${outcome.details}`);
      }
      for (const cluster of [LOOKASIDE, PROXY]) assert.ok(pidsBefore[cluster.name]?.every(isProcessAlive), `${cluster.name}: every process alive`);
    })(),
    20_000,
    'over-cap messages',
  ),
);

fuzz('a 1 MiB string in a field that error messages quote gets an answer, and the connection still works', () =>
  withTimeout(
    (async () => {
      const huge = 'q'.repeat(1024 * 1024);
      const getStats = { path: '/lbx.v1.LoadBalancer/GetStats', body: Buffer.alloc(0) };
      const healthCheck = { path: '/grpc.health.v1.Health/Check', body: Buffer.alloc(0) };
      const stalled: string[] = [];
      for (const [address, methodPath, body, followUp] of [
        [lbOf(LOOKASIDE), '/lbx.v1.LoadBalancer/SetPolicy', encodeStringField(1, huge), getStats],
        [lbOf(LOOKASIDE), '/lbx.v1.LoadBalancer/SetPolicy', Buffer.concat([encodeStringField(1, 'rr'), encodeStringField(2, encodeStringField(3, huge))]), getStats],
        [lbOf(LOOKASIDE), '/grpc.health.v1.Health/Check', encodeStringField(1, huge), healthCheck],
        [backendOf(LOOKASIDE, 0), '/grpc.health.v1.Health/Check', encodeStringField(1, huge), healthCheck],
        [controlOf(LOOKASIDE), '/grpc.health.v1.Health/Check', encodeStringField(1, huge), healthCheck],
      ] as const) {
        // A connection of its own, so a stall cannot spill over into the other cases.
        const client = new Client(address, credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 });
        try {
          const outcome = await rawUnary(client, methodPath, body, new Metadata(), HUGE_ECHO_TIMEOUT_MS);
          const next = await rawUnary(client, followUp.path, followUp.body, new Metadata(), CALL_TIMEOUT_MS);
          if (outcome.code === GrpcStatus.DEADLINE_EXCEEDED || next.code !== GrpcStatus.OK) {
            stalled.push(
              `${address} ${methodPath} (${describeBody(body).slice(0, 60)}): ${GrpcStatus[outcome.code]}, then ${followUp.path} on the same connection: ${GrpcStatus[next.code]} ${next.details.slice(0, 80)}`,
            );
          }
        } finally {
          client.close();
        }
      }
      assert.equal(stalled, [], 'each answered in time (an error quoting a huge value should quote a bounded prefix of it)');
    })(),
    60_000,
    'huge quoted strings',
  ),
);

for (const cluster of [LOOKASIDE, PROXY]) {
  fuzz(`after the fuzz, lbx send --simple 200 on the ${cluster === PROXY ? 'proxy' : 'look-aside'} cluster has no failure (bogus members must not poison picks)`, () =>
    withTimeout(
      (async () => {
        // 200 SIMPLE tasks take about a second; a poisoned LB can make the client wait much longer.
        const run = await sandbox.json<RunJson>(['send', '--name', cluster.name, '--simple', '200'], { allowFailure: true, timeoutMs: SEND_TIMEOUT_MS });
        assert.equal(run.summary.sent, 200);
        assert.equal(
          run.summary.failed,
          0,
          `${run.summary.failed} of 200 failed: ${JSON.stringify(run.summary.failuresByReason).slice(0, 1_000)}; served by ${JSON.stringify(run.summary.backends.slice(0, 5))}\n${sandbox.logs(cluster.name)}`,
        );
      })(),
      SEND_TIMEOUT_MS + 5_000,
      `send on ${cluster.name}`,
    ),
  );
}

fuzz.run();
