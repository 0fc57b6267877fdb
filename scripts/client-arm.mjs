// One arm of the client benchmark (scripts/bench-clients.ts), in a process of its own so its CPU is its own:
//   node scripts/client-arm.mjs '<json>'   with {"arm":"bare","address":…,"calls":…,"concurrency":…}
//                                          or   {"arm":"send","options":{…SendOptions without callbacks…}}
// "bare" is the yardstick of issue 14: a plain grpc-js unary client calling one backend, nothing else per call. "send"
// is lbx's own client (runSend, from dist/). Prints one JSON line: calls, failed, ms, p50/p99 (ms), cpuMs of the run
// alone (process.cpuUsage around it, so start-up and module loading are not counted).
// With "seconds" in the spec the arm stops taking new tasks after that long (the calls in flight end, and count): the
// issue's arms run 5–15 s, long enough that the JIT's warm-up and the first batches do not decide the figure.
import { credentials } from '@grpc/grpc-js';

const spec = JSON.parse(process.argv[2] ?? '{}');
const { BackendClient } = await import('../dist/runtime/wire/gen/lbx/v1/backend.js');
const { runSend } = await import('../dist/runtime/client/send-run.js');

const cpuMs = () => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1_000;
};

async function bare({ address, calls, concurrency, timeoutMs = 10_000, seconds }) {
  const endAt = seconds === undefined ? Infinity : performance.now() + seconds * 1_000;
  const client = new BackendClient(address, credentials.createInsecure());
  const latencies = [];
  let next = 0;
  let failed = 0;
  const call = (index) =>
    new Promise((resolve) => {
      const startedAt = performance.now();
      client.processTask({ taskId: `bare-${index}`, type: 1, workUnits: 0, clientId: 'bare', key: '' }, { deadline: Date.now() + timeoutMs }, (error) => {
        if (error) failed += 1;
        else latencies.push(performance.now() - startedAt);
        resolve();
      });
    });
  const worker = async () => {
    while (next < calls && performance.now() < endAt) await call(next++);
  };
  const startedAt = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const ms = performance.now() - startedAt;
  client.close();
  latencies.sort((a, b) => a - b);
  const at = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0;
  return { calls: latencies.length + failed, failed, ms, p50: at(0.5), p99: at(0.99) };
}

async function send({ options, seconds }) {
  const stop = seconds === undefined ? undefined : AbortSignal.timeout(seconds * 1_000);
  const result = await runSend({ ...options, ...(stop ? { stop } : {}) });
  const { summary } = result;
  return { calls: summary.sent, failed: summary.failed, ms: summary.elapsedMs, p50: summary.latencyMs.p50, p99: summary.latencyMs.p99 };
}

const before = cpuMs();
const result = spec.arm === 'bare' ? await bare(spec) : await send(spec);
console.log(JSON.stringify({ ...result, cpuMs: cpuMs() - before }));
