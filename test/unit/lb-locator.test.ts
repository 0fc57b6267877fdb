// Finding the LB again during a send: follow the registry when it names another LB, keep the address when it names none or is down.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { LbLocator, RELOCATE_INTERVAL_MS } from '../../src/runtime/client/lb-locator.js';
import { createConsulRegistryClient } from '../../src/runtime/registry/consul-registry-client.js';
import { LB_SERVICE } from '../../src/runtime/registry/service-names.js';
import { freePort, startTestRegistry, TEST_REGISTRY_TOKEN } from '../helpers/registry-kit.js';

const test = suite('LbLocator');

/** Waits out the locator's throttle, so the next relocate() really asks the registry. */
const afterInterval = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, RELOCATE_INTERVAL_MS + 10));

test('moves to the passing LB the registry names; stays put when none passes or ours is among them', async () => {
  const { registry } = await startTestRegistry();
  const client = createConsulRegistryClient({ address: registry.address, token: TEST_REGISTRY_TOKEN });
  const moves: string[] = [];
  const locator = new LbLocator('127.0.0.1:21100', { kind: 'embedded', address: registry.address, cluster: 'default' }, (address) => moves.push(address));
  try {
    await locator.relocate();
    assert.equal([locator.address, moves], ['127.0.0.1:21100', []], 'no LB passing (it is restarting): keep the address');

    await client.register({ id: 'lb-a', service: LB_SERVICE, address: '127.0.0.1', port: 21200, meta: {} }, { kind: 'ttl', ttlMs: 30_000 });
    await client.passTtl('lb-a');
    await afterInterval();
    await locator.relocate();
    assert.equal([locator.address, moves], ['127.0.0.1:21200', ['127.0.0.1:21200']]);

    await client.register({ id: 'lb-b', service: LB_SERVICE, address: '127.0.0.1', port: 21100, meta: {} }, { kind: 'ttl', ttlMs: 30_000 });
    await client.passTtl('lb-b');
    await afterInterval();
    await locator.relocate();
    assert.equal(moves, ['127.0.0.1:21200'], 'the current LB still passes: no move, even though another sorts first');
  } finally {
    locator.close();
    client.close();
    await registry.close();
  }
});

test('a registry that is down too leaves the last known address; lookups are throttled', async () => {
  const port = await freePort();
  const moves: string[] = [];
  const locator = new LbLocator('127.0.0.1:21100', { kind: 'embedded', address: `127.0.0.1:${port}`, cluster: 'default' }, (address) => moves.push(address));
  try {
    await locator.relocate();
    assert.is(locator.address, '127.0.0.1:21100');
    const { registry } = await startTestRegistry(port);
    const client = createConsulRegistryClient({ address: registry.address, token: TEST_REGISTRY_TOKEN });
    try {
      await client.register({ id: 'lb-c', service: LB_SERVICE, address: '127.0.0.1', port: 21300, meta: {} }, { kind: 'ttl', ttlMs: 30_000 });
      await client.passTtl('lb-c');
      await locator.relocate();
      assert.equal(moves, [], 'within the interval of the last lookup nothing is asked');
      await afterInterval();
      await locator.relocate();
      assert.equal(moves, ['127.0.0.1:21300']);
    } finally {
      client.close();
      await registry.close();
    }
  } finally {
    locator.close();
  }
});

test('without a registry the locator never moves', async () => {
  const locator = new LbLocator('127.0.0.1:21100', undefined, () => assert.unreachable('moved'));
  await locator.relocate();
  assert.is(locator.address, '127.0.0.1:21100');
  locator.close();
});

test.run();
