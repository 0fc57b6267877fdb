// lbx's LB service on its own gRPC server in the test's process, over a round-robin balancer with fake backends: for
// tests that count the LB's picks exactly or stop and start it at will (no LB process, no registry).
import { Balancer } from '../../src/core/balancer.js';
import { roundRobin } from '../../src/core/policies/index.js';
import { startGrpcServer, startGrpcServerBehindFront } from '../../src/runtime/grpc/grpc-server.js';
import { createLbService, pickDecisions } from '../../src/runtime/lb/lb-service.js';
import { startPickSocketFront } from '../../src/runtime/lb/pick-socket-front.js';
import { LoadBalancerService } from '../../src/runtime/wire/gen/lbx/v1/load_balancer.js';

export interface InProcessLb {
  readonly balancer: Balancer;
  readonly server: { readonly address: string; readonly port: number; stop(graceMs: number): Promise<void> };
}

export interface InProcessLbOptions {
  /** 0 (the default) picks a free port. */
  readonly port?: number;
  /** Backends registered, named backend-1…N at 127.0.0.1:7001…: never called, only picked. */
  readonly backends?: number;
  /** Replies a pick stream may leave unread before the LB closes it (the service's default when absent). */
  readonly maxPendingReplies?: number;
  /** As lbx's look-aside LB: the pick socket on the port, gRPC behind it (the default); false: grpc-js owns the port. */
  readonly pickSocket?: boolean;
}

export async function startInProcessLb(options: InProcessLbOptions = {}): Promise<InProcessLb> {
  const { port = 0, backends = 1, maxPendingReplies } = options;
  const balancer = new Balancer(roundRobin, { random: Math.random, nowMs: () => performance.now(), wallMs: Date.now });
  for (let index = 1; index <= backends; index += 1) balancer.register(`backend-${index}`, `127.0.0.1:${7000 + index}`);
  const implementation = createLbService({ balancer, reportIntervalMs: 500, startedAtUnixMs: Date.now(), ...(maxPendingReplies === undefined ? {} : { maxPendingReplies }) });
  const services = [{ name: 'lbx.v1.LoadBalancer', definition: LoadBalancerService, implementation }];
  if (options.pickSocket === false) return { balancer, server: await startGrpcServer('127.0.0.1', port, services) };
  const grpc = startGrpcServerBehindFront(services);
  const front = await startPickSocketFront({ host: '127.0.0.1', port, picks: pickDecisions(balancer), grpc });
  const stop = async (graceMs: number): Promise<void> => {
    await front.stop();
    await grpc.stop(graceMs);
  };
  return { balancer, server: { address: front.address, port: front.port, stop } };
}
