// Parsing of numeric flag values that oclif's integer flags cannot express: factors and per-backend lists.
import { LbxError } from '../core/lbx-error.js';

/** A number above 0 and at most `max`, e.g. a weight or a speed. */
export function parseFactor(flag: string, text: string, max: number): number {
  const value = Number(text.trim());
  if (text.trim() === '' || !Number.isFinite(value) || value <= 0 || value > max) {
    throw new LbxError('usage', `${flag} "${text}" is not valid: expected a number above 0 and at most ${max}`);
  }
  return value;
}

/** "1,1,2,4": one factor per backend; the count must match --backends. */
export function parseFactorList(flag: string, text: string, count: number, max: number): number[] {
  const parts = text.split(',');
  if (parts.length !== count) {
    throw new LbxError('usage', `${flag} "${text}" has ${parts.length} value${parts.length === 1 ? '' : 's'}: expected ${count}, one per backend (--backends ${count})`);
  }
  return parts.map((part, index) => {
    try {
      return parseFactor(flag, part, max);
    } catch {
      throw new LbxError('usage', `${flag} "${text}": value ${index + 1} ("${part}") is not a number above 0 and at most ${max}`);
    }
  });
}
