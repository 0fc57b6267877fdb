// gRPC status codes (grpc/doc/statuscodes.md), for code that must not load grpc-js: a backend serves and calls on
// the lean gRPC server and client (./lean), and its process holds no grpc-js at all. The values are the protocol's,
// so they compare equal to grpc-js's `status` enum wherever the two meet.
export enum Status {
  OK = 0,
  CANCELLED = 1,
  UNKNOWN = 2,
  INVALID_ARGUMENT = 3,
  DEADLINE_EXCEEDED = 4,
  NOT_FOUND = 5,
  ALREADY_EXISTS = 6,
  PERMISSION_DENIED = 7,
  RESOURCE_EXHAUSTED = 8,
  FAILED_PRECONDITION = 9,
  ABORTED = 10,
  OUT_OF_RANGE = 11,
  UNIMPLEMENTED = 12,
  INTERNAL = 13,
  UNAVAILABLE = 14,
  DATA_LOSS = 15,
  UNAUTHENTICATED = 16,
}

/** The code's name (`UNAVAILABLE`), or undefined when it is not a known code. */
export const statusCodeName = (code: number): string | undefined => (Status as unknown as Record<number, string | undefined>)[code];
