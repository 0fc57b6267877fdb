// Which data plane forwards a proxy-mode cluster's tasks: lbx's own LB, or a stock proxy lbx runs (HAProxy, NGINX).

/** `up --proxy`: lbx = the LB forwards (the default); haproxy / nginx = a stock proxy run by the cluster's supervisor. */
export const PROXY_KINDS = ['lbx', 'haproxy', 'nginx'] as const;
export type ProxyKind = (typeof PROXY_KINDS)[number];
/** The stock proxies lbx can run as a cluster role. */
export type DataPlaneKind = Exclude<ProxyKind, 'lbx'>;

export const isDataPlaneKind = (kind: string | undefined): kind is DataPlaneKind => kind === 'haproxy' || kind === 'nginx';

/** The executable and the Debian package that installs it (where they are missing, `up --proxy` names the package). */
export const DATA_PLANE_PROGRAMS: Readonly<Record<DataPlaneKind, { readonly binary: string; readonly debianPackage: string; readonly label: string }>> = {
  haproxy: { binary: 'haproxy', debianPackage: 'haproxy', label: 'HAProxy' },
  nginx: { binary: 'nginx', debianPackage: 'nginx', label: 'NGINX' },
};
