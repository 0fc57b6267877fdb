// Writes `lbx report --html <file>`: the collected report plus the LB's load history, as one self-contained page.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';

import type { ClusterReport } from '../../runtime/cluster/collect-report.js';
import { fetchLoadHistory } from '../../runtime/lb/load-history-client.js';
import { renderReportHtml } from './render-report-html.js';

/** Returns the absolute path written. */
export async function writeReportHtml(file: string, report: ClusterReport): Promise<string> {
  const loadHistory = report.lbReachable ? await fetchLoadHistory(report.lbAddress) : [];
  const absolute = path.resolve(file);
  await writeFile(absolute, renderReportHtml({ report, loadHistory, generatedAtUnixMs: Date.now() }));
  return absolute;
}
