// Pure parts of the embedded registry: Go durations and the service definition Consul clients send.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { DurationSyntaxError, formatGoDuration, parseGoDurationMs } from '../../src/runtime/registry/embedded/go-duration.js';
import { HttpError } from '../../src/runtime/registry/embedded/http-error.js';
import { DEFAULT_TCP_TIMEOUT_MS, MIN_CHECK_INTERVAL_MS, parseServiceDefinition } from '../../src/runtime/registry/embedded/service-definition.js';

const durations = suite('Go durations');

durations('parses what time.ParseDuration accepts', () => {
  const table: Array<[string, number]> = [
    ['1s', 1_000],
    ['500ms', 500],
    ['10s', 10_000],
    ['1m30s', 90_000],
    ['1.5h', 5_400_000],
    ['2h45m', 9_900_000],
    ['.5s', 500],
    ['1.s', 1_000],
    ['100us', 0.1],
    ['100µs', 0.1],
    ['100μs', 0.1],
    ['1000000ns', 1],
    ['0', 0],
    ['-1s', -1_000],
    ['+2s', 2_000],
  ];
  for (const [text, ms] of table) assert.is(parseGoDurationMs(text), ms, text);
});

durations('rejects what Go rejects, with Go messages', () => {
  const table: Array<[string, string]> = [
    ['', 'time: invalid duration ""'],
    ['1', 'time: missing unit in duration "1"'],
    ['s', 'time: invalid duration "s"'],
    ['1x', 'time: unknown unit "x" in duration "1x"'],
    ['1s5', 'time: missing unit in duration "1s5"'],
    [' 1s', 'time: invalid duration " 1s"'],
    ['1 s', 'time: unknown unit " s" in duration "1 s"'],
    ['.s', 'time: invalid duration ".s"'],
  ];
  for (const [text, message] of table) {
    assert.throws(
      () => parseGoDurationMs(text),
      (error: unknown) => error instanceof DurationSyntaxError && error.message === message,
      text,
    );
  }
});

durations('formats like Duration.String', () => {
  const table: Array<[number, string]> = [
    [0, '0s'],
    [250, '250ms'],
    [1_000, '1s'],
    [1_500, '1.5s'],
    [90_000, '1m30s'],
    [5_400_000, '1h30m0s'],
    [0.5, '500µs'],
  ];
  for (const [ms, text] of table) assert.is(formatGoDuration(ms), text, String(ms));
});

durations.run();

const definitions = suite('service definitions');

const failureOf = (body: unknown): HttpError => {
  try {
    parseServiceDefinition(body);
  } catch (error) {
    if (error instanceof HttpError) return error;
    throw error;
  }
  throw new Error(`accepted ${JSON.stringify(body)}`);
};

definitions("fills in Consul's defaults", () => {
  const definition = parseServiceDefinition({ Name: 'web', Check: { TCP: '127.0.0.1:80', Interval: '10s' } });
  assert.is(definition.id, 'web', 'ID defaults to Name');
  assert.equal([definition.address, definition.port, definition.tags, definition.meta], ['', 0, [], {}]);
  assert.is(definition.checks.length, 1);
  const [check] = definition.checks;
  assert.equal([check?.checkId, check?.name, check?.initialStatus, check?.deregisterCriticalAfterMs], ['service:web', "Service 'web' check", 'critical', undefined]);
  assert.equal(check?.probe, { type: 'tcp', target: '127.0.0.1:80', host: '127.0.0.1', port: 80, intervalMs: 10_000, timeoutMs: DEFAULT_TCP_TIMEOUT_MS });
});

definitions('numbers several checks from 1, keeps explicit CheckIDs, and honours Status', () => {
  const definition = parseServiceDefinition({
    Name: 'api',
    ID: 'api-1',
    Checks: [{ TTL: '5s' }, { TTL: '5s', Status: 'warning' }, { CheckID: 'custom', TCP: '[::1]:9000', Interval: '1ns' }],
  });
  assert.equal(
    definition.checks.map((check) => check.checkId),
    ['service:api-1:1', 'service:api-1:2', 'custom'],
  );
  assert.equal(
    definition.checks.map((check) => check.initialStatus),
    ['critical', 'warning', 'critical'],
  );
  const probe = definition.checks[2]?.probe;
  assert.equal(probe?.type === 'tcp' && [probe.host, probe.port, probe.intervalMs], ['::1', 9000, MIN_CHECK_INTERVAL_MS]);
});

definitions('an empty Check is ignored, as Consul ignores it', () => {
  assert.equal(parseServiceDefinition({ Name: 'bare', Check: {} }).checks, []);
  assert.equal(parseServiceDefinition({ Name: 'bare', Check: null, Checks: null }).checks, []);
});

definitions('accepts durations as Go nanosecond numbers', () => {
  const [check] = parseServiceDefinition({ Name: 'n', Check: { TTL: 2_000_000_000 } }).checks;
  assert.equal(check?.probe, { type: 'ttl', ttlMs: 2_000 });
});

definitions('rejects duplicate check IDs and both kinds in one check', () => {
  assert.match(
    failureOf({
      Name: 'd',
      Checks: [
        { CheckID: 'x', TTL: '1s' },
        { CheckID: 'x', TTL: '1s' },
      ],
    }).message,
    'Duplicate check ID "x"',
  );
  assert.match(failureOf({ Name: 'd', Check: { TTL: '1s', TCP: '127.0.0.1:1', Interval: '1s' } }).message, 'Check.TTL and Check.TCP');
  assert.match(failureOf({ Name: 'd', Kind: 'connect-proxy' }).message, 'Kind "connect-proxy" is not supported');
  assert.is(failureOf({ Name: 'd', Port: 70_000 }).status, 400);
});

definitions.run();
