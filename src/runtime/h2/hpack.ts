// HPACK (RFC 7541) for the relay: a full decoder (dynamic table, Huffman) and an encoder that never indexes.
//
// The relay tells every peer SETTINGS_HEADER_TABLE_SIZE = 0, so once they have seen it their
// blocks refer to no dynamic state; a peer's first blocks may still use its default 4,096-byte
// table, which is why decoding keeps one. What the relay sends is literals and static-table
// references only: each block stands alone, so it can go to any connection and costs no state.
import { decodeHuffman } from './hpack-huffman.js';
import { STATIC_TABLE } from './hpack-static-table.js';

/** A header list as [name, value, name, value, …] (latin1 strings: one char per octet, as on the wire). */
export type HeaderList = string[];

/** The first value of `name`, or undefined. */
export function headerValue(headers: HeaderList, name: string): string | undefined {
  for (let i = 0; i < headers.length; i += 2) if (headers[i] === name) return headers[i + 1];
  return undefined;
}

/** Entry overhead in the table size (section 4.1). */
const ENTRY_OVERHEAD_BYTES = 32;
/** Integers this large are an attack, not a header (the prefix continuation could run on). */
const MAX_INTEGER = 2 ** 28;
const MAX_INTEGER_SHIFT = 28;

export class HpackError extends Error {}

const STATIC_EXACT = new Map<string, number>();
const STATIC_NAMES = new Map<string, number>();
STATIC_TABLE.forEach(([name, value], i) => {
  if (value !== '') STATIC_EXACT.set(`${name}\0${value}`, i + 1);
  if (!STATIC_NAMES.has(name)) STATIC_NAMES.set(name, i + 1);
});

export class HpackDecoder {
  /** Newest first, as [name, value]. */
  private readonly table: [string, string][] = [];
  private tableBytes = 0;
  private maxTableBytes: number;
  private pos = 0;

  /** `limitBytes`: the largest table the peer may ask for (our SETTINGS_HEADER_TABLE_SIZE before it took effect). */
  constructor(private readonly limitBytes = 4096) {
    this.maxTableBytes = limitBytes;
  }

  /** Decodes one complete header block; throws HpackError when it is malformed or its list exceeds `maxListBytes`. */
  decode(block: Buffer, maxListBytes: number): HeaderList {
    const list: HeaderList = [];
    let listBytes = 0;
    this.pos = 0;
    while (this.pos < block.length) {
      const first = block[this.pos] as number;
      let name: string;
      let value: string;
      if (first & 0x80) {
        [name, value] = this.entry(this.readInteger(block, 7));
      } else if ((first & 0xe0) === 0x20) {
        // Size updates belong at the start of a block (RFC 7541, section 4.2).
        if (list.length > 0) throw new HpackError('dynamic table size update after a header field');
        this.resizeTable(this.readInteger(block, 5));
        continue;
      } else {
        const isIndexed = (first & 0xc0) === 0x40;
        const index = this.readInteger(block, isIndexed ? 6 : 4);
        name = index === 0 ? this.readString(block) : this.entry(index)[0];
        value = this.readString(block);
        if (isIndexed) this.insert(name, value);
      }
      listBytes += name.length + value.length + ENTRY_OVERHEAD_BYTES;
      if (listBytes > maxListBytes) throw new HpackError(`header list larger than ${maxListBytes} bytes`);
      list.push(name, value);
    }
    return list;
  }

  private entry(index: number): readonly [string, string] {
    if (index >= 1 && index <= STATIC_TABLE.length) return STATIC_TABLE[index - 1] as readonly [string, string];
    const entry = this.table[index - STATIC_TABLE.length - 1];
    if (entry === undefined) throw new HpackError(`header index ${index} is in neither the static nor the dynamic table`);
    return entry;
  }

  private insert(name: string, value: string): void {
    const bytes = name.length + value.length + ENTRY_OVERHEAD_BYTES;
    this.table.unshift([name, value]);
    this.tableBytes += bytes;
    this.evict();
  }

  private resizeTable(bytes: number): void {
    if (bytes > this.limitBytes) throw new HpackError(`dynamic table size update to ${bytes} bytes, above the ${this.limitBytes} allowed`);
    this.maxTableBytes = bytes;
    this.evict();
  }

  private evict(): void {
    while (this.tableBytes > this.maxTableBytes) {
      const [name, value] = this.table.pop() as [string, string];
      this.tableBytes -= name.length + value.length + ENTRY_OVERHEAD_BYTES;
    }
  }

  /** An integer with an N-bit prefix (section 5.1), from this.pos. */
  private readInteger(block: Buffer, prefixBits: number): number {
    const mask = (1 << prefixBits) - 1;
    let value = (block[this.pos++] as number) & mask;
    if (value < mask) return value;
    let shift = 0;
    for (;;) {
      const byte = block[this.pos++];
      if (byte === undefined) throw new HpackError('header block ends inside an integer');
      value += (byte & 0x7f) * 2 ** shift;
      if (value > MAX_INTEGER) throw new HpackError('integer in header block too large');
      if ((byte & 0x80) === 0) return value;
      shift += 7;
      // Continuation bytes of 0x80 add nothing; past 2^28 they can only be an attack (and 2 ** shift would reach Infinity).
      if (shift > MAX_INTEGER_SHIFT) throw new HpackError('integer in header block too large');
    }
  }

  /** A string literal (section 5.2), raw or Huffman-coded, as latin1. */
  private readString(block: Buffer): string {
    if (this.pos >= block.length) throw new HpackError('header block ends before a string');
    const isHuffman = ((block[this.pos] as number) & 0x80) !== 0;
    const length = this.readInteger(block, 7);
    const start = this.pos;
    if (start + length > block.length) throw new HpackError('string runs past the end of the header block');
    this.pos += length;
    if (!isHuffman) return block.toString('latin1', start, start + length);
    const decoded = decodeHuffman(block, start, length);
    if (decoded === undefined) throw new HpackError('invalid Huffman code in a header string');
    return decoded;
  }
}

/** Encodes a header list as a self-contained block: static-table references and literals without indexing, no Huffman. */
export function encodeHeaderBlock(list: HeaderList): Buffer {
  let bound = 0;
  for (const text of list) bound += text.length + 6;
  const out = Buffer.allocUnsafe(bound);
  let pos = 0;
  for (let i = 0; i < list.length; i += 2) {
    const name = list[i] as string;
    const value = list[i + 1] as string;
    const exact = STATIC_EXACT.get(`${name}\0${value}`);
    if (exact !== undefined) {
      pos = writeInteger(out, pos, 0x80, 7, exact);
      continue;
    }
    const nameIndex = STATIC_NAMES.get(name);
    if (nameIndex !== undefined) pos = writeInteger(out, pos, 0x00, 4, nameIndex);
    else {
      out[pos++] = 0x00;
      pos = writeString(out, pos, name);
    }
    pos = writeString(out, pos, value);
  }
  return out.subarray(0, pos);
}

function writeInteger(out: Buffer, pos: number, pattern: number, prefixBits: number, value: number): number {
  const mask = (1 << prefixBits) - 1;
  if (value < mask) {
    out[pos++] = pattern | value;
    return pos;
  }
  out[pos++] = pattern | mask;
  let rest = value - mask;
  while (rest >= 0x80) {
    out[pos++] = (rest & 0x7f) | 0x80;
    rest = Math.floor(rest / 0x80);
  }
  out[pos++] = rest;
  return pos;
}

function writeString(out: Buffer, pos: number, text: string): number {
  pos = writeInteger(out, pos, 0x00, 7, text.length);
  return pos + out.write(text, pos, 'latin1');
}
