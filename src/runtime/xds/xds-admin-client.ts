// Asks an LB's xDS port what its control plane knows (lbx.v1.XdsAdmin/GetXdsStatus).
import { credentials } from '@grpc/grpc-js';
import { CLIENT_CHANNEL_OPTIONS } from '../grpc/channel-options.js';
import { callUnary } from '../grpc/unary.js';
import { XdsAdminClient, type GetXdsStatusResponse } from '../wire/gen/lbx/v1/xds_admin.js';

export async function fetchXdsStatus(xdsAddress: string, timeoutMs: number): Promise<GetXdsStatusResponse> {
  const client = new XdsAdminClient(xdsAddress, credentials.createInsecure(), CLIENT_CHANNEL_OPTIONS);
  try {
    return await callUnary(client.getXdsStatus.bind(client), {}, timeoutMs);
  } finally {
    client.close();
  }
}
