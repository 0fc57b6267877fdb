// The one duration parser (src/core/duration.ts) and the durationFlag factory every duration flag is built with.
import { parse } from '@oclif/core/parser';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { durationFlag } from '../../src/cli/flags.js';
import { sendFlags } from '../../src/cli/send-flags.js';
import { formatDurationMs, parseDurationFlag, parseDurationMs } from '../../src/core/duration.js';
import { isLbxError } from '../../src/core/lbx-error.js';

const parser = suite('parseDurationMs');

parser('a bare number is milliseconds, as lbx flags always took', () => {
  assert.equal(['0', '1000', '250', '1.5', '.5'].map(parseDurationMs), [0, 1_000, 250, 1.5, 0.5]);
});

parser('units ms, s, m, h, alone or combined largest first, with spaces allowed', () => {
  const cases: Array<[string, number]> = [
    ['500ms', 500],
    ['30s', 30_000],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['0.5s', 500],
    ['1m30s', 90_000],
    ['1h2m3s4ms', 3_723_004],
    [' 15 ms ', 15],
    ['1m 30s', 90_000],
  ];
  for (const [text, ms] of cases) assert.is(parseDurationMs(text), ms, text);
});

parser('garbage, negative numbers, other units and units out of order are not durations', () => {
  for (const text of ['', ' ', 'abc', 'ms', '-5', '-5ms', '1e3', '200us', '10sec', '5 m s', '30s1m', '1s1s', '1.2.3s', 's30', '1m30']) {
    assert.is(parseDurationMs(text), undefined, JSON.stringify(text));
  }
});

parser('formatDurationMs writes whole units where it can', () => {
  assert.equal([0, 50, 1_000, 1_500, 30_000, 90_000, 600_000, 3_600_000].map(formatDurationMs), ['0', '50ms', '1s', '1500ms', '30s', '1m30s', '10m', '1h']);
});

parser.run();

const flagValue = suite('parseDurationFlag');

const usageMessage = (run: () => unknown): string => {
  try {
    run();
  } catch (error) {
    assert.ok(isLbxError(error), String(error));
    assert.is(error.exitCode, 2);
    return error.message;
  }
  throw new Error('expected a usage error');
};

flagValue('rounds to whole ms unless asked not to, and checks the bounds', () => {
  assert.is(parseDurationFlag('--timeout', '1.6', { minMs: 1, maxMs: 10 }), 2);
  assert.is(parseDurationFlag('--max-p99', '0.25ms', { minMs: 0, maxMs: 10, isWholeMs: false }), 0.25);
  assert.is(parseDurationFlag('--timeout', '10m', { minMs: 1_000, maxMs: 600_000 }), 600_000);
});

flagValue('a bad value names the flag, the value and the accepted forms', () => {
  const message = usageMessage(() => parseDurationFlag('--timeout', 'soon', { minMs: 1_000, maxMs: 600_000 }));
  assert.match(message, /^--timeout "soon" is not a duration: expected .*500ms, 30s, 2m.*bare number of milliseconds, from 1s to 10m$/);
});

flagValue('a value out of range names the flag, the value and the range', () => {
  assert.is(
    usageMessage(() => parseDurationFlag('--interval', '50ms', { minMs: 100, maxMs: 60_000 })),
    '--interval "50ms" is out of range: expected from 100ms to 1m (a bare number is milliseconds)',
  );
  assert.match(
    usageMessage(() => parseDurationFlag('--timeout', '11m', { minMs: 1_000, maxMs: 600_000 })),
    /"11m" is out of range/,
  );
});

flagValue.run();

const flag = suite('durationFlag');

const flags = {
  timeout: durationFlag({ description: 'd', minMs: 1_000, maxMs: 600_000, defaultMs: 30_000 }),
  wait: durationFlag({ description: 'd', minMs: 0, maxMs: 60_000 }),
};

flag('parses units and bare ms through oclif, with the default in ms', async () => {
  assert.equal((await parse(['--timeout', '45s', '--wait', '250'], { flags })).flags, { timeout: 45_000, wait: 250 });
  assert.equal((await parse([], { flags })).flags, { timeout: 30_000 });
});

flag('a bad value fails the parse with the message naming the flag', async () => {
  try {
    await parse(['--timeout=2 minutes'], { flags });
    assert.unreachable('parsed "2 minutes"');
  } catch (error) {
    assert.match((error as Error).message, /--timeout "2 minutes" is not a duration/);
  }
});

flag('help shows the placeholder and the default as typed', () => {
  assert.is(flags.timeout.helpValue, '<duration>');
  assert.is(flags.timeout.type, 'option');
});

flag("send's --timeout and --lb-wait (send-flags.ts): units, bare ms, 0 for no wait, defaults in ms", async () => {
  const callTimingFlags = { timeout: sendFlags.timeout, 'lb-wait': sendFlags['lb-wait'] };
  assert.equal((await parse(['--timeout', '2s', '--lb-wait', '0'], { flags: callTimingFlags })).flags, { timeout: 2_000, 'lb-wait': 0 });
  assert.equal((await parse(['--lb-wait', '1m30s'], { flags: callTimingFlags })).flags, { timeout: 5_000, 'lb-wait': 90_000 });
  try {
    await parse(['--lb-wait', '11m'], { flags: callTimingFlags });
    assert.unreachable('parsed 11m');
  } catch (error) {
    assert.match((error as Error).message, /--lb-wait "11m" is out of range: expected from 0 to 10m/);
  }
});

flag.run();
