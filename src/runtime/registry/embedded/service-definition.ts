// The body of PUT /v1/agent/service/register, validated into a typed definition (TCP and TTL checks only).

import { formatGoDuration } from './go-duration.js';
import { FieldReader, isJsonObject } from './json-fields.js';
import { decodeFailed, HttpError } from './http-error.js';

export const CHECK_STATUSES = ['passing', 'warning', 'critical'] as const;
export type CheckStatus = (typeof CHECK_STATUSES)[number];
export const isCheckStatus = (value: unknown): value is CheckStatus => typeof value === 'string' && (CHECK_STATUSES as readonly string[]).includes(value);

/** Consul's default dial timeout for TCP checks. */
export const DEFAULT_TCP_TIMEOUT_MS = 10_000;
/** Shorter intervals are raised to this so a typo ("1ns") cannot spin; Consul itself raises anything under 1s. */
export const MIN_CHECK_INTERVAL_MS = 100;

/** How a check learns its status: by dialling a TCP address, or by being told before its TTL runs out. */
export type CheckProbe = { type: 'tcp'; target: string; host: string; port: number; intervalMs: number; timeoutMs: number } | { type: 'ttl'; ttlMs: number };

export interface CheckDefinition {
  checkId: string;
  name: string;
  notes: string;
  probe: CheckProbe;
  initialStatus: CheckStatus;
  /** Remove the whole service once this check has been critical this long; undefined = never. */
  deregisterCriticalAfterMs: number | undefined;
}

export interface ServiceDefinition {
  id: string;
  name: string;
  address: string;
  port: number;
  tags: string[];
  meta: Record<string, string>;
  enableTagOverride: boolean;
  weights: { passing: number; warning: number };
  checks: CheckDefinition[];
}

const UNSUPPORTED_CHECK_KINDS = ['HTTP', 'Args', 'Script', 'GRPC', 'H2PING', 'UDP', 'DockerContainerID', 'AliasNode', 'AliasService', 'OSService'] as const;

// Consul's limits on service metadata (structs.ValidateServiceMetadata).
const META_MAX_PAIRS = 64;
const META_MAX_KEY_LENGTH = 128;
const META_MAX_VALUE_LENGTH = 512;
const META_KEY_PATTERN = /^[a-zA-Z0-9_-]+$/;

/** Validates a register body and fills in Consul's defaults (ID = Name, check IDs "service:<id>[:n]"). */
export function parseServiceDefinition(body: unknown): ServiceDefinition {
  if (!isJsonObject(body)) throw decodeFailed('the body must be a JSON object');
  const fields = new FieldReader(body);

  const name = fields.string('Name') ?? '';
  if (name === '') throw new HttpError(400, 'Missing service name');
  const id = fields.string('ID') || name;
  const address = fields.string('Address') ?? '';
  if (['0.0.0.0', '::', '[::]'].includes(address)) {
    throw new HttpError(400, `Invalid service address ${JSON.stringify(address)}: Address must not be a wildcard`);
  }
  rejectUnsupportedServiceFields(fields);

  const weights = fields.object('Weights');
  const definition: ServiceDefinition = {
    id,
    name,
    address,
    port: fields.integer('Port', 0, 65_535) ?? 0,
    tags: fields.stringArray('Tags') ?? [],
    meta: validateMeta(fields.stringMap('Meta') ?? {}),
    enableTagOverride: fields.boolean('EnableTagOverride') ?? false,
    weights: {
      passing: weights?.integer('Passing', 1, 65_535) ?? 1,
      warning: weights?.integer('Warning', 0, 65_535) ?? 1,
    },
    checks: [],
  };

  const checkFields: FieldReader[] = [];
  const single = fields.object('Check');
  if (single !== undefined && !single.isEmpty()) checkFields.push(single);
  checkFields.push(...(fields.objectArray('Checks') ?? []).filter((reader) => !reader.isEmpty()));
  definition.checks = checkFields.map((reader, position) => parseCheck(reader, definition, checkFields.length > 1 ? `service:${id}:${position + 1}` : `service:${id}`));

  const seen = new Set<string>();
  for (const check of definition.checks) {
    if (seen.has(check.checkId)) throw new HttpError(400, `Duplicate check ID ${JSON.stringify(check.checkId)} in Checks`);
    seen.add(check.checkId);
  }
  return definition;
}

function rejectUnsupportedServiceFields(fields: FieldReader): void {
  const kind = fields.string('Kind');
  if (kind !== undefined && kind !== '') {
    throw new HttpError(400, `Kind ${JSON.stringify(kind)} is not supported by the lbx embedded registry (plain services only)`);
  }
  for (const name of ['Connect', 'Proxy'] as const) {
    const value = fields.object(name);
    if (value !== undefined && !value.isEmpty()) {
      throw new HttpError(400, `${name} is not supported by the lbx embedded registry (plain services only)`);
    }
  }
}

function validateMeta(meta: Record<string, string>): Record<string, string> {
  const keys = Object.keys(meta).sort();
  const fail = (reason: string): never => {
    throw new HttpError(400, `Invalid Service Meta: ${reason}`);
  };
  if (keys.length > META_MAX_PAIRS) fail(`Meta cannot contain more than ${META_MAX_PAIRS} key/value pairs`);
  const sorted: Record<string, string> = {};
  for (const key of keys) {
    const value = meta[key] ?? '';
    if (key.length > META_MAX_KEY_LENGTH) fail(`Key too long (limit: ${META_MAX_KEY_LENGTH} characters)`);
    if (!META_KEY_PATTERN.test(key)) fail(`Key contains invalid characters: ${JSON.stringify(key)}`);
    if (key.startsWith('consul-')) fail(`Key prefix 'consul-' is reserved for internal use: ${JSON.stringify(key)}`);
    if (value.length > META_MAX_VALUE_LENGTH) fail(`Value is too long (limit: ${META_MAX_VALUE_LENGTH} characters)`);
    sorted[key] = value;
  }
  return sorted;
}

function parseCheck(fields: FieldReader, service: ServiceDefinition, defaultCheckId: string): CheckDefinition {
  const unsupported = UNSUPPORTED_CHECK_KINDS.find((kind) => fields.has(kind));
  if (unsupported !== undefined) {
    throw new HttpError(400, `${fields.label(unsupported)}: only TCP and TTL checks are supported by the lbx embedded registry`);
  }

  const status = fields.string('Status');
  if (status !== undefined && status !== '' && !isCheckStatus(status)) {
    throw new HttpError(400, `${fields.label('Status')}: Status for checks must be 'passing', 'warning' or 'critical' (got ${JSON.stringify(status)})`);
  }

  const deregisterAfterMs = fields.durationMs('DeregisterCriticalServiceAfter');
  return {
    checkId: fields.string('CheckID') || fields.string('ID') || defaultCheckId,
    name: fields.string('Name') || `Service '${service.name}' check`,
    notes: fields.string('Notes') ?? '',
    probe: parseProbe(fields),
    initialStatus: status !== undefined && isCheckStatus(status) ? status : 'critical',
    deregisterCriticalAfterMs: deregisterAfterMs !== undefined && deregisterAfterMs > 0 ? deregisterAfterMs : undefined,
  };
}

function parseProbe(fields: FieldReader): CheckProbe {
  const ttlMs = fields.durationMs('TTL');
  const target = fields.string('TCP') ?? '';
  if (ttlMs !== undefined && ttlMs !== 0 && target !== '') {
    throw new HttpError(400, `${fields.label('TTL')} and ${fields.label('TCP')} were both given; a check has one kind`);
  }

  if (target !== '') {
    const endpoint = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(target);
    const port = Number(endpoint?.[2]);
    if (endpoint === null || endpoint[1] === undefined || !(port >= 1 && port <= 65_535)) {
      throw new HttpError(400, `${fields.label('TCP')} must be host:port (got ${JSON.stringify(target)})`);
    }
    const intervalMs = fields.durationMs('Interval');
    if (intervalMs === undefined || intervalMs <= 0) {
      throw new HttpError(400, `${fields.label('Interval')} is required with TCP and must be positive (e.g. "10s")`);
    }
    const timeoutMs = fields.durationMs('Timeout');
    return {
      type: 'tcp',
      target,
      host: endpoint[1],
      port,
      intervalMs: Math.max(intervalMs, MIN_CHECK_INTERVAL_MS),
      timeoutMs: timeoutMs !== undefined && timeoutMs > 0 ? timeoutMs : DEFAULT_TCP_TIMEOUT_MS,
    };
  }

  if (ttlMs !== undefined) {
    if (ttlMs <= 0) throw new HttpError(400, `${fields.label('TTL')} must be positive (e.g. "10s")`);
    return { type: 'ttl', ttlMs };
  }
  throw new HttpError(400, `${fields.path}: Must provide TTL or TCP and Interval`);
}

/** The Interval/Timeout/TTL strings Consul shows in check listings. */
export function describeProbe(probe: CheckProbe): { interval: string; timeout: string; ttl: string } {
  return probe.type === 'tcp'
    ? { interval: formatGoDuration(probe.intervalMs), timeout: formatGoDuration(probe.timeoutMs), ttl: '' }
    : { interval: '', timeout: '', ttl: formatGoDuration(probe.ttlMs) };
}
