// Number and time formatting for tables.

export const formatMs = (ms: number): string => (ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2));

export const formatPercent = (fraction: number): string => `${(fraction * 100).toFixed(1)}%`;

export const formatCount = (count: number): string => count.toLocaleString('en-US');

export const formatRate = (perSecond: number): string => `${Math.round(perSecond).toLocaleString('en-US')}/s`;

export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1_000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}
