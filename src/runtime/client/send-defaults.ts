// Defaults of a send run, apart from the client so the CLI can show them without loading grpc-js.

export const DEFAULT_CONCURRENCY = 16;
/** Deadline of each ProcessTask call. */
export const DEFAULT_TIMEOUT_MS = 5_000;
/** Retries after the first attempt, each on another backend. */
export const DEFAULT_RETRIES = 2;
/** How long a request waits for an LB that is down or restarting before it fails; these waits use no retries. */
export const DEFAULT_LB_WAIT_MS = 10_000;
