// Renders `lbx ring`: the ring's slots and shares per backend, and the key movement a change would cause.
import { MAX_FLOWS_SHOWN, type RingLayout, type RingMovement, type RingResult } from '../core/hash/ring-analysis.js';
import { formatCount, formatPercent } from './format.js';
import { renderTable } from './table.js';

export function renderRing(result: RingResult): string {
  const sections = [renderHeader(result), renderLayout(result.ring)];
  const { movement } = result;
  if (movement !== undefined) {
    const { change } = movement;
    const title =
      change.kind === 'add'
        ? `after adding ${change.backends.length} backend${change.backends.length === 1 ? '' : 's'} (${change.backends.join(', ')}):`
        : `after removing ${change.backend}:`;
    sections.push(`${title}\n${renderLayout(movement.after)}`, renderMovement(movement, result.ring.hash));
  }
  return sections.join('\n\n');
}

function renderHeader(result: RingResult): string {
  const { source, ring } = result;
  const count = `${ring.backends.length} backend${ring.backends.length === 1 ? '' : 's'}`;
  const lines: string[] = [];
  if (source.kind === 'hypothetical') {
    const range = ring.backends.length === 1 ? `${source.basePort + 1}` : `${source.basePort + 1}–${source.basePort + ring.backends.length}`;
    lines.push(`hypothetical cluster: ${count} on ${source.host}:${range}`);
  } else {
    const policy = source.policy === 'consistent_hash' ? 'policy consistent_hash' : `policy ${source.policy}; shown as consistent_hash would place them`;
    lines.push(`cluster "${source.name}": ${count} (${policy})`);
    if (source.exited.length > 0) lines.push(`left out, exited: ${source.exited.join(', ')}`);
  }
  // The bound applies only while consistent_hash serves; other policies never read it.
  if (result.hashBalance !== undefined && (source.kind === 'hypothetical' || source.policy === 'consistent_hash')) {
    lines.push(`bounded loads (${result.hashBalance}) can send a key past its owner while the owner is full; KEYS counts ring owners`);
  }
  return lines.join('\n');
}

/** The per-backend table and the line under it. */
export function renderLayout(ring: RingLayout): string {
  const table = renderTable(
    ['BACKEND', 'VNODES', 'DISPLACED', 'SHARE', 'KEYS'],
    ring.backends.map((row) => [row.address, formatCount(row.heldSlots.length), formatCount(row.displaced), formatPercent(row.share), formatCount(row.keys)]),
    ['left', 'right', 'right', 'right', 'right'],
  );
  const nodes = ring.backends.length * ring.virtualNodesPerBackend;
  const balance =
    ring.backends.length === 0
      ? 'no backends: no key has an owner'
      : `max/mean ${ring.maxOverMean.toFixed(2)} of key space, ${ring.keysMaxOverMean.toFixed(2)} of ${formatCount(ring.keys)} keys`;
  return `${table}\n${formatCount(ring.slots)} slots, ${formatCount(nodes)} virtual nodes (${ring.virtualNodesPerBackend} per backend), hash ${ring.hash}; ${balance}`;
}

/** Moved count, the flows (at most MAX_FLOWS_SHOWN) and a one-line verdict. */
export function renderMovement(movement: RingMovement, hash: string): string {
  const lines = [`moved ${formatCount(movement.moved)} of ${formatCount(movement.keys)} keys (${formatPercent(movement.fraction)})`];
  if (movement.flows.length > 0) {
    const shown = movement.flows.slice(0, MAX_FLOWS_SHOWN);
    lines.push(
      renderTable(
        ['FROM', 'TO', 'KEYS'],
        shown.map((flow) => [flow.from ?? '(none)', flow.to ?? '(none)', formatCount(flow.keys)]),
        ['left', 'left', 'right'],
      ),
    );
    const hidden = movement.flows.slice(MAX_FLOWS_SHOWN);
    if (hidden.length > 0) {
      const hiddenKeys = hidden.reduce((sum, flow) => sum + flow.keys, 0);
      lines.push(`… and ${hidden.length} more flow${hidden.length === 1 ? '' : 's'} (${formatCount(hiddenKeys)} keys; --json lists them all)`);
    }
  }
  lines.push(describeVerdict(movement, hash));
  return lines.join('\n');
}

function describeVerdict(movement: RingMovement, hash: string): string {
  const { change } = movement;
  const isAdd = change.kind === 'add';
  const newcomers = isAdd && change.backends.length > 1 ? 'the new backends' : 'the new backend';
  switch (movement.verdict) {
    case 'none':
      return isAdd ? `no key of the set moved: ${newcomers} own${change.backends.length > 1 ? '' : 's'} none of them` : 'no key of the set moved';
    case 'minimal':
      return isAdd ? `keys moved only to ${newcomers}` : 'only keys of the removed backend moved';
    case 'between-remaining': {
      // A murmur3 node's preferred slot never changes, so only probing can shift it; the course formulas also use the backend's index.
      const cause =
        hash === 'course'
          ? "the course formulas place a backend's nodes by its position in port order, which the change shifted"
          : isAdd
            ? 'linear probing: a new node took a slot and pushed an existing node on to the next free one'
            : 'linear probing: the removal freed a slot, and a node that had been pushed past it moved back';
      const where = isAdd ? 'existing' : 'remaining';
      return `${formatCount(movement.movedBetweenRemaining)} keys also moved between ${where} backends, ${movement.shiftedNodes} of whose virtual nodes changed slot (${cause})`;
    }
  }
}
