// HPACK against RFC 7541's own examples (Appendix C.4: Huffman strings and a dynamic table across three requests), the
// relay's never-indexing encoder, and the malformed blocks a hostile peer could send.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { decodeHuffman } from '../../src/runtime/h2/hpack-huffman.js';
import { encodeHeaderBlock, HpackDecoder, HpackError } from '../../src/runtime/h2/hpack.js';
import { formatGrpcTimeout } from '../../src/runtime/grpc/grpc-timeout.js';

const hex = (text: string): Buffer => Buffer.from(text.replace(/\s+/g, ''), 'hex');
const LIMIT_BYTES = 64 * 1024;

const throwsHpack = (block: Buffer, pattern: RegExp, decoder = new HpackDecoder(), limitBytes = LIMIT_BYTES): void => {
  try {
    decoder.decode(block, limitBytes);
  } catch (error) {
    assert.instance(error, HpackError);
    assert.match((error as Error).message, pattern);
    return;
  }
  assert.unreachable(`decoded ${block.toString('hex')}: expected an HpackError`);
};

const rfc = suite('HPACK decoding: RFC 7541 Appendix C.4 (requests with Huffman coding)');

rfc('three requests on one connection decode as the RFC lists them, the later ones through the dynamic table', () => {
  const decoder = new HpackDecoder();
  assert.equal(decoder.decode(hex('8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff'), LIMIT_BYTES), [
    ':method',
    'GET',
    ':scheme',
    'http',
    ':path',
    '/',
    ':authority',
    'www.example.com',
  ]);
  assert.equal(decoder.decode(hex('8286 84be 5886 a8eb 1064 9cbf'), LIMIT_BYTES), [
    ':method',
    'GET',
    ':scheme',
    'http',
    ':path',
    '/',
    ':authority',
    'www.example.com',
    'cache-control',
    'no-cache',
  ]);
  assert.equal(decoder.decode(hex('8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf'), LIMIT_BYTES), [
    ':method',
    'GET',
    ':scheme',
    'https',
    ':path',
    '/index.html',
    ':authority',
    'www.example.com',
    'custom-key',
    'custom-value',
  ]);
});

rfc('Huffman strings: the RFC examples, and padding that is not all ones or longer than 7 bits is refused', () => {
  const www = hex('f1e3 c2e5 f23a 6ba0 ab90 f4ff');
  assert.is(decodeHuffman(www, 0, www.length), 'www.example.com');
  const noCache = hex('a8eb 1064 9cbf');
  assert.is(decodeHuffman(noCache, 0, noCache.length), 'no-cache');
  // 'a' is 00011 (5 bits): 00011 + 000 pads with zeros.
  assert.is(decodeHuffman(hex('18'), 0, 1), undefined);
  // A whole byte of ones after a symbol is 8 bits of padding.
  assert.is(decodeHuffman(hex('1fff'), 0, 2), undefined);
  // The EOS symbol (30 ones) inside a string.
  assert.is(decodeHuffman(hex('ffff fffc'), 0, 4), undefined);
});

rfc.run();

const encode = suite('HPACK encoding for the relay: self-contained blocks');

encode('what is encoded decodes to the same list, on a fresh decoder and on one that has seen other blocks', () => {
  const list = [
    ':method',
    'POST',
    ':scheme',
    'http',
    ':path',
    '/lbx.v1.Backend/ProcessTask',
    ':authority',
    '127.0.0.1:7001',
    'content-type',
    'application/grpc',
    'te',
    'trailers',
    'x-bytes',
    'caf\u00e9 \u00ff',
  ];
  const block = encodeHeaderBlock(list);
  assert.equal(new HpackDecoder().decode(block, LIMIT_BYTES), list);
  const seasoned = new HpackDecoder();
  seasoned.decode(hex('8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff'), LIMIT_BYTES);
  assert.equal(seasoned.decode(block, LIMIT_BYTES), list);
});

encode('exact static entries take one byte; known names are referenced; nothing is indexed', () => {
  assert.equal([...encodeHeaderBlock([':method', 'POST', ':status', '200'])], [0x83, 0x88]);
  const block = encodeHeaderBlock(['content-type', 'application/grpc']);
  // Literal without indexing (0000), name index 31 (15 + 16 in the continuation byte), raw value.
  assert.equal([...block.subarray(0, 3)], [0x0f, 0x10, 16]);
  assert.is(block.subarray(3).toString('latin1'), 'application/grpc');
  const decoder = new HpackDecoder();
  decoder.decode(encodeHeaderBlock(['x-new', 'value']), LIMIT_BYTES);
  // Index 62 would be the first dynamic entry: there is none.
  throwsHpack(hex('be'), /index 62/, decoder);
});

encode.run();

const hostile = suite('HPACK decoding: malformed and hostile blocks');

hostile('an index past both tables, a table larger than allowed, a truncated string or integer', () => {
  throwsHpack(hex('ff00'), /index 127/);
  assert.equal(new HpackDecoder().decode(hex('3fe1 1f'), LIMIT_BYTES), []);
  throwsHpack(hex('3fe2 1f'), /4097 bytes, above the 4096 allowed/);
  throwsHpack(hex('0085 6162'), /past the end/);
  throwsHpack(hex('1f'), /ends inside an integer/);
  throwsHpack(hex('1fff ffff ffff ff'), /too large|ends inside/);
  // Continuation bytes that add nothing, on and on: refused before 2 ** shift reaches Infinity (NaN would pass every check).
  throwsHpack(Buffer.concat([hex('3f'), Buffer.alloc(150, 0x80), hex('00')]), /too large/);
  // A size update after a header field.
  throwsHpack(hex('8220'), /size update after a header field/);
});

hostile('a header list above the limit is refused, counted as the RFC counts entries (+32 each)', () => {
  const block = encodeHeaderBlock(['x-big', 'v'.repeat(1_000)]);
  assert.equal(new HpackDecoder().decode(block, 1_037).length, 2);
  throwsHpack(block, /larger than 1036 bytes/, new HpackDecoder(), 1_036);
});

hostile('a dynamic table shrunk by a size update evicts, and an evicted entry cannot be referenced', () => {
  const decoder = new HpackDecoder();
  decoder.decode(hex('8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff'), LIMIT_BYTES);
  assert.equal(decoder.decode(hex('be'), LIMIT_BYTES), [':authority', 'www.example.com']);
  // Size update to 0 (001 00000), then index 62.
  throwsHpack(hex('20be'), /index 62/, decoder);
});

hostile.run();

const timeouts = suite('grpc-timeout as the proxies forward it');

timeouts('milliseconds while they fit 8 digits, then the finest unit that does; never 0', () => {
  assert.is(formatGrpcTimeout(1_500), '1500m');
  assert.is(formatGrpcTimeout(0.2), '1m');
  assert.is(formatGrpcTimeout(-5), '1m');
  assert.is(formatGrpcTimeout(99_999_999), '99999999m');
  assert.is(formatGrpcTimeout(100_000_000), '100000S');
  assert.is(formatGrpcTimeout(99_999_999 * 3_600_000), '99999999H');
});

timeouts.run();
