// Reads a backend's ORCA out-of-band stream (xds.service.orca.v3.OpenRcaService) the way a weighted_round_robin
// client does, keeping every report with the time it arrived.
import { credentials, type ClientReadableStream } from '@grpc/grpc-js';

import type { OrcaLoadReport } from '../../src/runtime/wire/gen/xds/data/orca/v3/orca_load_report.js';
import { OpenRcaServiceClient } from '../../src/runtime/wire/gen/xds/service/orca/v3/orca.js';

export interface TimedOrcaReport {
  readonly atUnixMs: number;
  readonly report: OrcaLoadReport;
}

export interface OrcaReader {
  readonly reports: TimedOrcaReport[];
  /** Ends the stream; resolves with the status it ended with (a message for an error, 'ok' otherwise). */
  close(): void;
  readonly ended: Promise<{ code: number; details: string }>;
}

export function readOrca(address: string, intervalMs: number): OrcaReader {
  const client = new OpenRcaServiceClient(address, credentials.createInsecure());
  const stream: ClientReadableStream<OrcaLoadReport> = client.streamCoreMetrics({
    reportInterval: { seconds: Math.trunc(intervalMs / 1_000), nanos: (intervalMs % 1_000) * 1_000_000 },
    requestCostNames: [],
  });
  const reports: TimedOrcaReport[] = [];
  stream.on('data', (report: OrcaLoadReport) => reports.push({ atUnixMs: Date.now(), report }));
  const ended = new Promise<{ code: number; details: string }>((resolve) => {
    stream.on('error', (error: { code?: number; details?: string }) => resolve({ code: error.code ?? -1, details: error.details ?? '' }));
    stream.on('end', () => resolve({ code: 0, details: '' }));
  }).finally(() => client.close());
  return { reports, close: () => stream.cancel(), ended };
}
