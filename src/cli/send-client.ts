// `send --client`: lbx's own picks, or a stock xDS client pointed at the LB's control plane.
import { LbxError } from '../core/lbx-error.js';
import type { SendClient } from '../runtime/client/recorded-send.js';
import { xdsAddressOf } from '../runtime/cluster/ports.js';
import { HOST_PORT_PATTERN } from './flags.js';

/** Who balances the tasks of `send --client` and each arm of `bench --client`: lbx's own picks, or a stock xDS client. */
export const CLIENT_KINDS = ['lbx', 'xds'] as const satisfies ReadonlyArray<SendClient['kind']>;

/**
 * The stock xDS client keeps its ADS stream open for the life of the process (grpc-js-xds has no way to close it),
 * which would keep `lbx send` from exiting: once the command is done, end the process shortly after, with its exit
 * code. The timer is unref'd, so a process that has nothing else open exits on its own first.
 */
export function exitDespiteXdsClient(client: SendClient): void {
  if (client.kind !== 'xds') return;
  setTimeout(() => process.exit(process.exitCode ?? 0), XDS_EXIT_DELAY_MS).unref();
}

const XDS_EXIT_DELAY_MS = 200;

export function sendClient(flags: { client: SendClient['kind']; 'xds-addr'?: string }, lbAddress: string): SendClient {
  if (flags.client === 'lbx') {
    if (flags['xds-addr'] !== undefined) throw new LbxError('usage', '--xds-addr is for --client xds', ['add --client xds, or drop --xds-addr']);
    return { kind: 'lbx' };
  }
  const xdsAddress = flags['xds-addr'] ?? xdsAddressOf(lbAddress);
  if (!HOST_PORT_PATTERN.test(xdsAddress)) throw new LbxError('usage', `--xds-addr ${JSON.stringify(xdsAddress)} is not host:port`, ['e.g. --xds-addr 127.0.0.1:7107']);
  return { kind: 'xds', xdsAddress };
}

/** What the progress line says the tasks go through: the LB's address, or the stock xDS client and its control plane. */
export const describeSendClient = (client: SendClient, lbAddress: string): string =>
  client.kind === 'xds' ? `a stock xDS client (control plane ${client.xdsAddress})` : lbAddress;
