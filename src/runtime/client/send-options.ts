// What a send run is asked to do (SendOptions, its target) and what it returns (SendResult): shared by the sender,
// its worker threads (send --workers) and everything that starts a run.
import type { RunSummary } from '../../core/stats/run-ledger.js';
import type { RegistryConnection } from '../registry/create-registry.js';

export type SendTarget =
  | { readonly kind: 'lb'; readonly address: string }
  /** The LB in proxy mode: tasks go to it, it forwards them; responses name the backend that served them. */
  | { readonly kind: 'proxy'; readonly address: string }
  /** Straight to backends, no LB: the ceiling the benchmark compares the LB path with. `address`, or round robin over `addresses` when given. */
  | { readonly kind: 'direct'; readonly address: string; readonly addresses?: readonly string[] }
  /** A stock gRPC client that takes its balancing from the LB's xDS control plane at `address` (xds-send-run.ts). */
  | { readonly kind: 'xds'; readonly address: string };

export interface SendOptions {
  readonly target: SendTarget;
  readonly simple: number;
  readonly heavy: number;
  readonly concurrency: number;
  readonly timeoutMs: number;
  readonly maxAttempts: number;
  /** Retries in flight at most this share of the tasks in flight (at least 3, as Envoy's retry budget); absent = no budget. */
  readonly retryBudget?: number;
  /** Hedging (gRPC A6): another attempt, on another backend, each time this passes without an answer (maxAttempts in all). */
  readonly hedgeDelayMs?: number;
  /** CPU_HEAVY size; 0 = the backends' default. */
  readonly workUnits: number;
  /** Seed of the task order (a shuffle of SIMPLE and CPU_HEAVY); the same seed sends the same order. */
  readonly seed: number;
  readonly key?: string;
  /** Cycle through this many distinct keys ("key-0" … "key-N-1"), one per task in turn; overrides `key`. */
  readonly keys?: number;
  /**
   * How picks reach the LB: its pick socket (default; a bare TCP exchange on the LB's port, see pick-frames.ts), one
   * GetServerBatchStream, or a unary GetServer call per request.
   */
  readonly pickTransport?: 'socket' | 'stream' | 'unary';
  /**
   * How tasks reach a backend in look-aside and direct mode: one ProcessTasks stream per backend (default) or a unary
   * ProcessTask call per task. Proxies always get unary calls: a stream would pin every task to one backend.
   */
  readonly taskTransport?: 'stream' | 'unary';
  /** After each task ends: how many have ended, of how many, and how many of those failed. */
  readonly onProgress?: (done: number, total: number, failed: number) => void;
  /** Where to look the LB up again while it is unreachable; without it the target's address is kept. */
  readonly registry?: RegistryConnection;
  /** How long a request waits for an LB that is down, restarting or without backends (default DEFAULT_LB_WAIT_MS). */
  readonly lbWaitMs?: number;
  /** Jitter of the pauses while waiting for the LB (default Math.random). */
  readonly random?: () => number;
  /**
   * Aborted to wind the run down (the first Ctrl-C): no new task starts, and a task in flight ends
   * with its current attempt (no retry, no wait for the LB), so the stop is bounded by one call's
   * deadline. The result then has `interrupted` set and counts only the tasks that started.
   */
  readonly stop?: AbortSignal;
  /** Worker threads that share the tasks (send --workers; 1 = this thread alone). Each has its own connections. */
  readonly workers?: number;
  /** In a send worker: its share of the plan, the tasks whose index is `index` modulo `count` (send-workers.ts). */
  readonly workerSlice?: { readonly index: number; readonly count: number };
}

export interface SendResult {
  readonly id: string;
  readonly clientId: string;
  readonly target: SendTarget;
  /** The LB's policy as it answered the first pick; '' in direct mode. */
  readonly policy: string;
  readonly seed: number;
  readonly startedAtUnixMs: number;
  readonly finishedAtUnixMs: number;
  readonly summary: RunSummary;
  /** Pauses requests spent waiting for an LB that was down, restarting or without backends; they use no retries. */
  readonly lbWaits: number;
  /** Tasks the run was asked to send; more than summary.sent only when it was interrupted. */
  readonly planned: number;
  /** Stopped early (Ctrl-C, SIGTERM): summary.sent counts the tasks that started, each ended once. */
  readonly interrupted?: boolean;
}
