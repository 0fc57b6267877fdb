// The one order lbx lists backends in: by port number, then host ("…:7002" before "…:10001").

/** Orders host:port addresses by port number ("…:7002" before "…:10001"), then by host. */
export function compareAddresses(a: string, b: string): number {
  const [hostA, portA] = splitAddress(a);
  const [hostB, portB] = splitAddress(b);
  // An address without a numeric port sorts after all that have one.
  const byPort = Number.isNaN(portA) || Number.isNaN(portB) ? Number(Number.isNaN(portA)) - Number(Number.isNaN(portB)) : portA - portB;
  return byPort || compareText(hostA, hostB) || compareText(a, b);
}

const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

// The last colon separates the port, so "[::1]:7001" splits correctly too.
function splitAddress(address: string): [host: string, port: number] {
  const colon = address.lastIndexOf(':');
  if (colon < 0) return [address, NaN];
  const portText = address.slice(colon + 1);
  return [address.slice(0, colon), /^\d+$/.test(portText) ? Number(portText) : NaN];
}
