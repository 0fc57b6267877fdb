// Checks before `up` spawns anything that every port it will bind is free, so a clash is a clear error, not a half-started cluster.
import net from 'node:net';

function isPortFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

export async function findPortsInUse<T extends { port: number }>(host: string, ports: readonly T[]): Promise<T[]> {
  const free = await Promise.all(ports.map((entry) => isPortFree(host, entry.port)));
  return ports.filter((_, index) => !free[index]);
}
