// The look-aside LB's port: one listener for two protocols. A connection that opens with the pick socket's preface is
// a pick session (pick-socket-session.ts); anything else — an HTTP/2 preface from grpc-js, a stock gRPC client, curl —
// goes to the LB's gRPC server unchanged, bytes already read put back first. As Envoy's listener filters tell
// protocols apart on one port, so one address serves lbx's client, stock clients and every admin RPC.
import net from 'node:net';

import { status as GrpcStatus } from '@grpc/grpc-js';

import { formatHostPort } from '../../core/host-port.js';
import type { GrpcServerBehindFront } from '../grpc/grpc-server.js';
import { matchPreface, PICK_SOCKET_PREFACE } from '../pick-socket/pick-frames.js';
import type { PickStreamOptions } from './pick-answerer.js';
import { PickSocketSession } from './pick-socket-session.js';
import { listenPort } from '../grpc/listen-port.js';

export interface RunningPickSocketFront {
  readonly address: string;
  readonly port: number;
  /**
   * Stops accepting and ends every pick session (its client waits for the LB, as when it goes away); a connection
   * still open `graceMs` later (at least CLOSE_GRACE_MS) is cut.
   */
  stop(graceMs?: number): Promise<void>;
}

/** A connection that has sent too little to tell its protocol by then is closed (an HTTP/2 client sends 24 bytes at once). */
const SNIFF_TIMEOUT_MS = 10_000;
/**
 * The least time a stopping front waits for its connections to close before it cuts them. A peer out of reach (a
 * pulled cable) never acknowledges the last bytes sent to it, and Node ends an HTTP/2 session by waiting for its
 * socket's writes to finish: without a cut, such a connection would hold the LB's stop until its deadline.
 */
const CLOSE_GRACE_MS = 100;

export interface PickSocketFrontOptions {
  readonly host: string;
  readonly port: number;
  readonly picks: PickStreamOptions;
  readonly grpc: GrpcServerBehindFront;
}

export async function startPickSocketFront(options: PickSocketFrontOptions): Promise<RunningPickSocketFront> {
  const sessions = new Set<PickSocketSession>();
  const route = (socket: net.Socket, seen: Buffer): void => {
    if (matchPreface(seen) === 'yes') {
      const initial = seen.subarray(PICK_SOCKET_PREFACE.length);
      sessions.add(new PickSocketSession(socket, options.picks, initial, (session) => sessions.delete(session)));
      return;
    }
    socket.pause();
    socket.unshift(seen);
    options.grpc.inject(socket);
  };
  // Every connection the port accepted, whoever serves it now: net.Server's close waits for them all.
  const accepted = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    accepted.add(socket);
    socket.once('close', () => accepted.delete(socket));
    sniff(socket, route);
  });
  const port = await listenPort(server, options.host, options.port);
  return {
    address: formatHostPort(options.host, port),
    port,
    stop: async (graceMs = 0) => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const session of [...sessions]) session.close(GrpcStatus.UNAVAILABLE, 'the LB is stopping');
      const cut = setTimeout(
        () => {
          for (const socket of accepted) socket.destroy();
        },
        Math.max(graceMs, CLOSE_GRACE_MS),
      );
      await closed;
      clearTimeout(cut);
    },
  };
}

/** Reads until the connection's protocol is known, then routes it; a silent or broken one is closed. */
function sniff(socket: net.Socket, route: (socket: net.Socket, seen: Buffer) => void): void {
  let seen: Buffer = Buffer.alloc(0);
  const timer = setTimeout(() => socket.destroy(), SNIFF_TIMEOUT_MS);
  const settle = (): void => {
    clearTimeout(timer);
    socket.off('data', onData);
    socket.off('error', onGone);
    socket.off('end', onGone);
    socket.off('close', settle);
  };
  const onData = (chunk: Buffer): void => {
    seen = seen.length === 0 ? chunk : Buffer.concat([seen, chunk]);
    if (matchPreface(seen) === 'too short') return;
    settle();
    route(socket, seen);
  };
  const onGone = (): void => {
    settle();
    socket.destroy();
  };
  socket.on('data', onData);
  socket.on('error', onGone);
  socket.on('end', onGone);
  // Cut by a stopping front before it told: nothing left to wait for.
  socket.on('close', settle);
}
