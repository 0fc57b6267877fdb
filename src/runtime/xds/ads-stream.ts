// One client's ADS stream (xDS v3, state of the world): what it subscribed to, what it was sent, what it ACKed or NACKed.
//
// The protocol as Envoy's xDS docs define it: every response carries a fresh nonce; a request whose
// response_nonce is not the latest nonce sent for its type is stale and ignored; a request answering the
// latest nonce ACKs (version_info = the version sent) or NACKs (error_detail set, version_info = the last good
// one); the first request of a type, and any change of its resource names, is answered with the current state.
// Listener and Cluster requests with no names are wildcard; Endpoint requests name what they want.
import type { ServerDuplexStream } from '@grpc/grpc-js';
import type { DiscoveryRequest, DiscoveryResponse } from '../wire/gen/envoy/service/discovery/v3/discovery_subset.js';
import type { Any } from '../wire/gen/google/protobuf/any.js';
import { ENDPOINT_TYPE, isServedType, type ResourceSet, type ServedType } from './xds-resources.js';

/** A request names at most this many resources, each at most this long: a client cannot make lbx hold megabytes. */
export const MAX_RESOURCE_NAMES = 1_000;
export const MAX_RESOURCE_NAME_LENGTH = 512;

export interface Nack {
  readonly version: string;
  readonly nonce: string;
  readonly message: string;
  readonly atUnixMs: number;
}

/** Where one client stands on one resource type. */
export interface TypeState {
  /** Empty with wildcard true: everything of the type. */
  readonly names: readonly string[];
  readonly wildcard: boolean;
  readonly sentVersion: string;
  readonly ackedVersion: string;
  readonly lastNack: Nack | undefined;
}

export interface AdsClientView {
  readonly nodeId: string;
  readonly zone: string;
  readonly userAgent: string;
  readonly peer: string;
  readonly connectedAtUnixMs: number;
  readonly types: Readonly<Record<string, TypeState>>;
}

/** Totals over every stream, by type URL: for metrics. */
export interface AdsCounters {
  readonly responses: Map<string, number>;
  readonly acks: Map<string, number>;
  readonly nacks: Map<string, number>;
}

export const newAdsCounters = (): AdsCounters => ({ responses: new Map(), acks: new Map(), nacks: new Map() });
const count = (counts: Map<string, number>, typeUrl: string): void => {
  counts.set(typeUrl, (counts.get(typeUrl) ?? 0) + 1);
};

export type AdsStreamEvent =
  | { readonly type: 'xds-nack'; readonly nodeId: string; readonly typeUrl: string; readonly version: string; readonly message: string }
  | { readonly type: 'xds-unknown'; readonly nodeId: string; readonly typeUrl: string; readonly names: readonly string[] };

interface Subscription {
  names: Set<string>;
  wildcard: boolean;
  sentVersion: string;
  sentNonce: string;
  ackedVersion: string;
  lastNack: Nack | undefined;
}

type Call = ServerDuplexStream<DiscoveryRequest, DiscoveryResponse>;

/** The versions of the current resource set, per type. */
export interface VersionedResources {
  readonly resources: ResourceSet;
  readonly versions: ReadonlyMap<ServedType, string>;
}

export class AdsStream {
  readonly connectedAtUnixMs = Date.now();
  private readonly subscriptions = new Map<string, Subscription>();
  private nodeId = '';
  private zone = '';
  private userAgent = '';
  private nonces = 0;
  /** Types owed a response while the client is not reading (write() said its buffer is full): sent on 'drain'. */
  private readonly owed = new Set<string>();
  private isBlocked = false;

  constructor(
    private readonly call: Call,
    private readonly current: () => VersionedResources,
    private readonly onEvent: (event: AdsStreamEvent) => void,
    private readonly counters: AdsCounters = newAdsCounters(),
  ) {
    call.on('drain', () => {
      this.isBlocked = false;
      const owed = [...this.owed];
      this.owed.clear();
      for (const typeUrl of owed) this.respond(typeUrl);
    });
  }

  /** Takes one request; throws a message for a request that breaks the protocol (the caller ends the stream with it). */
  handle(request: DiscoveryRequest): void {
    if (request.node !== undefined && this.nodeId === '') {
      this.nodeId = request.node.id;
      this.zone = request.node.locality?.zone ?? '';
      this.userAgent = [request.node.userAgentName, request.node.userAgentVersion ?? ''].filter(Boolean).join(' ');
    }
    const problem = invalidRequest(request);
    if (problem !== undefined) throw new Error(problem);
    const existing = this.subscriptions.get(request.typeUrl);
    if (existing !== undefined && request.responseNonce !== existing.sentNonce) return; // stale: a newer response is on its way
    const wildcard = request.resourceNames.length === 0 && request.typeUrl !== ENDPOINT_TYPE;
    const names = new Set(request.resourceNames);
    if (existing === undefined) {
      this.subscriptions.set(request.typeUrl, { names, wildcard, sentVersion: '', sentNonce: '', ackedVersion: request.versionInfo, lastNack: undefined });
      this.respond(request.typeUrl);
      return;
    }
    this.settle(existing, request);
    const namesChanged = wildcard !== existing.wildcard || names.size !== existing.names.size || [...names].some((name) => !existing.names.has(name));
    existing.names = names;
    existing.wildcard = wildcard;
    if (namesChanged) this.respond(request.typeUrl);
  }

  /** Sends every subscribed type whose version moved since it was last sent. */
  push(): void {
    const { versions } = this.current();
    for (const [typeUrl, subscription] of this.subscriptions) {
      if (isServedType(typeUrl) && versions.get(typeUrl) !== subscription.sentVersion) this.respond(typeUrl);
    }
  }

  /** Ends the stream as the server going away does: OK status, the client reconnects. */
  end(): void {
    this.call.end();
  }

  view(peer: string): AdsClientView {
    const types: Record<string, TypeState> = {};
    for (const [typeUrl, subscription] of this.subscriptions) {
      types[typeUrl] = {
        names: [...subscription.names].sort(),
        wildcard: subscription.wildcard,
        sentVersion: subscription.sentVersion,
        ackedVersion: subscription.ackedVersion,
        lastNack: subscription.lastNack,
      };
    }
    return { nodeId: this.nodeId, zone: this.zone, userAgent: this.userAgent, peer, connectedAtUnixMs: this.connectedAtUnixMs, types };
  }

  /** An answer to the latest response: ACK or NACK. */
  private settle(subscription: Subscription, request: DiscoveryRequest): void {
    if (request.errorDetail === undefined) {
      subscription.ackedVersion = request.versionInfo;
      count(this.counters.acks, request.typeUrl);
      return;
    }
    count(this.counters.nacks, request.typeUrl);
    const nack = { version: subscription.sentVersion, nonce: request.responseNonce, message: request.errorDetail.message, atUnixMs: Date.now() };
    subscription.lastNack = nack;
    this.onEvent({ type: 'xds-nack', nodeId: this.nodeId, typeUrl: request.typeUrl, version: nack.version, message: nack.message });
  }

  private respond(typeUrl: string): void {
    const subscription = this.subscriptions.get(typeUrl);
    if (subscription === undefined) return;
    if (this.isBlocked) {
      this.owed.add(typeUrl);
      return;
    }
    const { resources, versions } = this.current();
    const ofType = isServedType(typeUrl) ? resources.get(typeUrl) : undefined;
    const chosen: Any[] = [];
    const unknown: string[] = [];
    if (subscription.wildcard) chosen.push(...(ofType?.values() ?? []));
    for (const name of subscription.wildcard ? [] : subscription.names) {
      const resource = ofType?.get(name);
      if (resource === undefined) unknown.push(name);
      else chosen.push(resource);
    }
    if (ofType === undefined || unknown.length > 0) this.onEvent({ type: 'xds-unknown', nodeId: this.nodeId, typeUrl, names: unknown });
    const version = isServedType(typeUrl) ? (versions.get(typeUrl) ?? '0') : '0';
    this.nonces += 1;
    subscription.sentVersion = version;
    subscription.sentNonce = String(this.nonces);
    count(this.counters.responses, typeUrl);
    const isFlowing = this.call.write({ versionInfo: version, resources: chosen, canary: false, typeUrl, nonce: subscription.sentNonce });
    if (!isFlowing) this.isBlocked = true;
  }
}

function invalidRequest(request: DiscoveryRequest): string | undefined {
  if (request.typeUrl === '') return 'DiscoveryRequest.type_url is empty; ADS needs the type of every request (e.g. type.googleapis.com/envoy.config.listener.v3.Listener)';
  if (request.resourceNames.length > MAX_RESOURCE_NAMES) return `DiscoveryRequest names ${request.resourceNames.length} resources; at most ${MAX_RESOURCE_NAMES} are accepted`;
  const long = request.resourceNames.find((name) => name.length > MAX_RESOURCE_NAME_LENGTH);
  if (long !== undefined) return `DiscoveryRequest resource name of ${long.length} characters; at most ${MAX_RESOURCE_NAME_LENGTH} are accepted`;
  return undefined;
}
