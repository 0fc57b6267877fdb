// The bootstrap a stock gRPC client reads (GRPC_XDS_BOOTSTRAP=file or GRPC_XDS_BOOTSTRAP_CONFIG=json) to find lbx's control plane.
// The format is gRPC's (gRFC A27): xds_servers with insecure channel creds and xds_v3, and the client's node.

export interface XdsBootstrap {
  readonly xds_servers: readonly [{ readonly server_uri: string; readonly channel_creds: readonly [{ readonly type: 'insecure' }]; readonly server_features: readonly ['xds_v3'] }];
  readonly node: { readonly id: string; readonly locality: { readonly zone: string } };
}

export interface BootstrapInput {
  /** host:port of the LB's xDS port, as clients reach it. */
  readonly serverUri: string;
  readonly nodeId: string;
  readonly zone: string;
}

export function buildBootstrap(input: BootstrapInput): XdsBootstrap {
  return {
    xds_servers: [{ server_uri: input.serverUri, channel_creds: [{ type: 'insecure' }], server_features: ['xds_v3'] }],
    node: { id: input.nodeId, locality: { zone: input.zone } },
  };
}
