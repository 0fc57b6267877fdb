// The README's whole user flow with the real CLI and real processes: up, send, kill, send, report, status, down.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { isProcessAlive } from '../../src/runtime/process/pid-probe.js';
import { createSandbox, eventually, killLeftovers } from '../helpers/lbx-cli.js';
import { freeBasePort } from '../helpers/free-base-port.js';

const BASE_PORT = await freeBasePort();
const CLUSTER = ['--base-port', String(BASE_PORT)];
const KILLED_PORT = BASE_PORT + 3;
const KILLED = `127.0.0.1:${KILLED_PORT}`;

interface Component {
  name: string;
  role: string;
  address: string;
  pid: number;
  state: string;
  health?: string;
  exitReason?: string;
}
interface RunJson {
  policy: string;
  summary: { sent: number; ok: number; failed: number; retried: number; backends: Array<{ address: string; ok: number; share: number }> };
}
interface ReportJson {
  policy: string;
  backends: Array<{
    address: string;
    state: string;
    health: string;
    lbState: string;
    servedSimple: number;
    servedHeavy: number;
    servedSource: string;
    clientOk: number;
    assigned: number;
  }>;
  reconciliation: { matches: boolean };
  unverified: string[];
  runs: unknown[];
}

const sandbox = createSandbox('flow');
const flow = suite('user flow: up → send → kill → send → report → status → down');

flow.after(async () => {
  await sandbox.run(['down']).catch(() => undefined);
  const leftovers = killLeftovers(sandbox);
  sandbox.dispose();
  if (leftovers.length > 0) throw new Error(`teardown had to kill leftover pids ${leftovers.join(', ')}`);
});

flow('the whole flow', async () => {
  try {
    const up = await sandbox.json<{ registry: string; policy: string; components: Component[] }>(['up', '--backends', '4', '--policy', 'rr', ...CLUSTER]);
    assert.equal(up.registry, 'embedded');
    assert.equal(up.policy, 'round_robin');
    assert.equal(
      up.components.map((component) => component.role),
      ['registry', 'lb', 'backend', 'backend', 'backend', 'backend'],
    );
    assert.ok(
      up.components.every((component) => component.state === 'ready' && component.pid > 0),
      'every component ready with a pid',
    );

    const status = await sandbox.json<{ components: Component[] }>(['status']);
    assert.equal(
      status.components.map((component) => component.health),
      ['serving', 'serving', 'serving', 'serving', 'serving', 'serving'],
    );

    const first = await sandbox.json<RunJson>(['send', '--simple', '2000', '--heavy', '50']);
    assert.equal(first.policy, 'round_robin');
    assert.equal([first.summary.sent, first.summary.ok, first.summary.failed], [2050, 2050, 0]);
    assert.equal(first.summary.backends.length, 4);
    for (const backend of first.summary.backends) {
      assert.ok(backend.share > 0.2 && backend.share < 0.3, `round robin share of ${backend.address} is ${backend.share}`);
    }

    const kill = await sandbox.run(['kill', String(KILLED_PORT)]);
    assert.equal(kill.exitCode, 0, kill.stderr);
    assert.match(kill.stdout, /SIGKILL/);

    const second = await sandbox.json<RunJson>(['send', '--simple', '1000']);
    assert.equal([second.summary.sent, second.summary.ok, second.summary.failed], [1000, 1000, 0]);
    assert.equal(second.summary.backends.map((backend) => backend.address).includes(KILLED), false, 'the killed backend got no request');
    assert.equal(second.summary.backends.length, 3);

    const report = await sandbox.json<ReportJson>(['report']);
    assert.equal(report.runs.length, 2);
    const killed = report.backends.find((backend) => backend.address === KILLED);
    assert.equal([killed?.state, killed?.health], ['exited', '-']);
    assert.match(killed?.lbState ?? '', /removed: exited/);
    // The killed backend is checked too: its counts file holds every task it answered.
    assert.equal(report.unverified, []);
    assert.equal(killed?.servedSource, 'file');
    assert.ok(report.reconciliation.matches, 'reconciliation matches on every backend, the killed one included');
    for (const backend of report.backends) {
      if (backend.address !== KILLED) assert.equal([backend.servedSource, backend.health], ['live', 'serving']);
      // Nothing lost: what the clients got back equals what each backend says it served (the kill came between sends).
      assert.equal(backend.clientOk, backend.servedSimple + backend.servedHeavy, `reconciliation at ${backend.address}`);
    }

    // A graceful stop: the backend drains, sends a final load report, and its last figures still reconcile.
    const drained = `127.0.0.1:${BASE_PORT + 1}`;
    const term = await sandbox.run(['kill', String(BASE_PORT + 1), '--signal', 'SIGTERM']);
    assert.equal(term.exitCode, 0, term.stderr);
    assert.ok(
      await eventually(async () => (await sandbox.json<{ components: Component[] }>(['status'])).components.some((c) => c.address === drained && c.state === 'exited'), 10_000),
      'the SIGTERMed backend exits after draining',
    );
    const third = await sandbox.json<RunJson>(['send', '--simple', '300', '--heavy', '10']);
    assert.equal([third.summary.ok, third.summary.failed], [310, 0]);
    assert.equal(third.summary.backends.length, 2);
    const afterDrain = await sandbox.json<ReportJson>(['report']);
    const gone = afterDrain.backends.find((backend) => backend.address === drained);
    assert.equal(gone?.servedSource, 'file');
    assert.equal(gone?.lbState, 'removed: graceful');
    assert.equal(gone ? gone.servedSimple + gone.servedHeavy : -1, gone?.clientOk, 'the final report carries every task the clients got back');
    const text = await sandbox.run(['report']);
    assert.match(text.stdout, /reconciliation: client ok counts/);
    assert.equal(text.exitCode, 0);
    assert.match(text.stdout, /CLIENT OK/);

    const afterKill = await sandbox.json<{ components: Component[] }>(['status']);
    const dead = afterKill.components.find((component) => component.address === KILLED);
    assert.equal(dead?.state, 'exited');
    assert.match(dead?.exitReason ?? '', /SIGKILL/);

    const pids = afterKill.components.map((component) => component.pid);
    const down = await sandbox.json<{ outcome: string }>(['down']);
    assert.equal(down.outcome, 'stopped');
    assert.equal(sandbox.leftoverPids(), [], 'no process of the cluster is left');
    assert.ok(await eventually(() => pids.every((pid) => !isProcessAlive(pid)), 1_000), 'every recorded pid is gone');

    const again = await sandbox.json<{ outcome: string }>(['down']);
    assert.equal(again.outcome, 'none', 'down is idempotent');
    const noCluster = await sandbox.run(['status']);
    assert.equal(noCluster.exitCode, 3);
  } catch (error) {
    console.error(sandbox.logs());
    throw error;
  }
});

flow.run();
