// Measures this process's own CPU use between samples (100 = one full core).

export class ProcessCpuSampler {
  private lastUsage = process.cpuUsage();
  private lastAtMs = performance.now();

  /** CPU percent since the previous call. */
  sample(): number {
    const usage = process.cpuUsage();
    const nowMs = performance.now();
    const cpuMicros = usage.user - this.lastUsage.user + (usage.system - this.lastUsage.system);
    const wallMs = nowMs - this.lastAtMs;
    this.lastUsage = usage;
    this.lastAtMs = nowMs;
    return wallMs <= 0 ? 0 : Math.round((cpuMicros / 1_000 / wallMs) * 1_000) / 10;
  }
}
