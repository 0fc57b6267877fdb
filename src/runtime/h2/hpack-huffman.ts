// HPACK's Huffman code (RFC 7541, Appendix B): a table-driven decoder that reads four bits at a step, as nghttp2's does.
//
// The code is canonical (codes of one length are consecutive, in symbol order), so the 257 code
// lengths are all it takes to rebuild it: one letter per symbol, 'a' = 5 bits … 'z' = 30 bits.
const CODE_LENGTHS =
  'isxxxxxxxtzxxzxxxxxxxxzxxxxxxxxxbffhibdgffdgdbbbaaabbbbbbbcdkbhfibccccccccccccccccccccccdcdioijbkabababbbaccbbbabcbaabccccckgjixprpprrrsrssssststtrstssssqrsrsstrqprrssqsrrtqrssqqrqsrssprrrsrrsvvporsruvvvwwvtuoqvwwvwtqqvvxwwwptpqrqqsrruuttvsvwvvwwwwwxwwwwwvz';
const EOS_SYMBOL = 256;
const NIBBLE_BITS = 4;
/** Padding at the end of a Huffman string is at most 7 bits, all ones (section 5.2). */
const MAX_PADDING_BITS = 7;

/** Per state (an inner node of the code tree) and nibble: the next state, and the symbol decoded on the way (or NO_SYMBOL). */
const NO_SYMBOL = -1;
const FAILED = -2;

interface DecodeTable {
  readonly nextState: Int32Array;
  readonly symbol: Int32Array;
  /** States where the string may end: reached from the root by at most 7 one-bits. */
  readonly isPaddingState: Uint8Array;
}

/**
 * Built at the first Huffman string, not at load: the build's loop is hot enough for V8 to compile it with TurboFan,
 * which touches some 3.5 MB of the node binary's compiler pages in every process that loads this module (an idle
 * backend's RSS, issue 16) and costs about 20 ms of start-up CPU.
 */
let table: DecodeTable | undefined;
/** Output scratch space: a Huffman string decodes to at most 8/5 of its length. */
let scratch = Buffer.allocUnsafe(4096);

/** Decodes `length` Huffman-coded bytes at `start` into a latin1 string (one char per octet); undefined when they are not a valid code. */
export function decodeHuffman(input: Buffer, start: number, length: number): string | undefined {
  const needed = Math.ceil((length * 8) / 5);
  if (scratch.length < needed) scratch = Buffer.allocUnsafe(needed * 2);
  const { nextState, symbol, isPaddingState } = (table ??= buildDecodeTable());
  let state = 0;
  let written = 0;
  for (let i = start, end = start + length; i < end; i++) {
    const byte = input[i] as number;
    let at = state * 16 + (byte >> 4);
    let decoded = symbol[at] as number;
    if (decoded === FAILED) return undefined;
    if (decoded !== NO_SYMBOL) scratch[written++] = decoded;
    at = (nextState[at] as number) * 16 + (byte & 0x0f);
    decoded = symbol[at] as number;
    if (decoded === FAILED) return undefined;
    if (decoded !== NO_SYMBOL) scratch[written++] = decoded;
    state = nextState[at] as number;
  }
  return isPaddingState[state] === 1 ? scratch.toString('latin1', 0, written) : undefined;
}

function buildDecodeTable(): DecodeTable {
  // The tree: node 0 is the root; children[2n + bit] is a node id, or -(symbol + 1) for a leaf.
  const children: number[] = [0, 0];
  const depthOf: number[] = [0];
  const isAllOnes: boolean[] = [true];
  let code = 0;
  let previousLength = 0;
  const order = [...CODE_LENGTHS].map((letter, symbol) => ({ symbol, length: letter.charCodeAt(0) - 92 })).sort((a, b) => a.length - b.length || a.symbol - b.symbol);
  order.forEach(({ symbol, length }, n) => {
    if (n > 0) code = (code + 1) << (length - previousLength);
    previousLength = length;
    let node = 0;
    for (let bit = length - 1; bit > 0; bit--) {
      const slot = node * 2 + ((code >> bit) & 1);
      if (children[slot] === 0) {
        children[slot] = depthOf.length;
        children.push(0, 0);
        depthOf.push(length - bit);
        isAllOnes.push((isAllOnes[node] as boolean) && ((code >> bit) & 1) === 1);
      }
      node = children[slot] as number;
    }
    children[node * 2 + (code & 1)] = -(symbol + 1);
  });
  const states = depthOf.length;
  const nextState = new Int32Array(states * 16);
  const symbolOut = new Int32Array(states * 16).fill(NO_SYMBOL);
  const isPaddingState = new Uint8Array(states);
  for (let state = 0; state < states; state++) {
    isPaddingState[state] = isAllOnes[state] === true && (depthOf[state] as number) <= MAX_PADDING_BITS ? 1 : 0;
    for (let nibble = 0; nibble < 16; nibble++) {
      let node = state;
      for (let bit = NIBBLE_BITS - 1; bit >= 0; bit--) {
        const child = children[node * 2 + ((nibble >> bit) & 1)] as number;
        if (child >= 0) {
          node = child;
          continue;
        }
        const decoded = -child - 1;
        symbolOut[state * 16 + nibble] = decoded === EOS_SYMBOL ? FAILED : decoded;
        node = 0;
      }
      nextState[state * 16 + nibble] = node;
    }
  }
  return { nextState, symbol: symbolOut, isPaddingState };
}
