// What lbx needs from a service registry, whichever one it is (the embedded registry, a real Consul, etcd):
// register and keep registered, resolve and watch the passing set. Every adapter implements RegistryClient;
// the LB, the backends, the supervisor and the xDS control plane use only this file.

export interface ServiceInstance {
  id: string;
  service: string;
  address: string;
  port: number;
  meta: Record<string, string>;
}

/** How the registry learns an instance is healthy: it dials the instance, or the instance reports before a TTL runs out. */
export type HealthSignal = { kind: 'tcp'; intervalMs: number; timeoutMs?: number } | { kind: 'ttl'; ttlMs: number };

export interface RegistryWatch {
  stop(): void;
}

/** What a registration keeper reports: the registry went quiet (once per outage), or it had lost us and we registered again. */
export type KeeperEvent = { readonly type: 'registry-unreachable'; readonly id: string; readonly message: string } | { readonly type: 're-registered'; readonly id: string };

export interface RegistrationKeeper {
  /** Ends the checks; resolves once none is in flight, so a deregistration after it cannot be undone by one. */
  stop(): Promise<void>;
}

export interface RegistryClient {
  register(instance: ServiceInstance, health: HealthSignal, options?: { deregisterCriticalAfterMs?: number }): Promise<void>;
  /** Unknown IDs are not an error: deregistering twice is fine. */
  deregister(id: string): Promise<void>;
  /** Marks a TTL-checked instance passing; re-registers it first if the registry forgot it (it restarted). */
  passTtl(id: string): Promise<void>;
  /**
   * Asks the registry whether it still has an instance this client registered (GET /v1/agent/service/:id)
   * and registers it again, with the same id and check, when it answers 404: it restarted empty.
   * 'not-ours' for an id this client did not register (or has deregistered). Throws when unreachable.
   */
  ensureRegistered(id: string): Promise<'present' | 're-registered' | 'not-ours'>;
  /**
   * Runs ensureRegistered every `intervalMs` until stopped. An unreachable registry is retried
   * quietly: one 'registry-unreachable' per outage, one 're-registered' when it had lost the instance.
   */
  keepRegistered(id: string, intervalMs: number, onEvent: (event: KeeperEvent) => void): RegistrationKeeper;
  /** The instances whose checks all pass, now. */
  resolve(service: string): Promise<ServiceInstance[]>;
  /**
   * Follows the passing set with blocking queries: `onChange` gets the initial set and every different set after it.
   * Errors go to `onError` and the watch retries with backoff, so it outlives a registry restart.
   */
  watch(service: string, onChange: (instances: ServiceInstance[]) => void, onError?: (error: Error) => void): RegistryWatch;
  /** The registry's leader address ("" while there is none); a cheap readiness probe. */
  leader(): Promise<string>;
  /** Stops every watch and closes pooled connections; the client must not be used afterwards. */
  close(): void;
}
