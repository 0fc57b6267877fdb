// What a backend says about its load: the executor's counters and the process's CPU, under the address it listens on.
import type { LoadReport } from '../wire/gen/lbx/v1/load_balancer.js';
import { ProcessCpuSampler } from './process-sampler.js';
import type { TaskExecutor } from './task-executor.js';

export class LoadSampler {
  private readonly cpu = new ProcessCpuSampler();

  constructor(
    private readonly executor: TaskExecutor,
    /** host:port in every report: the configured one until the server listens, then the one it listens on. */
    public address: string,
  ) {}

  /** A load report for the LB; it starts a new window for the CPU and latency figures. */
  sample(): LoadReport {
    const counters = this.executor.counters;
    return {
      address: this.address,
      inFlight: counters.inFlight,
      queueDepth: counters.queueDepth,
      cpuPercent: this.cpu.sample(),
      servedSimple: counters.servedSimple,
      servedHeavy: counters.servedHeavy,
      recentLatencyMs: this.executor.takeRecentLatencyMs(),
      rssBytes: process.memoryUsage.rss(),
    };
  }

  /** GetLoad's answer. It must not reset the report window's CPU and latency figures, so it reads counters only. */
  peek(): LoadReport {
    return {
      ...this.executor.counters,
      address: this.address,
      cpuPercent: 0,
      recentLatencyMs: 0,
      rssBytes: process.memoryUsage.rss(),
    };
  }
}
