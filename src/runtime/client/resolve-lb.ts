// Finds the LB the way clients in the source systems did: through the registry's passing set.
import { LbxError } from '../../core/lbx-error.js';
import { createRegistryClient } from '../registry/registry-client.js';
import { LB_SERVICE } from '../registry/service-names.js';

export async function resolveLbAddress(registryAddress: string): Promise<string> {
  const registry = createRegistryClient({ address: registryAddress, requestTimeoutMs: 2_000 });
  try {
    const [instance] = await registry.resolve(LB_SERVICE);
    if (instance === undefined) {
      throw new LbxError('runtime', `no passing "${LB_SERVICE}" instance in the registry at ${registryAddress}: the load balancer is down or failing its health check`);
    }
    return `${instance.address}:${instance.port}`;
  } finally {
    registry.close?.();
  }
}
