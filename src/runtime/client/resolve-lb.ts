// Finds the LB the way clients in the source systems did: through the registry's passing set.
import { LbxError } from '../../core/lbx-error.js';
import { createRegistry, type RegistryConnection } from '../registry/create-registry.js';
import { LB_SERVICE } from '../registry/service-names.js';
import { formatHostPort } from '../../core/host-port.js';

export async function resolveLbAddress(connection: RegistryConnection): Promise<string> {
  const registry = createRegistry(connection, { requestTimeoutMs: 2_000 });
  try {
    const [instance] = await registry.resolve(LB_SERVICE);
    if (instance === undefined) {
      throw new LbxError(
        'runtime',
        `no passing "${LB_SERVICE}" instance in the ${connection.kind} registry at ${connection.address}${connection.kind === 'etcd' ? ` (cluster "${connection.cluster}")` : ''}: the load balancer is down or failing its health check`,
      );
    }
    return formatHostPort(instance.address, instance.port);
  } finally {
    registry.close?.();
  }
}
