// `lbx sim` as a user runs it: the real binary, a small model, --json checked against docs/json-schema.md; bad flags exit 2 naming the value.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { createSandbox, type LbxSandbox } from '../helpers/lbx-cli.js';
import { findUndocumented, findViolations, readSchemaTables, type FieldSpec } from '../helpers/json-schema-doc.js';

const sim = suite('lbx sim');
let sandbox: LbxSandbox;

sim.before(() => {
  sandbox = createSandbox('sim');
});
sim.after(() => sandbox.dispose());

/** The lbx.sim/v1 table with the run summary nested under each policy; connections' own rows only in client mode, where it is there. */
function simFields(isClientMode: boolean): FieldSpec[] {
  const tables = readSchemaTables();
  const summary = (tables.get('run-summary') ?? []).map((field) => ({ ...field, path: `policies[].summary.${field.path}` }));
  const sim = (tables.get('lbx.sim/v1') ?? []).filter((field) => isClientMode || !field.path.startsWith('policies[].connections.'));
  return [...sim, ...summary];
}

sim('--json: one policy per entry, every field documented, the figures of the model asked for', async () => {
  const args = [
    'sim',
    '--backends',
    '4',
    '--speeds',
    '1,1,1,0.25',
    '--arrival',
    'closed:16',
    '--service',
    'lognormal:30,45',
    '--requests',
    '2000',
    '--policies',
    'rr,p2c',
    '--json',
  ];
  const document = await sandbox.json<{ schema: string; policies: Array<{ policy: string; summary: { sent: number; backends: Array<{ ok: number }> } }> }>(args);
  assert.is(document.schema, 'lbx.sim/v1');
  const fields = simFields(false);
  assert.equal([...findViolations(document, fields), ...findUndocumented(document, fields)], []);
  const clientSide = await sandbox.json<unknown>([
    'sim',
    '--backends',
    '20',
    '--clients',
    '10',
    '--mode',
    'client',
    '--subset',
    'deterministic:4',
    '--requests',
    '2000',
    '--policies',
    'p2c',
    '--json',
  ]);
  assert.equal([...findViolations(clientSide, simFields(true)), ...findUndocumented(clientSide, simFields(true))], []);
  assert.equal(
    document.policies.map((entry) => entry.policy),
    ['round_robin', 'power_of_two'],
  );
  for (const entry of document.policies) {
    assert.is(entry.summary.sent, 2_000);
    assert.is(
      entry.summary.backends.reduce((sum, backend) => sum + backend.ok, 0),
      2_000,
    );
  }
  // The same seed gives the same document (wall times aside).
  const again = await sandbox.json<typeof document>(args);
  assert.equal(
    again.policies.map((entry) => entry.summary),
    document.policies.map((entry) => entry.summary),
  );
});

sim('the table reads like bench’s: POLICY, THROUGHPUT, P50 MS … SPLIT, then the simulator’s own figures', async () => {
  const result = await sandbox.run(['sim', '--backends', '3', '--requests', '3000', '--policies', 'lc', '--mode', 'proxy']);
  assert.is(result.exitCode, 0, result.stderr);
  assert.match(result.stdout, /POLICY\s+THROUGHPUT\s+P50 MS\s+P90 MS\s+P99 MS\s+MAX MS\s+IMBALANCE\s+FAILED\s+SPLIT/);
  assert.match(result.stdout, /least_connections .* 1:\d+% 2:\d+% 3:\d+%/);
  assert.match(result.stdout, /simulated: 3 backends, 1 client, proxy mode/);
});

sim('bad flags exit 2 with a message naming the value and what was expected', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['--service', 'gamma:2'], /--service "gamma:2": expected one of exp/],
    [['--arrival', 'closed:0'], /--arrival "closed:0"/],
    [['--subset', 'random:3'], /--subset random:3 applies to client-side balancing only; add --mode client/],
    [['--backends', '2', '--speeds', '1,1,1'], /--speeds "1,1,1" has 3 values: expected 2/],
    [['--policies', 'nope'], /unknown policy "nope"/],
    [['--arrival', 'closed:4', '--load', '0.5'], /--load applies to open arrivals/],
  ];
  for (const [flags, message] of cases) {
    const result = await sandbox.run(['sim', '--requests', '10', ...flags]);
    assert.is(result.exitCode, 2, `${flags.join(' ')}: ${result.stderr}`);
    assert.match(result.stderr, message);
  }
});

sim.run();
