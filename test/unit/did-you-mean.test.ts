// Suggestions for a mistyped command: edit distance with swaps, and how close is close enough.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { closestNames, editDistance } from '../../src/core/did-you-mean.js';

const COMMANDS = [
  'add',
  'bench',
  'chaos',
  'down',
  'help',
  'kill',
  'logs',
  'policy',
  'report',
  'ring',
  'rm',
  'scale',
  'send',
  'start',
  'status',
  'top',
  'up',
  'version',
  'ps',
  'serve lb',
];

const test = suite('did you mean');

test('edit distance counts a swap of neighbours as one edit', () => {
  assert.is(editDistance('sned', 'send'), 1);
  assert.is(editDistance('send', 'send'), 0);
  assert.is(editDistance('', 'abc'), 3);
  assert.is(editDistance('kitten', 'sitting'), 3);
  assert.is(editDistance('stauts', 'status'), 1);
});

test('typos find their command, best first', () => {
  assert.equal(closestNames('sned', COMMANDS), ['send']);
  assert.equal(closestNames('stauts', COMMANDS)[0], 'status');
  assert.equal(closestNames('reprot', COMMANDS), ['report']);
  assert.equal(closestNames('serve lbb', COMMANDS), ['serve lb']);
  assert.equal(closestNames('stat', COMMANDS)[0], 'status', 'a prefix counts');
});

test('nothing close, nothing suggested', () => {
  assert.equal(closestNames('deploy', COMMANDS), []);
  assert.equal(closestNames('', COMMANDS), []);
  assert.equal(closestNames('xyzzy', COMMANDS), []);
});

test.run();
