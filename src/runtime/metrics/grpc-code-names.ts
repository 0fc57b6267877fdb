// gRPC status codes as metric label values: UNAVAILABLE rather than 14.
import { statusCodeName } from '../grpc/status.js';

/** The code's name (`UNAVAILABLE`), or its number when it is not a known code. */
export function grpcCodeName(code: number | undefined): string {
  if (code === undefined) return 'UNKNOWN';
  return statusCodeName(code) ?? String(code);
}
