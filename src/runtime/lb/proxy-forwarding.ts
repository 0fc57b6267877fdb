// How the LB forwards tasks in proxy mode: relay (HTTP/2 frames passed through by lbx's own framing, nothing decoded but headers), h2 (node:http2 streams passed through; kept to compare) or grpc (grpc-js decodes and re-encodes each task; kept to compare).
export const PROXY_FORWARDINGS = ['relay', 'h2', 'grpc'] as const;
export type ProxyForwarding = (typeof PROXY_FORWARDINGS)[number];
export const DEFAULT_PROXY_FORWARDING: ProxyForwarding = 'relay';
