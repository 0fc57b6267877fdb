// Log lines of a running role (its stdout goes to the component's log file): ISO time, then the message.

export function logLine(message: string): void {
  process.stdout.write(`${new Date().toISOString()} ${message}\n`);
}

/** Renders a typed runtime event as one log line: its type, then its fields as key=value. */
export function logEvent(event: { readonly type: string } & Record<string, unknown>): void {
  const fields = Object.entries(event)
    .filter(([key]) => key !== 'type')
    .map(([key, value]) => `${key}=${typeof value === 'string' && /\s/.test(value) ? JSON.stringify(value) : String(value)}`);
  logLine([event.type, ...fields].join(' '));
}

/** Keeps a role's run() pending: the role ends through its stop handler, which exits the process. */
export const runForever = (): Promise<never> => new Promise(() => undefined);
