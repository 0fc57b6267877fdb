// `lbx send --client xds`: the same tasks through a stock gRPC client (@grpc/grpc-js + @grpc/grpc-js-xds) that
// takes its backends, weights and policy from lbx's xDS control plane. No lbx pick code runs: the client chooses.
//
// Each answer names the backend that served it, so per-backend counts reconcile as for look-aside runs. A failed
// call is retried (the stock client picks again; lbx cannot exclude the backend that failed, and does not know
// which one it was), and its attempt is counted against no backend.
import { randomUUID } from 'node:crypto';

import { credentials, Metadata, status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';

import { LbxError } from '../../core/lbx-error.js';
import type { TaskKind } from '../../core/policies/policy.js';
import { RunLedger } from '../../core/stats/run-ledger.js';
import { planTasks } from '../../core/task-plan.js';
import { buildBootstrap } from '../../core/xds/xds-bootstrap.js';
import { XDS_HASH_HEADER } from '../../core/xds/xds-plan.js';
import { BackendClient, type TaskResponse } from '../wire/gen/lbx/v1/backend.js';
import { TaskType } from '../wire/gen/lbx/v1/task.js';
import { XDS_SERVICE_NAME } from '../xds/xds-resources.js';
import type { SendOptions, SendResult } from './send-run.js';

/** Codes another pick may cure, as for look-aside sends. */
const RETRYABLE: ReadonlySet<number> = new Set([GrpcStatus.UNAVAILABLE, GrpcStatus.DEADLINE_EXCEEDED, GrpcStatus.CANCELLED, GrpcStatus.RESOURCE_EXHAUSTED]);
const TASK_TYPE: Record<TaskKind, TaskType> = { SIMPLE: TaskType.SIMPLE, CPU_HEAVY: TaskType.CPU_HEAVY };

/** Loads the stock xDS resolver; the single binary cannot (grpc-js-xds reads its protos from its package directory). */
async function registerXds(): Promise<void> {
  // In the single binary grpc-js is bundled, and grpc-js-xds (left outside) would register with another copy of it.
  const { isSea } = await import('node:sea');
  if (isSea()) {
    throw new LbxError('usage', 'send --client xds cannot run from the single binary: @grpc/grpc-js-xds reads its protos from its npm package', [
      'run it from the npm package (npx lbx send --client xds); the binary still serves xDS to any stock client',
    ]);
  }
  // grpc-js-xds reads its feature flags once, when loaded: weighted_round_robin (what `up --xds-load-weights orca`
  // pushes) is behind this one in 1.14; without it the client NACKs such a Cluster. A user's own setting wins.
  process.env['GRPC_EXPERIMENTAL_XDS_WRR_LB'] ??= 'true';
  try {
    const xds = (await import('@grpc/grpc-js-xds')) as { register(): void };
    xds.register();
  } catch (error) {
    throw new LbxError('usage', `send --client xds needs @grpc/grpc-js-xds, which could not be loaded: ${(error as Error).message}`, [
      'run lbx from its npm package (npx lbx), not the single binary, for --client xds',
    ]);
  }
}

export type XdsSendOptions = Omit<SendOptions, 'target' | 'registry' | 'pickTransport' | 'lbWaitMs'> & {
  /** host:port of the LB's xDS control plane (base+107). */
  readonly xdsAddress: string;
};

export async function runXdsSend(options: XdsSendOptions): Promise<SendResult> {
  const clientId = `lbx-send-xds-${process.pid}-${randomUUID().slice(0, 8)}`;
  // The bootstrap goes in before the resolver first reads it (at the first xds: channel).
  process.env['GRPC_XDS_BOOTSTRAP_CONFIG'] = JSON.stringify(buildBootstrap({ serverUri: options.xdsAddress, nodeId: clientId, zone: 'lbx-send' }));
  await registerXds();
  const plan = planTasks(options.simple, options.heavy, options.seed);
  const ledger = new RunLedger();
  const client = new BackendClient(`xds:///${XDS_SERVICE_NAME}`, credentials.createInsecure());
  const keyFor = (index: number): string => (options.keys ? `key-${index % options.keys}` : (options.key ?? ''));
  let next = 0;
  let done = 0;

  const callOnce = (index: number, kind: TaskKind, key: string): Promise<TaskResponse> => {
    const metadata = new Metadata();
    if (key !== '') metadata.set(XDS_HASH_HEADER, key);
    const request = { taskId: `${clientId}-${index}`, type: TASK_TYPE[kind], workUnits: kind === 'CPU_HEAVY' ? options.workUnits : 0, clientId, key };
    return new Promise((resolve, reject) =>
      client.processTask(request, metadata, { deadline: Date.now() + options.timeoutMs }, (error: ServiceError | null, response?: TaskResponse) =>
        error || !response ? reject(error) : resolve(response),
      ),
    );
  };

  const sendOne = async (index: number, kind: TaskKind): Promise<void> => {
    const startedAt = performance.now();
    const key = keyFor(index);
    for (let attempt = 1; ; attempt += 1) {
      try {
        const response = await callOnce(index, kind, key);
        ledger.recordOk(response.backendAddress, Math.round((performance.now() - startedAt) * 1_000));
        return;
      } catch (error) {
        const code = (error as ServiceError | null)?.code ?? GrpcStatus.UNKNOWN;
        const reason = `ProcessTask ${GrpcStatus[code] ?? code} via xds:///${XDS_SERVICE_NAME}: ${(error as ServiceError | null)?.details ?? String(error)}`;
        ledger.recordAttemptFailure(undefined, GrpcStatus[code] ?? String(code), { mayBeServed: code === GrpcStatus.DEADLINE_EXCEEDED });
        if (!RETRYABLE.has(code) || attempt >= options.maxAttempts || options.stop?.aborted === true) {
          ledger.recordFailed(reason, Math.round((performance.now() - startedAt) * 1_000));
          return;
        }
        ledger.recordRetry();
      }
    }
  };

  const worker = async (): Promise<void> => {
    while (next < plan.length && options.stop?.aborted !== true) {
      const index = next;
      next += 1;
      await sendOne(index, plan[index] as TaskKind);
      done += 1;
      options.onProgress?.(done, plan.length, ledger.failedCount);
    }
  };

  const startedAtUnixMs = Date.now();
  const startedAt = performance.now();
  try {
    await Promise.all(Array.from({ length: Math.min(options.concurrency, Math.max(plan.length, 1)) }, worker));
  } finally {
    client.close();
  }
  const summary = ledger.summary(performance.now() - startedAt);
  if (summary.sent !== next) throw new LbxError('runtime', `accounting error: ${next} tasks started but ${summary.sent} recorded`);
  const interrupted = next < plan.length;
  return {
    id: `${startedAtUnixMs}-${clientId.slice(-8)}`,
    clientId,
    target: { kind: 'xds', address: options.xdsAddress },
    policy: '',
    seed: options.seed,
    startedAtUnixMs,
    finishedAtUnixMs: Date.now(),
    summary,
    lbWaits: 0,
    planned: plan.length,
    ...(interrupted ? { interrupted } : {}),
  };
}
