import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { runChaos, type ChaosControl } from '../../src/runtime/chaos/chaos-loop.js';
import type { ClusterStatus, Component } from '../../src/runtime/wire/gen/lbx/v1/supervisor.js';
import { seededRandom } from '../../src/core/random/seeded-random.js';

/** A cluster in memory: killComponent marks a component exited, startBackend marks it ready again. */
function fakeCluster(backendPorts: number[]): { control: ChaosControl; components: Component[]; calls: string[] } {
  const component = (name: string, role: string, port: number): Component => ({
    name,
    role,
    port,
    address: `127.0.0.1:${port}`,
    pid: port,
    state: 'ready',
    startedAtUnixMs: 0,
    exitedAtUnixMs: 0,
    exitReason: '',
    logPath: '',
    restarts: 0,
    speed: 1,
    weight: 1,
  });
  const components = [component('registry', 'registry', 102), component('lb', 'lb', 100), ...backendPorts.map((port) => component(`backend-${port}`, 'backend', port))];
  const calls: string[] = [];
  let nextPid = 10_000;
  const control: ChaosControl = {
    status: async () => ({ name: 'fake', components: components.map((entry) => ({ ...entry })), respawn: false }) as unknown as ClusterStatus,
    killComponent: async (name) => {
      const target = components.find((entry) => entry.name === name);
      if (target === undefined || target.state !== 'ready') throw new Error(`${name} is not running`);
      target.state = 'exited';
      calls.push(`kill ${name}`);
      return { pid: target.pid, name };
    },
    startBackend: async (port) => {
      const target = components.find((entry) => entry.port === port && entry.role === 'backend');
      if (target === undefined || target.state !== 'exited') throw new Error(`backend ${port} is not exited`);
      Object.assign(target, { state: 'ready', pid: nextPid++ });
      calls.push(`start ${target.name}`);
      return { name: target.name, port, address: target.address, pid: target.pid, elapsedMs: 1 };
    },
  };
  return { control, components, calls };
}

/** A clock that jumps forward by exactly what chaos asks to sleep. */
function virtualTime(): { nowMs: () => number; sleep: (ms: number) => Promise<void> } {
  let now = 0;
  return { nowMs: () => now, sleep: async (ms) => void (now += ms) };
}

const options = (overrides: Partial<Parameters<typeof runChaos>[1]> = {}): Parameters<typeof runChaos>[1] => {
  const time = virtualTime();
  return {
    targets: ['backend'],
    intervalMs: 1_000,
    durationMs: 10_000,
    signal: 'SIGKILL',
    revive: true,
    startTimeoutMs: 1_000,
    random: seededRandom(3),
    nowMs: time.nowMs,
    sleep: time.sleep,
    abort: new AbortController().signal,
    onAction: () => undefined,
    ...overrides,
  };
};

test('one kill per interval for the duration, each victim started again before the next kill', async () => {
  const cluster = fakeCluster([7001, 7002, 7003, 7004]);
  const actions = await runChaos(cluster.control, options());
  assert.is(actions.filter((action) => action.kind === 'killed').length, 10);
  assert.is(actions.filter((action) => action.kind === 'started').length, 10);
  // Left as found: every backend ready again.
  assert.ok(cluster.components.every((entry) => entry.state === 'ready'));
  // Never two backends down at once: each kill is preceded by the start of the previous victim.
  const downAtOnce = cluster.calls.reduce(
    (state, call) => {
      const down = state.down + (call.startsWith('kill') ? 1 : -1);
      return { down, max: Math.max(state.max, down) };
    },
    { down: 0, max: 0 },
  );
  assert.is(downAtOnce.max, 1);
});

test('the last ready backend is never killed', async () => {
  const cluster = fakeCluster([7001, 7002]);
  const actions = await runChaos(cluster.control, options({ revive: false, durationMs: 5_000 }));
  assert.is(actions.filter((action) => action.kind === 'killed').length, 1);
  assert.is(actions.filter((action) => action.kind === 'skipped').length, 4);
  assert.is(cluster.components.filter((entry) => entry.role === 'backend' && entry.state === 'ready').length, 1);
});

test('a victim still exiting when chaos ends is waited for and started again', async () => {
  const cluster = fakeCluster([7001, 7002, 7003]);
  // As a real process: the kill returns at once, the supervisor records the exit a few status calls later.
  const kill = cluster.control.killComponent;
  cluster.control.killComponent = async (name, signal) => {
    const killed = await kill(name, signal);
    const target = cluster.components.find((entry) => entry.name === name);
    if (target) {
      target.state = 'stopping';
      let statusCalls = 0;
      const status = cluster.control.status;
      cluster.control.status = async () => {
        statusCalls += 1;
        if (statusCalls === 3) target.state = 'exited';
        return status();
      };
    }
    return killed;
  };
  const actions = await runChaos(cluster.control, options({ durationMs: 1_000 }));
  assert.equal(
    actions.map((action) => action.kind),
    ['killed', 'started'],
  );
  assert.ok(
    cluster.components.every((entry) => entry.state === 'ready'),
    'left as found',
  );
});

test('a victim the supervisor still lists as ready is not drawn again when a late round follows at once', async () => {
  const cluster = fakeCluster([7001, 7002, 7003]);
  // The kill returns before the exit is seen: the victim stays "ready" for the next two status calls.
  const exitsSeenLater: Array<{ name: string; statusCallsLeft: number }> = [];
  cluster.control.killComponent = async (name) => {
    const target = cluster.components.find((entry) => entry.name === name);
    if (target?.state !== 'ready') throw new Error(`${name} is not running`);
    exitsSeenLater.push({ name, statusCallsLeft: 2 });
    cluster.calls.push(`kill ${name}`);
    return { pid: target.pid, name };
  };
  const status = cluster.control.status;
  cluster.control.status = async () => {
    for (const pending of exitsSeenLater) {
      pending.statusCallsLeft -= 1;
      const target = cluster.components.find((entry) => entry.name === pending.name);
      if (pending.statusCallsLeft === 0 && target) target.state = 'exited';
    }
    return status();
  };
  // Every round late: sleep never waits, so rounds follow one another at once.
  const actions = await runChaos(cluster.control, options({ durationMs: 5_000, sleep: async () => undefined, nowMs: () => 0 }));
  assert.equal(
    actions.filter((action) => action.kind === 'failed'),
    [],
    'no kill of a process already killed',
  );
  assert.ok(actions.filter((action) => action.kind === 'killed').length >= 2, 'chaos went on killing');
});

/**
 * Virtual time with real concurrency: sleep() resolves when the clock reaches its end, and
 * drive() moves the clock to the next wake-up whenever everything else is waiting.
 */
function virtualScheduler(): { nowMs: () => number; sleep: (ms: number) => Promise<void>; drive: <T>(work: Promise<T>) => Promise<T> } {
  let now = 0;
  const wakeUps: Array<{ atMs: number; resolve: () => void }> = [];
  const sleep = (ms: number): Promise<void> => new Promise((resolve) => wakeUps.push({ atMs: now + ms, resolve }));
  const drive = async <T>(work: Promise<T>): Promise<T> => {
    let isDone = false;
    const settled = work.finally(() => {
      isDone = true;
    });
    // Bounded: each pass either ends the work or fires a wake-up, and chaos's clock ends it.
    for (let pass = 0; pass < 100_000 && !isDone; pass += 1) {
      await new Promise((resolve) => setImmediate(resolve));
      wakeUps.sort((a, b) => a.atMs - b.atMs);
      const next = wakeUps.shift();
      if (next === undefined) continue;
      now = Math.max(now, next.atMs);
      next.resolve();
    }
    return settled;
  };
  return { nowMs: () => now, sleep, drive };
}

test('a start that takes 3 s does not hold the loop: an action on every tick, on the tick, and one backend down at a time', async () => {
  const cluster = fakeCluster([7001, 7002, 7003, 7004, 7005, 7006]);
  const time = virtualScheduler();
  const start = cluster.control.startBackend;
  cluster.control.startBackend = async (port, timeoutMs) => {
    await time.sleep(3_000);
    return start(port, timeoutMs);
  };
  const actions = await time.drive(runChaos(cluster.control, options({ durationMs: 6_000, nowMs: time.nowMs, sleep: time.sleep })));
  const onTicks = actions.filter((action) => action.kind !== 'started');
  assert.equal(
    onTicks.map((action) => action.atMs),
    [0, 1_000, 2_000, 3_000, 4_000, 5_000],
    JSON.stringify(actions),
  );
  // Started again at 1 s (the victim had exited), ready at 4 s: ticks until then are skipped, not stacked.
  assert.equal(
    onTicks.map((action) => action.kind),
    ['killed', 'skipped', 'skipped', 'skipped', 'killed', 'skipped'],
  );
  assert.match(onTicks[1]?.detail ?? '', /is not back yet: one backend down at a time/);
  // Chaos still leaves the cluster as it found it.
  assert.is(actions.filter((action) => action.kind === 'started').length, 2);
  assert.ok(cluster.components.every((entry) => entry.state === 'ready'));
});

test('under --respawn (the supervisor starts victims) a backend tick waits for the last victim to serve again under a new pid', async () => {
  const cluster = fakeCluster([7001, 7002, 7003]);
  let nextPid = 50_000;
  // The supervisor's respawn, as chaos sees it: an exited backend is ready again two status calls later.
  const status = cluster.control.status;
  cluster.control.status = async () => {
    for (const entry of cluster.components) {
      if (entry.state === 'exited') entry.state = 'starting';
      else if (entry.state === 'starting') Object.assign(entry, { state: 'ready', pid: nextPid++ });
    }
    return status();
  };
  const actions = await runChaos(cluster.control, options({ revive: false, durationMs: 6_000 }));
  assert.equal(
    actions.map((action) => action.kind),
    ['killed', 'skipped', 'killed', 'skipped', 'killed', 'skipped'],
    JSON.stringify(actions),
  );
});

test('a round that overruns its tick skips the ticks it missed instead of firing them together', async () => {
  const cluster = fakeCluster([7001, 7002, 7003, 7004]);
  const time = virtualScheduler();
  const kill = cluster.control.killComponent;
  let kills = 0;
  // The second kill takes 2.5 s to return (a busy supervisor): the ticks at 2 s and 3 s are gone.
  cluster.control.killComponent = async (name, signal) => {
    kills += 1;
    if (kills === 2) await time.sleep(2_500);
    return kill(name, signal);
  };
  const actions = await time.drive(runChaos(cluster.control, options({ durationMs: 6_000, nowMs: time.nowMs, sleep: time.sleep })));
  const killedAt = actions.filter((action) => action.kind === 'killed').map((action) => action.atMs);
  assert.equal(killedAt, [0, 3_500, 4_000, 5_000]);
  const gaps = killedAt.slice(1).map((atMs, index) => atMs - (killedAt[index] ?? 0));
  assert.ok(
    gaps.every((gapMs) => gapMs >= 500),
    `no burst: ${gaps.join(', ')}`,
  );
});

test('a duration shorter than one round still makes that one round, even when the clock has moved on', async () => {
  const cluster = fakeCluster([7001, 7002]);
  let now = 0;
  const status = cluster.control.status;
  // Asking for the status takes 5 ms: already past a 1 ms duration when the first round strikes.
  cluster.control.status = async () => {
    now += 5;
    return status();
  };
  const actions = await runChaos(cluster.control, options({ durationMs: 1, revive: false, nowMs: () => now, sleep: async (ms) => void (now += ms) }));
  assert.equal(
    actions.map((action) => action.kind),
    ['killed'],
  );
});

test('lb and registry targets are drawn too, and an abort stops the loop', async () => {
  const cluster = fakeCluster([7001, 7002, 7003]);
  const abort = new AbortController();
  let rounds = 0;
  const actions = await runChaos(
    cluster.control,
    options({
      targets: ['lb', 'registry'],
      durationMs: 60_000,
      abort: abort.signal,
      onAction: (action) => {
        rounds += 1;
        // The fake never restarts the LB or registry: make them ready again, as the supervisor would.
        for (const entry of cluster.components) if (entry.role !== 'backend' && entry.state !== 'ready') Object.assign(entry, { state: 'ready', pid: entry.pid + 1 });
        if (rounds === 6) abort.abort();
        assert.ok(action.component === 'lb' || action.component === 'registry', action.component);
      },
    }),
  );
  assert.is(actions.length, 6);
  assert.ok(actions.some((action) => action.component === 'lb'));
  assert.ok(actions.some((action) => action.component === 'registry'));
});

test.run();
