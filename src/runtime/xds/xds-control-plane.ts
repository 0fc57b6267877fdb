// lbx's xDS control plane: serves ADS to stock gRPC clients from the plan of the LB's one membership view.
//
// Every change the LB sees (a backend joins, leaves, is ejected, a policy switch) calls publish(); under a
// load-aware policy a timer publishes too, so weights follow load reports. A publish that changes nothing
// material sends nothing. Versions count per type and move only when that type's bytes change, so a client
// is sent what changed and nothing else. Each push has a plan version too (1, 2, …: the pushes so far), which
// the LB's log line, `lbx status` and `lbx report` name, with why it was pushed.
import { status as GrpcStatus, type ServerDuplexStream } from '@grpc/grpc-js';
import { isMaterialChange, type XdsPlan } from '../../core/xds/xds-plan.js';
import { pushReasons } from '../../core/xds/push-reason.js';
import {
  AggregatedDiscoveryServiceService,
  type AggregatedDiscoveryServiceServer,
  type DiscoveryRequest,
  type DiscoveryResponse,
} from '../wire/gen/envoy/service/discovery/v3/discovery_subset.js';
import { AdsStream, newAdsCounters, type AdsClientView, type AdsCounters, type AdsStreamEvent, type VersionedResources } from './ads-stream.js';
import { buildResources, isServedType, SERVED_TYPES, type ResourceSet, type ServedType } from './xds-resources.js';

/** Streams served at once: 1,000 idle clients fit; beyond the cap a new stream is refused, not queued. */
export const MAX_ADS_STREAMS = 2_000;
/** How often load-driven weights are recomputed (pushed only on material change). */
export const LOAD_WEIGHT_REFRESH_MS = 500;

export type XdsEvent =
  | AdsStreamEvent
  | {
      readonly type: 'xds-push';
      /** The plan version: this push's number. */
      readonly version: string;
      /** What changed: initial, or policy, membership and weights joined by "+" (core/xds/push-reason.ts). */
      readonly reason: string;
      /** Clients sent a response by this push (those subscribed to a type it changed); `connected` counts every stream. */
      readonly clients: number;
      readonly connected: number;
      /** Per type: the version clients are sent, e.g. "Listener=1 Cluster=2 ClusterLoadAssignment=5". */
      readonly versions: string;
      readonly policy: string;
      readonly weights: string;
    }
  | { readonly type: 'xds-refused'; readonly peer: string; readonly message: string };

export interface XdsControlPlaneOptions {
  /** The plan of the LB's membership now; called on every publish. */
  readonly plan: () => XdsPlan;
  readonly onEvent: (event: XdsEvent) => void;
}

/** The last push: its plan version, when, why, and to how many clients. */
export interface XdsPush {
  readonly version: string;
  readonly atUnixMs: number;
  readonly reason: string;
  readonly clients: number;
}

export interface XdsStatus {
  readonly versions: Readonly<Record<string, string>>;
  readonly plan: XdsPlan | undefined;
  readonly lastPush: XdsPush | undefined;
  readonly clients: readonly AdsClientView[];
  /** Publishes that changed what clients are sent. */
  readonly pushes: number;
  readonly counters: AdsCounters;
}

export class XdsControlPlane {
  private readonly streams = new Map<AdsStream, string>();
  private resources: ResourceSet = new Map();
  private readonly versions = new Map<ServedType, string>();
  private readonly encoded = new Map<ServedType, string>();
  private lastPlan: XdsPlan | undefined;
  private lastPush: XdsPush | undefined;
  private timer: NodeJS.Timeout | undefined;
  private pushes = 0;
  private readonly counters = newAdsCounters();

  constructor(private readonly options: XdsControlPlaneOptions) {
    this.publish();
    // Load-driven weights follow reports; a draining endpoint leaves EDS once its drain is over.
    this.timer = setInterval(() => {
      const plan = this.lastPlan;
      if (plan === undefined) return;
      if (plan.mapping.weighting === 'load-reports' || plan.weighted || plan.endpoints.some((endpoint) => endpoint.health === 'draining')) this.publish();
    }, LOAD_WEIGHT_REFRESH_MS);
    this.timer.unref();
  }

  readonly service = AggregatedDiscoveryServiceService;

  readonly implementation: AggregatedDiscoveryServiceServer = {
    streamAggregatedResources: (call) => this.serve(call),
  };

  /** Recomputes the plan and pushes to every client if it changed materially. */
  publish(): void {
    let plan: XdsPlan;
    try {
      plan = this.options.plan();
    } catch {
      return; // a policy with no mapping keeps the last good plan; the LB reports the policy change itself
    }
    if (!isMaterialChange(this.lastPlan, plan)) return;
    const reason = pushReasons(this.lastPlan, plan).join('+');
    this.lastPlan = plan;
    this.resources = buildResources(plan);
    for (const typeUrl of SERVED_TYPES) {
      const bytes = [...(this.resources.get(typeUrl)?.values() ?? [])].map((resource) => resource.value.toString('base64')).join(',');
      if (this.encoded.get(typeUrl) === bytes) continue;
      this.encoded.set(typeUrl, bytes);
      this.versions.set(typeUrl, String(Number(this.versions.get(typeUrl) ?? '0') + 1));
    }
    this.pushes += 1;
    const clients = this.countDue();
    for (const stream of this.streams.keys()) stream.push();
    this.lastPush = { version: String(this.pushes), atUnixMs: Date.now(), reason, clients };
    this.options.onEvent({
      type: 'xds-push',
      version: this.lastPush.version,
      reason,
      clients,
      connected: this.streams.size,
      versions: SERVED_TYPES.map((typeUrl) => `${typeUrl.split('.').pop()}=${this.versions.get(typeUrl)}`).join(' '),
      policy: plan.policy,
      weights: plan.endpoints.map((endpoint) => `${endpoint.host}:${endpoint.port}=${endpoint.weight}${endpoint.health === 'draining' ? '(draining)' : ''}`).join(' '),
    });
  }

  status(): XdsStatus {
    return {
      versions: Object.fromEntries(this.versions),
      plan: this.lastPlan,
      lastPush: this.lastPush,
      clients: [...this.streams].map(([stream, peer]) => stream.view(peer)),
      pushes: this.pushes,
      counters: this.counters,
    };
  }

  /** Ends every stream (clients reconnect to whoever serves next) and the refresh timer. */
  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    for (const stream of this.streams.keys()) stream.end();
    this.streams.clear();
  }

  /** Streams subscribed to a type whose version moved past what they were sent: those a push now answers. */
  private countDue(): number {
    let due = 0;
    for (const [stream, peer] of this.streams) {
      const types = Object.entries(stream.view(peer).types);
      if (types.some(([typeUrl, state]) => isServedType(typeUrl) && this.versions.get(typeUrl) !== state.sentVersion)) due += 1;
    }
    return due;
  }

  private current = (): VersionedResources => ({ resources: this.resources, versions: this.versions });

  private serve(call: ServerDuplexStream<DiscoveryRequest, DiscoveryResponse>): void {
    const peer = call.getPeer();
    if (this.streams.size >= MAX_ADS_STREAMS) {
      const details = `lbx serves at most ${MAX_ADS_STREAMS} ADS streams; try again later`;
      this.options.onEvent({ type: 'xds-refused', peer, message: details });
      call.emit('error', { code: GrpcStatus.RESOURCE_EXHAUSTED, details, message: details });
      return;
    }
    const stream = new AdsStream(call, this.current, this.options.onEvent, this.counters);
    this.streams.set(stream, peer);
    const forget = (): void => {
      this.streams.delete(stream);
    };
    call.on('data', (request: DiscoveryRequest) => {
      try {
        stream.handle(request);
      } catch (error) {
        const details = (error as Error).message;
        this.options.onEvent({ type: 'xds-refused', peer, message: details });
        forget();
        call.emit('error', { code: GrpcStatus.INVALID_ARGUMENT, details, message: details });
      }
    });
    call.on('end', () => {
      forget();
      call.end();
    });
    call.on('cancelled', forget);
    call.on('error', forget);
    call.on('close', forget);
  }
}
