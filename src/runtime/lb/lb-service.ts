// The lbx.v1.LoadBalancer gRPC handlers: validate each request, then ask or tell the Balancer.
import { status as GrpcStatus, type sendUnaryData, type ServerDuplexStream, type ServerUnaryCall } from '@grpc/grpc-js';

import type { Balancer, BalancerStats } from '../../core/balancer.js';
import type {
  DeregisterServerRequest,
  DeregisterServerResponse,
  GetServerBatch,
  GetServerReply,
  GetServerReplyBatch,
  GetServerRequest,
  GetServerResponse,
  GetLoadHistoryRequest,
  GetLoadHistoryResponse,
  GetStatsRequest,
  GetStatsResponse,
  LoadBalancerServer,
  LoadReport,
  RegisterServerRequest,
  RegisterServerResponse,
  ReportLoadResponse,
  SetPolicyRequest,
  SetPolicyResponse,
} from '../wire/gen/lbx/v1/load_balancer.js';
import { isLbxError } from '../../core/lbx-error.js';
import { serveGetServerBatchStream, serveGetServerStream } from './get-server-stream.js';
import type { Decision, PickStreamOptions } from './pick-answerer.js';
import { isUndecodable } from '../grpc/wide-integers.js';
import { LoadHistory } from './load-history.js';
import { formatPolicyConfig, toPolicyConfig } from '../../core/policies/policy-config.js';
import { resolvePolicy } from '../../core/policies/index.js';
import { invalidArgument, statusError } from '../grpc/status-errors.js';
import { checkAddress } from '../grpc/field-checks.js';
import { checkBackendId, checkFactor, checkGetServer, checkLoadFigures, checkReason } from './validate-lb-request.js';

import { MAX_SPEED, MAX_WEIGHT, MIN_SPEED, MIN_WEIGHT } from '../../core/trait-bounds.js';

type Unary<Req, Res> = (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => void;

export interface LbServiceOptions {
  readonly balancer: Balancer;
  readonly reportIntervalMs: number;
  readonly startedAtUnixMs: number;
  /** Checks a registering address before it becomes eligible: undefined when it is fine, else why not (see admission-probe.ts). */
  readonly verifyAddress?: (address: string) => Promise<string | undefined>;
  /** Where accepted load reports are kept as a time series; a fresh one by default. */
  readonly loadHistory?: LoadHistory;
  /** Replies a GetServerStream may leave unread before it is closed (see get-server-stream.ts). */
  readonly maxPendingReplies?: number;
}

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * Whatever a request holds, a handler answers it: one that could not be decoded (a field too
 * wide, see wide-integers.ts) is INVALID_ARGUMENT naming the field; a throw (a bug) becomes
 * INTERNAL, never an uncaught exception in the LB.
 */
function guarded<Req, Res>(handler: Unary<Req, Res>): Unary<Req, Res> {
  return (call, callback) => {
    if (isUndecodable(call.request)) return callback(invalidArgument(call.request.reason));
    try {
      handler(call, callback);
    } catch (error) {
      callback(statusError(GrpcStatus.INTERNAL, messageOf(error)));
    }
  };
}

/** The one place a GetServer request is checked and decided, for the unary call and the stream alike. */
function decideGetServer(balancer: Balancer, request: GetServerRequest): Decision {
  const checked = checkGetServer(request);
  if (!checked.ok) return { ok: false, code: GrpcStatus.INVALID_ARGUMENT, message: checked.message };
  const result = balancer.pick({ taskKind: checked.value.kind, key: request.key, exclude: checked.value.exclude });
  if (result.kind === 'unavailable') return { ok: false, code: GrpcStatus.UNAVAILABLE, message: result.reason };
  return { ok: true, server: { address: result.backend.address, backendId: result.backend.id, policy: balancer.policyName }, backend: result.backend };
}

/** RegisterServer: the request's fields checked, then the address dialled (verifyAddress) before the balancer admits it. */
function registerServerHandler(
  balancer: Balancer,
  reportIntervalMs: number,
  verifyAddress: LbServiceOptions['verifyAddress'],
): Unary<RegisterServerRequest, RegisterServerResponse> {
  return (call, callback) => {
    const id = checkBackendId(call.request.backendId);
    if (!id.ok) return callback(invalidArgument(id.message));
    const address = checkAddress('address', call.request.address);
    if (!address.ok) return callback(invalidArgument(address.message));
    const weight = checkFactor('weight', call.request.weight, MAX_WEIGHT, MIN_WEIGHT);
    if (!weight.ok) return callback(invalidArgument(weight.message));
    const speed = checkFactor('speed', call.request.speed, MAX_SPEED, MIN_SPEED);
    if (!speed.ok) return callback(invalidArgument(speed.message));
    const admit = async (): Promise<void> => {
      const unreachable = await (verifyAddress?.(address.value) ?? Promise.resolve(undefined));
      if (unreachable !== undefined) {
        return callback(statusError(GrpcStatus.FAILED_PRECONDITION, `backend ${address.value} not registered: nothing accepts connections there (${unreachable})`));
      }
      const registered = balancer.register(id.value, address.value, { weight: weight.value, speed: speed.value });
      if (registered.kind === 'refused') return callback(statusError(GrpcStatus.RESOURCE_EXHAUSTED, `backend ${address.value} not registered: ${registered.reason}`));
      callback(null, { reportIntervalMs });
    };
    admit().catch((error: unknown) => callback(statusError(GrpcStatus.INTERNAL, error instanceof Error ? error.message : String(error))));
  };
}

/** GetStats's reply: the balancer's figures in wire form (-1 for a backend that never reported). */
function statsReply(stats: BalancerStats, startedAtUnixMs: number): GetStatsResponse {
  return {
    policy: stats.policy,
    policyConfig: formatPolicyConfig(stats.policyConfig),
    picks: stats.picks,
    unavailable: stats.unavailable,
    startedAtUnixMs,
    backends: stats.backends.map((member) => ({
      address: member.address,
      backendId: member.id,
      state: member.state,
      removedReason: member.removedReason,
      assigned: member.assigned,
      lastReport: member.lastReport ? { address: member.address, ...member.lastReport } : undefined,
      lastReportAgeMs: member.lastReportAgeMs === undefined ? -1 : Math.round(member.lastReportAgeMs),
      loadScore: member.loadScore,
      inRegistry: member.inRegistry,
      weight: member.weight,
      speed: member.speed,
      assignedByPolicy: { ...member.assignedByPolicy },
      joinedAtUnixMs: member.joinedAtUnixMs,
      leftAtUnixMs: member.leftAtUnixMs,
      lastAssignedAtUnixMs: member.lastAssignedAtUnixMs,
      ejected: member.ejected,
      ejections: member.ejections,
      failuresReported: member.failuresReported,
    })),
  };
}

/** How picks are decided and their ends recorded, on the gRPC pick streams and the pick socket alike. */
export const pickDecisions = (balancer: Balancer, nowMs: () => number = () => performance.now()): PickStreamOptions => ({
  decide: (request) => decideGetServer(balancer, request),
  outcomes: balancer,
  nowMs,
});

export function createLbService(options: LbServiceOptions): LoadBalancerServer {
  const { balancer, reportIntervalMs, startedAtUnixMs, verifyAddress, loadHistory = new LoadHistory(), maxPendingReplies } = options;

  const getServer: Unary<GetServerRequest, GetServerResponse> = (call, callback) => {
    const decision = decideGetServer(balancer, call.request);
    if (decision.ok) callback(null, decision.server);
    else callback(statusError(decision.code, decision.message));
  };

  const streamOptions: PickStreamOptions = { ...pickDecisions(balancer), ...(maxPendingReplies === undefined ? {} : { maxPendingReplies }) };
  const getServerStream = (call: ServerDuplexStream<GetServerRequest, GetServerReply>): void => serveGetServerStream(call, streamOptions);
  const getServerBatchStream = (call: ServerDuplexStream<GetServerBatch, GetServerReplyBatch>): void => serveGetServerBatchStream(call, streamOptions);

  const deregisterServer: Unary<DeregisterServerRequest, DeregisterServerResponse> = (call, callback) => {
    const address = checkAddress('address', call.request.address);
    if (!address.ok) return callback(invalidArgument(address.message));
    const reason = checkReason(call.request.reason);
    if (!reason.ok) return callback(invalidArgument(reason.message));
    callback(null, { removed: balancer.deregister(address.value, reason.value || 'deregistered') });
  };

  const reportLoad: Unary<LoadReport, ReportLoadResponse> = (call, callback) => {
    const report = call.request;
    const address = checkAddress('address', report.address);
    if (!address.ok) return callback(invalidArgument(address.message));
    const figures = checkLoadFigures(report);
    if (!figures.ok) return callback(invalidArgument(figures.message));
    if (!balancer.recordReport(address.value, report)) {
      return callback(statusError(GrpcStatus.NOT_FOUND, `backend ${report.address} is not registered with this LB; call RegisterServer`));
    }
    loadHistory.record(address.value, report, Date.now());
    callback(null, {});
  };

  const getLoadHistory: Unary<GetLoadHistoryRequest, GetLoadHistoryResponse> = (call, callback) => {
    callback(null, { backends: loadHistory.snapshot(call.request.sinceUnixMs), reportIntervalMs });
  };

  const getStats: Unary<GetStatsRequest, GetStatsResponse> = (_call, callback) => {
    callback(null, statsReply(balancer.stats(), startedAtUnixMs));
  };

  const setPolicy: Unary<SetPolicyRequest, SetPolicyResponse> = (call, callback) => {
    const previous = balancer.policyName;
    try {
      const policy = resolvePolicy(call.request.policy);
      balancer.setPolicy(policy, toPolicyConfig(call.request.config ?? {}));
      // Absent leaves it as it is: `lbx policy` never touches it; `bench --scenario gray` switches it per arm.
      if (call.request.outlierDetection !== undefined) balancer.setOutlierDetection(call.request.outlierDetection);
      callback(null, { previous, policy: policy.name });
    } catch (error) {
      // A bad name or setting is the caller's mistake, and the old policy stays active.
      if (isLbxError(error)) return callback(invalidArgument(error.message));
      callback(statusError(GrpcStatus.INTERNAL, messageOf(error)));
    }
  };

  return {
    getServer: guarded(getServer),
    getServerStream,
    getServerBatchStream,
    registerServer: guarded(registerServerHandler(balancer, reportIntervalMs, verifyAddress)),
    deregisterServer: guarded(deregisterServer),
    reportLoad: guarded(reportLoad),
    getStats: guarded(getStats),
    setPolicy: guarded(setPolicy),
    getLoadHistory: guarded(getLoadHistory),
  };
}
