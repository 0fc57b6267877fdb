// A stock gRPC client with xDS, run as its own process: @grpc/grpc-js + @grpc/grpc-js-xds, the bootstrap from
// GRPC_XDS_BOOTSTRAP_CONFIG, the target xds:///lbx-backend. No lbx code picks anything here: the generated
// Backend stub only encodes messages; which backend answers is the stock client's choice from what lbx pushes.
//
// Usage: node --import tsx test/helpers/stock-xds-client.ts '{"calls":600,"intervalMs":10,"keys":["a"],"workUnits":0}'
// Prints one JSON line per call {i, atUnixMs, ok, backend, code} and a last line {"done":true}.
import { credentials, Metadata } from '@grpc/grpc-js';
import * as xds from '@grpc/grpc-js-xds';
import { BackendClient, type TaskResponse } from '../../src/runtime/wire/gen/lbx/v1/backend.js';
import { TaskType } from '../../src/runtime/wire/gen/lbx/v1/task.js';

interface Plan {
  readonly calls: number;
  readonly intervalMs: number;
  /** Request header x-lbx-key, cycled through call by call; none when absent. */
  readonly keys?: readonly string[];
  readonly deadlineMs?: number;
  /** 0 = SIMPLE task; more = CPU_HEAVY work units. */
  readonly workUnits?: number;
  /** Calls in flight at once (default 1: one after another). */
  readonly concurrency?: number;
}

const plan = JSON.parse(process.argv[2] ?? '{}') as Plan;
if (!(plan.calls > 0 && plan.calls <= 100_000)) throw new Error(`calls must be 1–100000, got ${plan.calls}`);
xds.register();
const client = new BackendClient('xds:///lbx-backend', credentials.createInsecure());

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function call(index: number): Promise<void> {
  const metadata = new Metadata();
  const key = plan.keys?.[index % plan.keys.length];
  if (key !== undefined) metadata.set('x-lbx-key', key);
  const atUnixMs = Date.now();
  const workUnits = plan.workUnits ?? 0;
  const request = { taskId: `stock-${index}`, type: workUnits > 0 ? TaskType.CPU_HEAVY : TaskType.SIMPLE, workUnits, clientId: 'stock-xds', key: key ?? '' };
  const outcome = await new Promise<{ ok: boolean; backend: string; code: number }>((resolve) => {
    client.processTask(request, metadata, { deadline: Date.now() + (plan.deadlineMs ?? 10_000) }, (error: { code?: number } | null, response?: TaskResponse) => {
      resolve(error ? { ok: false, backend: '', code: error.code ?? -1 } : { ok: true, backend: response?.backendAddress ?? '', code: 0 });
    });
  });
  process.stdout.write(`${JSON.stringify({ i: index, atUnixMs, ...outcome })}\n`);
}

const concurrency = Math.max(1, plan.concurrency ?? 1);
let next = 0;
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (next < plan.calls) {
      const index = next;
      next += 1;
      await call(index);
      if (plan.intervalMs > 0) await sleep(plan.intervalMs);
    }
  }),
);
process.stdout.write(`${JSON.stringify({ done: true })}\n`);
client.close();
process.exit(0);
