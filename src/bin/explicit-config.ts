// oclif's Config from lbx's command map (the single executable, and the command line's bundle): the map seeded into a root
// Plugin, so no command is searched for or imported from disk.
import { Config, Errors, execute, handle, Plugin, type Command, type Hook, type Interfaces } from '@oclif/core';
import { getHelpFlagAdditions, normalizeArgv } from '@oclif/core/help';

/** What the build embeds from package.json (scripts/build-binary.ts): enough for oclif's Config. */
export interface EmbeddedPackage {
  readonly name: string;
  readonly version: string;
  /** Shown at the top of `lbx --help`, as the npm install shows it. */
  readonly description?: string;
  readonly oclif: Record<string, unknown>;
}

/** Hooks given as functions: package.json names them by file, which a single executable cannot load. */
export interface ExplicitHooks {
  readonly command_not_found?: Hook<'command_not_found'>;
}

/**
 * Loads oclif's Config with `commands` as the root plugin's commands. oclif's explicit strategy
 * would `import()` its target file, which a single executable cannot (its `require` loads only
 * built-ins), so the map goes straight into the plugin's command cache, a private field of
 * @oclif/core 4.14.0: package.json pins that version exactly and test/unit/command-map.test.ts
 * fails if the field stops being used. Hooks are called directly for the same reason.
 */
export async function loadExplicitConfig(pkg: EmbeddedPackage, commands: Readonly<Record<string, Command.Class>>, root: string, hooks: ExplicitHooks = {}): Promise<Config> {
  const pjson = {
    name: pkg.name,
    version: pkg.version,
    ...(pkg.description === undefined ? {} : { description: pkg.description }),
    oclif: { ...pkg.oclif, hooks: {}, commands: { strategy: 'explicit', target: './commands.js', identifier: 'COMMANDS' } },
  } as unknown as Interfaces.PJSON;
  const plugin = new Plugin({ isRoot: true, pjson, root, ignoreManifest: true });
  (plugin as unknown as { commandCache: Readonly<Record<string, Command.Class>> }).commandCache = commands;
  await plugin.load();
  const config = await Config.load({ root, pjson, plugins: new Map([[plugin.name, plugin]]) });
  callHooksDirectly(config, plugin, hooks);
  return config;
}

/** Config.runHook, with the given hooks run from memory and their outcome reported as oclif's own runHook does. */
function callHooksDirectly(config: Config, plugin: Plugin, hooks: ExplicitHooks): void {
  const runHook = config.runHook.bind(config) as (event: string, options: object, timeout?: number, captureErrors?: boolean) => Promise<unknown>;
  const runExplicitHook = async (event: string, options: object, timeout?: number, captureErrors?: boolean): Promise<unknown> => {
    const hook = (hooks as Record<string, ((this: Hook.Context, options: unknown) => Promise<unknown>) | undefined>)[event];
    if (hook === undefined) return runHook(event, options, timeout, captureErrors);
    const context = {
      config,
      debug: () => undefined,
      error: (message: string | Error) => {
        throw message instanceof Error ? message : new Error(message);
      },
      exit: (code = 0) => {
        throw new Errors.ExitError(code);
      },
      log: (message?: unknown) => process.stdout.write(`${String(message ?? '')}\n`),
      warn: (message: string | Error) => process.stderr.write(`Warning: ${String(message)}\n`),
    } as unknown as Hook.Context;
    try {
      const result = await hook.call(context, { ...options, config, context });
      return { successes: [{ plugin, result }], failures: [] };
    } catch (error) {
      // As oclif: an error that carries a non-zero exit code ends the command; others are reported as failures.
      const exit = (error as { oclif?: { exit?: number } }).oclif?.exit;
      if (!captureErrors && exit !== undefined && exit !== 0) throw error;
      return { successes: [], failures: [{ plugin, error: error as Error }] };
    }
  };
  config.runHook = runExplicitHook as Config['runHook'];
}

/**
 * oclif's execute on an explicit Config. execute loads the Config again from the one given, which drops the hooks given
 * as functions, so an unknown command would get oclif's bare "command … not found": the command_not_found hook is
 * run here first (a word that is neither a command nor a topic, like `lbx sned`).
 */
export async function executeExplicit(config: Config, argv: string[]): Promise<void> {
  const unknown = unknownCommand(config, argv);
  if (unknown !== undefined) {
    try {
      await config.runHook('command_not_found', unknown);
    } catch (error) {
      await handle(error as Error);
      return;
    }
  }
  await execute({ args: argv, loadOptions: config });
}

/**
 * The command id argv names (its words joined as oclif joins them) when no command or topic has it, with what follows;
 * undefined when there is none, or when argv asks for help (oclif answers that itself).
 */
function unknownCommand(config: Config, argv: readonly string[]): { id: string; argv: string[] } | undefined {
  const helpFlags = getHelpFlagAdditions(config);
  if (argv.some((arg) => helpFlags.includes(arg))) return undefined;
  const [id, ...rest] = normalizeArgv(config, [...argv]);
  if (id === undefined || id.startsWith('-')) return undefined;
  if (config.findCommand(id) !== undefined || config.findTopic(id) !== undefined) return undefined;
  return { id, argv: rest };
}
