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

/** A document of one kind checked with the shared tables where it nests them. */
export function checkDocument(kind: 'lbx.send/v1' | 'lbx.report/v1' | 'lbx.bench/v1', document: unknown): string[] {
  const tables = readSchemaTables();
  const table = (name: string): FieldSpec[] => {
    const found = tables.get(name);
    if (!found || found.length === 0) throw new Error(`docs/json-schema.md has no table "${name}"`);
    return found;
  };
  const nested = (base: readonly FieldSpec[], at: string): FieldSpec[] => base.map((field) => ({ ...field, path: `${at}.${field.path}` }));
  const summary = table('run-summary');
  const thresholds = table('thresholds');
  switch (kind) {
    case 'lbx.send/v1':
      return findViolations(document, [...table(kind), ...nested(summary, 'summary'), ...optionalUnder(document, 'thresholds', nested(thresholds, 'thresholds'))]);
    case 'lbx.report/v1':
      return findViolations(document, [...table(kind), ...nested(summary, 'runs[].summary')]);
    case 'lbx.bench/v1':
      return findViolations(document, [...table(kind), ...nested(summary, 'policies[].summary'), ...optionalUnder(document, 'thresholds', nested(thresholds, 'thresholds'))]);
  }
}

/** The nested fields of an optional object count only when the object is there. */
function optionalUnder(document: unknown, key: string, fields: FieldSpec[]): FieldSpec[] {
  return typeof document === 'object' && document !== null && key in document ? fields : [];
}
