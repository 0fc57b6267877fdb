// Typed reads of request-body fields, matching names the lenient way Go's encoding/json (and Consul) do.

import { DurationSyntaxError, parseGoDurationMs } from './go-duration.js';
import { decodeFailed } from './http-error.js';

export type JsonObject = Record<string, unknown>;

export const isJsonObject = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);

// Go matches field names case-insensitively; Consul also accepts snake_case for its multi-word keys.
const foldName = (name: string): string => name.replace(/_/g, '').toLowerCase();

/** The value of `name` in `object`: an exact key first, then one equal after folding case and underscores. */
export function readField(object: JsonObject, name: string): unknown {
  if (Object.hasOwn(object, name)) return object[name];
  const wanted = foldName(name);
  const key = Object.keys(object).find((candidate) => foldName(candidate) === wanted);
  return key === undefined ? undefined : object[key];
}

/** A short rendering of a rejected value for error messages. */
function describe(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

/** Reads fields of one JSON object; every error names the field by its path ("Checks[1].Interval"). */
export class FieldReader {
  constructor(
    private readonly fields: JsonObject,
    readonly path = '',
  ) {}

  label(name: string): string {
    return this.path === '' ? name : `${this.path}.${name}`;
  }

  /** The raw value, with JSON null treated as absent (Go leaves the field at its zero value). */
  raw(name: string): unknown {
    const value = readField(this.fields, name);
    return value === null ? undefined : value;
  }

  has(name: string): boolean {
    return this.raw(name) !== undefined;
  }

  string(name: string): string | undefined {
    const value = this.raw(name);
    if (value === undefined || typeof value === 'string') return value;
    throw decodeFailed(`${this.label(name)} must be a string (got ${describe(value)})`);
  }

  boolean(name: string): boolean | undefined {
    const value = this.raw(name);
    if (value === undefined || typeof value === 'boolean') return value;
    throw decodeFailed(`${this.label(name)} must be true or false (got ${describe(value)})`);
  }

  integer(name: string, min: number, max: number): number | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) return value;
    throw decodeFailed(`${this.label(name)} must be an integer from ${min} to ${max} (got ${describe(value)})`);
  }

  stringArray(name: string): string[] | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    if (Array.isArray(value) && value.every((item): item is string => typeof item === 'string')) return [...value];
    throw decodeFailed(`${this.label(name)} must be an array of strings (got ${describe(value)})`);
  }

  stringMap(name: string): Record<string, string> | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    if (isJsonObject(value) && Object.values(value).every((item) => typeof item === 'string')) {
      return { ...(value as Record<string, string>) };
    }
    throw decodeFailed(`${this.label(name)} must be an object of string values (got ${describe(value)})`);
  }

  object(name: string): FieldReader | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    if (isJsonObject(value)) return new FieldReader(value, this.label(name));
    throw decodeFailed(`${this.label(name)} must be an object (got ${describe(value)})`);
  }

  /** Each element of an array of objects, as readers labelled "Name[i]". */
  objectArray(name: string): FieldReader[] | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    if (!Array.isArray(value)) throw decodeFailed(`${this.label(name)} must be an array (got ${describe(value)})`);
    return value.map((item, position) => {
      const label = `${this.label(name)}[${position}]`;
      if (!isJsonObject(item)) throw decodeFailed(`${label} must be an object (got ${describe(item)})`);
      return new FieldReader(item, label);
    });
  }

  /** A duration in milliseconds: a Go duration string, or a number of nanoseconds as Go decodes one. */
  durationMs(name: string): number | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    if (typeof value === 'number' && Number.isFinite(value)) return value / 1e6;
    if (typeof value === 'string') {
      try {
        return parseGoDurationMs(value);
      } catch (error) {
        if (error instanceof DurationSyntaxError) throw decodeFailed(`${this.label(name)}: ${error.message}`);
        throw error;
      }
    }
    throw decodeFailed(`${this.label(name)} must be a duration such as "10s" (got ${describe(value)})`);
  }

  /** True if the object has any non-null field at all. */
  isEmpty(): boolean {
    return Object.values(this.fields).every((value) => value === null || value === undefined);
  }
}
