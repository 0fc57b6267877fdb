// lbx's LB service on its own gRPC server in the test's process, over a round-robin balancer with fake backends: for
// tests that count the LB's picks exactly or stop and start it at will (no LB process, no registry).
import { Balancer } from '../../src/core/balancer.js';
import { roundRobin } from '../../src/core/policies/index.js';
import { startGrpcServer, type RunningGrpcServer } from '../../src/runtime/grpc/grpc-server.js';
import { createLbService } from '../../src/runtime/lb/lb-service.js';
import { LoadBalancerService } from '../../src/runtime/wire/gen/lbx/v1/load_balancer.js';

export interface InProcessLb {
  readonly balancer: Balancer;
  readonly server: RunningGrpcServer;
}

export interface InProcessLbOptions {
  /** 0 (the default) picks a free port. */
  readonly port?: number;
  /** Backends registered, named backend-1…N at 127.0.0.1:7001…: never called, only picked. */
  readonly backends?: number;
  /** Replies a pick stream may leave unread before the LB closes it (the service's default when absent). */
  readonly maxPendingReplies?: number;
}

export async function startInProcessLb(options: InProcessLbOptions = {}): Promise<InProcessLb> {
  const { port = 0, backends = 1, maxPendingReplies } = options;
  const balancer = new Balancer(roundRobin, { random: Math.random, nowMs: () => performance.now(), wallMs: Date.now });
  for (let index = 1; index <= backends; index += 1) balancer.register(`backend-${index}`, `127.0.0.1:${7000 + index}`);
  const implementation = createLbService({ balancer, reportIntervalMs: 500, startedAtUnixMs: Date.now(), ...(maxPendingReplies === undefined ? {} : { maxPendingReplies }) });
  const server = await startGrpcServer('127.0.0.1', port, [{ name: 'lbx.v1.LoadBalancer', definition: LoadBalancerService, implementation }]);
  return { balancer, server };
}
