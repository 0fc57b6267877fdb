// The one error type lbx raises on purpose; its code decides the exit status.

/** Error codes, each with the process exit status it maps to (see EXIT_CODES). */
export type LbxErrorCode =
  | 'runtime' // something failed while running (exit 1)
  | 'usage' // bad flag, argument or RPC field (exit 2)
  | 'no-cluster' // the named cluster is not running (exit 3)
  | 'timeout' // a component did not become ready in time (exit 4)
  | 'threshold'; // a CI threshold (--max-p99, --max-error-rate, …) was not met (exit 5)

export const EXIT_CODES: Readonly<Record<LbxErrorCode, number>> = {
  runtime: 1,
  usage: 2,
  'no-cluster': 3,
  timeout: 4,
  threshold: 5,
};

export class LbxError extends Error {
  override readonly name = 'LbxError';

  constructor(
    readonly code: LbxErrorCode,
    message: string,
    readonly suggestions: readonly string[] = [],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  get exitCode(): number {
    return EXIT_CODES[this.code];
  }
}

export const isLbxError = (error: unknown): error is LbxError => error instanceof LbxError;
