// The supervisor: starts registry, LB and backends in order, watches them, tells the LB of exits, and stops them all.
import { promises as fs } from 'node:fs';

import { credentials } from '@grpc/grpc-js';

import { LbxError } from '../../core/lbx-error.js';
import { LoadBalancerClient, type SetPolicyRequest, type SetPolicyResponse } from '../wire/gen/lbx/v1/load_balancer.js';
import type { PolicyName } from '../../core/policies/policy.js';
import { toPolicyConfig } from '../../core/policies/policy-config.js';
import type { ClusterPaths } from '../cluster/cluster-paths.js';
import type { ClusterSpec } from '../cluster/cluster-spec.js';
import { type ClusterFile, type ComponentRecord, type ComponentRole, CLUSTER_SCHEMA_VERSION, writeClusterFile } from '../cluster/cluster-file.js';
import { portLayout, type PortLayout } from '../cluster/ports.js';
import { CLIENT_CHANNEL_OPTIONS } from '../grpc/channel-options.js';
import { callUnary } from '../grpc/unary.js';
import { describeExit, ManagedChild, readLogTail, type ChildExit } from '../process/managed-child.js';
import { describeError, waitFor } from '../process/wait-for.js';
import { createRegistryClient, type RegistryClient } from '../registry/registry-client.js';
import { backendCommand, backendId, lbCommand, registryCommand, type RoleCommand } from './role-commands.js';

const LB_NOTIFY_TIMEOUT_MS = 1_000;
/**
 * SIGTERM-to-SIGKILL grace per role. A backend's stop is deregistration (≤ 2 s), its drain
 * (≤ 5 s, DEFAULT_DRAIN_GRACE_MS) and a final load report (≤ 1 s): 9 s never cuts a drain short.
 */
const STOP_GRACE_MS = { lb: 2_000, backend: 9_000, registry: 2_000 } as const;

export type SupervisorEvent =
  | { readonly type: 'spawned'; readonly component: string; readonly pid: number; readonly port: number }
  | { readonly type: 'ready'; readonly component: string; readonly address: string; readonly elapsedMs: number }
  | { readonly type: 'cluster-ready'; readonly elapsedMs: number }
  | { readonly type: 'exited'; readonly component: string; readonly reason: string; readonly expected: boolean }
  | { readonly type: 'lb-notified'; readonly component: string; readonly removed: boolean }
  | { readonly type: 'warning'; readonly message: string }
  | { readonly type: 'policy'; readonly previous: string; readonly policy: string }
  | { readonly type: 'stopping'; readonly reason: string }
  | { readonly type: 'stopped' };

interface Slot {
  readonly record: ComponentRecord;
  child?: ManagedChild;
}

export class Supervisor {
  private readonly ports: PortLayout;
  private readonly slots = new Map<string, Slot>();
  private readonly file: ClusterFile;
  private lbClient: LoadBalancerClient | undefined;
  private registryClient: RegistryClient | undefined;
  private shutdownPromise: Promise<void> | undefined;
  private writeChain: Promise<void> = Promise.resolve();
  private readonly startedAt = performance.now();

  constructor(
    private readonly paths: ClusterPaths,
    private spec: ClusterSpec,
    private readonly onEvent: (event: SupervisorEvent) => void,
  ) {
    this.ports = portLayout(spec.basePort);
    const host = spec.host;
    this.file = {
      schemaVersion: CLUSTER_SCHEMA_VERSION,
      name: spec.name,
      state: 'starting',
      supervisorPid: process.pid,
      startedAtUnixMs: Date.now(),
      controlAddress: `${host}:${this.ports.control}`,
      registryAddress: `${host}:${this.ports.registryHttp}`,
      lbAddress: `${host}:${this.ports.lb}`,
      spec,
      components: [],
    };
    this.addSlot('registry', 'registry', this.ports.registryHttp);
    this.addSlot('lb', 'lb', this.ports.lb);
    for (let index = 0; index < spec.backends; index += 1) {
      const port = this.ports.backend(index);
      this.addSlot(backendId(port), 'backend', port);
    }
  }

  get clusterFile(): ClusterFile {
    return this.file;
  }

  get isStopping(): boolean {
    return this.shutdownPromise !== undefined;
  }

  /** Starts every component in order; on failure stops what started and rethrows. */
  async start(options: { removeStateOnFailure: boolean }): Promise<void> {
    await this.persist();
    try {
      await this.startRegistry();
      const lbSlot = this.slot('lb');
      await this.spawnAndWait(lbSlot, lbCommand(this.spec, this.ports, this.file.registryAddress, this.paths.dir));
      this.lbClient = new LoadBalancerClient(this.file.lbAddress, credentials.createInsecure(), CLIENT_CHANNEL_OPTIONS);
      this.registryClient = createRegistryClient({ address: this.file.registryAddress, requestTimeoutMs: LB_NOTIFY_TIMEOUT_MS });
      await Promise.all(
        this.backendSlots().map((slot, index) =>
          this.spawnAndWait(slot, backendCommand(this.spec, index, slot.record.port, this.file.registryAddress, this.file.lbAddress, this.paths.dir)),
        ),
      );
    } catch (error) {
      await this.shutdown('start failed', { removeState: options.removeStateOnFailure });
      throw error;
    }
    this.file.state = 'ready';
    await this.persist();
    this.onEvent({ type: 'cluster-ready', elapsedMs: Math.round(performance.now() - this.startedAt) });
  }

  /** Switches the LB's policy, then records it so the cluster file (and any LB restart) agrees. */
  async setPolicy(request: SetPolicyRequest): Promise<SetPolicyResponse> {
    const lb = this.lbClient;
    if (lb === undefined) throw new LbxError('runtime', `the LB of cluster "${this.spec.name}" is not running`);
    const response = await callUnary(lb.setPolicy.bind(lb), request, LB_NOTIFY_TIMEOUT_MS);
    this.spec = { ...this.spec, policy: response.policy as PolicyName, policyConfig: toPolicyConfig(request.config ?? {}) };
    this.file.spec = this.spec;
    await this.persist();
    this.onEvent({ type: 'policy', previous: response.previous, policy: response.policy });
    return response;
  }

  /** Sends `signal` to one backend, chosen by port. */
  killBackend(port: number, signal: NodeJS.Signals): { pid: number; name: string } {
    const backends = this.backendSlots();
    const slot = backends.find((candidate) => candidate.record.port === port);
    if (slot === undefined) {
      const ports = backends.map((candidate) => candidate.record.port).join(', ');
      throw new LbxError('usage', `port ${port} is not a backend of cluster "${this.spec.name}"; backend ports: ${ports}`);
    }
    const child = slot.child;
    if (child === undefined || !child.isRunning) {
      throw new LbxError('usage', `backend ${port} is not running (${slot.record.exitReason ?? slot.record.state})`);
    }
    child.signal(signal);
    return { pid: child.pid, name: slot.record.name };
  }

  /** Stops LB, backends, then the registry (SIGTERM, grace, SIGKILL); idempotent. */
  shutdown(reason: string, options: { removeState: boolean } = { removeState: true }): Promise<void> {
    this.shutdownPromise ??= this.stopAll(reason, options.removeState);
    return this.shutdownPromise;
  }

  private async stopAll(reason: string, removeState: boolean): Promise<void> {
    this.onEvent({ type: 'stopping', reason });
    this.file.state = 'stopping';
    await this.persist().catch(() => undefined);
    await this.stopSlots([this.slot('lb')], STOP_GRACE_MS.lb);
    this.lbClient?.close();
    await this.stopSlots(this.backendSlots(), STOP_GRACE_MS.backend);
    this.registryClient?.close();
    await this.stopSlots([this.slot('registry')], STOP_GRACE_MS.registry);
    await this.writeChain.catch(() => undefined);
    if (removeState) await fs.rm(this.paths.dir, { recursive: true, force: true });
    this.onEvent({ type: 'stopped' });
  }

  private async stopSlots(slots: readonly Slot[], graceMs: number): Promise<void> {
    await Promise.all(
      slots.map(async (slot) => {
        if (!slot.child?.isRunning) return;
        slot.record.state = 'stopping';
        await slot.child.stop(graceMs);
      }),
    );
  }

  private async startRegistry(): Promise<void> {
    const slot = this.slot('registry');
    const command = registryCommand(this.spec, this.ports, this.paths.dir);
    if (this.spec.registry === 'embedded') {
      await this.spawnAndWait(slot, command);
      return;
    }
    // A foreign binary cannot say "ready" over IPC: poll its HTTP API, and fail fast if it exits.
    const child = this.spawn(slot, command);
    const registry = createRegistryClient({ address: this.file.registryAddress, requestTimeoutMs: 500 });
    try {
      const exited = child.whenExited().then(async (exit) => {
        const tail = await readLogTail(slot.record.logPath, 15);
        throw new LbxError('runtime', `consul agent exited with ${describeExit(exit)} before it was ready\n--- last lines of ${slot.record.logPath} ---\n${tail}`);
      });
      const ready = waitFor(async () => ((await registry.leader()) ? true : undefined), {
        description: `consul agent on ${this.file.registryAddress}`,
        timeoutMs: this.spec.readyTimeoutMs,
        intervalMs: 100,
      });
      await Promise.race([ready, exited]);
      this.markReady(slot, this.file.registryAddress);
    } finally {
      registry.close?.();
    }
  }

  private async spawnAndWait(slot: Slot, command: RoleCommand): Promise<void> {
    const child = this.spawn(slot, command);
    const address = await child.waitReady(this.spec.readyTimeoutMs);
    this.markReady(slot, address);
  }

  private spawn(slot: Slot, command: RoleCommand): ManagedChild {
    // A shutdown may begin while start() is still going: nothing new may start behind its back.
    if (this.isStopping) throw new LbxError('runtime', `not starting ${slot.record.name}: the cluster is stopping`);
    const child = ManagedChild.spawn({ name: slot.record.name, file: command.file, args: command.args, logPath: slot.record.logPath });
    slot.child = child;
    Object.assign(slot.record, { pid: child.pid, state: 'starting', startedAtUnixMs: Date.now() });
    delete slot.record.exitedAtUnixMs;
    delete slot.record.exitReason;
    child.on('exit', (exit) => this.onChildExit(slot, exit));
    this.onEvent({ type: 'spawned', component: slot.record.name, pid: child.pid, port: slot.record.port });
    void this.persist();
    return child;
  }

  private markReady(slot: Slot, address: string): void {
    slot.record.state = 'ready';
    this.onEvent({ type: 'ready', component: slot.record.name, address, elapsedMs: Math.round(performance.now() - this.startedAt) });
    void this.persist();
  }

  private onChildExit(slot: Slot, exit: ChildExit): void {
    const expected = slot.record.state === 'stopping' || this.isStopping;
    const reason = describeExit(exit);
    Object.assign(slot.record, { state: 'exited', exitedAtUnixMs: exit.atUnixMs, exitReason: reason });
    this.onEvent({ type: 'exited', component: slot.record.name, reason, expected });
    if (slot.record.role === 'backend' && !this.isStopping) void this.notifyExit(slot, reason);
    void this.persist();
  }

  /**
   * The supervisor sees an exit at once; telling the LB stops assignments without waiting for a
   * health check, and deregistering it keeps a crashed backend from lingering in the registry.
   */
  private async notifyExit(slot: Slot, reason: string): Promise<void> {
    // The LB first: it must record why the backend left before the registry's watch reports it gone.
    const lb = this.lbClient;
    if (lb !== undefined) {
      try {
        const response = await callUnary(
          lb.deregisterServer.bind(lb),
          { address: slot.record.address, reason: `exited (${reason})` },
          LB_NOTIFY_TIMEOUT_MS,
        );
        this.onEvent({ type: 'lb-notified', component: slot.record.name, removed: response.removed });
      } catch (error) {
        this.onEvent({ type: 'warning', message: `could not tell the LB that ${slot.record.name} exited: ${describeError(error)}` });
      }
    }
    await this.registryClient?.deregister(backendId(slot.record.port)).catch((error: unknown) => {
      this.onEvent({ type: 'warning', message: `could not deregister ${slot.record.name} from the registry: ${describeError(error)}` });
    });
  }

  private addSlot(name: string, role: ComponentRole, port: number): void {
    const record: ComponentRecord = {
      name,
      role,
      port,
      address: `${this.spec.host}:${port}`,
      state: 'starting',
      logPath: this.paths.logFile(name),
    };
    this.slots.set(name, { record });
    this.file.components.push(record);
  }

  private slot(name: string): Slot {
    const slot = this.slots.get(name);
    if (slot === undefined) throw new Error(`no component named ${name}`);
    return slot;
  }

  private backendSlots(): Slot[] {
    return [...this.slots.values()].filter((slot) => slot.record.role === 'backend');
  }

  /** Writes the cluster file; writes are chained so a later state never lands before an earlier one. */
  private persist(): Promise<void> {
    const snapshot = JSON.parse(JSON.stringify(this.file)) as ClusterFile;
    this.writeChain = this.writeChain.then(
      () => writeClusterFile(this.paths, snapshot),
      () => writeClusterFile(this.paths, snapshot),
    );
    return this.writeChain.catch((error: unknown) => {
      if (!this.isStopping) this.onEvent({ type: 'warning', message: `cannot write ${this.paths.clusterFile}: ${describeError(error)}` });
    });
  }
}
