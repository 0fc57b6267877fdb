// The supervisor: starts registry, LB and backends in order, watches them, tells the LB of exits,
// starts again what crashed, adds and removes backends on request, and stops them all.
//
// Restarts: the LB and the registry are always started again after an unexpected exit (the
// cluster cannot work without them), at once unless they crash-loop, and then never more than
// 1 s later (afterInfrastructureCrash); a backend only with `up --respawn`, through afterCrash(),
// so a backend that keeps crashing is restarted with a growing wait.
import { promises as fs } from 'node:fs';

import { credentials } from '@grpc/grpc-js';

import { LbxError } from '../../core/lbx-error.js';
import { LoadBalancerClient, type SetPolicyRequest, type SetPolicyResponse } from '../wire/gen/lbx/v1/load_balancer.js';
import type { PolicyName } from '../../core/policies/policy.js';
import { toPolicyConfig } from '../../core/policies/policy-config.js';
import type { ClusterPaths } from '../cluster/cluster-paths.js';
import type { ClusterSpec } from '../cluster/cluster-spec.js';
import { type ClusterFile, type ComponentRecord, type ComponentRole, CLUSTER_SCHEMA_VERSION, writeClusterFile } from '../cluster/cluster-file.js';
import { MAX_BACKENDS, MAX_DENSE_BACKENDS, portLayout, type PortLayout } from '../cluster/ports.js';
import { afterCrash, afterInfrastructureCrash } from '../../core/supervision/restart-backoff.js';
import { tokenInterceptor } from '../grpc/token-interceptor.js';
import { readTokenFile, tokenFile } from '../cluster/cluster-token.js';
import { LB_CHANNEL_OPTIONS } from '../grpc/channel-options.js';
import { callUnary } from '../grpc/unary.js';
import { describeExit, ManagedChild, readLogTail, type ChildExit, type SupervisedChild } from '../process/managed-child.js';
import { BackendHosts } from './backend-hosts.js';
import { describeError, waitFor } from '../process/wait-for.js';
import type { RegistryClient } from '../registry/registry-contract.js';
import { createRegistry, type RegistryConnection } from '../registry/create-registry.js';
import { backendCommand, backendHostCommand, backendId, dataPlaneCommand, lbCommand, registryCommand, type BackendTraits, type RoleCommand } from './role-commands.js';
import { refuseUnsupportedDataPlanePolicy } from './data-plane-policy.js';
import { formatHostPort } from '../../core/host-port.js';
import { ClusterNetns } from '../netns/cluster-netns.js';
import type { NetFaultSpec } from '../../core/faults/net-fault.js';
import type { NetFaultRecord } from '../netns/net-fault-controller.js';

const LB_NOTIFY_TIMEOUT_MS = 1_000;
/** What runs as the registry when it is not lbx's own, for messages. */
const REGISTRY_PROGRAMS = { consul: 'consul agent', etcd: 'etcd' } as const;
/**
 * SIGTERM-to-SIGKILL grace per role. A backend's stop is leaving the LB (≤ 2 s) and the registry
 * (≤ 2 s), a 200 ms grace for picks on their way, its drain (≤ 5 s, DEFAULT_DRAIN_GRACE_MS) and
 * a final load report (≤ 2 s): 14 s never cuts a drain short, even with a slow LB or registry.
 */
const STOP_GRACE_MS = { lb: 2_000, backend: 14_000, registry: 2_000, dataplane: 5_000 } as const;
/** SIGTERM-to-SIGKILL grace for a backend that never became ready. */
const FAILED_START_GRACE_MS = 1_000;

/** One line for a failed start: what happened, and the last line of the backend's log (why, as it saw it). */
function summarizeFailure(error: unknown): string {
  const [what = '', ...rest] = describeError(error).split('\n');
  const lastLogLine = rest.filter((line) => line.trim() !== '' && !line.startsWith('--- last lines')).at(-1);
  return lastLogLine === undefined ? what : `${what} (its log ends: ${lastLogLine.trim()})`;
}

/** Ports as ranges: "7001-7043, 7050". */
function describePorts(ports: readonly number[]): string {
  const ranges: string[] = [];
  for (let index = 0; index < ports.length;) {
    let end = index;
    while (end + 1 < ports.length && ports[end + 1] === (ports[end] ?? 0) + 1) end += 1;
    ranges.push(end === index ? String(ports[index]) : `${ports[index]}-${ports[end]}`);
    index = end + 1;
  }
  return ranges.length === 0 ? 'none' : ranges.join(', ');
}

export type SupervisorEvent =
  | { readonly type: 'spawned'; readonly component: string; readonly pid: number; readonly port: number }
  | { readonly type: 'ready'; readonly component: string; readonly address: string; readonly elapsedMs: number }
  | { readonly type: 'cluster-ready'; readonly elapsedMs: number }
  | { readonly type: 'exited'; readonly component: string; readonly reason: string; readonly expected: boolean }
  | { readonly type: 'restarting'; readonly component: string; readonly crashesInARow: number; readonly delayMs: number }
  | { readonly type: 'added'; readonly component: string; readonly port: number }
  | { readonly type: 'removed'; readonly component: string }
  | { readonly type: 'lb-notified'; readonly component: string; readonly removed: boolean }
  | { readonly type: 'warning'; readonly message: string }
  | { readonly type: 'policy'; readonly previous: string; readonly policy: string }
  | { readonly type: 'stopping'; readonly reason: string }
  | { readonly type: 'net-fault'; readonly component: string; readonly summary: string }
  | { readonly type: 'stopped' };

interface Slot {
  readonly record: ComponentRecord;
  child?: SupervisedChild;
  /** Backends only: what it is started with. */
  readonly traits?: BackendTraits;
  /** Unexpected exits in a row, each soon after its start (see afterCrash). */
  crashes: number;
  restartTimer?: NodeJS.Timeout;
  /** A start or removal under way; a second request for the same backend is refused meanwhile. */
  busy?: 'starting' | 'removing';
  /** Telling the LB and registry of its last exit; a restart waits for it, so the notice cannot remove the new process. */
  exitNotice?: Promise<void>;
}

export interface BackendChange {
  readonly name: string;
  readonly port: number;
  readonly address: string;
  readonly pid: number;
  readonly elapsedMs: number;
}

const DEFAULT_TRAITS: BackendTraits = { speed: 1, weight: 1 };
/** Where `status` lists the roles that are not backends (those follow, by port). */
const ROLE_RANK: Readonly<Record<Exclude<ComponentRole, 'backend'>, number>> = { registry: -3, lb: -2, dataplane: -1 };

export class Supervisor {
  private readonly ports: PortLayout;
  private readonly slots = new Map<string, Slot>();
  private readonly file: ClusterFile;
  private lbClient: LoadBalancerClient | undefined;
  private registryClient: RegistryClient | undefined;
  private shutdownPromise: Promise<void> | undefined;
  private writeChain: Promise<void> = Promise.resolve();
  private readonly startedAt = performance.now();
  private readonly hosts: BackendHosts | undefined;
  /** `up --netns`: the backends' namespaces and their network faults. */
  private readonly netns: ClusterNetns | undefined;

  constructor(
    private readonly paths: ClusterPaths,
    private spec: ClusterSpec,
    private readonly onEvent: (event: SupervisorEvent) => void,
  ) {
    this.ports = portLayout(spec.basePort);
    // `up --backend-processes K`: backends run as worker threads of K backend-host processes (see backend-hosts.ts).
    this.hosts =
      spec.backendProcesses === undefined ? undefined : new BackendHosts(spec.backendProcesses, spec.basePort, (index) => this.spawnBackendHost(index), spec.readyTimeoutMs);
    const host = spec.host;
    this.netns =
      spec.netns === undefined
        ? undefined
        : new ClusterNetns(spec.netns, spec.basePort, (record) => this.onEvent({ type: 'net-fault', component: backendId(record.port), summary: `${record.summary}: expired` }));
    this.file = {
      schemaVersion: CLUSTER_SCHEMA_VERSION,
      name: spec.name,
      state: 'starting',
      supervisorPid: process.pid,
      startedAtUnixMs: Date.now(),
      controlAddress: formatHostPort(host, this.ports.control),
      registryAddress: formatHostPort(host, this.ports.registryHttp),
      lbAddress: formatHostPort(host, this.ports.lb),
      spec,
      components: [],
    };
    this.addSlot('registry', 'registry', this.ports.registryHttp);
    this.addSlot('lb', 'lb', this.ports.lb);
    if (spec.dataPlane !== undefined) this.addSlot(spec.dataPlane, 'dataplane', this.ports.dataPlane);
    for (let index = 0; index < spec.backends; index += 1) {
      const port = this.ports.backend(index);
      this.addSlot(backendId(port), 'backend', port, { speed: spec.speeds?.[index] ?? 1, weight: spec.weights?.[index] ?? 1 });
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
      await this.startLb(lbSlot);
      // DeregisterServer and SetPolicy need the cluster token, like every state-changing LB call.
      const interceptors = [tokenInterceptor(readTokenFile(tokenFile(this.paths)))];
      this.lbClient = new LoadBalancerClient(this.file.lbAddress, credentials.createInsecure(), { ...LB_CHANNEL_OPTIONS, interceptors });
      this.registryClient = createRegistry(this.registryConnection(), { requestTimeoutMs: LB_NOTIFY_TIMEOUT_MS, clusterTokenFile: tokenFile(this.paths) });
      await Promise.all([...this.backendSlots().map((slot) => this.startBackendSlot(slot)), ...this.dataPlaneSlots().map((slot) => this.startDataPlane(slot))]);
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
    // A policy HAProxy or NGINX lacks is refused before the LB hears of it: the cluster keeps running as it was.
    refuseUnsupportedDataPlanePolicy(this.spec.dataPlane, request.policy, request.config?.hashBalance);
    const response = await callUnary(lb.setPolicy.bind(lb), request, LB_NOTIFY_TIMEOUT_MS);
    this.spec = { ...this.spec, policy: response.policy as PolicyName, policyConfig: toPolicyConfig(request.config ?? {}) };
    this.file.spec = this.spec;
    await this.persist();
    this.onEvent({ type: 'policy', previous: response.previous, policy: response.policy });
    return response;
  }

  /** Sends `signal` to one backend, chosen by port. */
  killBackend(port: number, signal: NodeJS.Signals): { pid: number; name: string } {
    return this.signalSlot(this.backendByPort(port), signal);
  }

  /** Sends `signal` to any component by name ("lb", "registry", "backend-7002"): `lbx chaos`. */
  killComponent(name: string, signal: NodeJS.Signals): { pid: number; name: string } {
    const slot = this.slots.get(name);
    if (slot === undefined || slot.record.state === 'removed') {
      const names = this.liveSlots()
        .map((candidate) => candidate.record.name)
        .join(', ');
      throw new LbxError('usage', `"${name}" is not a component of cluster "${this.spec.name}"; components: ${names}`);
    }
    return this.signalSlot(slot, signal);
  }

  /** Sets or clears the network fault of the backend on `port` (`lbx fault --net-*`); only in a --netns cluster. */
  setNetFault(port: number, fault: NetFaultSpec): NetFaultRecord & { readonly name: string; readonly address: string } {
    const netns = this.requireNetns();
    const slot = this.backendByPort(port);
    const record = netns.setFault(port, fault);
    this.onEvent({ type: 'net-fault', component: slot.record.name, summary: record.summary });
    return { ...record, name: slot.record.name, address: slot.record.address };
  }

  /** Every backend's network fault, "none" included, by port. */
  listNetFaults(): Array<NetFaultRecord & { readonly name: string; readonly address: string }> {
    const netns = this.requireNetns();
    return this.backendSlots()
      .filter((slot) => slot.record.state !== 'removed')
      .sort((a, b) => a.record.port - b.record.port)
      .map((slot) => ({ ...netns.faultOf(slot.record.port), name: slot.record.name, address: slot.record.address }));
  }

  private requireNetns(): ClusterNetns {
    if (this.netns === undefined)
      throw new LbxError('usage', `cluster "${this.spec.name}" runs without --netns: network faults need each backend in its own namespace (lbx up --netns)`);
    return this.netns;
  }

  /** Starts one more backend on the lowest free backend port. */
  async addBackend(traits: BackendTraits = DEFAULT_TRAITS): Promise<BackendChange> {
    this.refuseWhileStopping('add a backend');
    const index = this.freeBackendIndex();
    if (index === undefined) throw new LbxError('usage', `cluster "${this.spec.name}" already has ${this.maxBackends} backends, the most one cluster can have`);
    const port = this.ports.backend(index);
    // A removed backend on this port may still be telling the LB and registry of its exit: that
    // notice must land before the new process registers, or it would remove the newcomer.
    const previousExitNotice = this.slots.get(backendId(port))?.exitNotice;
    const slot = this.addSlot(backendId(port), 'backend', port, traits);
    slot.busy = 'starting';
    this.onEvent({ type: 'added', component: slot.record.name, port });
    return this.timed(slot, async () => {
      await previousExitNotice;
      await this.startOrStop(slot);
    });
  }

  /** Starts again a backend that exited (or was removed), on its own port. */
  async startBackend(port: number): Promise<BackendChange> {
    this.refuseWhileStopping('start a backend');
    const slot = this.backendByPort(port, { includeRemoved: true });
    if (slot.child?.isRunning) throw new LbxError('usage', `backend ${port} is already running (pid ${slot.child.pid})`);
    if (slot.busy) throw new LbxError('usage', `backend ${port} is ${slot.busy} already`);
    // Busy from here: a restart timer, another start or a removal that comes along while we wait
    // for the exit notice sees it and stands back, so one port never gets two processes.
    slot.busy = 'starting';
    clearTimeout(slot.restartTimer);
    slot.crashes = 0;
    return this.timed(slot, async () => {
      await slot.exitNotice;
      await this.startOrStop(slot);
    });
  }

  /**
   * Removes a backend gracefully: SIGTERM makes it leave the LB and the registry first, then
   * finish what it has in flight (see backend-server.ts), then exit; its port becomes free.
   */
  async removeBackend(port: number): Promise<BackendChange> {
    this.refuseWhileStopping('remove a backend');
    const slot = this.backendByPort(port);
    if (slot.busy) throw new LbxError('usage', `backend ${port} is ${slot.busy} already`);
    // Crashed backends that nothing will restart, and those being removed, are no one to take over.
    const others = this.backendSlots().filter(
      (candidate) => candidate !== slot && candidate.record.state !== 'removed' && !this.isDown(candidate) && candidate.busy !== 'removing',
    );
    if (others.length === 0 && !this.isDown(slot)) {
      throw new LbxError('usage', `backend ${port} is the last running backend of cluster "${this.spec.name}"; use \`lbx down\` to stop the cluster`);
    }
    return this.timed(slot, async () => {
      slot.busy = 'removing';
      clearTimeout(slot.restartTimer);
      try {
        if (slot.child?.isRunning) {
          slot.record.state = 'stopping';
          await slot.child.stop(STOP_GRACE_MS.backend);
        }
        Object.assign(slot.record, { state: 'removed', exitedAtUnixMs: slot.record.exitedAtUnixMs ?? Date.now() });
        this.onEvent({ type: 'removed', component: slot.record.name });
        await this.persist();
      } finally {
        delete slot.busy;
      }
    });
  }

  /**
   * Makes `backends` backends run. A crashed backend that nothing will start again (no --respawn)
   * does not count: growing starts such backends again first, then new ones on the lowest free
   * ports; shrinking removes the highest running ports, gracefully.
   */
  async scale(backends: number): Promise<{ added: BackendChange[]; removed: BackendChange[] }> {
    this.refuseWhileStopping('scale');
    if (!Number.isInteger(backends) || backends < 1 || backends > this.maxBackends) {
      throw new LbxError('usage', `cannot scale to ${backends} backends: expected 1 to ${this.maxBackends}`);
    }
    // Backends on their way out (an `rm` in progress) are neither counted nor chosen again.
    const present = this.backendSlots().filter((slot) => slot.record.state !== 'removed' && slot.busy !== 'removing');
    const running = present.filter((slot) => !this.isDown(slot));
    if (backends >= running.length) {
      const missing = backends - running.length;
      const revived = present
        .filter((slot) => this.isDown(slot))
        .sort((a, b) => a.record.port - b.record.port)
        .slice(0, missing);
      const added = await Promise.allSettled([
        ...revived.map((slot) => this.startBackend(slot.record.port)),
        ...Array.from({ length: missing - revived.length }, () => this.addBackend()),
      ]);
      return { added: this.settleScale(backends, 'start', added), removed: [] };
    }
    const doomed = running.sort((a, b) => b.record.port - a.record.port).slice(0, running.length - backends);
    const removed = await Promise.allSettled(doomed.map((slot) => this.removeBackend(slot.record.port)));
    return { added: [], removed: this.settleScale(backends, 'stop', removed) };
  }

  /**
   * Every change of a scale, or an error that names each backend that failed and why, and says
   * what the cluster runs now: the backends that did start stay (they serve), those that failed
   * were stopped, and a second `scale` to the same number tries just the missing ones again.
   */
  private settleScale(backends: number, verb: 'start' | 'stop', outcomes: ReadonlyArray<PromiseSettledResult<BackendChange>>): BackendChange[] {
    const changes = outcomes.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
    const failures = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [summarizeFailure(outcome.reason)] : []));
    if (failures.length === 0) return changes;
    const ready = this.backendSlots().filter((slot) => slot.record.state === 'ready' && slot.busy !== 'removing');
    const ports = ready.map((slot) => slot.record.port).sort((a, b) => a - b);
    throw new LbxError(
      'runtime',
      [
        `scaling cluster "${this.spec.name}" to ${backends} backends did not finish: ${failures.length} of ${outcomes.length} backends failed to ${verb}:`,
        ...failures.map((failure) => `  ${failure}`),
        `the cluster now runs ${ready.length} ready backends (${describePorts(ports)}); ${verb === 'start' ? 'those that failed were stopped, and the ones that started serve' : 'the others were removed'}. Run the same \`lbx scale\` again to retry what is missing.`,
      ].join('\n'),
    );
  }

  /**
   * Stops backends, the LB, then the registry (SIGTERM, grace, SIGKILL); idempotent. Backends
   * first, while the LB and the registry still run: they leave both as on any graceful stop,
   * instead of logging "deregistration failed: UNAVAILABLE" for an LB already gone.
   */
  shutdown(reason: string, options: { removeState: boolean } = { removeState: true }): Promise<void> {
    this.shutdownPromise ??= this.stopAll(reason, options.removeState);
    return this.shutdownPromise;
  }

  private async stopAll(reason: string, removeState: boolean): Promise<void> {
    this.onEvent({ type: 'stopping', reason });
    for (const slot of this.slots.values()) clearTimeout(slot.restartTimer);
    this.file.state = 'stopping';
    await this.persist().catch(() => undefined);
    await this.stopSlots(this.backendSlots(), STOP_GRACE_MS.backend);
    await this.hosts?.stopAll();
    await this.stopSlots(this.dataPlaneSlots(), STOP_GRACE_MS.dataplane);
    await this.stopSlots([this.slot('lb')], STOP_GRACE_MS.lb);
    this.lbClient?.close();
    this.registryClient?.close();
    await this.stopSlots([this.slot('registry')], STOP_GRACE_MS.registry);
    await this.writeChain.catch(() => undefined);
    const leftovers = this.netns?.teardown() ?? [];
    if (leftovers.length > 0) this.onEvent({ type: 'warning', message: `could not delete network namespaces or links: ${leftovers.join(', ')}` });
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
    // A foreign binary cannot say "ready" over IPC: poll its API (Consul's leader, etcd's health), and fail fast if it exits.
    const what = REGISTRY_PROGRAMS[this.spec.registry];
    const child = this.spawn(slot, command);
    const registry = createRegistry(this.registryConnection(), { requestTimeoutMs: 500 });
    try {
      const exited = child.whenExited().then(async (exit) => {
        const tail = await readLogTail(slot.record.logPath, 15);
        throw new LbxError('runtime', `${what} exited with ${describeExit(exit)} before it was ready\n--- last lines of ${slot.record.logPath} ---\n${tail}`);
      });
      const ready = waitFor(async () => ((await registry.leader()) ? true : undefined), {
        description: `${what} on ${this.file.registryAddress}`,
        timeoutMs: this.spec.readyTimeoutMs,
        intervalMs: 100,
      });
      await Promise.race([ready, exited]);
      this.markReady(slot, this.file.registryAddress);
    } finally {
      registry.close?.();
    }
  }

  /** The cluster's registry as every lbx client of it sees it: kind, address and the cluster's name (etcd's key prefix). */
  private registryConnection(): RegistryConnection {
    return { kind: this.spec.registry, address: this.file.registryAddress, cluster: this.spec.name };
  }

  private startLb(slot: Slot): Promise<void> {
    return this.spawnAndWait(slot, lbCommand(this.spec, this.ports, this.file.registryAddress, this.paths.dir));
  }

  private startDataPlane(slot: Slot): Promise<void> {
    const command = dataPlaneCommand(this.spec, this.ports, this.paths.dir);
    if (command === undefined) throw new Error('no data plane in this cluster');
    return this.spawnAndWait(slot, command);
  }

  private async startBackendSlot(slot: Slot): Promise<void> {
    slot.busy = 'starting';
    try {
      const port = slot.record.port;
      // With --netns the backend listens on its namespace's address and runs inside it; the rest of the cluster stays on the hub.
      const spec = this.netns === undefined ? this.spec : { ...this.spec, host: this.netns.hostOf(port) };
      const command = backendCommand(spec, slot.traits ?? DEFAULT_TRAITS, port, this.file.registryAddress, this.file.lbAddress, this.paths.dir);
      await this.spawnAndWait(slot, this.netns === undefined ? command : this.netns.enter(port, command));
    } finally {
      delete slot.busy;
    }
  }

  /**
   * Starts a backend for `add` or `start`. One that never became ready is stopped (an expected
   * exit, so no restart follows): the caller gets the error, and no half-started process is left
   * in 'starting' for nobody to finish.
   */
  private async startOrStop(slot: Slot): Promise<void> {
    try {
      await this.startBackendSlot(slot);
    } catch (error) {
      if (slot.child?.isRunning) {
        // It never served, so it has nothing to drain: a short grace, or a scale of 32 slow
        // starts outlasts the caller's deadline and it hears only that the supervisor did not answer.
        slot.record.state = 'stopping';
        await slot.child.stop(FAILED_START_GRACE_MS);
      }
      throw error;
    }
  }

  private startSlot(slot: Slot): Promise<void> {
    switch (slot.record.role) {
      case 'registry':
        return this.startRegistry();
      case 'lb':
        return this.startLb(slot);
      case 'backend':
        return this.startBackendSlot(slot);
      case 'dataplane':
        return this.startDataPlane(slot);
    }
  }

  private async spawnAndWait(slot: Slot, command: RoleCommand): Promise<void> {
    if (slot.record.role === 'backend') await this.hosts?.ensureHostFor(slot.record.port);
    const child = this.spawn(slot, command);
    const address = await child.waitReady(this.spec.readyTimeoutMs);
    this.markReady(slot, address);
  }

  private spawn(slot: Slot, command: RoleCommand): SupervisedChild {
    // A shutdown may begin while start() is still going: nothing new may start behind its back.
    if (this.isStopping) throw new LbxError('runtime', `not starting ${slot.record.name}: the cluster is stopping`);
    const child =
      slot.record.role === 'backend' && this.hosts !== undefined
        ? this.hosts.launch(slot.record.port, slot.record.name, command, slot.record.logPath)
        : ManagedChild.spawn({ name: slot.record.name, file: command.file, args: command.args, logPath: slot.record.logPath });
    slot.child = child;
    Object.assign(slot.record, { pid: child.pid, state: 'starting', startedAtUnixMs: Date.now() });
    delete slot.record.exitedAtUnixMs;
    delete slot.record.exitReason;
    child.on('exit', (exit) => this.onChildExit(slot, child, exit));
    this.onEvent({ type: 'spawned', component: slot.record.name, pid: child.pid, port: slot.record.port });
    void this.persist();
    return child;
  }

  private markReady(slot: Slot, address: string): void {
    slot.record.state = 'ready';
    this.onEvent({ type: 'ready', component: slot.record.name, address, elapsedMs: Math.round(performance.now() - this.startedAt) });
    void this.persist();
  }

  private onChildExit(slot: Slot, child: SupervisedChild, exit: ChildExit): void {
    // A child replaced by a restart may still report its exit late: only the current one counts.
    if (slot.child !== child) return;
    const expected = slot.record.state === 'stopping' || this.isStopping;
    const reason = describeExit(exit);
    const ranForMs = exit.atUnixMs - (slot.record.startedAtUnixMs ?? exit.atUnixMs);
    const wasReady = slot.record.state === 'ready';
    Object.assign(slot.record, { state: 'exited', exitedAtUnixMs: exit.atUnixMs, exitReason: reason });
    this.onEvent({ type: 'exited', component: slot.record.name, reason, expected });
    if (slot.record.role === 'backend' && !this.isStopping) slot.exitNotice = this.notifyExit(slot, reason);
    // Failures during `up` itself are fatal (up reports them); restarts begin once the cluster is ready.
    const restartable = slot.record.role !== 'backend' || this.spec.respawn === true;
    if (!expected && restartable && this.file.state === 'ready') this.scheduleRestart(slot, ranForMs, wasReady);
    void this.persist();
  }

  /** Starts a crashed component again, at once or after a backoff when it keeps crashing. */
  private scheduleRestart(slot: Slot, ranForMs: number, wasReady: boolean): void {
    const streak = slot.record.role === 'backend' ? afterCrash(slot.crashes, ranForMs) : afterInfrastructureCrash(slot.crashes, ranForMs, wasReady);
    slot.crashes = streak.crashes;
    this.onEvent({ type: 'restarting', component: slot.record.name, crashesInARow: streak.crashes, delayMs: streak.delayMs });
    clearTimeout(slot.restartTimer);
    slot.restartTimer = setTimeout(async () => {
      delete slot.restartTimer;
      await slot.exitNotice;
      if (this.isStopping || slot.record.state !== 'exited' || slot.busy) return;
      this.startSlot(slot).then(
        () => {
          slot.record.restarts = (slot.record.restarts ?? 0) + 1;
          void this.persist();
        },
        (error: unknown) => {
          this.onEvent({ type: 'warning', message: `restarting ${slot.record.name} failed: ${describeError(error)}` });
          // Ready never came but the process lives on: end it, and its exit schedules the next try.
          if (slot.child?.isRunning) slot.child.signal('SIGKILL');
        },
      );
    }, streak.delayMs);
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
        const response = await callUnary(lb.deregisterServer.bind(lb), { address: slot.record.address, reason: `exited (${reason})` }, LB_NOTIFY_TIMEOUT_MS);
        this.onEvent({ type: 'lb-notified', component: slot.record.name, removed: response.removed });
      } catch (error) {
        this.onEvent({ type: 'warning', message: `could not tell the LB that ${slot.record.name} exited: ${describeError(error)}` });
      }
    }
    await this.registryClient?.deregister(backendId(slot.record.port)).catch((error: unknown) => {
      this.onEvent({ type: 'warning', message: `could not deregister ${slot.record.name} from the registry: ${describeError(error)}` });
    });
  }

  /** A new slot; a removed backend's slot on the same port is replaced (its history goes with it). */
  private addSlot(name: string, role: ComponentRole, port: number, traits?: BackendTraits): Slot {
    const record: ComponentRecord = {
      name,
      role,
      port,
      address: formatHostPort(role === 'backend' && this.netns !== undefined ? this.netns.hostOf(port) : this.spec.host, port),
      state: 'starting',
      logPath: this.paths.logFile(name),
      ...(traits ? { speed: traits.speed, weight: traits.weight } : {}),
    };
    const slot: Slot = { record, crashes: 0, ...(traits ? { traits } : {}) };
    this.slots.set(name, slot);
    const others = this.file.components.filter((component) => component.name !== name);
    // Registry and LB first, then backends by port: the order `status` lists them in.
    const rank = (component: ComponentRecord): number => (component.role === 'backend' ? component.port : ROLE_RANK[component.role]);
    this.file.components = [...others, record].sort((a, b) => rank(a) - rank(b));
    return slot;
  }

  /** Exited, and nothing will start it again (no restart timer, no start under way). */
  private isDown(slot: Slot): boolean {
    return slot.record.state === 'exited' && slot.restartTimer === undefined && slot.busy === undefined;
  }

  /** 64, or 256 in a dense cluster (`up --backend-processes`) without a stock data plane (its server slots stop at 64). */
  private get maxBackends(): number {
    return this.hosts !== undefined && this.spec.dataPlane === undefined ? MAX_DENSE_BACKENDS : MAX_BACKENDS;
  }

  /** Backend host number `index` of a dense cluster: a process of its own, logging to backend-host-<index>.log. */
  private spawnBackendHost(index: number): ManagedChild {
    if (this.isStopping) throw new LbxError('runtime', `not starting backend host ${index}: the cluster is stopping`);
    const command = backendHostCommand(this.paths.dir, this.spec.backendsPerThread ?? 1);
    const child = ManagedChild.spawn({ name: `backend-host-${index}`, file: command.file, args: command.args, logPath: this.paths.logFile(`backend-host-${index}`) });
    this.onEvent({ type: 'spawned', component: `backend-host-${index}`, pid: child.pid, port: 0 });
    return child;
  }

  private freeBackendIndex(): number | undefined {
    for (let index = 0; index < this.maxBackends; index += 1) {
      const slot = this.slots.get(backendId(this.ports.backend(index)));
      if (slot === undefined || (slot.record.state === 'removed' && !slot.busy)) return index;
    }
    return undefined;
  }

  private backendByPort(port: number, options: { includeRemoved?: boolean } = {}): Slot {
    const backends = this.backendSlots();
    const slot = backends.find((candidate) => candidate.record.port === port && (options.includeRemoved || candidate.record.state !== 'removed'));
    if (slot === undefined) {
      const ports = backends
        .filter((candidate) => candidate.record.state !== 'removed')
        .map((candidate) => candidate.record.port)
        .join(', ');
      throw new LbxError('usage', `port ${port} is not a backend of cluster "${this.spec.name}"; backend ports: ${ports || 'none'}`);
    }
    return slot;
  }

  private signalSlot(slot: Slot, signal: NodeJS.Signals): { pid: number; name: string } {
    const child = slot.child;
    if (child === undefined || !child.isRunning) {
      throw new LbxError('usage', `${slot.record.name} is not running (${slot.record.exitReason ?? slot.record.state})`);
    }
    child.signal(signal);
    return { pid: child.pid, name: slot.record.name };
  }

  private async timed(slot: Slot, change: () => Promise<void>): Promise<BackendChange> {
    const startedAt = performance.now();
    await change();
    const { name, port, address } = slot.record;
    return { name, port, address, pid: slot.child?.pid ?? 0, elapsedMs: Math.round(performance.now() - startedAt) };
  }

  private refuseWhileStopping(what: string): void {
    if (this.isStopping) throw new LbxError('runtime', `cannot ${what}: cluster "${this.spec.name}" is stopping`);
  }

  private liveSlots(): Slot[] {
    return [...this.slots.values()].filter((slot) => slot.record.state !== 'removed');
  }

  private slot(name: string): Slot {
    const slot = this.slots.get(name);
    if (slot === undefined) throw new Error(`no component named ${name}`);
    return slot;
  }

  private dataPlaneSlots(): Slot[] {
    return [...this.slots.values()].filter((slot) => slot.record.role === 'dataplane');
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
