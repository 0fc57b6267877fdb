// The reconciliation line of `lbx report`: client ok counts against what each backend says it served, in words.
import type { ClusterReport } from '../runtime/cluster/collect-report.js';

export function renderReconciliation(report: Pick<ClusterReport, 'reconciliation' | 'inProgress' | 'isDiskFull'>): string {
  const { rows, matches } = report.reconciliation;
  if (!matches && report.inProgress.length > 0) {
    const running = report.inProgress.map((run) => `${run.command} (pid ${run.pid})`).join(', ');
    return `reconciliation: in progress: ${running} is running, so backends have served tasks no saved run counts yet; run report again when it has ended`;
  }
  if (!matches && report.isDiskFull) {
    return 'reconciliation incomplete: the disk holding the cluster state is full, so sends could not save their runs (they said so); backends have served tasks no saved run counts';
  }
  if (!matches) {
    const mismatches = rows.filter((row) => row.difference + row.lostAnswers + row.lateAnswers !== 0);
    return `reconciliation MISMATCH: ${mismatches.map((row) => `${row.address} client ok ${row.clientOk} vs served ${row.backendServed} (failed attempts there: ${row.failedAttempts})`).join('; ')}`;
  }
  const late = rows.filter((row) => row.lateAnswers > 0);
  const lost = rows.filter((row) => row.lostAnswers > 0);
  const apart = [
    late.length === 0
      ? ''
      : `answers served after the client stopped waiting for them (its deadline passed, or a hedge answered first elsewhere): ${late.map((row) => `${row.address} ${row.lateAnswers}`).join(', ')}`,
    lost.length === 0
      ? ''
      : `answers lost in crashes, each matched by a failed attempt the client retried: ${lost.map((row) => `${row.address} ${row.lostAnswers} (of ${row.failedAttempts} failed attempts)`).join(', ')}`,
  ].filter(Boolean);
  return `reconciliation: client ok counts (all saved runs) equal what every backend says it served${apart.length ? `, apart from ${apart.join('; and ')}` : ''}`;
}
