// host:port with IPv6 brackets where needed, and the host back out of one.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { formatHostPort, hostOf } from '../../src/core/host-port.js';

const test = suite('host:port');

test('IPv6 addresses go in brackets; names and IPv4 do not; brackets are not doubled', () => {
  assert.is(formatHostPort('::1', 7001), '[::1]:7001');
  assert.is(formatHostPort('fd00::2', '7100'), '[fd00::2]:7100');
  assert.is(formatHostPort('[::1]', 7001), '[::1]:7001');
  assert.is(formatHostPort('127.0.0.1', 7001), '127.0.0.1:7001');
  assert.is(formatHostPort('localhost', 7001), 'localhost:7001');
});

test('hostOf takes the host back out', () => {
  assert.is(hostOf('[::1]:7001'), '::1');
  assert.is(hostOf('127.0.0.1:7001'), '127.0.0.1');
  assert.is(hostOf('::1'), '::1');
  assert.is(hostOf('localhost'), 'localhost');
});

test.run();
