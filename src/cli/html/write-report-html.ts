// Writes `lbx report --html <file>`: the collected report plus the LB's load history, as one self-contained page.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';

import type { ClusterReport } from '../../runtime/cluster/collect-report.js';
import { fetchLoadHistory } from '../../runtime/lb/load-history-client.js';
import { renderReportHtml } from './render-report-html.js';

/** Returns the absolute path written. */
export async function writeReportHtml(file: string, report: ClusterReport): Promise<string> {
  const fetched = report.lbReachable ? await fetchLoadHistory(report.lbAddress) : { backends: [] };
  const absolute = path.resolve(file);
  const loadHistory = 'backends' in fetched ? fetched.backends : [];
  const loadHistoryFailure = 'failed' in fetched ? fetched.failed : undefined;
  await writeFile(absolute, renderReportHtml({ report, loadHistory, ...(loadHistoryFailure ? { loadHistoryFailure } : {}), generatedAtUnixMs: Date.now() }));
  return absolute;
}
