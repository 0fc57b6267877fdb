// Success-rate ejection's flags: A50's defaults pass nothing on; other settings reach the spec and `serve lb`'s arguments, and back.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { DEFAULT_SUCCESS_RATE } from '../../src/core/health/success-rate.js';
import { successRateFromFlags } from '../../src/cli/outlier-flags.js';
import { lbRoleFlags } from '../../src/cli/roles/lb-role.js';
import { clusterFlags } from '../../src/cli/cluster-flags.js';
import { lbCommand } from '../../src/runtime/supervisor/role-commands.js';
import { portLayout } from '../../src/runtime/cluster/ports.js';
import type { ClusterSpec } from '../../src/runtime/cluster/cluster-spec.js';

const DEFAULTS = {
  'success-rate-stdev-factor': 1_900,
  'success-rate-enforcement': 100,
  'success-rate-minimum-hosts': 5,
  'success-rate-request-volume': 100,
};

const test = suite('success-rate flags');

test("A50's defaults pass nothing on; any other setting passes all four", () => {
  assert.is(successRateFromFlags(DEFAULTS), undefined);
  assert.equal(successRateFromFlags({ ...DEFAULTS, 'success-rate-enforcement': 0 }), { ...DEFAULT_SUCCESS_RATE, enforcementPercent: 0 });
});

test('up, bench and serve lb have the same flags, with the defaults', () => {
  for (const flags of [clusterFlags, lbRoleFlags] as const) {
    for (const [name, value] of Object.entries(DEFAULTS)) assert.is((flags as Record<string, { default?: unknown }>)[name]?.default, value, name);
  }
});

test("the supervisor starts the LB with a spec's settings, and with none when they are the defaults", () => {
  const spec = {
    name: 'x',
    host: '127.0.0.1',
    basePort: 7000,
    backends: 3,
    policy: 'round_robin',
    mode: 'lookaside',
    policyConfig: {},
    registry: 'embedded',
    heavyWorkUnits: 1,
    reportIntervalMs: 500,
    checkIntervalMs: 1_000,
    readyTimeoutMs: 5_000,
  } as unknown as ClusterSpec;
  const plain = lbCommand(spec, portLayout(7000), '127.0.0.1:7100', '/tmp/x').args;
  assert.not.ok(plain.some((arg) => arg.startsWith('--success-rate')));
  const tuned = lbCommand({ ...spec, successRate: { ...DEFAULT_SUCCESS_RATE, stdevFactor: 1_000, requestVolume: 50 } }, portLayout(7000), '127.0.0.1:7100', '/tmp/x').args;
  const at = tuned.indexOf('--success-rate-stdev-factor');
  assert.equal(tuned.slice(at, at + 8), [
    '--success-rate-stdev-factor',
    '1000',
    '--success-rate-enforcement',
    '100',
    '--success-rate-minimum-hosts',
    '5',
    '--success-rate-request-volume',
    '50',
  ]);
});

test.run();
