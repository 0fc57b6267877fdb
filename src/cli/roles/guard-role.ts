// The guard role: run a foreign program (consul) so that it stops when the supervisor goes away.
import { clusterDirFlag } from '../flags.js';
import { logLine } from '../role-log.js';

export const guardRoleFlags = { 'cluster-dir': clusterDirFlag };

export async function serveGuard(_flags: unknown, argv: readonly string[]): Promise<void> {
  const [file, ...args] = argv;
  if (file === undefined) throw new Error('serve guard: no program given after --');
  const { execa } = await import('execa');
  const { stopOnSignalOrOrphan } = await import('../../runtime/process/role-lifecycle.js');
  logLine(`starting ${argv.join(' ')}`);
  // Same process group as this guard, so the supervisor's group signals reach the program too.
  const child = execa(file, args, { stdio: 'inherit', reject: false, cleanup: true });
  stopOnSignalOrOrphan(
    async () => {
      child.kill('SIGTERM');
      await child;
    },
    { stopDeadlineMs: 5_000, onStopFailed: (message) => logLine(message) },
  );
  const result = await child;
  logLine(`${file} exited (${result.signal ? `signal ${result.signal}` : `code ${result.exitCode}`})`);
  process.exit(result.exitCode ?? 1);
}
