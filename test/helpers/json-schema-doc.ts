// Checks JSON documents against the field tables of docs/json-schema.md (a hand-written checker: no schema library needed).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const DOC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../docs/json-schema.md');

export interface FieldSpec {
  /** Dotted path; `name[]` steps into each element of an array. */
  readonly path: string;
  readonly type: 'string' | 'integer' | 'number' | 'boolean' | 'object' | 'array';
  readonly isOptional: boolean;
}

/** The tables of docs/json-schema.md by their `<!-- schema: name -->` marker. */
export function readSchemaTables(text: string = readFileSync(DOC, 'utf8')): Map<string, FieldSpec[]> {
  const tables = new Map<string, FieldSpec[]>();
  let current: FieldSpec[] | undefined;
  for (const line of text.split('\n')) {
    const marker = /^<!-- schema: (\S+) -->$/.exec(line.trim());
    if (marker) {
      current = [];
      tables.set(marker[1]!, current);
      continue;
    }
    if (current === undefined) continue;
    const row = /^\| `([^`]+)` \| (string|integer|number|boolean|object|array)(\?)? \|/.exec(line);
    if (row) current.push({ path: row[1]!, type: row[2] as FieldSpec['type'], isOptional: row[3] === '?' });
    else if (!line.startsWith('|') && current.length > 0) current = undefined;
  }
  return tables;
}

/** Every documented field missing or of the wrong type, as "path: what" lines; [] when the document conforms. */
export function findViolations(document: unknown, fields: readonly FieldSpec[], prefix = ''): string[] {
  const violations: string[] = [];
  for (const field of fields) {
    for (const { at, value, isPresent } of resolve(document, field.path.split('.'), prefix)) {
      if (!isPresent) {
        if (!field.isOptional) violations.push(`${at}: missing (documented as ${field.type})`);
        continue;
      }
      if (!hasType(value, field.type)) violations.push(`${at}: expected ${field.type}, found ${JSON.stringify(value)}`);
    }
  }
  return violations;
}

function hasType(value: unknown, type: FieldSpec['type']): boolean {
  switch (type) {
    case 'integer':
      return Number.isInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    case 'array':
      return Array.isArray(value);
    default:
      return typeof value === type;
  }
}

/** The values at a path: several when it steps through arrays; none below an absent parent or an empty array. */
function resolve(value: unknown, steps: readonly string[], at: string): Array<{ at: string; value: unknown; isPresent: boolean }> {
  if (steps.length === 0) return [{ at, value, isPresent: value !== undefined }];
  const [step, ...rest] = steps as [string, ...string[]];
  const isEach = step.endsWith('[]');
  const key = isEach ? step.slice(0, -2) : step;
  const here = at === '' ? key : `${at}.${key}`;
  if (typeof value !== 'object' || value === null) return [];
  const child = (value as Record<string, unknown>)[key];
  // A missing parent object is reported at the field asked for; an absent array is its own row's business.
  if (!isEach) return child === undefined && rest.length > 0 ? [{ at: `${here}.${rest.join('.')}`, value: undefined, isPresent: false }] : resolve(child, rest, here);
  if (!Array.isArray(child)) return [];
  return child.flatMap((element, index) => resolve(element, rest, `${here}[${index}]`));
}

/**
 * Every field of the document that no row documents, as "path: not documented". A field documented
 * as an object or array whose parts have no rows of their own (`assignedByPolicy`, `unverified`) is
 * taken whole: its keys are data, not fields.
 */
export function findUndocumented(document: unknown, fields: readonly FieldSpec[]): string[] {
  const documented = new Set(fields.map((field) => field.path));
  const hasParts = (at: string): boolean => fields.some((field) => field.path.startsWith(`${at}.`) || field.path.startsWith(`${at}[].`));
  const undocumented: string[] = [];
  const walk = (value: unknown, at: string, shown: string): void => {
    if (Array.isArray(value)) {
      value.forEach((element, index) => walk(element, `${at}[]`, `${shown}[${index}]`));
      return;
    }
    if (typeof value !== 'object' || value === null) return;
    for (const [key, child] of Object.entries(value)) {
      if (child === undefined) continue;
      const path = at === '' ? key : `${at}.${key}`;
      const display = shown === '' ? key : `${shown}.${key}`;
      // `target` has no row of its own when `target.kind` and `target.address` have theirs.
      if (hasParts(path)) walk(child, path, display);
      else if (!documented.has(path)) undocumented.push(`${display}: not documented`);
    }
  };
  walk(document, '', '');
  return undocumented;
}

/** A document of one kind checked with the shared tables where it nests them: documented fields present and typed, no undocumented ones. */
export function checkDocument(kind: 'lbx.send/v1' | 'lbx.report/v1' | 'lbx.bench/v1' | 'lbx.bench.gray/v1', document: unknown): string[] {
  const tables = readSchemaTables();
  const table = (name: string): FieldSpec[] => {
    const found = tables.get(name);
    if (!found || found.length === 0) throw new Error(`docs/json-schema.md has no table "${name}"`);
    return found;
  };
  const nested = (base: readonly FieldSpec[], at: string): FieldSpec[] => base.map((field) => ({ ...field, path: `${at}.${field.path}` }));
  const summary = table('run-summary');
  const thresholds = table('thresholds');
  const fieldsOf = (): FieldSpec[] => {
    switch (kind) {
      case 'lbx.send/v1':
        return [...table(kind), ...nested(summary, 'summary'), ...optionalUnder(document, 'thresholds', nested(thresholds, 'thresholds'))];
      case 'lbx.report/v1': {
        // Each saved run is a send document without `schema` (and never with thresholds).
        const savedRun = table('lbx.send/v1').filter((field) => field.path !== 'schema' && field.path !== 'thresholds');
        return [...table(kind), ...nested(savedRun, 'runs[]'), ...nested(summary, 'runs[].summary')];
      }
      case 'lbx.bench/v1':
        return [...table(kind), ...nested(summary, 'policies[].summary'), ...optionalUnder(document, 'thresholds', nested(thresholds, 'thresholds'))];
      case 'lbx.bench.gray/v1': {
        // best.* only when there is a best (a defended arm ran).
        const isInBest = (field: FieldSpec): boolean => field.path.startsWith('best.');
        return [...table(kind).filter((field) => !isInBest(field)), ...optionalUnder(document, 'best', table(kind).filter(isInBest))];
      }
    }
  };
  const fields = fieldsOf();
  return [...findViolations(document, fields), ...findUndocumented(document, fields)];
}

/** The nested fields of an optional object count only when the object is there. */
function optionalUnder(document: unknown, key: string, fields: FieldSpec[]): FieldSpec[] {
  return typeof document === 'object' && document !== null && key in document ? fields : [];
}
