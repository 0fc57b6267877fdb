// gRPC status codes as metric label values: UNAVAILABLE rather than 14.
import { status as GrpcStatus } from '@grpc/grpc-js';

/** The code's name (`UNAVAILABLE`), or its number when it is not a known code. */
export function grpcCodeName(code: number | undefined): string {
  if (code === undefined) return 'UNKNOWN';
  const name = (GrpcStatus as unknown as Record<number, string | undefined>)[code];
  return name ?? String(code);
}
