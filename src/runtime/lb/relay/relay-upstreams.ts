// The relay's connections to where calls go (backends, or the LB's own server): one live connection per address, its streams routed back to their calls.
import net from 'node:net';

import { hostOf } from '../../../core/host-port.js';
import { H2Connection, type H2ConnectionEvents } from '../../h2/h2-connection.js';
import type { HeaderList } from '../../h2/hpack.js';
import { relaySettings } from './relay-settings.js';

/** What one upstream stream reports to the call that opened it. */
export interface UpstreamCall {
  /** The stream is open upstream (at once, or once the peer had room for it). */
  onUpOpened(streamId: number): void;
  onUpHeaders(headers: HeaderList, isEndStream: boolean): void;
  onUpData(data: Buffer, isEndStream: boolean): void;
  onUpReset(errorCode: number): void;
  /** The connection went, or the peer said it never took this stream (`wasSeen` false: safe to send elsewhere). */
  onUpLost(reason: string, wasSeen: boolean): void;
}

/** Ids left below which a connection is retired and a fresh one takes new streams. */
const MIN_STREAM_IDS_LEFT = 1_000;

/** One HTTP/2 connection to an upstream address. */
export class UpstreamLink implements H2ConnectionEvents {
  readonly connection: H2Connection;
  private readonly calls = new Map<number, UpstreamCall>();
  /** Calls waiting for the peer's room (its SETTINGS, or a stream under its limit to end), in order. */
  private readonly waiting: { readonly call: UpstreamCall; readonly headers: HeaderList; readonly isEndStream: boolean }[] = [];
  /** False until the TCP connection is made: a stream on a link that never connected was never seen. */
  isConnected = false;
  private isRetired = false;

  constructor(
    readonly authority: string,
    private readonly onRetire: (link: UpstreamLink) => void,
  ) {
    const socket = net.connect({ host: hostOf(authority), port: Number(authority.slice(authority.lastIndexOf(':') + 1)) });
    socket.setNoDelay(true);
    socket.once('connect', () => {
      this.isConnected = true;
      // The socket is the upstream's: an idle link must not keep a stopping LB alive.
      socket.unref();
    });
    this.connection = new H2Connection(socket, relaySettings('client'), this);
  }

  /** Whether new streams may go here. */
  get isUsable(): boolean {
    const { connection } = this;
    return !this.isRetired && connection.isOpen && !connection.isGoingAway && connection.streamIdsLeft > MIN_STREAM_IDS_LEFT;
  }

  /**
   * Opens a stream for `call` (its onUpOpened says which), now or, while the peer has no room, once
   * it has: before its SETTINGS nobody knows its stream limit, and a stream past it would be
   * refused. Its events go to the call until it is forgotten.
   */
  open(call: UpstreamCall, headers: HeaderList, isEndStream: boolean): void {
    if (this.waiting.length === 0 && this.connection.hasStreamRoom) return this.openNow(call, headers, isEndStream);
    this.waiting.push({ call, headers, isEndStream });
  }

  /** A call that no longer wants its stream (gone or past its deadline while waiting). */
  cancelWaiting(call: UpstreamCall): void {
    const at = this.waiting.findIndex((entry) => entry.call === call);
    if (at >= 0) this.waiting.splice(at, 1);
  }

  onStreamRoom(): void {
    while (this.waiting.length > 0 && this.connection.hasStreamRoom && this.connection.isOpen) {
      const next = this.waiting.shift() as (typeof this.waiting)[number];
      this.openNow(next.call, next.headers, next.isEndStream);
    }
  }

  forget(streamId: number): void {
    this.calls.delete(streamId);
    if (this.calls.size === 0 && this.waiting.length === 0 && this.isRetired) this.connection.destroy();
  }

  private openNow(call: UpstreamCall, headers: HeaderList, isEndStream: boolean): void {
    const streamId = this.connection.openStream(headers, isEndStream);
    this.calls.set(streamId, call);
    call.onUpOpened(streamId);
  }

  /** Calls still waiting never reached the peer. */
  private loseWaiting(reason: string): void {
    for (const { call } of this.waiting.splice(0)) call.onUpLost(reason, false);
  }

  onHeaders(streamId: number, headers: HeaderList, isEndStream: boolean): void {
    this.calls.get(streamId)?.onUpHeaders(headers, isEndStream);
  }

  onData(streamId: number, data: Buffer, isEndStream: boolean): void {
    const call = this.calls.get(streamId);
    if (call === undefined) this.connection.credit(streamId, data.length);
    else call.onUpData(data, isEndStream);
  }

  onReset(streamId: number, errorCode: number): void {
    this.calls.get(streamId)?.onUpReset(errorCode);
  }

  onGoaway(lastStreamId: number): void {
    this.retire();
    this.loseWaiting(`${this.authority} went away before taking the stream`);
    for (const [streamId, call] of [...this.calls]) {
      if (streamId > lastStreamId) call.onUpLost(`${this.authority} went away before taking the stream`, false);
    }
  }

  onClose(reason: string | undefined): void {
    this.retire();
    const why = this.isConnected
      ? `connection to ${this.authority} lost${reason === undefined ? '' : ` (${reason})`}`
      : `${this.authority} could not be reached (${reason ?? 'closed'})`;
    for (const call of [...this.calls.values()]) call.onUpLost(why, this.isConnected);
    this.calls.clear();
    this.loseWaiting(why);
  }

  /** No new streams here; the connection ends once its last stream does. */
  retire(): void {
    if (this.isRetired) return;
    this.isRetired = true;
    this.onRetire(this);
    if (this.calls.size === 0 && this.waiting.length === 0) this.connection.destroy();
  }
}

export class RelayUpstreams {
  private readonly links = new Map<string, UpstreamLink>();
  private isClosed = false;

  /** The live link to `authority` (host:port), connecting a new one when there is none or the last is going away. */
  get(authority: string): UpstreamLink {
    const current = this.links.get(authority);
    if (current !== undefined && current.isUsable) return current;
    current?.retire();
    const link = new UpstreamLink(authority, (retired) => {
      if (this.links.get(authority) === retired) this.links.delete(authority);
    });
    if (this.isClosed) link.connection.destroy();
    else this.links.set(authority, link);
    return link;
  }

  /** Ends every connection; streams under way are cut (the LB's grace period is over). */
  close(): void {
    this.isClosed = true;
    for (const link of [...this.links.values()]) link.connection.destroy();
    this.links.clear();
  }
}
