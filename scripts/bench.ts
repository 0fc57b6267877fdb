// `npm run bench [-- foundation|policies|ring|faults|registries|hardening|lb-stream|xds|data-planes|clients|gray|scale|sim]`: benchmark scripts that print figures (not timed tests).
const suite = process.argv[2] ?? 'foundation';
const suites: Record<string, () => Promise<unknown>> = {
  foundation: () => import('./bench-foundation.js'),
  policies: () => import('./bench-policies.js'),
  registries: () => import('./bench-registries.js'),
  ring: () => {
    process.env.LBX_BENCH_RING_ONLY = '1';
    return import('./bench-policies.js');
  },
  faults: () => import('./bench-faults.js'),
  hardening: () => import('./bench-hardening.js'),
  'lb-stream': () => import('./bench-hardening-lb.js'),
  xds: () => import('./bench-xds.js'),
  'data-planes': () => import('./bench-data-planes.js'),
  clients: () => import('./bench-clients.js'),
  gray: () => import('./bench-gray.js'),
  scale: () => import('./bench-scale.js'),
  // LBX_BENCH_SIM_PARTS=speed,supermarket,subsetting,real picks parts; exit 1 when a check fails.
  sim: async () => {
    const { runSimBenchmark, SIM_BENCH_PARTS } = await import('./bench-sim.js');
    const parts = process.env.LBX_BENCH_SIM_PARTS?.split(',').filter((part) => (SIM_BENCH_PARTS as readonly string[]).includes(part)) as typeof SIM_BENCH_PARTS | undefined;
    if (!(await runSimBenchmark(parts === undefined ? {} : { parts }))) process.exitCode = 1;
  },
};
const run = suites[suite];
if (run === undefined) {
  console.error(`unknown bench suite "${suite}": expected one of ${Object.keys(suites).join(', ')}`);
  process.exit(2);
}
await run();
