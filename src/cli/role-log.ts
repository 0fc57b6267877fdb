// Log lines of a running role (its stdout goes to the component's log file): ISO time, then the message.

export function logLine(message: string): void {
  process.stdout.write(`${new Date().toISOString()} ${message}\n`);
}

/** A field's value: a string bare unless it holds spaces, objects and arrays as JSON (never "[object Object]"). */
function renderValue(value: unknown): string {
  if (typeof value === 'string') return /\s/.test(value) ? JSON.stringify(value) : value;
  if (typeof value === 'object' && value !== null) return JSON.stringify(value);
  return String(value);
}

/** Renders a typed runtime event as one log line: its type, then its fields as key=value (objects and arrays as JSON). */
export function logEvent(event: { readonly type: string } & Record<string, unknown>): void {
  const fields = Object.entries(event)
    .filter(([key]) => key !== 'type')
    .map(([key, value]) => `${key}=${renderValue(value)}`);
  logLine([event.type, ...fields].join(' '));
}

/** Keeps a role's run() pending: the role ends through its stop handler, which exits the process. */
export const runForever = (): Promise<never> => new Promise(() => undefined);
