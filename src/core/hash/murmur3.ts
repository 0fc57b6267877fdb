// MurmurHash3 (x86, 32-bit) over a string's UTF-8 bytes: the hash that places keys and virtual nodes on the ring.
//
// The UTF-8 bytes are produced on the fly rather than with TextEncoder, so hashing a key on
// every pick allocates nothing. Lone surrogates encode as U+FFFD, as TextEncoder does.

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

/** The 32-bit MurmurHash3 of `text`'s UTF-8 encoding, as an unsigned integer. */
export function murmur3(text: string, seed = 0): number {
  let hash = seed | 0;
  let block = 0; // bytes gathered little-endian into the next 4-byte block
  let blockBytes = 0;
  let byteCount = 0;
  for (let index = 0; index < text.length; index += 1) {
    let codePoint = text.charCodeAt(index);
    if (codePoint >= 0xd800 && codePoint <= 0xdfff) {
      const low = text.charCodeAt(index + 1); // NaN past the end, which fails the test below
      if (codePoint <= 0xdbff && low >= 0xdc00 && low <= 0xdfff) {
        codePoint = 0x10000 + ((codePoint - 0xd800) << 10) + (low - 0xdc00);
        index += 1;
      } else {
        codePoint = 0xfffd;
      }
    }
    // The code point's UTF-8 bytes, packed first-byte-lowest, and how many there are.
    let packed: number;
    let count: number;
    if (codePoint < 0x80) {
      packed = codePoint;
      count = 1;
    } else if (codePoint < 0x800) {
      packed = 0xc0 | (codePoint >> 6) | ((0x80 | (codePoint & 0x3f)) << 8);
      count = 2;
    } else if (codePoint < 0x10000) {
      packed = 0xe0 | (codePoint >> 12) | ((0x80 | ((codePoint >> 6) & 0x3f)) << 8) | ((0x80 | (codePoint & 0x3f)) << 16);
      count = 3;
    } else {
      packed = 0xf0 | (codePoint >> 18) | ((0x80 | ((codePoint >> 12) & 0x3f)) << 8) | ((0x80 | ((codePoint >> 6) & 0x3f)) << 16) | ((0x80 | (codePoint & 0x3f)) << 24);
      count = 4;
    }
    for (let byte = 0; byte < count; byte += 1) {
      block |= ((packed >>> (8 * byte)) & 0xff) << (8 * blockBytes);
      blockBytes += 1;
      if (blockBytes === 4) {
        hash ^= scrambleBlock(block);
        hash = (hash << 13) | (hash >>> 19);
        hash = (Math.imul(hash, 5) + 0xe6546b64) | 0;
        block = 0;
        blockBytes = 0;
      }
    }
    byteCount += count;
  }
  if (blockBytes > 0) hash ^= scrambleBlock(block); // the tail is scrambled but not mixed
  hash ^= byteCount;
  // Final avalanche (fmix32).
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}

function scrambleBlock(block: number): number {
  let k = Math.imul(block, C1);
  k = (k << 15) | (k >>> 17);
  return Math.imul(k, C2);
}
