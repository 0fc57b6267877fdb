// murmur3: published MurmurHash3 x86_32 test vectors, and UTF-8 encoding that agrees with TextEncoder.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { murmur3 } from '../../src/core/hash/murmur3.js';

const test = suite('murmur3');

// [input, seed, expected]: the widely reproduced vectors for the reference C implementation (SMHasher).
const VECTORS: ReadonlyArray<readonly [string, number, number]> = [
  ['', 0, 0],
  ['', 1, 0x514e28b7],
  ['', 0xffffffff, 0x81f16f39],
  ['\0\0\0\0', 0, 0x2362f9de],
  ['a', 0x9747b28c, 0x7fa09ea6],
  ['ab', 0x9747b28c, 0x74875592],
  ['abc', 0x9747b28c, 0xc84a62dd],
  ['abcd', 0x9747b28c, 0xf0478627],
  ['aaaa', 0x9747b28c, 0x5a97808a],
  ['hello', 0, 0x248bfa47],
  ['Hello, world!', 0x9747b28c, 0x24884cba],
  ['Hello, world!', 1234, 0xfaf6cdb3],
  ['ππππππππ', 0x9747b28c, 0xd58063c1], // two-byte UTF-8
  ['The quick brown fox jumps over the lazy dog', 0, 0x2e4ff723],
  ['The quick brown fox jumps over the lazy dog', 0x9747b28c, 0x2fa826cd],
];

test('matches the published test vectors', () => {
  for (const [input, seed, expected] of VECTORS) {
    assert.is(murmur3(input, seed), expected, `${JSON.stringify(input)} seed 0x${seed.toString(16)}`);
  }
});

test('the seed defaults to 0 and the result is an unsigned 32-bit integer', () => {
  assert.is(murmur3('hello'), 0x248bfa47);
  for (let index = 0; index < 1_000; index += 1) {
    const hash = murmur3(`key-${index}`);
    assert.ok(Number.isInteger(hash) && hash >= 0 && hash <= 0xffffffff, `key-${index} → ${hash}`);
  }
});

// A byte-array reference (the textbook loop over TextEncoder's output) to check the on-the-fly UTF-8.
function murmur3OfBytes(bytes: Uint8Array, seed: number): number {
  const scramble = (k: number) => {
    const multiplied = Math.imul(k, 0xcc9e2d51);
    return Math.imul((multiplied << 15) | (multiplied >>> 17), 0x1b873593);
  };
  let hash = seed | 0;
  const blocks = bytes.length >> 2;
  for (let block = 0; block < blocks; block += 1) {
    const at = block * 4;
    const k = (bytes[at] ?? 0) | ((bytes[at + 1] ?? 0) << 8) | ((bytes[at + 2] ?? 0) << 16) | ((bytes[at + 3] ?? 0) << 24);
    hash ^= scramble(k);
    hash = (hash << 13) | (hash >>> 19);
    hash = (Math.imul(hash, 5) + 0xe6546b64) | 0;
  }
  let tail = 0;
  for (let at = bytes.length - 1; at >= blocks * 4; at -= 1) tail = (tail << 8) | (bytes[at] ?? 0);
  if (bytes.length % 4 !== 0) hash ^= scramble(tail);
  hash ^= bytes.length;
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}

test('hashes the same bytes TextEncoder produces, for 1- to 4-byte characters and lone surrogates', () => {
  const encoder = new TextEncoder();
  const samples = ['', 'a', 'é', 'ü-42', '€', '日本語のキー', '😀', 'a😀b', 'user-😀-7', '\ud800', 'x\udc00y', '\ud83d', 'end\ud83d'];
  for (let length = 0; length < 12; length += 1) samples.push('é€😀a'.repeat(length), 'k'.repeat(length));
  for (const sample of samples) {
    for (const seed of [0, 1, 0x9747b28c]) {
      assert.is(murmur3(sample, seed), murmur3OfBytes(encoder.encode(sample), seed), `${JSON.stringify(sample)} seed ${seed}`);
    }
  }
});

test.run();
