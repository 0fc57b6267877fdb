// "Did you mean …?" for a mistyped name: the closest known names by edit distance, as git and npm suggest commands.

/**
 * Edits between two strings: insertions, deletions, substitutions, and swaps of two neighbours
 * (optimal string alignment), so the common typo "sned" is one edit from "send", not two.
 */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const cost: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i < rows; i += 1) {
    for (let j = 1; j < cols; j += 1) {
      const substitution = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(cost[i - 1]![j]! + 1, cost[i]![j - 1]! + 1, cost[i - 1]![j - 1]! + substitution);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, cost[i - 2]![j - 2]! + 1);
      cost[i]![j] = best;
    }
  }
  return cost[a.length]![b.length]!;
}

/**
 * The known names closest to `typed`, best first: within a third of the typed length in edits
 * (at least 1, at most 3), or starting with it; ties keep the order given. Empty when nothing is close.
 */
export function closestNames(typed: string, known: readonly string[], limit = 3): string[] {
  const wanted = typed.toLowerCase();
  if (wanted === '') return [];
  const allowed = Math.min(3, Math.max(1, Math.floor(wanted.length / 3)));
  return known
    .map((name, order) => ({ name, order, distance: name.startsWith(wanted) ? 0 : editDistance(wanted, name.toLowerCase()) }))
    .filter((candidate) => candidate.distance <= allowed)
    .sort((x, y) => x.distance - y.distance || x.order - y.order)
    .slice(0, limit)
    .map((candidate) => candidate.name);
}
