// Parsing of numeric flag values that oclif's integer flags cannot express: factors and per-backend lists.
import { LbxError } from '../core/lbx-error.js';

export { MIN_SPEED, MAX_SPEED, MIN_WEIGHT, MAX_WEIGHT } from '../core/trait-bounds.js';

/** A number from `min` (default: anything above 0) to `max`, e.g. a weight or a speed. */
export function parseFactor(flag: string, text: string, max: number, min = 0): number {
  const value = Number(text.trim());
  const low = min > 0 ? value < min : value <= 0;
  if (text.trim() === '' || !Number.isFinite(value) || low || value > max) {
    throw new LbxError('usage', `${flag} "${text}" is not valid: expected a number ${min > 0 ? `from ${min}` : 'above 0'} to ${max}`);
  }
  return value;
}

/** "1,1,2,4": one factor per backend; the count must match --backends. */
export function parseFactorList(flag: string, text: string, count: number, max: number, min = 0): number[] {
  const parts = text.split(',');
  if (parts.length !== count) {
    throw new LbxError('usage', `${flag} "${text}" has ${parts.length} value${parts.length === 1 ? '' : 's'}: expected ${count}, one per backend (--backends ${count})`);
  }
  return parts.map((part, index) => {
    try {
      return parseFactor(flag, part, max, min);
    } catch {
      throw new LbxError('usage', `${flag} "${text}": value ${index + 1} ("${part}") is not a number ${min > 0 ? `from ${min}` : 'above 0'} to ${max}`);
    }
  });
}
