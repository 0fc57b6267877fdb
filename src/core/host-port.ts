// host:port as gRPC targets, URLs and logs need it: an IPv6 address goes in brackets ([::1]:7001), as in RFC 3986.

/** "127.0.0.1:7001", "[::1]:7001", "localhost:7001". */
export const formatHostPort = (host: string, port: number | string): string => (host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`);

/** The host part of "host:port" or "[v6]:port", without brackets; the whole text when it has no port. */
export function hostOf(address: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(address);
  if (bracketed) return bracketed[1]!;
  const colon = address.lastIndexOf(':');
  // A bare IPv6 address (two colons or more) has no port to cut.
  return colon < 0 || address.indexOf(':') !== colon ? address : address.slice(0, colon);
}

/** The port of "host:port" or "[v6]:port" (1 to 65535); undefined when it has none. */
export function portOf(address: string): number | undefined {
  const match = /^(?:\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(address);
  const port = match ? Number(match[1]) : NaN;
  return port >= 1 && port <= 65_535 ? port : undefined;
}
