// TurnBatcher: what one event-loop turn queues goes out at its end, in bounded chunks; a discard forgets the queue.
import { setImmediate as nextTurn } from 'node:timers/promises';

import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { TurnBatcher } from '../../src/runtime/grpc/turn-batcher.js';

test('one turn: one delivery in chunks of at most the bound; the next turn is a delivery of its own', async () => {
  const deliveries: number[][][] = [];
  const batcher = new TurnBatcher<number>(1_000, (chunks) => deliveries.push(chunks));
  for (let entry = 0; entry < 2_500; entry += 1) batcher.push(entry);
  assert.is(batcher.size, 2_500);
  assert.is(deliveries.length, 0, 'nothing goes out within the turn');
  await nextTurn();
  assert.equal(
    deliveries[0]?.map((chunk) => chunk.length),
    [1_000, 1_000, 500],
  );
  assert.equal(
    deliveries[0]?.flat(),
    Array.from({ length: 2_500 }, (_, index) => index),
    'in order, each once',
  );
  batcher.push(7);
  await nextTurn();
  assert.equal(deliveries.slice(1), [[[7]]]);
  assert.is(batcher.size, 0);
});

test("two turns: what the next turn queues joins the first turn's delivery; nothing goes out before", async () => {
  const deliveries: number[][][] = [];
  const batcher = new TurnBatcher<number>(10, (chunks) => deliveries.push(chunks), 2);
  batcher.push(1);
  await nextTurn();
  assert.is(deliveries.length, 0, 'held over the first turn');
  batcher.push(2);
  await nextTurn();
  assert.equal(deliveries, [[[1, 2]]]);
  await nextTurn();
  await nextTurn();
  assert.is(deliveries.length, 1, 'one delivery');
});

test('discard and queue again while a delivery is on its way: each entry goes out once, nothing empty', async () => {
  const deliveries: number[][][] = [];
  const batcher = new TurnBatcher<number>(10, (chunks) => deliveries.push(chunks), 2);
  batcher.push(1);
  batcher.discard();
  batcher.push(2);
  for (let turn = 0; turn < 4; turn += 1) await nextTurn();
  assert.equal(deliveries, [[[2]]]);
});

test('discard: the queued entries never go out', async () => {
  const delivered: number[] = [];
  const batcher = new TurnBatcher<number>(10, (chunks) => delivered.push(...chunks.flat()));
  batcher.push(1);
  batcher.push(2);
  batcher.discard();
  batcher.push(3);
  await nextTurn();
  await nextTurn();
  assert.equal(delivered, [3]);
});

test.run();
