// oclif's Config for the single executable: the command map seeded into a root Plugin, so nothing is read or required from disk.
import { Config, Plugin, type Command, type Interfaces } from '@oclif/core';

/** What the build embeds from package.json (scripts/build-binary.ts): enough for oclif's Config. */
export interface EmbeddedPackage {
  readonly name: string;
  readonly version: string;
  readonly oclif: Record<string, unknown>;
}

/**
 * Loads oclif's Config with `commands` as the root plugin's commands. oclif's explicit strategy
 * would `import()` its target file, which a single executable cannot (its `require` loads only
 * built-ins), so the map goes straight into the plugin's command cache, a private field of
 * @oclif/core 4.14.0: package.json pins that version exactly and test/unit/command-map.test.ts
 * fails if the field stops being used.
 */
export async function loadExplicitConfig(
  pkg: EmbeddedPackage,
  commands: Readonly<Record<string, Command.Class>>,
  root: string,
): Promise<Config> {
  const pjson = {
    name: pkg.name,
    version: pkg.version,
    oclif: { ...pkg.oclif, commands: { strategy: 'explicit', target: './commands.js', identifier: 'COMMANDS' } },
  } as unknown as Interfaces.PJSON;
  const plugin = new Plugin({ isRoot: true, pjson, root, ignoreManifest: true });
  (plugin as unknown as { commandCache: Readonly<Record<string, Command.Class>> }).commandCache = commands;
  await plugin.load();
  return Config.load({ root, pjson, plugins: new Map([[plugin.name, plugin]]) });
}
