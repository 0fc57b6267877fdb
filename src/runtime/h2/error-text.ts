// Transport errors in the words the proxies put in a gRPC status.
/** Transport error codes in words: the client reads ECONNRESET or EPIPE in a status as "the LB itself is down" (lb-failure.ts). */
const ERROR_WORDS: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection broken',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
};

export const errorText = (error: unknown): string => {
  if (error === undefined) return 'no error given';
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  if (!(cause instanceof Error)) return String(cause);
  const code = 'code' in cause && typeof cause.code === 'string' ? cause.code : undefined;
  return code === undefined ? cause.message : (ERROR_WORDS[code] ?? code);
};
