import net from 'node:net';

import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { dialOnce } from '../../src/runtime/lb/admission-probe.js';

test('an address where something listens is admitted', async () => {
  const server = net.createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  try {
    assert.is(await dialOnce(`127.0.0.1:${port}`), undefined);
  } finally {
    server.close();
  }
});

test('an address where nothing listens is refused, with the reason', async () => {
  // A port just released by a listener is free: nothing accepts there.
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  assert.is(await dialOnce(`127.0.0.1:${port}`), 'ECONNREFUSED');
});

test.run();
