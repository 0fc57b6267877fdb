// The query parameters that narrow a listing: `?passing` and `?tag=`, read as Consul reads them.

import type { ServiceInstanceRecord } from './catalog-state.js';
import { HttpError } from './http-error.js';

/** `?passing`, `?passing=true`, `?passing=false` as Consul reads boolean query flags. */
export function readBooleanParam(query: URLSearchParams, name: string): boolean {
  const value = query.get(name);
  if (value === null) return false;
  if (['', '1', 't', 'T', 'true', 'TRUE', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(value)) return false;
  throw new HttpError(400, `Invalid value for ?${name}: ${JSON.stringify(value)}`);
}

/** Whether an instance carries every tag asked for with `?tag=` (all of them, as Consul filters). */
export const hasAllTags = (instance: ServiceInstanceRecord, tags: readonly string[]): boolean => tags.every((tag) => instance.service.definition.tags.includes(tag));
