// Keeps a send run's LB address current: after failed picks it asks the registry again, keeping the last address while the registry is down too.
import type { RegistryClient } from '../registry/registry-contract.js';
import { createRegistry, type RegistryConnection } from '../registry/create-registry.js';
import { LB_SERVICE } from '../registry/service-names.js';
import { formatHostPort } from '../../core/host-port.js';

/** However many requests are waiting, the registry is asked at most once per this interval. */
export const RELOCATE_INTERVAL_MS = 250;
const REGISTRY_TIMEOUT_MS = 1_000;

export class LbLocator {
  #address: string;
  #registry: RegistryClient | undefined;
  #isLookingUp = false;
  #isClosed = false;
  #lastLookupAtMs = Number.NEGATIVE_INFINITY;

  /**
   * @param connection the registry to look the LB up in again; without it the address never changes.
   * @param onMoved told the new address when the registry names a different LB.
   */
  constructor(
    initialAddress: string,
    private readonly connection: RegistryConnection | undefined,
    private readonly onMoved: (address: string) => void,
  ) {
    this.#address = initialAddress;
  }

  get address(): string {
    return this.#address;
  }

  /**
   * Looks the LB up again unless a lookup is running or ran within the interval. Never rejects;
   * requests do not wait for it (their next try uses whatever address is current by then).
   */
  relocate(): Promise<void> {
    if (this.connection === undefined || this.#isClosed || this.#isLookingUp) return Promise.resolve();
    const nowMs = performance.now();
    if (nowMs - this.#lastLookupAtMs < RELOCATE_INTERVAL_MS) return Promise.resolve();
    this.#lastLookupAtMs = nowMs;
    this.#isLookingUp = true;
    return this.#lookUp(this.connection).finally(() => {
      this.#isLookingUp = false;
    });
  }

  close(): void {
    this.#isClosed = true;
    this.#registry?.close();
  }

  async #lookUp(connection: RegistryConnection): Promise<void> {
    try {
      this.#registry ??= createRegistry(connection, { requestTimeoutMs: REGISTRY_TIMEOUT_MS });
      const addresses = (await this.#registry.resolve(LB_SERVICE)).map((instance) => formatHostPort(instance.address, instance.port));
      // None passing (it is restarting) or ours among them: stay where we are.
      const [first] = addresses;
      if (this.#isClosed || first === undefined || addresses.includes(this.#address)) return;
      this.#address = first;
      this.onMoved(first);
    } catch {
      // The registry may be down too (restarting, or a crash of its own): keep the last known address.
    }
  }
}
