// The retry budget: retries in flight at most a share of the requests in flight, with a floor of 3 (Envoy's).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { DEFAULT_MIN_RETRY_CONCURRENCY, RetryBudget } from '../../src/core/retry-budget.js';

const budget = suite('retry budget');

budget('the floor: three retries at once whatever the load, the fourth refused until one finishes', () => {
  const retries = new RetryBudget(0);
  assert.is(DEFAULT_MIN_RETRY_CONCURRENCY, 3);
  assert.ok(retries.tryStart(1) && retries.tryStart(1) && retries.tryStart(1));
  assert.is(retries.tryStart(100), false);
  assert.is(retries.refused, 1);
  retries.finish();
  assert.ok(retries.tryStart(1));
  assert.is(retries.retriesInFlight, 3);
});

budget('the share: 20 % of 50 requests in flight allows 10 retries at once', () => {
  const retries = new RetryBudget(0.2);
  assert.is(retries.limit(50), 10);
  for (let index = 0; index < 10; index += 1) assert.ok(retries.tryStart(50), `retry ${index + 1}`);
  assert.is(retries.tryStart(50), false);
  assert.is(retries.limit(5), 3, 'the floor when the share is smaller');
});

budget('finish never goes below zero', () => {
  const retries = new RetryBudget(0.5);
  retries.finish();
  assert.is(retries.retriesInFlight, 0);
});

budget.run();
