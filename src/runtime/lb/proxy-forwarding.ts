// How the LB forwards tasks in proxy mode: h2 (HTTP/2 streams passed through, nothing decoded) or grpc (grpc-js decodes and re-encodes each task; kept to compare).
export const PROXY_FORWARDINGS = ['h2', 'grpc'] as const;
export type ProxyForwarding = (typeof PROXY_FORWARDINGS)[number];
export const DEFAULT_PROXY_FORWARDING: ProxyForwarding = 'h2';
