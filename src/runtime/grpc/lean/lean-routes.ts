// The methods a lean server serves, by HTTP/2 :path, from the same service bindings a grpc-js server takes.
import type { MethodDefinition } from '@grpc/grpc-js';

import type { ServiceBinding } from '../grpc-server.js';

export interface Route {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a route serves whatever its method's codecs carry
  readonly method: MethodDefinition<any, any>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- handlers are grpc-js-shaped: (call) or (call, callback)
  readonly handler: (...args: any[]) => void;
}

/** Every method of every service, by path ("/lbx.v1.Backend/ProcessTask"); a method with no handler is left out (UNIMPLEMENTED). */
export function routesOf(services: readonly ServiceBinding[]): Map<string, Route> {
  const routes = new Map<string, Route>();
  for (const service of services) {
    for (const [name, method] of Object.entries(service.definition)) {
      const handler = service.implementation[name];
      if (typeof handler === 'function') routes.set(method.path, { method, handler: handler as Route['handler'] });
    }
  }
  return routes;
}
