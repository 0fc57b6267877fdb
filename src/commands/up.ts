import { Flags } from '@oclif/core';

import { LbxCommand } from '../cli/lbx-command.js';
import { clusterNameFlag, hostFlag } from '../cli/flags.js';
import { renderComponents } from '../cli/render-components.js';
import { startProgress } from '../cli/spinner.js';
import { LbxError } from '../core/lbx-error.js';
import { POLICIES, resolvePolicy } from '../core/policies/index.js';
import { checkPolicyFits } from '../core/policies/policy-config.js';
import { policyConfigFlags, policyConfigFromFlags } from '../cli/policy-flags.js';
import { MAX_WEIGHT, MIN_SPEED, MIN_WEIGHT, parseFactorList } from '../cli/number-lists.js';
import { DEFAULT_HEAVY_WORK_UNITS, MAX_WORK_UNITS } from '../runtime/backend/cpu-work.js';
import type { ComponentRecord } from '../runtime/cluster/cluster-file.js';
import {
  DEFAULT_BACKENDS,
  DEFAULT_CHECK_INTERVAL_MS,
  DEFAULT_REPORT_INTERVAL_MS,
  DEFAULT_UP_TIMEOUT_MS,
  REGISTRY_CHOICES,
  type ClusterSpec,
  type RegistryChoice,
  type RegistryKind,
} from '../runtime/cluster/cluster-spec.js';
import { DEFAULT_BASE_PORT, MAX_BACKENDS, MAX_BASE_PORT, MIN_BASE_PORT, portLayout, portsToBind } from '../runtime/cluster/ports.js';

export interface UpResult {
  readonly name: string;
  readonly policy: string;
  readonly mode: string;
  readonly registry: RegistryKind;
  readonly registryAddress: string;
  readonly lbAddress: string;
  readonly controlAddress: string;
  readonly supervisorPid: number;
  readonly readyMs: number;
  readonly components: readonly ComponentRecord[];
}

export default class Up extends LbxCommand {
  static override summary = 'Start a cluster: registry, load balancer and N backends, as child processes of one supervisor.';

  static override description = `Returns once every component is ready. Ports are fixed from --base-port (default ${DEFAULT_BASE_PORT}):
backends base+1…base+N (7001, 7002, …), LB base+100 (7100), control API base+101 (7101), registry base+102 (7102).
The registry is a real \`consul agent -dev\` when a consul binary is on PATH (--registry auto), otherwise lbx's embedded, Consul-compatible one.
--registry etcd runs a real one-member etcd instead (client URL on base+102, peer URL on base+103, data in the cluster directory).`;

  static override examples = [
    '<%= config.bin %> up',
    '<%= config.bin %> up --backends 4 --policy rr',
    '<%= config.bin %> up --name lab2 --base-port 8000 --policy least_load',
    '<%= config.bin %> up --registry embedded --json',
    '<%= config.bin %> up --registry etcd',
    '<%= config.bin %> up --backends 4 --speeds 1,1,1,0.25 --policy ll',
    '<%= config.bin %> up --policy wrr --weights 1,1,2,4',
    '<%= config.bin %> up --policy wrr --speeds 1,1,1,0.25 --weights speeds',
    '<%= config.bin %> up --respawn',
    '<%= config.bin %> up --mode proxy --policy p2c',
  ];

  static override flags = {
    name: clusterNameFlag,
    backends: Flags.integer({ char: 'b', description: `Number of backends (1–${MAX_BACKENDS}).`, min: 1, max: MAX_BACKENDS, default: DEFAULT_BACKENDS }),
    policy: Flags.string({
      char: 'p',
      description: `Load-balancing policy: ${POLICIES.map((policy) => `${policy.shortName}|${policy.name}`).join(', ')}.`,
      default: 'rr',
    }),
    registry: Flags.string({
      description: 'Service registry: auto (consul when a consul binary is on PATH, else embedded), consul, embedded, or etcd (needs the etcd binary).',
      options: [...REGISTRY_CHOICES],
      default: 'auto',
    }),
    'base-port': Flags.integer({
      description: `First port of the cluster's layout (${MIN_BASE_PORT}–${MAX_BASE_PORT}; every port stays below 32768).`,
      min: MIN_BASE_PORT,
      max: MAX_BASE_PORT,
      default: DEFAULT_BASE_PORT,
    }),
    host: hostFlag,
    'heavy-work-units': Flags.integer({
      description: `Default CPU_HEAVY size on the backends, in work units (about 0.55 ms each here; ${DEFAULT_HEAVY_WORK_UNITS} ≈ 30 ms).`,
      min: 1,
      max: MAX_WORK_UNITS,
      default: DEFAULT_HEAVY_WORK_UNITS,
    }),
    'report-interval': Flags.integer({ description: 'How often backends report load to the LB (ms).', min: 50, max: 60_000, default: DEFAULT_REPORT_INTERVAL_MS }),
    mode: Flags.string({
      description: 'lookaside: clients ask the LB, then call the backend themselves; proxy: clients call the LB, which forwards every task (and sees every start and end).',
      options: ['lookaside', 'proxy'],
      default: 'lookaside',
    }),
    weights: Flags.string({ description: 'Weight of each backend for weighted policies, in port order, e.g. 1,1,2,4; "speeds" to use the --speeds values (default: all 1).' }),
    speeds: Flags.string({ description: 'CPU_HEAVY speed of each backend, in port order, e.g. 1,1,1,0.25: a 0.25 backend pays 4 times the work (default: all 1).' }),
    ...policyConfigFlags,
    timeout: Flags.integer({ description: 'How long to wait for the cluster to be ready (ms).', min: 1_000, max: 600_000, default: DEFAULT_UP_TIMEOUT_MS }),
    respawn: Flags.boolean({
      description: 'Start a crashed backend again on its port, backing off when it keeps crashing. The LB and the registry are always restarted.',
      default: false,
    }),
  };

  async run(): Promise<UpResult> {
    const { flags } = await this.parse(Up);
    const policy = resolvePolicy(flags.policy);
    const policyConfig = policyConfigFromFlags(flags);
    // The policy checks its settings against this many backends (a ring must hold them all):
    // a bad one is a usage error here, before anything starts.
    checkPolicyFits(policy, policyConfig, flags.backends);
    const speeds = flags.speeds === undefined ? undefined : parseFactorList('--speeds', flags.speeds, flags.backends, 100, MIN_SPEED);
    if (flags.weights === 'speeds' && speeds === undefined) throw new LbxError('usage', '--weights speeds needs --speeds: there are no speeds to derive weights from');
    const weights = flags.weights === 'speeds' ? speeds : flags.weights === undefined ? undefined : parseFactorList('--weights', flags.weights, flags.backends, MAX_WEIGHT, MIN_WEIGHT);
    const { lookupCluster, cleanStaleCluster } = await import('../runtime/cluster/cluster-lookup.js');
    const { findPortsInUse } = await import('../runtime/cluster/port-check.js');
    const { findExecutable } = await import('../runtime/registry/find-executable.js');
    const { launchSupervisor } = await import('../runtime/supervisor/launch-supervisor.js');

    const lookup = await lookupCluster(flags.name);
    if (lookup.kind === 'running') {
      throw new LbxError('usage', `cluster "${flags.name}" is already running (supervisor pid ${lookup.file.supervisorPid}, LB ${lookup.file.lbAddress})`, [
        'stop it first with: lbx down' + (flags.name === 'default' ? '' : ` --name ${flags.name}`),
        'or start another beside it: lbx up --name <other> --base-port <port>',
      ]);
    }
    if (lookup.kind === 'starting') throw new LbxError('usage', `cluster "${flags.name}" is being started by another \`lbx up\``);
    if (lookup.kind === 'stale') {
      await cleanStaleCluster(lookup);
      if (!flags.json) this.logToStderr(`note: removed a stale cluster "${flags.name}" (${lookup.reason})`);
    }

    const { registry, consulBinary, etcdBinary } = chooseRegistry(flags.registry as RegistryChoice, findExecutable);

    const layout = portLayout(flags['base-port']);
    const busy = await findPortsInUse(flags.host, portsToBind(layout, flags.backends, registry));
    if (busy.length > 0) {
      const list = busy.map((entry) => `${entry.port} (${entry.component})`).join(', ');
      throw new LbxError('usage', `port${busy.length > 1 ? 's' : ''} ${list} already in use on ${flags.host}`, [
        `choose another range with --base-port (now ${flags['base-port']}), e.g. --base-port ${flags['base-port'] === DEFAULT_BASE_PORT ? 8000 : DEFAULT_BASE_PORT + 1000}`,
      ]);
    }

    const spec: ClusterSpec = {
      name: flags.name,
      host: flags.host,
      basePort: flags['base-port'],
      backends: flags.backends,
      policy: policy.name,
      mode: flags.mode as 'lookaside' | 'proxy',
      policyConfig,
      ...(weights ? { weights } : {}),
      ...(speeds ? { speeds } : {}),
      registry,
      ...(consulBinary ? { consulBinary } : {}),
      ...(etcdBinary ? { etcdBinary } : {}),
      heavyWorkUnits: flags['heavy-work-units'],
      reportIntervalMs: flags['report-interval'],
      checkIntervalMs: DEFAULT_CHECK_INTERVAL_MS,
      readyTimeoutMs: flags.timeout,
      ...(flags.respawn ? { respawn: true } : {}),
    };

    const progress = await startProgress(`starting cluster "${flags.name}" (${registry} registry)`, { quiet: flags.json });
    let ready = 0;
    const total = flags.backends + 2;
    const { file, readyMs } = await launchSupervisor(lookup.paths, spec, {
      timeoutMs: flags.timeout,
      onEvent: (event) => {
        if (event.type === 'ready') progress.update(`starting cluster "${flags.name}": ${++ready}/${total} ready (${event.component})`);
      },
    }).catch((error: unknown) => {
      progress.fail(`cluster "${flags.name}" did not start`);
      throw error;
    });
    progress.succeed(`cluster "${flags.name}" ready in ${readyMs} ms`);

    const result: UpResult = {
      name: file.name,
      policy: file.spec.policy,
      mode: file.spec.mode,
      registry: file.spec.registry,
      registryAddress: file.registryAddress,
      lbAddress: file.lbAddress,
      controlAddress: file.controlAddress,
      supervisorPid: file.supervisorPid,
      readyMs,
      components: file.components,
    };
    if (!flags.json) {
      this.log(renderComponents(file.components, Date.now()));
      this.log('');
      this.log(`registry: ${describeRegistry(registry, consulBinary ?? etcdBinary ?? '', flags.registry)} at ${file.registryAddress}`);
      this.log(`policy:   ${policy.name} (${file.spec.mode} mode)    LB: ${file.lbAddress}    supervisor: pid ${file.supervisorPid}`);
      this.log(`next:     lbx send --simple 1000 --heavy 50    lbx status    lbx down`);
    }
    return result;
  }
}

/** The registry `up` runs: what was asked for, with the binary it needs found on PATH (a usage error when missing). */
function chooseRegistry(
  choice: RegistryChoice,
  find: (name: string) => string | undefined,
): { registry: RegistryKind; consulBinary?: string; etcdBinary?: string } {
  switch (choice) {
    case 'embedded':
      return { registry: 'embedded' };
    case 'etcd': {
      const etcdBinary = find('etcd');
      if (etcdBinary === undefined) {
        throw new LbxError('usage', '--registry etcd: no etcd binary on PATH', [
          'install it: apt-get install etcd-server (Debian/Ubuntu), or a release from https://github.com/etcd-io/etcd/releases',
          'or use --registry embedded (or auto)',
        ]);
      }
      return { registry: 'etcd', etcdBinary };
    }
    case 'consul':
    case 'auto': {
      const consulBinary = find('consul');
      if (consulBinary !== undefined) return { registry: 'consul', consulBinary };
      if (choice === 'consul') throw new LbxError('usage', '--registry consul: no consul binary on PATH', ['install Consul, or use --registry embedded (or auto)']);
      return { registry: 'embedded' };
    }
  }
}

function describeRegistry(registry: RegistryKind, binary: string, choice: string): string {
  switch (registry) {
    case 'embedded':
      return `embedded (Consul-compatible, single machine${choice === 'auto' ? '; no consul binary on PATH' : ''})`;
    case 'consul':
      return `consul agent -dev (${binary})`;
    case 'etcd':
      return `etcd (${binary}, one member, data in the cluster directory)`;
  }
}
