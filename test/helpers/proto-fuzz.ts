// Seeded hostile protobuf input for fuzz tests: a raw wire encoder (so values the typed encoders refuse still go out) and value pools.
//
// Messages are described by shape (field number and kind), not by the generated types: a
// uint32 field can then carry -1 as a 10-byte varint, a known field can arrive with the
// wrong wire type, and unknown fields can be mixed in, as a hostile client would send them.

export type ScalarKind = 'string' | 'varint' | 'enum' | 'bool' | 'double';

export interface FieldShape {
  readonly no: number;
  readonly kind: ScalarKind | MessageShape;
  readonly repeated?: boolean;
  /** Values to draw from besides the generic pools, e.g. addresses for an address field. */
  readonly hints?: readonly string[];
  /** Draw strings from `hints` (and the huge string) only: for fields where a generic value could do real harm. */
  readonly onlyHints?: boolean;
}

export type MessageShape = readonly FieldShape[];

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LENGTH = 2;
const WIRE_FIXED32 = 5;

const HUGE_STRING_BYTES = 1024 * 1024;

// ---------------------------------------------------------------- wire encoding

export function encodeVarint(value: bigint): Buffer {
  let rest = BigInt.asUintN(64, value);
  const bytes: number[] = [];
  do {
    let byte = Number(rest & 0x7fn);
    rest >>= 7n;
    if (rest > 0n) byte |= 0x80;
    bytes.push(byte);
  } while (rest > 0n);
  return Buffer.from(bytes);
}

const tag = (no: number, wireType: number): Buffer => encodeVarint((BigInt(no) << 3n) | BigInt(wireType));

const lengthDelimited = (no: number, payload: Buffer): Buffer => Buffer.concat([tag(no, WIRE_LENGTH), encodeVarint(BigInt(payload.length)), payload]);

/** A string (or bytes, or embedded message) field, encoded as it would be on the wire. */
export const encodeStringField = (no: number, value: string | Buffer): Buffer => lengthDelimited(no, Buffer.isBuffer(value) ? value : Buffer.from(value));
/** A varint field (int32, uint32, uint64, bool, enum), any 64-bit value. */
export const encodeVarintField = (no: number, value: bigint): Buffer => Buffer.concat([tag(no, WIRE_VARINT), encodeVarint(value)]);
/** A double field. */
export const encodeDoubleField = (no: number, value: number): Buffer => fixed64Double(no, value);

function fixed64Double(no: number, value: number): Buffer {
  const payload = Buffer.alloc(8);
  payload.writeDoubleLE(value);
  return Buffer.concat([tag(no, WIRE_FIXED64), payload]);
}

// ---------------------------------------------------------------- the fuzzer

const VARINTS: readonly bigint[] = [
  0n,
  1n,
  2n,
  3n,
  99n,
  -1n,
  -2n,
  2n ** 31n - 1n,
  2n ** 31n,
  -(2n ** 31n),
  2n ** 32n - 1n,
  2n ** 32n,
  2n ** 53n,
  2n ** 53n + 1n,
  2n ** 63n - 1n,
  2n ** 64n - 1n,
];
const DOUBLES: readonly number[] = [
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  -0,
  0,
  -1,
  0.5,
  1,
  0.01,
  0.0099,
  100,
  100.5,
  1000,
  1000.0001,
  5e-324,
  1e-300,
  1e308,
  Number.MAX_VALUE,
  -Number.MAX_VALUE,
  Number.MAX_SAFE_INTEGER + 2,
];
/** Task types: the two valid ones, UNSPECIFIED, and unknown ones. */
const ENUMS: readonly bigint[] = [0n, 1n, 2n, 3n, 99n, -1n, 2n ** 31n - 1n];
const STRINGS: readonly string[] = [
  '',
  ' ',
  'a',
  'rr',
  'SIGKILL',
  'SIGTERM',
  'SIGSTOP',
  'SIGKILL\u0000',
  'lb',
  'registry',
  'backend-',
  'backend-0',
  'backend-99999',
  '..',
  '../../../etc/passwd',
  '%s%s%n',
  '${process.exit()}',
  '\u202e',
  '\u0000\u0000',
  'line\nbreak',
  'é',
  '😀',
  '\ud800',
  'a'.repeat(128),
  'a'.repeat(129),
  'k'.repeat(256),
  'k'.repeat(257),
  'x'.repeat(4096),
];
const ADDRESSES: readonly string[] = [
  '',
  ':',
  ':0',
  '127.0.0.1',
  '127.0.0.1:',
  '127.0.0.1:0',
  '127.0.0.1:65536',
  '127.0.0.1:99999',
  '127.0.0.1:-1',
  '127.0.0.1:1:2',
  'localhost:1',
  '[::1]:9',
  '[::1]',
  '[zz]:1',
  '0.0.0.0:9',
  '255.255.255.255:9',
  `${'a'.repeat(253)}:9`,
  `${'a'.repeat(254)}:9`,
  '127.0.0.1:00009',
  'http://127.0.0.1:9',
  ' 127.0.0.1:9',
  '127.0.0.1:9 ',
  '-:9',
  '.:9',
  'a..b:9',
];
const POLICY_NAMES: readonly string[] = ['rr', 'round_robin', 'ROUND_ROBIN', ' rr ', 'p2c', 'ch', 'pick_first', 'least_load', 'random', 'fastest', 'consistent_hash'];

export interface Fuzzer {
  readonly random: () => number;
  int(below: number): number;
  pick<T>(items: readonly T[]): T;
  chance(probability: number): boolean;
  bytes(length: number): Buffer;
  /** Random bytes of a random length, mostly short, sometimes a few KiB. */
  randomBody(): Buffer;
  /** A random encoding of `shape`: valid, out-of-range, wrong wire types and unknown fields mixed. */
  message(shape: MessageShape, depth?: number): Buffer;
  /** How many ~1 MiB strings were sent so far (they come from a fixed budget). */
  readonly hugeStringsSent: number;
}

export function createFuzzer(random: () => number, hugeStringBudget: number): Fuzzer {
  const int = (below: number): number => Math.floor(random() * below);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T;
  const chance = (probability: number): boolean => random() < probability;
  const bytes = (length: number): Buffer => {
    const buffer = Buffer.alloc(length);
    for (let index = 0; index < length; index += 1) buffer[index] = int(256);
    return buffer;
  };
  // One random 1 MiB string, reused: generating a fresh one per call would dominate the run time.
  const huge = Buffer.from(
    Array.from({ length: 64 }, () => String.fromCharCode(33 + int(94)))
      .join('')
      .repeat(HUGE_STRING_BYTES / 64),
  );
  let hugeSent = 0;

  const stringValue = (hints: readonly string[] = [], onlyHints = false): Buffer => {
    const roll = random();
    if (roll < 0.02 && hugeSent < hugeStringBudget) {
      hugeSent += 1;
      return huge;
    }
    if (onlyHints) return Buffer.from(pick(hints));
    if (roll < 0.1) return bytes(int(40)); // often invalid UTF-8
    if (roll < 0.4 && hints.length > 0) return Buffer.from(pick(hints));
    if (roll < 0.5) return Buffer.from(Array.from({ length: int(40) }, () => String.fromCharCode(32 + int(95))).join(''));
    return Buffer.from(pick(STRINGS));
  };

  const varintValue = (): bigint => (chance(0.3) ? BigInt(int(2 ** 32)) : pick(VARINTS));
  const doubleValue = (): number => (chance(0.2) ? (random() - 0.5) * 10 ** int(12) : pick(DOUBLES));

  const unknownField = (): Buffer => {
    const no = pick([15, 99, 1000, 536_870_911]);
    switch (pick([WIRE_VARINT, WIRE_FIXED64, WIRE_LENGTH, WIRE_FIXED32])) {
      case WIRE_VARINT:
        return Buffer.concat([tag(no, WIRE_VARINT), encodeVarint(varintValue())]);
      case WIRE_FIXED64:
        return Buffer.concat([tag(no, WIRE_FIXED64), bytes(8)]);
      case WIRE_FIXED32:
        return Buffer.concat([tag(no, WIRE_FIXED32), bytes(4)]);
      default:
        return lengthDelimited(no, bytes(int(64)));
    }
  };

  const encodeField = (field: FieldShape, depth: number): Buffer => {
    // Now and then the right field number with the wrong wire type.
    if (chance(0.03) && !field.onlyHints)
      return field.kind === 'string' || typeof field.kind !== 'string'
        ? Buffer.concat([tag(field.no, WIRE_VARINT), encodeVarint(varintValue())])
        : lengthDelimited(field.no, bytes(int(16)));
    switch (field.kind) {
      case 'string':
        return lengthDelimited(field.no, stringValue(field.hints, field.onlyHints));
      case 'varint':
        return Buffer.concat([tag(field.no, WIRE_VARINT), encodeVarint(varintValue())]);
      case 'enum':
        return Buffer.concat([tag(field.no, WIRE_VARINT), encodeVarint(pick(ENUMS))]);
      case 'bool':
        return Buffer.concat([tag(field.no, WIRE_VARINT), encodeVarint(pick([0n, 1n, 2n, 2n ** 64n - 1n]))]);
      case 'double':
        return fixed64Double(field.no, doubleValue());
      default:
        return lengthDelimited(field.no, depth > 3 || chance(0.05) ? bytes(int(32)) : message(field.kind, depth + 1));
    }
  };

  const message = (shape: MessageShape, depth = 0): Buffer => {
    const parts: Buffer[] = [];
    for (const field of shape) {
      if (chance(0.2)) continue; // absent: the default
      const count = field.repeated ? pick([0, 1, 2, 5, 64, 65, 300]) : chance(0.05) ? 2 : 1; // a repeated singular field: last one wins
      for (let index = 0; index < count; index += 1) parts.push(encodeField(field, depth));
    }
    if (chance(0.1)) parts.splice(int(parts.length + 1), 0, unknownField());
    // Field order is free on the wire; decoders must not depend on it.
    if (chance(0.2)) parts.reverse();
    return Buffer.concat(parts);
  };

  return {
    random,
    int,
    pick,
    chance,
    bytes,
    randomBody: () => bytes(chance(0.9) ? int(64) : int(8192)),
    message,
    get hugeStringsSent() {
      return hugeSent;
    },
  };
}

// ---------------------------------------------------------------- request shapes, by method path

const POLICY_CONFIG: MessageShape = [
  { no: 1, kind: 'varint' },
  { no: 2, kind: 'varint' },
  { no: 3, kind: 'string', hints: ['murmur3', 'course', 'MURMUR3', 'sha1'] },
  { no: 4, kind: 'double' },
];
const PICK_DONE: MessageShape = [
  { no: 1, kind: 'varint' },
  { no: 2, kind: 'double' },
  { no: 3, kind: 'bool' },
  { no: 4, kind: 'varint' },
];
const GET_SERVER: MessageShape = [
  { no: 1, kind: 'string' },
  { no: 2, kind: 'enum' },
  { no: 3, kind: 'string' },
  { no: 4, kind: 'string', repeated: true, hints: ADDRESSES },
  { no: 5, kind: 'varint' },
  { no: 6, kind: PICK_DONE, repeated: true },
];
const LOAD_REPORT: MessageShape = [
  { no: 1, kind: 'string', hints: ADDRESSES },
  { no: 2, kind: 'varint' },
  { no: 3, kind: 'varint' },
  { no: 4, kind: 'double' },
  { no: 5, kind: 'varint' },
  { no: 6, kind: 'varint' },
  { no: 7, kind: 'double' },
  { no: 8, kind: 'varint' },
];
const SET_POLICY: MessageShape = [
  { no: 1, kind: 'string', hints: POLICY_NAMES },
  { no: 2, kind: POLICY_CONFIG },
];
const SIGNAL = { kind: 'string', hints: ['SIGKILL', 'SIGTERM', 'SIGSTOP', 'SIGHUP', 'sigkill', '9', 'KILL'] } as const;

const PROCESS_TASK: MessageShape = [
  { no: 1, kind: 'string' },
  { no: 2, kind: 'enum' },
  // Work units: the valid small ones (0 = default, ~30 ms) and out-of-range ones; never the
  // valid maximum (10,000 units, ~5 s of CPU), which only slows the run down.
  { no: 3, kind: 'varint' },
  { no: 4, kind: 'string' },
  { no: 5, kind: 'string' },
];

/** The request shape of every RPC lbx serves, by method path. */
export const REQUEST_SHAPES: Readonly<Record<string, MessageShape>> = {
  '/lbx.v1.LoadBalancer/GetServer': GET_SERVER,
  '/lbx.v1.LoadBalancer/GetServerStream': GET_SERVER,
  '/lbx.v1.LoadBalancer/GetServerBatchStream': [{ no: 1, kind: GET_SERVER }],
  '/lbx.v1.LoadBalancer/RegisterServer': [
    { no: 1, kind: 'string', hints: ['backend-1', 'x'] },
    { no: 2, kind: 'string', hints: ADDRESSES },
    { no: 3, kind: 'double' },
    { no: 4, kind: 'double' },
  ],
  '/lbx.v1.LoadBalancer/DeregisterServer': [
    { no: 1, kind: 'string', hints: ADDRESSES },
    { no: 2, kind: 'string', hints: ['graceful', 'exited'] },
  ],
  '/lbx.v1.LoadBalancer/ReportLoad': LOAD_REPORT,
  '/lbx.v1.LoadBalancer/GetStats': [],
  // since_unix_ms: int64, any value (negative, huge, in the future) must be answered.
  '/lbx.v1.LoadBalancer/GetLoadHistory': [{ no: 1, kind: 'varint' }],
  '/lbx.v1.LoadBalancer/SetPolicy': SET_POLICY,
  '/lbx.v1.Backend/ProcessTask': PROCESS_TASK,
  // A batch of streamed tasks: seq (0, repeats and huge ones included), the task, its timeout_ms, cancel.
  '/lbx.v1.Backend/ProcessTasks': [
    {
      no: 1,
      kind: [
        { no: 1, kind: 'varint' },
        { no: 2, kind: PROCESS_TASK },
        { no: 3, kind: 'varint' },
        { no: 4, kind: 'bool' },
      ],
    },
  ],
  '/lbx.v1.Backend/GetLoad': [],
  '/grpc.health.v1.Health/Check': [{ no: 1, kind: 'string', hints: ['', 'lbx.v1.Backend', 'lbx.v1.LoadBalancer', 'lbx.v1.Supervisor'] }],
  '/grpc.health.v1.Health/Watch': [{ no: 1, kind: 'string', hints: ['', 'lbx.v1.Backend', 'nope'] }],
  '/lbx.v1.Supervisor/GetStatus': [],
  '/lbx.v1.Supervisor/KillBackend': [
    { no: 1, kind: 'varint' },
    { no: 2, ...SIGNAL },
  ],
  '/lbx.v1.Supervisor/Shutdown': [],
  '/lbx.v1.Supervisor/SetPolicy': SET_POLICY,
  '/lbx.v1.Supervisor/AddBackend': [
    { no: 1, kind: 'double' },
    { no: 2, kind: 'double' },
  ],
  '/lbx.v1.Supervisor/RemoveBackend': [{ no: 1, kind: 'varint' }],
  '/lbx.v1.Supervisor/SetNetFault': [
    { no: 1, kind: 'varint' },
    {
      no: 2,
      kind: [
        { no: 1, kind: 'varint' },
        { no: 2, kind: 'varint' },
        { no: 3, kind: 'double' },
        { no: 4, kind: 'bool' },
        { no: 5, kind: 'varint' },
      ],
    },
  ],
  '/lbx.v1.Supervisor/ListNetFaults': [],
  '/lbx.v1.Supervisor/StartBackend': [{ no: 1, kind: 'varint' }],
  '/lbx.v1.Supervisor/Scale': [{ no: 1, kind: 'varint' }],
  '/lbx.v1.Supervisor/KillComponent': [
    { no: 1, kind: 'string', hints: ['lb', 'registry', 'supervisor', 'backend-1', 'backend-'] },
    { no: 2, ...SIGNAL },
  ],
};

/** A short printable form of a request body for a failure message: its length and the first bytes in hex. */
export const describeBody = (body: Buffer): string => `${body.length} bytes: ${body.subarray(0, 96).toString('hex')}${body.length > 96 ? '…' : ''}`;
